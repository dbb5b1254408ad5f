//! Evidence uploads as both faces receive them (the API and the console's forms): a
//! multipart/form-data body read within the configured limits into files and text fields, and
//! the headers a kept file is sent back with. Free of the web framework: each face hands its
//! request's body as a stream of bytes.

use crate::error::{AppError, AppResult};
use crate::service::issues::evidence::{EvidenceFile, Limits, Upload};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt as _};
use std::collections::BTreeMap;

/// At most this many files in one upload.
pub const FILES_AT_ONCE: usize = 10;

fn refused(e: &multer::Error, limit: u64) -> AppError {
    match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            AppError::TooLarge(format!(
                "a file is larger than {limit} bytes (evidence.max_file), or the upload than {FILES_AT_ONCE} of them"
            ))
        }
        multer::Error::UnknownField { field_name } => AppError::invalid(
            field_name.clone().unwrap_or_default(),
            "not a field of this form: send the files in the field `file`",
        ),
        other => AppError::Malformed(format!("the multipart body cannot be read: {other}")),
    }
}

/// The request's body, refused (413, naming the `setting` behind the limit) as soon as it grows
/// past `limit` bytes.
async fn read_at_most<S, E>(mut payload: S, limit: u64, setting: &str) -> AppResult<Bytes>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| AppError::Malformed(format!("the body cannot be read: {e}")))?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(AppError::TooLarge(format!(
                "the request is larger than {limit} bytes ({setting})"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The files (field `file`, at most [`FILES_AT_ONCE`]) and the text fields (`csrf` and those of
/// `fields`) of a multipart/form-data request, never reading beyond the limits: 415 when it is
/// not one, 413 past a limit, 422 for another field.
pub async fn read<S, E>(
    content_type: Option<&str>,
    payload: S,
    limits: Limits,
    fields: &[&'static str],
) -> AppResult<(Vec<Upload>, BTreeMap<String, String>)>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let boundary = content_type
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| {
            AppError::NotJson("send the files as multipart/form-data in the field `file`".into())
        })?;
    let whole = limits.file * FILES_AT_ONCE as u64 + 64 * 1024;
    let constraints = multer::Constraints::new()
        .allowed_fields([&["file", "csrf"][..], fields].concat())
        .size_limit(
            multer::SizeLimit::new()
                .per_field(limits.file)
                .whole_stream(whole),
        );
    // Read whole first, never beyond the limit (the request's stream stays on its thread; the
    // parser wants one it may move).
    let setting = format!("{FILES_AT_ONCE} files of evidence.max_file");
    let body = read_at_most(payload, whole, &setting).await?;
    let once = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::with_constraints(once, boundary, constraints);
    let mut files = Vec::new();
    let mut texts = BTreeMap::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| refused(&e, limits.file))?
    {
        let field_name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| refused(&e, limits.file))?;
        if field_name != "file" {
            texts.insert(field_name, String::from_utf8_lossy(&bytes).into_owned());
            continue;
        }
        // A form's file input left empty sends a part without a name or content: not a file.
        if bytes.is_empty() && file_name.as_deref().unwrap_or("").is_empty() {
            continue;
        }
        files.push(Upload {
            name: file_name.unwrap_or_else(|| "bukti".into()),
            bytes: bytes.to_vec(),
        });
        if files.len() > FILES_AT_ONCE {
            return Err(AppError::invalid(
                "file",
                format!("at most {FILES_AT_ONCE} files at once"),
            ));
        }
    }
    Ok((files, texts))
}

/// The body of a form sent URL-encoded (no files), read no further than `limit` bytes.
pub async fn read_urlencoded<S, E, T>(payload: S, limit: u64) -> AppResult<T>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
    T: serde::de::DeserializeOwned,
{
    let body = read_at_most(payload, limit, "server.request_body_limit").await?;
    serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::Malformed(format!("the form cannot be read: {e}")))
}

/// The headers a kept file is sent with: its type, an attachment with its safe name,
/// `nosniff`, private and never stored, sandboxed should a browser render it anyway.
pub fn attachment_headers(file: &EvidenceFile) -> [(&'static str, String); 5] {
    [
        ("content-type", file.content_type.clone()),
        (
            "content-disposition",
            format!("attachment; filename=\"{}\"", file.name),
        ),
        ("x-content-type-options", "nosniff".into()),
        ("cache-control", "private, no-store".into()),
        (
            "content-security-policy",
            "default-src 'none'; sandbox".into(),
        ),
    ]
}
