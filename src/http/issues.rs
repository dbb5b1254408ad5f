//! `/issues`, their actions, comments and history, and the work queues.
//!
//! Long because: every issue route keeps its OpenAPI description next to its handler (eleven
//! actions, lists, queues, comments, history).

use super::extract::{json_body, Bearer, CurrentUser, Page, PageQuery};
use super::problem::Problem;
use super::AppState;
use crate::domain::Action;
use crate::error::{AppError, AppResult};
use crate::service::issues::comments::{Comment, HistoryEvent, NewComment};
use crate::service::issues::file::{Answer, Idempotency, NewIssue};
use crate::service::issues::list::Listed;
use crate::service::issues::{self, Issue};
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The queues' fixed paths first: no pattern below is tried for them (see `http::routes`).
    cfg.service(web::resource("/queues/triage").route(web::get().to(triage_queue)))
        .service(web::resource("/queues/escalated").route(web::get().to(escalated_queue)))
        .service(web::resource("/queues/unit/{code}").route(web::get().to(unit_queue)));
    cfg.service(
        web::resource("/issues")
            .route(web::get().to(list))
            .route(web::post().to(file)),
    )
    .service(web::resource("/issues/similar").route(web::post().to(similar)))
    .service(
        web::resource("/issues/{ref}")
            .route(web::get().to(get))
            .route(web::patch().to(patch)),
    )
    .service(
        web::resource("/issues/{ref}/comments")
            .route(web::get().to(comments))
            .route(web::post().to(add_comment)),
    )
    .service(web::resource("/issues/{ref}/history").route(web::get().to(history)))
    .service(web::resource("/issues/{ref}/triage").route(web::post().to(triage)))
    .service(web::resource("/issues/{ref}/reassign").route(web::post().to(reassign)))
    .service(web::resource("/issues/{ref}/return").route(web::post().to(return_to_triage)))
    .service(web::resource("/issues/{ref}/respond").route(web::post().to(respond)))
    .service(web::resource("/issues/{ref}/hold").route(web::post().to(hold)))
    .service(web::resource("/issues/{ref}/resume").route(web::post().to(resume)))
    .service(web::resource("/issues/{ref}/resolve").route(web::post().to(resolve)))
    .service(web::resource("/issues/{ref}/reopen").route(web::post().to(reopen)))
    .service(web::resource("/issues/{ref}/close").route(web::post().to(close)))
    .service(web::resource("/issues/{ref}/reject").route(web::post().to(reject)))
    .service(web::resource("/issues/{ref}/merge").route(web::post().to(merge)));
}

