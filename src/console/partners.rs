//! The partner registry in the console (the TRC and administrators): the list, a form to add
//! or change one, and the year's evaluation of the cooperation with its CSV.

use super::clarifications::{done_notice, optional, trc_only};
use super::pages::{chrome, error_page, lang, page, redirect, signed_in};
use super::session::check_csrf;
use super::view::Chrome;
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::partner_report::{self, PartnerReport};
use crate::service::partners::{self, Agreement, Partner, PartnerInput};
use crate::service::sessions::Session;
use crate::service::Actor;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

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

fn year_of(ctx: &crate::service::Ctx, q: Option<&str>) -> i32 {
    q.and_then(|y| y.trim().parse().ok())
        .unwrap_or_else(|| partner_report::this_year(ctx))
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
    let year = year_of(&ctx, q.tahun.as_deref());
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
    let year = year_of(&ctx, q.tahun.as_deref());
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
