//! Evidence files of an issue: upload (type judged from the content, a picture's metadata
//! stripped, the SHA-256 of what is kept recorded in the audit event of the same transaction),
//! list and download — only for those who may see the issue.

use super::{caller_of, load_visible, stream, viewer};
use crate::audit::{diff, Changes};
use crate::domain::evidence::{self, Kind, Refusal};
use crate::domain::visibility::Viewer;
use crate::domain::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::service::Ctx;
use crate::store::{self, write_tx, Db};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// A kept file.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct EvidenceFile {
    pub id: i64,
    /// The name it is served under (its own, made safe, with the extension of what it is).
    pub name: String,
    /// Judged from the content.
    pub content_type: String,
    /// Bytes, as kept (after metadata was stripped).
    pub size: i64,
    /// Of the bytes kept, hex.
    pub sha256: String,
    /// The uploader's email.
    pub uploaded_by: String,
    pub created_at: String,
}

/// The answer of an upload and of the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceFiles {
    pub items: Vec<EvidenceFile>,
}

/// A file as received.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// How much evidence is kept: per file and per issue, in bytes (`[evidence]`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub file: u64,
    pub issue: u64,
}

fn to_file(r: store::evidence::FileRow) -> EvidenceFile {
    EvidenceFile {
        id: r.id,
        name: r.name,
        content_type: r.content_type,
        size: r.size,
        sha256: r.sha256,
        uploaded_by: r.uploaded_by,
        created_at: crate::service::rfc3339(r.created_at),
    }
}

/// The issue, when the caller may add evidence to it: 404 when they may not see it, 403 when
/// they may see but not add (checked before the body is read).
pub fn may_add(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    lock: bool,
) -> AppResult<store::issues::IssueRow> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, lock)?;
    if may_add_to(&v, &row) {
        Ok(row)
    } else {
        Err(AppError::Forbidden(
            "evidence is added by the TRC, the filer, or the assigned unit's PIC".into(),
        ))
    }
}

/// Whether `v` may add evidence to the issue of `row` (one they see): the TRC and
/// administrators, its filer, the PICs of its assigned unit.
pub fn may_add_to(v: &Viewer, row: &store::issues::IssueRow) -> bool {
    match v.role {
        Role::Admin | Role::Trc => true,
        Role::Pic => {
            row.filed_by_id == v.user_id
                || (row.assigned_unit.is_some() && row.assigned_unit == v.unit)
        }
        Role::Leader => false,
    }
}

/// The files of the issue `issue_id`, oldest first.
pub fn of_issue(conn: &mut Db, issue_id: i64) -> AppResult<Vec<EvidenceFile>> {
    Ok(store::evidence::of_issue(conn, issue_id)?
        .into_iter()
        .map(to_file)
        .collect())
}

/// Adds files to an issue, all or none: the TRC and administrators, the filer, and the PICs of
/// the assigned unit may (a leader reads only). A file of another type, empty, cut off or too
/// large is refused naming it, and nothing is kept.
pub fn add(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    files: Vec<Upload>,
    limits: Limits,
) -> AppResult<Vec<EvidenceFile>> {
    write_tx(conn, |conn| {
        let caller = caller_of(ctx);
        let row = may_add(conn, ctx, reference, true)?;
        if files.is_empty() {
            return Err(AppError::invalid(
                "file",
                "send one or more files in the multipart field `file`",
            ));
        }
        let cleaned = judge(&files, limits)?;
        let adding: u64 = cleaned.iter().map(|(_, c)| c.bytes.len() as u64).sum();
        let kept = u64::try_from(store::evidence::total_size(conn, row.id)?).unwrap_or(0);
        if kept + adding > limits.issue {
            return Err(AppError::TooLarge(format!(
                "the issue would carry {} bytes of evidence; at most {} (evidence.max_per_issue)",
                kept + adding,
                limits.issue
            )));
        }
        let mut out = Vec::new();
        for (f, c) in cleaned {
            let name = evidence::served_name(&f.name, c.kind);
            let sha256 = hex::encode(Sha256::digest(&c.bytes));
            let kept = store::evidence::insert(
                conn,
                &store::evidence::NewFile {
                    issue_id: row.id,
                    name: &name,
                    content_type: c.kind.mime(),
                    sha256: &sha256,
                    data: &c.bytes,
                    uploaded_by: &caller.email,
                    at: ctx.now,
                },
            )?;
            let mut changes = Changes::new();
            let shown = serde_json::json!({
                "id": kept.id, "name": name, "content_type": c.kind.mime(),
                "size": kept.size, "sha256": sha256,
            });
            diff(
                &mut changes,
                "evidence_file",
                serde_json::Value::Null,
                shown,
            );
            ctx.record(
                conn,
                &stream(&row.ref_),
                "issue.evidence_added",
                &format!("issue:{}", row.ref_),
                changes,
            )?;
            out.push(to_file(kept));
        }
        Ok(out)
    })
}

/// Each file judged by the domain: all fit to keep (with their cleaned bytes), or a refusal
/// naming every one that is not.
fn judge(files: &[Upload], limits: Limits) -> AppResult<Vec<(&Upload, evidence::Cleaned)>> {
    let mut errors = Vec::new();
    let mut cleaned = Vec::new();
    for f in files {
        match evidence::clean(&f.bytes) {
            Ok(c) => cleaned.push((f, c)),
            Err(r) => {
                let e = FieldError::new("file", format!("{}: {}", f.name, r.message()));
                errors.push(match r {
                    Refusal::NotAccepted(_) => e.with_valid(Kind::names()),
                    _ => e,
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    if let Some((f, _)) = cleaned
        .iter()
        .find(|(_, c)| c.bytes.len() as u64 > limits.file)
    {
        return Err(AppError::TooLarge(format!(
            "{} is larger than {} bytes (evidence.max_file)",
            f.name, limits.file
        )));
    }
    Ok(cleaned)
}

/// Whether `files` would be kept (their types, wholeness and sizes; not yet the issue's total):
/// for a form that files an issue and its evidence together, checked before the filing.
pub fn check(files: &[Upload], limits: Limits) -> AppResult<()> {
    judge(files, limits).map(drop)
}

/// An issue's files, oldest first (404 when the caller may not see the issue).
pub fn list(conn: &mut Db, ctx: &Ctx, reference: &str) -> AppResult<Vec<EvidenceFile>> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, false)?;
    of_issue(conn, row.id)
}

/// One file with its bytes (404 when the caller may not see the issue, or no such file of it).
pub fn download(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    id: i64,
) -> AppResult<(EvidenceFile, Vec<u8>)> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, false)?;
    match store::evidence::get(conn, row.id, id)? {
        Some((f, bytes)) => Ok((to_file(f), bytes)),
        None => Err(AppError::NotFound(format!("no file {id} of {reference}"))),
    }
}
