//! What every console handler shares: the language, the page's chrome, the page itself (its
//! headers), redirects, refusals as pages, the signed-in session; and the start page. Each
//! handler reads the session and the form, calls one use case in a database turn, and renders
//! a page or redirects (forms post, then redirect: every page works without JavaScript).

use super::session::{self, cookie, local_path};
use super::view::{Chrome, ErrorPage, L};
use crate::domain::Role;
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::sessions::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// The language cookie of a visitor without a session.
pub(super) const LANGUAGE: &str = "tanggap_bahasa";

pub(super) fn lang(req: &HttpRequest, s: Option<&Session>) -> L {
    match s {
        Some(s) => L::of(&s.language),
        None => L::of(&cookie(req, LANGUAGE).unwrap_or_default()),
    }
}

pub(super) fn chrome(req: &HttpRequest, l: L, title: &str, s: Option<&Session>) -> Chrome {
    // Where the language switch comes back to: this page when it was asked for by GET.
    let here = if req.method() == actix_web::http::Method::GET {
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    } else {
        "/"
    };
    Chrome {
        here: local_path(Some(here)),
        l,
        title: title.to_owned(),
        user: s.map(|s| (s.caller.name.clone(), s.caller.role)),
        email: s.map(|s| s.caller.email.clone()).unwrap_or_default(),
        csrf: s.map(|s| s.csrf.clone()).unwrap_or_default(),
        notice: None,
        error: false,
    }
}

/// A page: HTML that is never cached, may not be framed, runs only our own script and style,
/// and sends no referrer (a link's query is a credential).
pub(super) fn page(status: StatusCode, body: Result<String, askama::Error>) -> HttpResponse {
    match body {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Referrer-Policy", "no-referrer"))
            .insert_header((
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                 form-action 'self'; frame-ancestors 'none'",
            ))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "a console page could not be rendered");
            HttpResponse::InternalServerError()
                .content_type("text/html; charset=utf-8")
                .body("<!DOCTYPE html><title>Tanggap</title><p>Internal error.</p>")
        }
    }
}

pub(super) fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// What a refusal says to people (the API's detail, or each field's message).
pub(super) fn message(e: &AppError) -> String {
    match e {
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Malformed(d)
        | AppError::Unauthenticated(d)
        | AppError::Forbidden(d)
        | AppError::NotFound(d)
        | AppError::StaleVersion(d)
        | AppError::NotJson(d)
        | AppError::TooLarge(d)
        | AppError::WrongState { detail: d, .. }
        | AppError::Conflict { detail: d, .. }
        | AppError::Throttled { detail: d, .. } => d.clone(),
        AppError::Unavailable(_) => "the database is not reachable; try again shortly".into(),
        AppError::Internal(_) => "an internal error occurred; it has been logged".into(),
    }
}

pub(super) fn status_of(e: &AppError) -> StatusCode {
    actix_web::ResponseError::status_code(e)
}

/// The error page of a refusal.
pub(super) fn error_page(req: &HttpRequest, s: Option<&Session>, e: &AppError) -> HttpResponse {
    if let AppError::Internal(err) = e {
        tracing::error!(error = %err, "a console request failed");
    }
    let l = lang(req, s);
    let status = status_of(e);
    let title = match status {
        StatusCode::NOT_FOUND => l.t("Tidak ditemukan", "Not found"),
        StatusCode::FORBIDDEN => l.t("Tidak diizinkan", "Not allowed"),
        _ => l.t("Tidak dapat diproses", "Cannot be done"),
    };
    let c = chrome(req, l, title, s);
    let msg = message(e);
    page(
        status,
        ErrorPage {
            c: &c,
            message: &msg,
        }
        .render(),
    )
}

/// The session, or a redirect to the login page that comes back here.
pub(super) async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Session, HttpResponse> {
    match session::current(state, req).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => {
            let here = req.uri().path_and_query().map_or("/", |p| p.as_str());
            Err(redirect(&format!("/masuk?next={}", session::encode(here))))
        }
        Err(e) => Err(error_page(req, None, &e)),
    }
}

pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match signed_in(&state, &req).await {
        Ok(s) if matches!(s.caller.role, Role::Trc | Role::Admin) => redirect("/triase"),
        Ok(s) if s.caller.role == Role::Pic && s.caller.unit.is_some() => redirect("/antrean"),
        Ok(s) if s.caller.role == Role::Leader => redirect("/eskalasi"),
        Ok(s) => {
            let l = lang(&req, Some(&s));
            let e = AppError::NotFound(
                l.t(
                    "Antrean unit dan dasbor pimpinan belum tersedia di konsol ini; buka isu dari tautan di email.",
                    "The unit queue and the leaders' dashboard are not in this console yet; open issues from the links in their emails.",
                )
                .into(),
            );
            error_page(&req, Some(&s), &e)
        }
        Err(r) => r,
    }
}
