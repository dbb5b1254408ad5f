//! The leaders' dashboard: the monitoring and evaluation report of a period (per unit,
//! category, channel, district or priority: filed, resolved, compliance, median and p90, breached
//! now, escalations) with its bars drawn as SVG by the server, the same report as CSV, and the
//! compliance of the last eight weeks. Everything comes from the reports use case, so a leader
//! sees only their subtree, as in the API.

use super::pages::{chrome, error_page, lang, page, signed_in};
use super::view::DashboardPage;
use crate::domain::enums::ReportGroup;
use crate::runtime::AppState;
use crate::service::reports::{self, Report};
use crate::service::Actor;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Debug, Default, serde::Deserialize)]
pub struct DashboardQuery {
    dari: Option<String>,
    sampai: Option<String>,
    kelompok: Option<String>,
}

/// A week's resolution compliance, for the trend.
#[derive(Debug, Clone)]
pub struct Week {
    /// The week's first day.
    pub from: String,
    /// The same, short: `30/11`.
    pub label: String,
    pub compliance: Option<f64>,
    pub filed: i64,
}

impl DashboardQuery {
    /// The period and grouping asked for, an empty field as not given.
    fn asked(&self) -> (Option<String>, Option<String>, Option<String>) {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        (
            given(&self.dari),
            given(&self.sampai),
            given(&self.kelompok),
        )
    }
}

/// The dashboard page.
#[allow(
    clippy::many_single_char_names,
    reason = "s, l: the session and the language, as in every console handler"
)]
pub async fn dashboard(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<DashboardQuery>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let l = lang(&req, Some(&s));
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let (from, to, group) = query.asked();
    let today = state.clock.now().to_zoned(state.cfg.zone.clone()).date();
    let loaded = state
        .db(move |conn| {
            let report =
                reports::report(conn, &ctx, from.as_deref(), to.as_deref(), group.as_deref())?;
            let mut weeks = Vec::new();
            for back in (0..8).rev() {
                let start = today
                    .checked_sub(jiff::Span::new().weeks(back).days(6))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let end = today
                    .checked_sub(jiff::Span::new().weeks(back))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let (a, b) = (start.to_string(), end.to_string());
                let w = reports::report(conn, &ctx, Some(&a), Some(&b), Some("priority"))?;
                weeks.push(Week {
                    label: format!("{:02}/{:02}", start.day(), start.month()),
                    from: a,
                    compliance: w.total.resolution.compliance_pct,
                    filed: w.total.filed,
                });
            }
            Ok((report, weeks))
        })
        .await;
    let (report, weeks) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    let c = chrome(
        &req,
        l,
        l.t("Dasbor pemantauan", "Monitoring dashboard"),
        Some(&s),
    );
    let csv = format!(
        "/dasbor.csv?dari={}&sampai={}&kelompok={}",
        report.from,
        report.to,
        report.group_by.as_str()
    );
    page(
        StatusCode::OK,
        DashboardPage {
            c: &c,
            report: &report,
            weeks: &weeks,
            groups: ReportGroup::ALL,
            csv: &csv,
        }
        .render(),
    )
}

/// The dashboard's report as CSV (one row per group, the total last), as the API gives it.
pub async fn csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<DashboardQuery>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let (from, to, group) = query.asked();
    let made = state
        .db(move |conn| {
            let r: Report =
                reports::report(conn, &ctx, from.as_deref(), to.as_deref(), group.as_deref())?;
            Ok((reports::to_csv(&r)?, r.from, r.to))
        })
        .await;
    match made {
        Ok((body, from, to)) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"tanggap-{from}-{to}.csv\""),
            ))
            .body(body),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}
