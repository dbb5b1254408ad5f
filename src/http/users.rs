//! `/users`: admin-managed accounts.

use super::extract::{json_body, page, CurrentUser, Page, PageQuery};
use super::problem::Problem;
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::service::users::{self, NewUser, User, UserPatch};
use actix_web::{web, HttpRequest, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/users/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    );
}

fn parse_id(text: &str) -> AppResult<i64> {
    text.parse()
        .map_err(|_| AppError::NotFound(format!("no user {text}")))
}

/// Users ordered by id (admin).
#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", tag = "users", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, body = Page<User>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    ctx.require_admin()?;
    let (limit, after) = q.parse::<i64>()?;
    let items = state
        .db(move |conn| users::list(conn, &ctx, after, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(page(items, limit, |u: &User| u.id)))
}

/// Creates a user (admin).
#[utoipa::path(post, path = "/api/v1/users", operation_id = "create_user", tag = "users", security(("bearer" = [])), request_body = NewUser, responses(
    (status = 201, body = User),
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
    let input: NewUser = json_body(&req, &body)?;
    let created = state
        .db(move |conn| users::create(conn, &ctx, input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", created.id)))
        .json(created))
}

/// One user (admin, or the user themself).
#[utoipa::path(get, path = "/api/v1/users/{id}", operation_id = "get_user", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = User),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    if id != user.0.id {
        state.user_ctx(&req, &user).require_admin()?;
    }
    let u = state.db(move |conn| users::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(u))
}

/// Changes a user (admin); `active: false` deactivates the account.
#[utoipa::path(patch, path = "/api/v1/users/{id}", operation_id = "update_user", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), request_body = UserPatch, responses(
    (status = 200, body = User),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let ctx = state.user_ctx(&req, &user);
    let cx = ctx.clone();
    state
        .db(move |conn| users::authorize_change(conn, &cx, id))
        .await?;
    let patch: UserPatch = json_body(&req, &body)?;
    let u = state
        .db(move |conn| users::update(conn, &ctx, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(u))
}

/// Deletes a user who never acted (admin); otherwise 409: deactivate instead.
#[utoipa::path(delete, path = "/api/v1/users/{id}", operation_id = "delete_user", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let ctx = state.user_ctx(&req, &user);
    state.db(move |conn| users::delete(conn, &ctx, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
