//! `GET /audit/verify` (admin).

use super::extract::CurrentUser;
use super::problem::Problem;
use super::AppState;
use crate::error::AppResult;
use crate::service::audit::VerifyReport;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/audit/verify").route(web::get().to(verify)));
}

/// Verifies every audit chain and names the first broken event.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])), responses(
    (status = 200, body = VerifyReport),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    state.user_ctx(&req, &user).require_admin()?;
    let keys = state.cfg.sla.audit_keys.clone();
    let report = state
        .db(move |conn| crate::service::audit::verify(conn, &keys))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}
