//! Comments (internal notes and disposisi; public responses) and an issue's history.

use super::{caller_of, load_visible, stream, viewer, Check};
use crate::audit::{diff, Changes};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::service::Ctx;
use crate::store::{self, write_tx, Db};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A comment.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    /// `internal` or `public_response`.
    pub kind: String,
    pub body: String,
    /// The author's email.
    pub author: String,
    pub created_at: String,
}

/// The body of `POST /issues/{ref}/comments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
    /// `internal` (default) or `public_response`.
    #[serde(default)]
    pub kind: Option<String>,
}

fn to_comment(r: store::issues::CommentRow) -> Comment {
    Comment {
        id: r.id,
        kind: r.kind,
        body: r.body,
        author: r.author,
        created_at: crate::service::rfc3339(r.created_at),
    }
}

/// 404 when the caller cannot see the issue.
pub fn preflight(conn: &mut Db, ctx: &Ctx, reference: &str) -> AppResult<()> {
    let v = viewer(conn, &caller_of(ctx))?;
    load_visible(conn, &v, reference, false).map(drop)
}

/// Adds a comment: anyone who sees the issue may add an internal one; public responses are
/// for the TRC and the assigned unit's PIC.
pub fn add(conn: &mut Db, ctx: &Ctx, reference: &str, input: NewComment) -> AppResult<Comment> {
    write_tx(conn, |conn| {
        let v = viewer(conn, &caller_of(ctx))?;
        let row = load_visible(conn, &v, reference, true)?;
        let kind = input.kind.as_deref().unwrap_or("internal");
        let mut c = Check::new();
        match kind {
            "internal" => {}
            "public_response" => {
                if !(matches!(v.role, Role::Trc | Role::Admin)
                    || v.is_pic_of(row.assigned_unit.as_deref()))
                {
                    return Err(AppError::Forbidden(
                        "public responses are written by the TRC or the assigned unit's PIC".into(),
                    ));
                }
            }
            other => c.errors.push(
                crate::error::FieldError::new(
                    "kind",
                    format!("`{other}` is not a kind of comment"),
                )
                .with_valid(vec!["internal".into(), "public_response".into()]),
            ),
        }
        let body = c.text("body", &input.body, 10_000, false);
        c.done()?;
        let author = ctx.actor.name().to_owned();
        let cm = store::issues::insert_comment(conn, row.id, kind, &body, &author, ctx.now)?;
        let mut changes = Changes::new();
        diff(
            &mut changes,
            "comment",
            serde_json::Value::Null,
            serde_json::json!({"id": cm.id, "kind": kind, "body": body}),
        );
        ctx.record(
            conn,
            &stream(&row.ref_),
            "comment.added",
            &format!("issue:{}", row.ref_),
            changes,
        )?;
        Ok(to_comment(cm))
    })
}

/// Comments of an issue, oldest first.
pub fn list(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Comment>> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, false)?;
    Ok(
        store::issues::comments(conn, row.id, &["internal", "public_response"], after, limit)?
            .into_iter()
            .map(to_comment)
            .collect(),
    )
}

/// An audit event of the issue, as its history shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct HistoryEvent {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    /// `{field: {before, after}}`
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    /// The id the server gave the request that made the change.
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent with it, if any.
    pub client_request_id: Option<String>,
}

/// The issue's audit events, oldest first, after `seq` `after`.
pub fn history(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<HistoryEvent>> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, false)?;
    let mut events: Vec<HistoryEvent> =
        store::audit::stream_page(conn, &stream(&row.ref_), after.unwrap_or(0), limit)?
            .into_iter()
            .map(|e| HistoryEvent {
                seq: e.seq,
                at: crate::service::rfc3339(e.at),
                actor: e.actor,
                action: e.action,
                changes: serde_json::from_str(&e.changes).unwrap_or(serde_json::Value::Null),
                request_id: e.request_id,
                client_request_id: e.client_request_id,
            })
            .collect();
    // A merge names the other issue: the caller sees its ref only if they may see that issue.
    let linked = |e: &HistoryEvent| -> Vec<String> {
        LINK_FIELDS
            .iter()
            .flat_map(|f| ["before", "after"].map(|side| &e.changes[f][side]))
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let refs: Vec<String> = events.iter().flat_map(linked).collect();
    let hidden = super::hidden_refs(conn, ctx, &refs)?;
    if !hidden.is_empty() {
        for e in &mut events {
            for f in LINK_FIELDS {
                for side in ["before", "after"] {
                    // get_mut, not indexing: indexing a missing key would add it.
                    let v = e.changes.get_mut(f).and_then(|c| c.get_mut(side));
                    if let Some(v) = v.filter(|v| v.as_str().is_some_and(|r| hidden.contains(r))) {
                        *v = serde_json::Value::String(HIDDEN_REF.to_owned());
                    }
                }
            }
        }
    }
    Ok(events)
}

/// The fields of an issue's history that name another issue.
const LINK_FIELDS: [&str; 2] = ["duplicate_of", "duplicates"];

/// What history shows in place of the ref of an issue the caller may not see.
pub const HIDDEN_REF: &str = "(restricted)";
