//! `/units`: list and read for every signed-in user; create, change, delete for admins.

use super::extract::{json_body, page, CurrentUser, Page, PageQuery};
use super::problem::Problem;
use super::AppState;
use crate::error::AppResult;
use crate::service::units::{self, NewUnit, Unit, UnitPatch};
use actix_web::{web, HttpRequest, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/units")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/units/{code}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    );
}

/// Units ordered by code.
#[utoipa::path(get, path = "/api/v1/units", operation_id = "list_units", tag = "units", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, body = Page<Unit>),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    _user: CurrentUser,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (limit, after) = q.parse::<String>()?;
    let items = state
        .db(move |conn| units::list(conn, after.as_deref(), limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(page(items, limit, |u: &Unit| u.code.clone())))
}

/// Creates a unit (admin).
#[utoipa::path(post, path = "/api/v1/units", operation_id = "create_unit", tag = "units", security(("bearer" = [])), request_body = NewUnit, responses(
    (status = 201, body = Unit),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    ctx.require_admin()?;
    let input: NewUnit = json_body(&req, &body)?;
    let unit = state
        .db(move |conn| units::create(conn, &ctx, input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/units/{}", unit.code)))
        .json(unit))
}

/// One unit.
#[utoipa::path(get, path = "/api/v1/units/{code}", operation_id = "get_unit", tag = "units", security(("bearer" = [])), params(("code" = String, Path)), responses(
    (status = 200, body = Unit),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    _user: CurrentUser,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner();
    let unit = state.db(move |conn| units::get(conn, &code)).await?;
    Ok(HttpResponse::Ok().json(unit))
}

/// Changes a unit (admin); `active: false` deactivates it.
#[utoipa::path(patch, path = "/api/v1/units/{code}", operation_id = "update_unit", tag = "units", security(("bearer" = [])), params(("code" = String, Path)), request_body = UnitPatch, responses(
    (status = 200, body = Unit),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let code = code.into_inner();
    let (c, cx) = (code.clone(), ctx.clone());
    state
        .db(move |conn| units::authorize_change(conn, &cx, &c))
        .await?;
    let patch: UnitPatch = json_body(&req, &body)?;
    let unit = state
        .db(move |conn| units::update(conn, &ctx, &code, patch))
        .await?;
    Ok(HttpResponse::Ok().json(unit))
}

/// Deletes a unit nothing refers to (admin); otherwise 409: deactivate it instead.
#[utoipa::path(delete, path = "/api/v1/units/{code}", operation_id = "delete_unit", tag = "units", security(("bearer" = [])), params(("code" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let code = code.into_inner();
    state
        .db(move |conn| units::delete(conn, &ctx, &code))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
