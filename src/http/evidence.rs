//! `/issues/{ref}/evidence`: upload (multipart/form-data, field `file`, repeatable), list and
//! download an issue's evidence files.

use super::extract::CurrentUser;
use super::problem::Problem;
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::service::issues::evidence::{self, EvidenceFile, EvidenceFiles, Upload};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

/// At most this many files in one upload.
const FILES_AT_ONCE: usize = 10;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/issues/{ref}/evidence")
            .route(web::get().to(list))
            .route(web::post().to(upload)),
    )
    .service(web::resource("/issues/{ref}/evidence/{id}").route(web::get().to(download)));
}

/// The form of an upload (for the API's description).
#[derive(utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "describes the multipart form; the handler reads the stream"
)]
pub struct EvidenceForm {
    /// One or more files (up to 10): JPEG, PNG, WebP, PDF or MP4, judged from the content.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<u8>,
}

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

/// Adds evidence files to an issue (all or none): the TRC, the filer, the assigned unit's PIC.
/// A picture's EXIF/GPS metadata is stripped before it is kept; the audit event records each
/// file's SHA-256.
#[utoipa::path(post, path = "/api/v1/issues/{ref}/evidence", tag = "issues", security(("bearer" = [])), params(("ref" = String, Path)),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceFiles),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let (c2, r2) = (ctx.clone(), reference.clone());
    // Rights first (404, 403), the body after: who may not see the issue learns nothing more
    // from an upload than from a read.
    state
        .db(move |conn| evidence::may_add(conn, &c2, &r2, false).map(drop))
        .await?;
    let limits = state.cfg.evidence;
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| {
            AppError::NotJson("send the files as multipart/form-data in the field `file`".into())
        })?;
    let whole = limits.file * FILES_AT_ONCE as u64 + 64 * 1024;
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["file"])
        .size_limit(
            multer::SizeLimit::new()
                .per_field(limits.file)
                .whole_stream(whole),
        );
    // Read whole first, never beyond the limit (the request's stream stays on its thread; the
    // parser wants one it may move).
    let body = read_at_most(payload, whole).await?;
    let once = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::with_constraints(once, boundary, constraints);
    let mut files = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| refused(&e, limits.file))?
    {
        let name = field.file_name().unwrap_or("bukti").to_owned();
        let bytes = field.bytes().await.map_err(|e| refused(&e, limits.file))?;
        files.push(Upload {
            name,
            bytes: bytes.to_vec(),
        });
        if files.len() > FILES_AT_ONCE {
            return Err(AppError::invalid(
                "file",
                format!("at most {FILES_AT_ONCE} files at once"),
            ));
        }
    }
    let items = state
        .db(move |conn| evidence::add(conn, &ctx, &reference, files, limits))
        .await?;
    Ok(HttpResponse::Created().json(EvidenceFiles { items }))
}

/// The request's body, refused (413) as soon as it grows past `limit` bytes.
async fn read_at_most(mut payload: web::Payload, limit: u64) -> AppResult<web::Bytes> {
    use futures_util::StreamExt as _;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| AppError::Malformed(format!("the body cannot be read: {e}")))?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(AppError::TooLarge(format!(
                "the upload is larger than {limit} bytes ({FILES_AT_ONCE} files of evidence.max_file)"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// An issue's evidence files, oldest first.
#[utoipa::path(get, path = "/api/v1/issues/{ref}/evidence", tag = "issues", security(("bearer" = [])), params(("ref" = String, Path)),
    responses((status = 200, body = EvidenceFiles),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let items = state
        .db(move |conn| evidence::list(conn, &ctx, &reference))
        .await?;
    Ok(HttpResponse::Ok().json(EvidenceFiles { items }))
}

/// One evidence file, as an attachment of the type judged from its content (`nosniff`,
/// never cached by shared caches).
#[utoipa::path(get, path = "/api/v1/issues/{ref}/evidence/{id}", tag = "issues", security(("bearer" = [])),
    params(("ref" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let (reference, id) = path.into_inner();
    let Ok(id) = id.parse::<i64>() else {
        return Err(AppError::NotFound(format!("no file {id} of {reference}")));
    };
    let (file, bytes) = state
        .db(move |conn| evidence::download(conn, &ctx, &reference, id))
        .await?;
    Ok(attachment(&file, bytes))
}

/// A file as an attachment: its type, its safe name, `nosniff`, private.
pub fn attachment(file: &EvidenceFile, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(file.content_type.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.name),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .body(bytes)
}