/// The `ETag` of an issue version.
fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` names: `"7"`, `W/"7"` or `7`; `*` matches anything.
pub(super) fn if_match(req: &HttpRequest) -> AppResult<Option<i64>> {
    let Some(v) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse().map(Some).map_err(|_| {
        AppError::StaleVersion(format!("If-Match `{text}` names no version of this issue"))
    })
}

fn issue_response(status: actix_web::http::StatusCode, issue: &Issue) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(issue.version)))
        .json(issue)
}

/// A page of a list whose sort keys came beside the items.
fn page_of(listed: Listed, limit: i64) -> Page<Issue> {
    let Listed { items, keys } = listed;
    let keyed: Vec<(Issue, (i64, i64))> = items.into_iter().zip(keys).collect();
    let p = super::extract::page(keyed, limit, |(_, key)| *key);
    Page {
        items: p.items.into_iter().map(|(issue, _)| issue).collect(),
        next_cursor: p.next_cursor,
    }
}

/// A page of issues written with each issue's kept members (`service::issues::wire`).
fn wire_body(p: issues::list::WirePage) -> AppResult<Vec<u8>> {
    issues::wire::write_page(
        &p.items,
        p.next.map(|k| super::extract::cursor(&k)).as_deref(),
    )
}

/// A page written by [`AppState::db_json`].
fn json_page(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(header::ContentType::json())
        .body(body)
}

fn page_params(params: &BTreeMap<String, String>) -> AppResult<(i64, Option<(i64, i64)>)> {
    PageQuery {
        limit: params.get("limit").cloned(),
        cursor: params.get("cursor").cloned(),
    }
    .parse::<(i64, i64)>()
}

/// Issues the caller may see, newest first, with filters (comma-separated values).
#[utoipa::path(get, path = "/api/v1/issues", operation_id = "list_issues", tag = "issues", security(("bearer" = [])),
    params(PageQuery,
        ("status" = Option<String>, Query), ("assigned_unit" = Option<String>, Query), ("filing_unit" = Option<String>, Query),
        ("category" = Option<String>, Query), ("channel" = Option<String>, Query), ("priority" = Option<String>, Query),
        ("sensitivity" = Option<String>, Query), ("district" = Option<String>, Query), ("tag" = Option<String>, Query),
        ("verdict" = Option<String>, Query), ("disinformation_type" = Option<String>, Query),
        ("lapor_id" = Option<String>, Query, description = "LAPOR! tracking ids, exactly as written"),
        ("q" = Option<String>, Query, description = "Text in title, description or LAPOR! tracking id"),
        ("created_from" = Option<String>, Query, description = "Local date YYYY-MM-DD"), ("created_to" = Option<String>, Query)),
    responses((status = 200, body = Page<Issue>),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Bearer,
    q: web::Query<BTreeMap<String, String>>,
) -> AppResult<HttpResponse> {
    let params = q.into_inner();
    let zone = state.cfg.zone.clone();
    let repeated = super::extract::repeated_param(&req);
    let shapes = state.shapes.clone();
    let body = state
        .db_as(&req, who, move |conn, ctx| {
            // After the token is checked (401 first).
            if let Some(k) = repeated {
                return Err(AppError::invalid(
                    k,
                    "is given more than once: give it once (several values are comma-separated)",
                ));
            }
            let (limit, after) = page_params(&params)?;
            let q = issues::list::list_query(conn, ctx, &zone, &params, limit, after)?;
            wire_body(issues::list::wire_page(conn, ctx, &shapes, &q)?)
        })
        .await?;
    Ok(json_page(web::Bytes::from(body)))
}

/// The issues the caller may see that look like a filing (its body as for `POST /issues`): the
/// same post, alike words, the same place and category; best first, at most 10, each with its
/// score and what matched. Nothing is filed.
#[utoipa::path(post, path = "/api/v1/issues/similar", operation_id = "similar_issues", tag = "issues", security(("bearer" = [])), request_body = NewIssue,
    responses((status = 200, body = issues::similar::Similar),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn similar(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Bearer,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    // Parsed here, looked at once the caller is checked.
    let input: AppResult<NewIssue> = json_body(&req, &body);
    let items = state
        .db_for(&req, who, move |conn, ctx, user| {
            issues::similar::similar(conn, ctx, user, input)
        })
        .await?;
    Ok(HttpResponse::Ok().json(issues::similar::Similar { items }))
}

/// Files an issue (PIC, TRC, admin). `Idempotency-Key` makes retries safe.
#[utoipa::path(post, path = "/api/v1/issues", operation_id = "file_issue", tag = "issues", security(("bearer" = [])), request_body = NewIssue,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and body answers the first result")),
    responses((status = 201, body = Issue, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn file(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Bearer,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    // Parsed here, looked at only once the caller is known to be one who may file.
    let input: AppResult<NewIssue> = json_body(&req, &body);
    let idem = match req.headers().get("idempotency-key") {
        Some(k) => {
            let canonical: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            Some(Idempotency {
                key: k.to_str().unwrap_or("\u{0}").to_owned(),
                body_hash: hex::encode(Sha256::digest(canonical.to_string().as_bytes())),
            })
        }
        None => None,
    };
    let filed = state
        .db_for(&req, who, move |conn, ctx, user| {
            issues::file::file_for(conn, ctx, user, input, idem)
        })
        .await?;
    // A new clock is armed (PostgreSQL's NOTIFY carried it); the outbox has work only when
    // a rule assigned the issue at once.
    state.wake_timers();
    if filed.mailed {
        state.wake_outbox();
    }
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/api/v1/issues/{}", filed.reference),
    ))
    .insert_header((header::ETAG, etag(filed.version)))
    .content_type("application/json");
    let body = match filed.answer {
        Answer::New(issue) => {
            serde_json::to_string(&issue).map_err(|e| AppError::Internal(e.into()))?
        }
        Answer::Replayed(kept) => {
            res.insert_header(("Idempotent-Replayed", "true"));
            kept
        }
    };
    Ok(res.body(body))
}

/// One issue.
#[utoipa::path(get, path = "/api/v1/issues/{ref}", operation_id = "get_issue", tag = "issues", security(("bearer" = [])), params(("ref" = String, Path)),
    responses((status = 200, body = Issue, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let issue = state
        .db(move |conn| issues::get(conn, &ctx, &reference))
        .await?;
    Ok(issue_response(actix_web::http::StatusCode::OK, &issue))
}

/// Changes fields (merge-patch): TRC and admin `priority, category, sensitivity, tags, verdict,
/// clarification, lapor_id`; the assigned unit's PIC `verdict, clarification, tags`; the filer
/// while `new` `title, description, channel, source_urls, evidence, location`.
#[utoipa::path(patch, path = "/api/v1/issues/{ref}", operation_id = "update_issue", tag = "issues", security(("bearer" = [])),
    params(("ref" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Issue), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let (c2, r2) = (ctx.clone(), reference.clone());
    state
        .db(move |conn| issues::edit::preflight(conn, &c2, &r2))
        .await?;
    let patch: serde_json::Map<String, Value> = json_body(&req, &body)?;
    let version = if_match(&req)?;
    let issue = state
        .db(move |conn| issues::edit::patch(conn, &ctx, &reference, version, &patch))
        .await?;
    state.wake_workers();
    Ok(issue_response(actix_web::http::StatusCode::OK, &issue))
}

