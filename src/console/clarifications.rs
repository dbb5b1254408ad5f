//! The staff's side of clarifications: proposing from the issue page, and the TRC's page of
//! incoming clarifications (approve with edits, return, withdraw). Thin adapters over the same
//! use cases as the API.

use super::pages::{chrome, error_page, lang, page, redirect, signed_in};
use super::session::{check_csrf, local_path};
use super::view::{Chrome, L};
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::clarifications::{self as clar, Clarification, ClarificationEdit, Step};
use crate::service::sessions::Session;
use crate::service::Actor;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// One URL per line (blank lines dropped).
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

#[derive(Debug, serde::Deserialize)]
pub struct ProposeForm {
    csrf: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    claim: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    urls: String,
}

/// `POST /isu/{ref}/klarifikasi`: proposes the clarification.
pub async fn propose(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<ProposeForm>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = form.into_inner();
    if let Err(e) = check_csrf(&s, f.csrf.as_deref()) {
        return error_page(&req, Some(&s), &e);
    }
    let reference = path.into_inner();
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let input = clar::NewClarification {
        title: optional(Some(f.title)),
        claim: optional(f.claim),
        text: f.text,
        urls: lines(&f.urls),
    };
    let r = reference.clone();
    match state
        .db(move |conn| clar::propose(conn, &ctx, &r, input))
        .await
    {
        Ok(_) => redirect(&format!("/isu/{reference}#klarifikasi")),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

#[derive(Template)]
#[template(path = "console/clarifications.html")]
struct IncomingPage<'a> {
    c: &'a Chrome,
    waiting: &'a [Clarification],
    published: &'a [Clarification],
    zone: &'a jiff::tz::TimeZone,
}

impl IncomingPage<'_> {
    fn local(&self, at: &str) -> String {
        super::view::local(self.zone, at, self.c.l)
    }

    fn state(&self, s: &str) -> &'static str {
        super::view::clarification_state(s, self.c.l)
    }
}

pub(super) fn trc_only(req: &HttpRequest, s: &Session) -> Option<HttpResponse> {
    let l = lang(req, Some(s));
    let ok = matches!(
        s.caller.role,
        crate::domain::Role::Trc | crate::domain::Role::Admin
    );
    (!ok).then(|| {
        error_page(
            req,
            Some(s),
            &AppError::Forbidden(
                l.t(
                    "halaman ini untuk TRC dan administrator",
                    "this page is for the TRC and administrators",
                )
                .into(),
            ),
        )
    })
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Notice {
    selesai: Option<String>,
}

pub(super) fn done_notice(l: L, step: &str) -> Option<String> {
    let text = match step {
        "approve" => l.t(
            "Klarifikasi diterbitkan dan dikirim ke mitra.",
            "The clarification is published and sent to partners.",
        ),
        "return" => l.t(
            "Klarifikasi dikembalikan kepada pengusulnya.",
            "The clarification went back to its proposer.",
        ),
        "withdraw" => l.t("Klarifikasi ditarik.", "The clarification is withdrawn."),
        "revise" => l.t(
            "Klarifikasi diajukan lagi.",
            "The clarification is proposed again.",
        ),
        "mitra" => l.t("Mitra tersimpan.", "The partner is saved."),
        _ => return None,
    };
    Some(text.to_owned())
}

/// `/klarifikasi-masuk`: what waits for the TRC's decision, and what was published lately.
pub async fn incoming(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<Notice>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(r) = trc_only(&req, &s) {
        return r;
    }
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let found = state
        .db(move |conn| {
            let waiting = clar::list(
                conn,
                &ctx,
                &["proposed".into(), "returned".into()],
                None,
                200,
            )?;
            let published = clar::list(conn, &ctx, &["published".into()], None, 30)?;
            Ok::<_, AppError>((waiting, published))
        })
        .await;
    let l = lang(&req, Some(&s));
    match found {
        Ok((waiting, published)) => {
            let mut c = chrome(
                &req,
                l,
                l.t("Klarifikasi masuk", "Incoming clarifications"),
                Some(&s),
            );
            c.notice = q.selesai.as_deref().and_then(|d| done_notice(l, d));
            page(
                StatusCode::OK,
                IncomingPage {
                    c: &c,
                    waiting: &waiting,
                    published: &published,
                    zone: &state.cfg.zone,
                }
                .render(),
            )
        }
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct DecideForm {
    csrf: Option<String>,
    langkah: String,
    version: Option<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    claim: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    urls: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// Where to come back to (a local path).
    #[serde(default)]
    kembali: Option<String>,
}

/// `POST /klarifikasi-masuk/{id}`: a step on a clarification (the version the page showed is
/// the `If-Match`).
pub async fn decide(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<DecideForm>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = form.into_inner();
    if let Err(e) = check_csrf(&s, f.csrf.as_deref()) {
        return error_page(&req, Some(&s), &e);
    }
    let Ok(id) = path.parse::<i64>() else {
        return error_page(
            &req,
            Some(&s),
            &AppError::NotFound(format!("no clarification {path}")),
        );
    };
    let edit = ClarificationEdit {
        title: f.title,
        claim: f.claim.map(|c| optional(Some(c))),
        text: f.text,
        urls: f.urls.as_deref().map(lines),
    };
    let step = match f.langkah.as_str() {
        "approve" => Step::Approve(edit),
        "revise" => Step::Revise(edit),
        "return" => Step::Return(f.reason.unwrap_or_default()),
        "withdraw" => Step::Withdraw(f.reason.unwrap_or_default()),
        other => {
            return error_page(
                &req,
                Some(&s),
                &AppError::invalid(
                    "langkah",
                    format!("`{other}` is not a step: approve, revise, return, withdraw"),
                ),
            )
        }
    };
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let version = f.version;
    match state
        .db(move |conn| clar::step(conn, &ctx, id, version, step))
        .await
    {
        Ok((_, queued)) => {
            if queued > 0 {
                state.wake_outbox();
            }
            let back = f.kembali.as_deref().map_or_else(
                || format!("/klarifikasi-masuk?selesai={}", f.langkah),
                |k| local_path(Some(k)),
            );
            redirect(&back)
        }
        Err(e) => error_page(&req, Some(&s), &e),
    }
}
