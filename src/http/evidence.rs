//! `/issues/{ref}/evidence`: upload (multipart/form-data, field `file`, repeatable), list and
//! download an issue's evidence files.

use super::extract::CurrentUser;
use super::problem::Problem;
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::service::issues::evidence::{self, EvidenceFiles};
use actix_web::{web, HttpRequest, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/issues/{ref}/evidence")
            .route(web::get().to(list))
            .route(web::post().to(upload)),
    )
    .service(web::resource("/issues/{ref}/evidence/{id}").route(web::get().to(download)));
}

/// The form of an upload (for the API's description).
#[derive(utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "describes the multipart form; the handler reads the stream"
)]
pub struct EvidenceForm {
    /// One or more files (up to 10): JPEG, PNG, WebP, PDF or MP4, judged from the content.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<u8>,
}

/// Adds evidence files to an issue (all or none): the TRC, the filer, the assigned unit's PIC.
/// A picture's EXIF/GPS metadata is stripped before it is kept; the audit event records each
/// file's SHA-256.
#[utoipa::path(post, path = "/api/v1/issues/{ref}/evidence", tag = "issues", security(("bearer" = [])), params(("ref" = String, Path)),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceFiles),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let (c2, r2) = (ctx.clone(), reference.clone());
    // Rights first (404, 403), the body after: who may not see the issue learns nothing more
    // from an upload than from a read.
    state
        .db(move |conn| evidence::may_add(conn, &c2, &r2, false).map(drop))
        .await?;
    let limits = state.cfg.evidence;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (files, _) = crate::runtime::uploads::read(content_type, payload, limits, &[]).await?;
    let items = state
        .db(move |conn| evidence::add(conn, &ctx, &reference, files, limits))
        .await?;
    Ok(HttpResponse::Created().json(EvidenceFiles { items }))
}

/// An issue's evidence files, oldest first.
#[utoipa::path(get, path = "/api/v1/issues/{ref}/evidence", tag = "issues", security(("bearer" = [])), params(("ref" = String, Path)),
    responses((status = 200, body = EvidenceFiles),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let items = state
        .db(move |conn| evidence::list(conn, &ctx, &reference))
        .await?;
    Ok(HttpResponse::Ok().json(EvidenceFiles { items }))
}

/// One evidence file, as an attachment of the type judged from its content (`nosniff`,
/// never cached by shared caches).
#[utoipa::path(get, path = "/api/v1/issues/{ref}/evidence/{id}", tag = "issues", security(("bearer" = [])),
    params(("ref" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let (reference, id) = path.into_inner();
    let Ok(id) = id.parse::<i64>() else {
        return Err(AppError::NotFound(format!("no file {id} of {reference}")));
    };
    let (file, bytes) = state
        .db(move |conn| evidence::download(conn, &ctx, &reference, id))
        .await?;
    Ok(attachment(&file, bytes))
}

/// A kept file as the answer: the bytes with [`crate::runtime::uploads::attachment_headers`].
fn attachment(
    file: &crate::service::issues::evidence::EvidenceFile,
    bytes: Vec<u8>,
) -> HttpResponse {
    let mut r = HttpResponse::Ok();
    for h in crate::runtime::uploads::attachment_headers(file) {
        r.insert_header(h);
    }
    r.body(bytes)
}