/// Takes `action` on the issue: one handler behind every action's own operation.
async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    reference: String,
    action: Action,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    // A body that is not a JSON object is refused first, whatever the issue and its version:
    // the answer then tells nothing about the issue.
    let raw: Value = if body.iter().all(u8::is_ascii_whitespace) && req.content_type().is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        Value::Object(json_body::<serde_json::Map<String, Value>>(&req, &body)?)
    };
    let version = if_match(&req)?;
    let (c2, r2) = (ctx.clone(), reference.clone());
    state
        .db(move |conn| issues::actions::preflight(conn, &c2, &r2, action, version))
        .await?;
    let issue = state
        .db(move |conn| issues::actions::act(conn, &ctx, &reference, action, version, &raw))
        .await?;
    state.wake_workers();
    Ok(issue_response(actix_web::http::StatusCode::OK, &issue))
}

/// One operation per action in the OpenAPI document, each with its own body: `$name` handles
/// `POST /issues/{ref}/$path` by [`act`].
macro_rules! action_operation {
    ($(#[doc = $doc:literal])* $name:ident, $action:ident, $path:literal, $id:literal, $body:ty) => {
        $(#[doc = $doc])*
        #[utoipa::path(post, path = $path, operation_id = $id, tag = "issues", security(("bearer" = [])),
            params(("ref" = String, Path), ("If-Match" = Option<String>, Header, description = "The issue's ETag: refused with 412 if the issue changed since")),
            request_body = $body,
            responses((status = 200, body = Issue, description = "The issue after the action"),
                (status = 403, body = Problem, content_type = "application/problem+json", description = "The caller may not take this action"),
                (status = 404, body = Problem, content_type = "application/problem+json", description = "No such issue, or one the caller may not see"),
                (status = 409, body = Problem, content_type = "application/problem+json", description = "The issue's state does not allow the action; `allowed_actions` lists those it does"),
                (status = 412, body = Problem, content_type = "application/problem+json", description = "`If-Match` names an older version")))]
        pub async fn $name(
            state: web::Data<AppState>,
            req: HttpRequest,
            user: CurrentUser,
            path: web::Path<String>,
            body: web::Bytes,
        ) -> AppResult<HttpResponse> {
            act(state, req, user, path.into_inner(), Action::$action, body).await
        }
    };
}

action_operation!(
    /// Triage a new issue: assign it to a unit (TRC), optionally correcting priority and category.
    triage, Triage, "/api/v1/issues/{ref}/triage", "triage", bodies::Triage);
action_operation!(
    /// Move an assigned issue to another unit (TRC), with the reason.
    reassign, Reassign, "/api/v1/issues/{ref}/reassign", "reassign", bodies::Reassign);
action_operation!(
    /// Return an issue to the TRC's triage queue (the assigned unit's PIC), with the reason.
    return_to_triage, Return, "/api/v1/issues/{ref}/return", "return", bodies::Reason);
action_operation!(
    /// Answer the public: the text is the public response.
    respond, Respond, "/api/v1/issues/{ref}/respond", "respond", bodies::Text);
