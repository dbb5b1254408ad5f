//! Evidence on the issue page: the upload form (multipart, with the session's CSRF token) and
//! the files' downloads, over the same use case as the API.

use super::pages::{error_page, redirect, signed_in};
use super::session::check_csrf;
use crate::runtime::{uploads, AppState};
use crate::service::{issues, Actor};
use actix_web::{web, HttpRequest, HttpResponse};

/// `POST /isu/{ref}/bukti`: the files of the form, kept all or none; back to the issue page.
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let reference = path.into_inner();
    let limits = state.cfg.evidence;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (files, fields) = match uploads::read(content_type, payload, limits, &[]).await {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    if let Err(e) = check_csrf(&s, fields.get("csrf").map(String::as_str)) {
        return error_page(&req, Some(&s), &e);
    }
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let target = reference.clone();
    match state
        .db(move |conn| issues::evidence::add(conn, &ctx, &target, files, limits))
        .await
    {
        Ok(_) => redirect(&format!("/isu/{reference}")),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

/// `GET /isu/{ref}/bukti/{id}`: one file, as an attachment, to whoever may see the issue.
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (reference, id) = path.into_inner();
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let found = match id.parse::<i64>() {
        Ok(id) => {
            state
                .db(move |conn| issues::evidence::download(conn, &ctx, &reference, id))
                .await
        }
        Err(_) => Err(crate::error::AppError::NotFound(format!("no file {id}"))),
    };
    match found {
        Ok((file, bytes)) => attachment(&file, bytes),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

/// A kept file as the answer: the bytes with [`uploads::attachment_headers`].
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
