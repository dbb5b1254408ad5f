//! `/notifications` (admin): the outbox, and retrying a dead message.

use super::extract::{page, CurrentUser, Page, PageQuery};
use super::problem::Problem;
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::service::notifications::{self, Notification};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/notifications").route(web::get().to(list)))
        .service(web::resource("/notifications/{id}/retry").route(web::post().to(retry)));
}

/// Notifications, newest first; `state` filters (comma-separated: pending, sending, sent, dead).
#[utoipa::path(get, path = "/api/v1/notifications", operation_id = "list_notifications", tag = "notifications", security(("bearer" = [])),
    params(PageQuery, ("state" = Option<String>, Query)),
    responses((status = 200, body = Page<Notification>),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<BTreeMap<String, String>>,
) -> AppResult<HttpResponse> {
    super::extract::no_repeats(&req)?;
    let ctx = state.user_ctx(&req, &user);
    ctx.require_admin()?;
    let (limit, before, states) = super::extract::state_page(&q.into_inner())?;
    let items = state
        .db(move |conn| notifications::list(conn, &ctx, &states, before, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(page(items, limit, |n: &Notification| n.id)))
}

/// Puts a dead notification back in the queue (admin).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/retry", tag = "notifications", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Notification),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    ctx.require_admin()?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound(format!("no notification {id}")))?;
    let n = state
        .db(move |conn| notifications::retry(conn, &ctx, id))
        .await?;
    state.wake_outbox();
    Ok(HttpResponse::Ok().json(n))
}