action_operation!(
    /// Put the issue on hold (its clocks pause), with the reason.
    hold, Hold, "/api/v1/issues/{ref}/hold", "hold", bodies::Reason);
action_operation!(
    /// Take an issue off hold (its clocks run again).
    resume, Resume, "/api/v1/issues/{ref}/resume", "resume", bodies::Empty);
action_operation!(
    /// Resolve the issue, with the text of the resolution.
    resolve, Resolve, "/api/v1/issues/{ref}/resolve", "resolve", bodies::Text);
action_operation!(
    /// Reopen a resolved or closed issue, with the reason.
    reopen, Reopen, "/api/v1/issues/{ref}/reopen", "reopen", bodies::Reason);
action_operation!(
    /// Close a resolved issue.
    close, Close, "/api/v1/issues/{ref}/close", "close", bodies::Empty);
action_operation!(
    /// Reject an issue (not one for the government to act on), with the reason.
    reject, Reject, "/api/v1/issues/{ref}/reject", "reject", bodies::Reason);
action_operation!(
    /// Merge the issue into another as its duplicate.
    merge, Merge, "/api/v1/issues/{ref}/merge", "merge", bodies::Merge);

/// The request bodies of the actions, as the OpenAPI document describes them (the use case
/// checks the same fields: `actions::fields_of`, pinned by a test against these schemas).
pub mod bodies {
    use crate::domain::enums::{Category, Priority};
    use utoipa::ToSchema;

    /// `triage`
    #[derive(ToSchema)]
    #[schema(as = TriageBody, example = json!({"unit": "DPUPR", "priority": "high"}))]
    #[allow(dead_code)] // a schema, not read
    pub struct Triage {
        /// The code of the unit to assign.
        pub unit: String,
        pub priority: Option<Priority>,
        pub category: Option<Category>,
    }

    /// `reassign`
    #[derive(ToSchema)]
    #[schema(as = ReassignBody, example = json!({"unit": "DINKES", "reason": "Puskesmas, bukan jalan"}))]
    #[allow(dead_code)]
    pub struct Reassign {
        /// The code of the unit to assign instead.
        pub unit: String,
        pub reason: String,
    }

    /// `return`, `hold`, `reopen`, `reject`
    #[derive(ToSchema)]
    #[schema(as = ReasonBody, example = json!({"reason": "Bukan kewenangan dinas kami"}))]
    #[allow(dead_code)]
    pub struct Reason {
        /// Up to 2,000 characters.
        pub reason: String,
    }

    /// `respond`, `resolve`
    #[derive(ToSchema)]
    #[schema(as = TextBody, example = json!({"text": "Perbaikan dijadwalkan pekan ini."}))]
    #[allow(dead_code)]
    pub struct Text {
        /// Up to 10,000 characters; shown to the public.
        pub text: String,
    }

    /// `merge`
    #[derive(ToSchema)]
    #[schema(as = MergeBody, example = json!({"into": "KTB-2026-000123"}))]
    #[allow(dead_code)]
    pub struct Merge {
        /// The ref of the issue this one duplicates.
        pub into: String,
    }

    /// `resume`, `close`: no fields (an empty object or no body).
    #[derive(ToSchema)]
    #[schema(as = EmptyBody, example = json!({}))]
    #[allow(dead_code)]
    pub struct Empty {}
}

