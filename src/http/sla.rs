//! `/sla`: effective policies, calendars and ladders, and a due-time preview.

use super::extract::CurrentUser;
use super::problem::Problem;
use super::AppState;
use crate::error::AppResult;
use crate::service::sla::{self, CalendarInfo, Policies, SlaPreview};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sla/policies").route(web::get().to(policies)))
        .service(web::resource("/sla/calendars").route(web::get().to(calendars)))
        .service(web::resource("/sla/ladders").route(web::get().to(ladders)))
        .service(web::resource("/sla/preview").route(web::get().to(preview)));
}

/// SLA targets per priority and the categories' overrides.
#[utoipa::path(get, path = "/api/v1/sla/policies", tag = "sla", security(("bearer" = [])),
    responses((status = 200, body = Policies)))]
pub async fn policies(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(sla::policies(&state.user_ctx(&req, &user))))
}

/// The calendars clocks count on.
#[utoipa::path(get, path = "/api/v1/sla/calendars", tag = "sla", security(("bearer" = [])),
    responses((status = 200, body = Vec<CalendarInfo>)))]
pub async fn calendars(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    Ok(HttpResponse::Ok().json(sla::calendars(&ctx, &state.cfg.settings)))
}

/// The escalation ladders per clock (with per-priority overrides) and the recipient groups.
#[utoipa::path(get, path = "/api/v1/sla/ladders", tag = "sla", security(("bearer" = [])),
    responses((status = 200, description = "Ladders as configured", body = Object)))]
pub async fn ladders(state: web::Data<AppState>, _user: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(&state.cfg.settings.escalation))
}

/// Each clock's target and due instant for a clock started at `start` (default now).
#[utoipa::path(get, path = "/api/v1/sla/preview", operation_id = "preview_sla", tag = "sla", security(("bearer" = [])),
    params(("priority" = crate::domain::enums::Priority, Query), ("category" = Option<crate::domain::enums::Category>, Query), ("start" = Option<String>, Query, description = "RFC 3339")),
    responses((status = 200, body = SlaPreview),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn preview(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<BTreeMap<String, String>>,
) -> AppResult<HttpResponse> {
    super::extract::no_repeats(&req)?;
    let ctx = state.user_ctx(&req, &user);
    let p = sla::preview(
        &ctx,
        q.get("priority").map(String::as_str),
        q.get("category").map(String::as_str),
        q.get("start").map(String::as_str),
    )?;
    Ok(HttpResponse::Ok().json(p))
}
