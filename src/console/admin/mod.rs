//! The administrators' pages: the units as a tree, the users, the routing rules with the
//! preview of where a draft would go and why, the outbox's dead letters with retry, and the
//! audit trail's verification. Each reads and writes through the API's use case, which checks
//! that the caller is an administrator; a refused form comes back with what was typed.

#![allow(
    clippy::many_single_char_names,
    reason = "s, l, q, f: the session, the language, the query and the form, as in every console handler"
)]

mod rule_pages;
mod unit_pages;
mod user_pages;

pub use rule_pages::{rule_delete, rule_edit, rule_save, rules_list};
pub use unit_pages::{unit_edit, unit_save, units_list};
pub use user_pages::{user_edit, user_save, users_list};

use super::admin_view::{AuditPage, OutboxPage};
use super::pages::{chrome, error_page, lang, page, redirect, signed_in};
use super::session::check_csrf;
use super::view::{Chrome, L};
use crate::runtime::AppState;
use crate::service::sessions::Session;
use crate::service::{audit, notifications, Actor, Ctx};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// A posted form's fields, repeated names kept (a rule's categories are checkboxes).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty when absent.
    pub(super) fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every non-empty value of `name`.
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// The first value of `name` as sent (a password keeps its spaces).
    pub(super) fn raw(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    pub(super) fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// `Some(value)`, or `None` for an empty field.
pub(super) fn given(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

/// A comma- or line-separated list as typed.
pub(super) fn split_list(v: &str) -> Vec<String> {
    v.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The signed-in administrator's session and context, or the refusal to show.
pub(super) async fn admin(
    state: &AppState,
    req: &HttpRequest,
) -> Result<(Session, Ctx, L), HttpResponse> {
    let s = signed_in(state, req).await?;
    let ctx = state.ctx(req, Actor::User(s.caller.clone()));
    if let Err(e) = ctx.require_admin() {
        return Err(error_page(req, Some(&s), &e));
    }
    let l = lang(req, Some(&s));
    Ok((s, ctx, l))
}

/// The session of a posted admin form whose CSRF token is good.
pub(super) async fn admin_post(
    state: &AppState,
    req: &HttpRequest,
    form: &Fields,
) -> Result<(Session, Ctx, L), HttpResponse> {
    let (s, ctx, l) = admin(state, req).await?;
    let sent = form.get("csrf");
    if let Err(e) = check_csrf(&s, Some(&sent)) {
        return Err(error_page(req, Some(&s), &e));
    }
    Ok((s, ctx, l))
}

/// A page's chrome with the result of the last form (`?selesai=`) or a refusal.
pub(super) fn framed(
    req: &HttpRequest,
    s: &Session,
    l: L,
    title: &str,
    outcome: Option<(String, bool)>,
) -> Chrome {
    let mut c = chrome(req, l, title, Some(s));
    if let Some((n, error)) = outcome {
        c.notice = Some(n);
        c.error = error;
    }
    c
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Saved {
    pub(super) selesai: Option<String>,
}

pub(super) fn saved(l: L, q: &Saved) -> Option<(String, bool)> {
    q.selesai
        .as_ref()
        .map(|_| (l.t("Tersimpan.", "Saved.").to_owned(), false))
}

pub async fn home() -> HttpResponse {
    redirect("/admin/unit")
}

// ---- the outbox ----

#[derive(Debug, Default, serde::Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    sebelum: Option<i64>,
    selesai: Option<String>,
}

/// How many notifications a page of the outbox shows.
const OUTBOX_PAGE: i64 = 50;

/// The outbox by state, newest first, dead letters by default, with retry for each.
pub async fn outbox(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<OutboxQuery>,
) -> HttpResponse {
    let (s, ctx, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let status = q
        .status
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "dead".to_owned());
    let (st, before) = (status.clone(), q.sebelum);
    let listed = state
        .db(move |conn| notifications::list(conn, &ctx, &[st], before, OUTBOX_PAGE + 1))
        .await;
    let mut items = match listed {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    let more = usize::try_from(OUTBOX_PAGE).is_ok_and(|n| items.len() > n);
    items.truncate(usize::try_from(OUTBOX_PAGE).unwrap_or(50));
    let next = if more {
        items
            .last()
            .map(|n| format!("/admin/kotak-keluar?status={status}&sebelum={}", n.id))
    } else {
        None
    };
    let outcome = q.selesai.as_ref().map(|_| {
        let m = l.t(
            "Dijadwalkan ulang: dikirim pada putaran berikutnya.",
            "Queued again: it is sent in the next round.",
        );
        (m.to_owned(), false)
    });
    let c = framed(&req, &s, l, l.t("Kotak keluar", "Outbox"), outcome);
    page(
        StatusCode::OK,
        OutboxPage {
            c: &c,
            items: &items,
            status: &status,
            states: notifications::STATES,
            next: next.as_deref(),
            zone: &state.cfg.zone,
        }
        .render(),
    )
}

/// Sends a dead letter again.
pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    form: web::Form<Fields>,
) -> HttpResponse {
    let (s, ctx, _) = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = path.into_inner();
    match state
        .db(move |conn| notifications::retry(conn, &ctx, id))
        .await
    {
        Ok(_) => {
            state.wake_outbox();
            redirect("/admin/kotak-keluar?status=dead&selesai=1")
        }
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

// ---- the audit trail ----

#[derive(Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    periksa: Option<String>,
}

/// The audit trail's verification, run when asked (it reads every event).
pub async fn audit_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<AuditQuery>,
) -> HttpResponse {
    let (s, _, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let report = if q.periksa.is_some() {
        let keys = state.cfg.sla.audit_keys.clone();
        match state.db(move |conn| audit::verify(conn, &keys)).await {
            Ok(r) => Some(r),
            Err(e) => return error_page(&req, Some(&s), &e),
        }
    } else {
        None
    };
    let c = framed(&req, &s, l, l.t("Jejak audit", "Audit trail"), None);
    page(
        StatusCode::OK,
        AuditPage {
            c: &c,
            report: report.as_ref(),
        }
        .render(),
    )
}