/// Comments of an issue, oldest first.
#[utoipa::path(get, path = "/api/v1/issues/{ref}/comments", tag = "issues", security(("bearer" = [])), params(("ref" = String, Path), PageQuery),
    responses((status = 200, body = Page<Comment>),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn comments(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (limit, after) = q.parse::<i64>()?;
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let items = state
        .db(move |conn| issues::comments::list(conn, &ctx, &reference, after, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(super::extract::page(items, limit, |c: &Comment| c.id)))
}

/// Adds a comment: `internal` (anyone who sees the issue; a leader's disposisi) or
/// `public_response` (TRC, the assigned unit's PIC).
#[utoipa::path(post, path = "/api/v1/issues/{ref}/comments", tag = "issues", security(("bearer" = [])), params(("ref" = String, Path)),
    request_body = NewComment,
    responses((status = 201, body = Comment), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn add_comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let (c2, r2) = (ctx.clone(), reference.clone());
    state
        .db(move |conn| issues::comments::preflight(conn, &c2, &r2))
        .await?;
    let input: NewComment = json_body(&req, &body)?;
    let comment = state
        .db(move |conn| issues::comments::add(conn, &ctx, &reference, input))
        .await?;
    Ok(HttpResponse::Created().json(comment))
}

/// The issue's audit events, oldest first, with actor and before/after of each change.
#[utoipa::path(get, path = "/api/v1/issues/{ref}/history", tag = "issues", security(("bearer" = [])), params(("ref" = String, Path), PageQuery),
    responses((status = 200, body = Page<HistoryEvent>),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn history(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (limit, after) = q.parse::<i64>()?;
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let items = state
        .db(move |conn| issues::comments::history(conn, &ctx, &reference, after, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(super::extract::page(items, limit, |e: &HistoryEvent| e.seq)))
}

/// The triage queue's parameters: a page, and whether each issue comes with the issues
/// filing found looking like it.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TriageQuery {
    /// Items per page, 1 to 200 (default 50, also when empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `true`: each issue carries `similar` (what filing found looking like it, among what the
    /// caller may see; at most three).
    #[param(value_type = Option<bool>)]
    pub similar: Option<String>,
}

/// Issues in `new`, most urgent first (TRC, admin); with `similar=true`, each with the issues
/// that look like it.
#[utoipa::path(get, path = "/api/v1/queues/triage", tag = "queues", security(("bearer" = [])), params(TriageQuery),
    responses((status = 200, body = Page<Issue>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn triage_queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Bearer,
    q: web::Query<TriageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let with_similar = match q.similar.as_deref() {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(AppError::Invalid(vec![crate::error::FieldError::new(
                "similar",
                format!("`{other}` is not true or false"),
            )
            .with_valid(vec!["true".into(), "false".into()])]))
        }
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    if with_similar {
        let body = state
            .db_json_as(&req, who, move |conn, ctx| {
                let (limit, after) = page.parse::<(i64, i64)>()?;
                let mut listed = issues::list::triage_queue(conn, ctx, limit, after)?;
                let ids: Vec<i64> = listed.keys.iter().map(|(_, id)| *id).collect();
                issues::similar::attach(conn, ctx, &mut listed.items, &ids)?;
                Ok(page_of(listed, limit))
            })
            .await?;
        return Ok(json_page(body));
    }
    // Each issue's unchanging members as kept from earlier pages (`service::issues::wire`).
    let shapes = state.shapes.clone();
    let body = state
        .db_read_for(&req, who, move |conn, ctx, user| {
            // The user is checked before a bad page is refused, as everywhere.
            let (limit, after) = match page.parse::<(i64, i64)>() {
                Ok(parsed) => parsed,
                Err(e) => {
                    crate::service::auth::caller(conn, user)?;
                    return Err(e);
                }
            };
            wire_body(issues::list::triage_queue_wire_for(
                conn, ctx, user, &shapes, limit, after,
            )?)
        })
        .await?;
    Ok(json_page(web::Bytes::from(body)))
}

/// Open issues assigned to a unit or its sub-units, most urgent first.
#[utoipa::path(get, path = "/api/v1/queues/unit/{code}", tag = "queues", security(("bearer" = [])), params(("code" = String, Path), PageQuery),
    responses((status = 200, body = Page<Issue>),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn unit_queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Bearer,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let code = path.into_inner();
    let shapes = state.shapes.clone();
    let body = state
        .db_as(&req, who, move |conn, ctx| {
            let (limit, after) = q.parse::<(i64, i64)>()?;
            let q = issues::list::unit_queue_query(conn, ctx, &code, limit, after)?;
            wire_body(issues::list::wire_page(conn, ctx, &shapes, &q)?)
        })
        .await?;
    Ok(json_page(web::Bytes::from(body)))
}

/// Open escalated issues the caller may see, most urgent first.
#[utoipa::path(get, path = "/api/v1/queues/escalated", tag = "queues", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<Issue>)))]
pub async fn escalated_queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Bearer,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let shapes = state.shapes.clone();
    let body = state
        .db_as(&req, who, move |conn, ctx| {
            let (limit, after) = q.parse::<(i64, i64)>()?;
            let q = issues::list::escalated_queue_query(conn, ctx, limit, after)?;
            wire_body(issues::list::wire_page(conn, ctx, &shapes, &q)?)
        })
        .await?;
    Ok(json_page(web::Bytes::from(body)))
}
