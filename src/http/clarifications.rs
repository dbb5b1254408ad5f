//! `/issues/{ref}/clarifications` (propose) and `/clarifications` (the TRC's approval flow).

use super::extract::{json_body, page, CurrentUser, Page, PageQuery};
use super::problem::Problem;
use super::AppState;
use crate::domain::clarification::ClarificationAction;
use crate::error::{AppError, AppResult};
use crate::service::clarifications::{
    self as clar, Clarification, ClarificationEdit, ClarificationReason, NewClarification, Step,
};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/issues/{ref}/clarifications").route(web::post().to(propose)))
        .service(web::resource("/clarifications").route(web::get().to(list)))
        .service(
            web::resource("/clarifications/{id}")
                .route(web::get().to(get))
                .route(web::patch().to(revise)),
        )
        .service(web::resource("/clarifications/{id}/{action}").route(web::post().to(act)));
}

pub(super) fn with_etag(
    status: actix_web::http::StatusCode,
    version: i64,
) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::build(status);
    r.insert_header((header::ETAG, format!("\"{version}\"")));
    r
}

pub(super) fn id_of(text: &str, what: &str) -> AppResult<i64> {
    text.parse()
        .map_err(|_| AppError::NotFound(format!("no {what} {text}")))
}

/// Proposes a clarification of an issue for publication (the TRC or the assigned unit's PIC;
/// a restricted issue's only by the TRC, as a standalone text with its own title).
#[utoipa::path(post, path = "/api/v1/issues/{ref}/clarifications", tag = "clarifications", security(("bearer" = [])),
    params(("ref" = String, Path)), request_body = NewClarification,
    responses((status = 201, body = Clarification),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn propose(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    // Rights and state first (404, 403, 409), the body after.
    let (c2, r2) = (ctx.clone(), reference.clone());
    state
        .db(move |conn| clar::may_propose(conn, &c2, &r2, false).map(drop))
        .await?;
    let input: NewClarification = json_body(&req, &body)?;
    let c = state
        .db(move |conn| clar::propose(conn, &ctx, &reference, input))
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::CREATED, c.version)
        .insert_header((header::LOCATION, format!("/api/v1/clarifications/{}", c.id)))
        .json(c))
}

/// Clarifications, newest first, of the issues the caller may see; `state` filters
/// (comma-separated: proposed, returned, published, withdrawn).
#[utoipa::path(get, path = "/api/v1/clarifications", operation_id = "list_clarifications", tag = "clarifications", security(("bearer" = [])),
    params(PageQuery, ("state" = Option<String>, Query)),
    responses((status = 200, body = Page<Clarification>),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<BTreeMap<String, String>>,
) -> AppResult<HttpResponse> {
    super::extract::no_repeats(&req)?;
    let ctx = state.user_ctx(&req, &user);
    let (limit, before, states) = super::extract::state_page(&q.into_inner())?;
    let items = state
        .db(move |conn| clar::list(conn, &ctx, &states, before, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(page(items, limit, |c: &Clarification| c.id)))
}

/// One clarification (404 when its issue is not the caller's to see).
#[utoipa::path(get, path = "/api/v1/clarifications/{id}", operation_id = "get_clarification", tag = "clarifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Clarification),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let id = id_of(&path, "clarification")?;
    let c = state.db(move |conn| clar::get(conn, &ctx, id)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, c.version).json(c))
}

/// Revises a proposed or returned clarification (its proposer or the TRC); it is proposed
/// again. Honours `If-Match`.
#[utoipa::path(patch, path = "/api/v1/clarifications/{id}", operation_id = "revise_clarification", tag = "clarifications", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ClarificationEdit,
    responses((status = 200, body = Clarification),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn revise(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    take_step(state, req, user, &path, "revise", &body).await
}

/// A step of the TRC: `approve` (publish, with optional edits: `{title, claim, text, urls}`;
/// sends it to every partner that receives it), `return` (`{reason}`, to the proposer) or
/// `withdraw` (`{reason}`, shown on the public page). Honours `If-Match`.
#[utoipa::path(post, path = "/api/v1/clarifications/{id}/{action}", tag = "clarifications", security(("bearer" = [])),
    params(("id" = i64, Path), ("action" = String, Path, description = "approve, return or withdraw")),
    request_body(content = ClarificationEdit, description = "approve: optional edits ({} for none); return and withdraw: ClarificationReason"),
    responses((status = 200, body = Clarification),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (id, action) = path.into_inner();
    if !["approve", "return", "withdraw"].contains(&action.as_str()) {
        return Err(AppError::NotFound(format!(
            "no action `{action}`: approve, return or withdraw"
        )));
    }
    take_step(state, req, user, &id, &action, &body).await
}

async fn take_step(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: &str,
    action: &str,
    body: &[u8],
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let id = id_of(id, "clarification")?;
    let action = ClarificationAction::parse(action)
        .ok_or_else(|| AppError::NotFound(format!("no action `{action}`")))?;
    // Rights first (404, 403), then the version and the state, then the body.
    let c2 = ctx.clone();
    state
        .db(move |conn| clar::may_step(conn, &c2, id, action))
        .await?;
    let if_match = super::issues::if_match(&req)?;
    let step = match action {
        ClarificationAction::Revise => Step::Revise(json_body(&req, body)?),
        ClarificationAction::Approve if body.iter().all(u8::is_ascii_whitespace) => {
            Step::Approve(ClarificationEdit::default())
        }
        ClarificationAction::Approve => Step::Approve(json_body(&req, body)?),
        ClarificationAction::Return => {
            Step::Return(json_body::<ClarificationReason>(&req, body)?.reason)
        }
        ClarificationAction::Withdraw => {
            Step::Withdraw(json_body::<ClarificationReason>(&req, body)?.reason)
        }
    };
    let (c, queued) = state
        .db(move |conn| clar::step(conn, &ctx, id, if_match, step))
        .await?;
    if queued > 0 {
        state.wake_outbox();
    }
    Ok(with_etag(actix_web::http::StatusCode::OK, c.version).json(c))
}
