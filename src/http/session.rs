//! `POST /auth/token`, `GET /me`, and ending one's sessions: `POST /me/password`,
//! `POST /me/sign-out`, `POST /users/{id}/sign-out` (admin).

use super::extract::{json_body, CurrentUser};
use super::problem::Problem;
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::service::auth::{self, Token};
use crate::service::users::User;
use crate::service::Actor;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/token").route(web::post().to(token)))
        .service(web::resource("/me").route(web::get().to(me)))
        .service(web::resource("/me/password").route(web::post().to(change_password)))
        .service(web::resource("/me/sign-out").route(web::post().to(sign_out)))
        .service(web::resource("/users/{id}/sign-out").route(web::post().to(sign_out_user)));
}

/// Login credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Logs in and answers a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = Credentials, responses(
    (status = 200, body = Token),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let creds: Credentials = json_body(&req, &body)?;
    auth::check_credentials(&creds.email, &creds.password)?;
    let ctx = state.ctx(&req, Actor::System);
    let address = state.client_address(&req);
    let (reservation, ok) = state
        .check_sign_in(&ctx, &creds.email, address, creds.password)
        .await?;
    let cfg = state.cfg.clone();
    let token = state
        .db(move |conn| auth::settle(conn, &ctx, &cfg, &reservation, ok))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(token))
}

/// A password change: the current password and the new one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's password. Every token signed before (on every device) ends; the answer
/// is a fresh token for this one. A wrong current password is 422 and counts as a failed login.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange, responses(
    (status = 200, body = Token),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let change: PasswordChange = json_body(&req, &body)?;
    let ctx = state.user_ctx(&req, &user);
    let address = state.client_address(&req);
    let token = state
        .change_own_password(ctx, address, change.current_password, change.new_password)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(token))
}

/// Ends every token of the caller, on every device (this one too).
#[utoipa::path(post, path = "/api/v1/me/sign-out", tag = "auth", security(("bearer" = [])), responses(
    (status = 204)))]
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let id = user.0.id;
    state
        .db(move |conn| crate::service::users::end_sessions(conn, &ctx, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every token of a user (admin): "sign out everywhere", e.g. for a lost phone.
#[utoipa::path(post, path = "/api/v1/users/{id}/sign-out", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 204),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn sign_out_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: i64 = path
        .parse()
        .map_err(|_| AppError::NotFound(format!("no user {path}")))?;
    let ctx = state.user_ctx(&req, &user);
    state
        .db(move |conn| crate::service::users::end_sessions(conn, &ctx, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = User)))]
pub async fn me(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let id = user.0.id;
    let u = state
        .db(move |conn| crate::service::users::get(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(u))
}
