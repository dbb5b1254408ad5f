//! The staff's side of clarifications and partners: proposing from the issue page, the TRC's
//! page of incoming clarifications (approve with edits, return, withdraw), and the partner
//! registry with its yearly evaluation. Thin adapters over the same use cases as the API.

use super::pages::{chrome, error_page, lang, page, redirect, signed_in};
use super::session::{check_csrf, local_path};
use super::view::{Chrome, L};
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::clarifications::{self as clar, Clarification, ClarificationEdit, Step};
use crate::service::partner_report::{self, PartnerReport};
use crate::service::partners::{self, Agreement, Partner, PartnerInput};
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

fn optional(text: Option<String>) -> Option<String> {
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

fn trc_only(req: &HttpRequest, s: &Session) -> Option<HttpResponse> {
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

fn done_notice(l: L, step: &str) -> Option<String> {
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

#[derive(Template)]
#[template(path = "console/partners.html")]
struct PartnersPage<'a> {
    c: &'a Chrome,
    partners: &'a [Partner],
    editing: Option<&'a Partner>,
    report: &'a PartnerReport,
    kinds: &'static [crate::domain::clarification::PartnerKind],
    categories: &'static [crate::domain::Category],
}

#[allow(
    clippy::unused_self,
    clippy::ref_option,
    clippy::trivially_copy_pass_by_ref,
    clippy::cast_precision_loss,
    reason = "methods, so that the template can call them with its fields' references; hours far below 2^52"
)]
impl PartnersPage<'_> {
    fn hours(&self, secs: &Option<i64>) -> String {
        secs.map_or_else(
            || "—".into(),
            |s| format!("{:.1} {}", s as f64 / 3600.0, self.c.l.t("jam", "h")),
        )
    }

    fn joined(&self, v: &[String]) -> String {
        v.join(", ")
    }

    fn has_topic(&self, k: &crate::domain::Category) -> bool {
        self.editing
            .is_some_and(|p| p.topics.iter().any(|t| t == k.as_str()))
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PartnersQuery {
    tahun: Option<String>,
    selesai: Option<String>,
}

fn year_of(state: &AppState, q: Option<&str>) -> i32 {
    q.and_then(|y| y.trim().parse().ok())
        .unwrap_or_else(|| i32::from(state.clock.now().to_zoned(state.cfg.zone.clone()).year()))
}

async fn partners_page(
    state: &AppState,
    req: &HttpRequest,
    s: &Session,
    editing: Option<i64>,
    q: &PartnersQuery,
) -> HttpResponse {
    if let Some(r) = trc_only(req, s) {
        return r;
    }
    let ctx = state.ctx(req, Actor::User(s.caller.clone()));
    let year = year_of(state, q.tahun.as_deref());
    let found = state
        .db(move |conn| {
            let list = partners::list(conn, &ctx, None, 500)?;
            let report = partner_report::report(conn, &ctx, year)?;
            let editing = editing
                .map(|id| partners::get(conn, &ctx, id))
                .transpose()?;
            Ok::<_, AppError>((list, report, editing))
        })
        .await;
    let l = lang(req, Some(s));
    match found {
        Ok((list, report, editing)) => {
            let mut c = chrome(
                req,
                l,
                l.t("Mitra penyebaran", "Dissemination partners"),
                Some(s),
            );
            c.notice = q.selesai.as_deref().and_then(|d| done_notice(l, d));
            page(
                StatusCode::OK,
                PartnersPage {
                    c: &c,
                    partners: &list,
                    editing: editing.as_ref(),
                    report: &report,
                    kinds: crate::domain::clarification::PartnerKind::ALL,
                    categories: crate::domain::Category::ALL,
                }
                .render(),
            )
        }
        Err(e) => error_page(req, Some(s), &e),
    }
}

/// `/mitra-kerja-sama`: the registry, a form to add one, and the year's evaluation.
pub async fn partners_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<PartnersQuery>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    partners_page(&state, &req, &s, None, &q).await
}

/// `/mitra-kerja-sama/{id}`: one partner's form.
pub async fn partner_edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<PartnersQuery>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(id) = path.parse::<i64>() else {
        return error_page(
            &req,
            Some(&s),
            &AppError::NotFound(format!("no partner {path}")),
        );
    };
    partners_page(&state, &req, &s, Some(id), &q).await
}

/// The partner form: topics come as repeated `topics` fields.
fn partner_input(form: &[(String, String)]) -> (Option<String>, Option<i64>, PartnerInput) {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let csrf = get("csrf");
    let version = get("version").and_then(|v| v.parse().ok());
    let topics = form
        .iter()
        .filter(|(n, _)| n == "topics")
        .map(|(_, v)| v.clone())
        .collect();
    let input = PartnerInput {
        name: get("name"),
        kind: get("kind"),
        email: get("email"),
        districts: Some(
            get("districts")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        topics: Some(topics),
        agreement: Some(Agreement {
            number: optional(get("agreement_number")),
            year: get("agreement_year").and_then(|y| y.trim().parse().ok()),
            from: optional(get("agreement_from")),
            to: optional(get("agreement_to")),
        }),
        active: Some(get("active").is_some()),
    };
    (csrf, version, input)
}

/// `POST /mitra-kerja-sama` (new) and `POST /mitra-kerja-sama/{id}` (change).
pub async fn partner_save(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: Option<web::Path<String>>,
    body: web::Bytes,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (csrf, version, input) = partner_input(&form);
    if let Err(e) = check_csrf(&s, csrf.as_deref()) {
        return error_page(&req, Some(&s), &e);
    }
    let id = match path.map(|p| p.parse::<i64>()) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            return error_page(
                &req,
                Some(&s),
                &AppError::NotFound("no such partner".into()),
            )
        }
    };
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let saved = state
        .db(move |conn| match id {
            Some(id) => partners::update(conn, &ctx, id, version, input),
            None => partners::create(conn, &ctx, input),
        })
        .await;
    match saved {
        Ok(_) => redirect("/mitra-kerja-sama?selesai=mitra"),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

/// `/mitra-kerja-sama/laporan.csv?tahun=`: the year's evaluation as CSV.
pub async fn partner_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<PartnersQuery>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(r) = trc_only(&req, &s) {
        return r;
    }
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let year = year_of(&state, q.tahun.as_deref());
    match state
        .db(move |conn| {
            partner_report::report(conn, &ctx, year).and_then(|r| partner_report::report_csv(&r))
        })
        .await
    {
        Ok(csv) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mitra-{year}.csv\""),
            ))
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .body(csv),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}
