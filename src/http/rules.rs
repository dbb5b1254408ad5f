//! `/routing-rules`: read by the TRC and admins, changed by admins; `preview` explains routing.

use super::extract::{json_body, CurrentUser, Page};
use super::problem::Problem;
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::service::rules::{self, DraftIssue, NewRule, Preview, RoutingRule, RulePatch};
use actix_web::{web, HttpRequest, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/routing-rules/preview").route(web::post().to(preview)))
        .service(
            web::resource("/routing-rules")
                .route(web::get().to(list))
                .route(web::post().to(create)),
        )
        .service(
            web::resource("/routing-rules/{id}")
                .route(web::get().to(get))
                .route(web::patch().to(update))
                .route(web::delete().to(delete)),
        );
}

fn rule_id(text: &str) -> AppResult<i64> {
    text.parse()
        .map_err(|_| AppError::NotFound(format!("no routing rule {text}")))
}

/// Every rule, in the order they are tried.
#[utoipa::path(get, path = "/api/v1/routing-rules", operation_id = "list_routing_rules", tag = "routing", security(("bearer" = [])),
    responses((status = 200, body = Page<RoutingRule>),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let items = state.db(move |conn| rules::list(conn, &ctx)).await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Creates a rule (admin); `position` inserts it there, shifting the others.
#[utoipa::path(post, path = "/api/v1/routing-rules", operation_id = "create_routing_rule", tag = "routing", security(("bearer" = [])), request_body = NewRule,
    responses((status = 201, body = RoutingRule), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    rules::authorize(&ctx, true)?;
    let input: NewRule = json_body(&req, &body)?;
    let rule = state
        .db(move |conn| rules::create(conn, &ctx, input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/routing-rules/{}", rule.id)))
        .json(rule))
}

/// One rule.
#[utoipa::path(get, path = "/api/v1/routing-rules/{id}", operation_id = "get_routing_rule", tag = "routing", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RoutingRule),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let id = rule_id(&id)?;
    let rule = state.db(move |conn| rules::get(conn, &ctx, id)).await?;
    Ok(HttpResponse::Ok().json(rule))
}

/// Changes a rule (admin): conditions, unit, `enabled`, `auto_assign`, or `position` to reorder.
#[utoipa::path(patch, path = "/api/v1/routing-rules/{id}", operation_id = "update_routing_rule", tag = "routing", security(("bearer" = [])), params(("id" = i64, Path)), request_body = RulePatch,
    responses((status = 200, body = RoutingRule), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let id = rule_id(&id)?;
    let c2 = ctx.clone();
    state.db(move |conn| rules::get(conn, &c2, id)).await?;
    rules::authorize(&ctx, true)?;
    let patch: RulePatch = json_body(&req, &body)?;
    let rule = state
        .db(move |conn| rules::update(conn, &ctx, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(rule))
}

/// Deletes a rule (admin).
#[utoipa::path(delete, path = "/api/v1/routing-rules/{id}", operation_id = "delete_routing_rule", tag = "routing", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let id = rule_id(&id)?;
    state.db(move |conn| rules::delete(conn, &ctx, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which rule would route this draft, and why (TRC, admin).
#[utoipa::path(post, path = "/api/v1/routing-rules/preview", operation_id = "preview_routing", tag = "routing", security(("bearer" = [])), request_body = DraftIssue,
    responses((status = 200, body = Preview), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn preview(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    rules::authorize(&ctx, false)?;
    let draft: DraftIssue = json_body(&req, &body)?;
    let p = state
        .db(move |conn| rules::preview(conn, &ctx, draft))
        .await?;
    Ok(HttpResponse::Ok().json(p))
}
