//! `POST /auth/token` and `GET /me`.

use super::extract::{json_body, CurrentUser};
use super::problem::Problem;
use super::AppState;
use crate::error::AppResult;
use crate::service::auth::Token;
use crate::service::users::User;
use crate::service::Actor;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/token").route(web::post().to(token)))
        .service(web::resource("/me").route(web::get().to(me)));
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
    let ctx = state.ctx(&req, Actor::System);
    let address = state.client_address(&req);
    let cfg = state.cfg.clone();
    let token = state
        .db(move |conn| {
            crate::service::auth::login(conn, &ctx, &cfg, &creds.email, &creds.password, &address)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(token))
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
