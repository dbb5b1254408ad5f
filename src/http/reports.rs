//! `GET /reports`: monitoring and evaluation, JSON or CSV.

use super::extract::CurrentUser;
use super::problem::Problem;
use super::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::service::reports::{self, Report};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/reports").route(web::get().to(report)));
}

/// Per group and in total: filed, resolved, SLA compliance, median and p90 times (open time),
/// breached now, escalations. Local dates, both inclusive (default: the current month).
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", security(("bearer" = [])),
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD"),
        ("group_by" = Option<crate::domain::enums::ReportGroup>, Query, description = "How to group the figures (default unit)"),
        ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, description = "The report; CSV (one row per group, the total last) with `format=csv`",
            content((Report = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<BTreeMap<String, String>>,
) -> AppResult<HttpResponse> {
    super::extract::no_repeats(&req)?;
    let q = q.into_inner();
    if let Some(k) = q
        .keys()
        .find(|k| !["from", "to", "group_by", "format"].contains(&k.as_str()))
    {
        return Err(AppError::invalid(
            k.clone(),
            "is not a parameter of reports",
        ));
    }
    let csv = match q.get("format").map(String::as_str) {
        Some("csv") => true,
        Some("json") => false,
        Some(other) => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "format",
                format!("`{other}` is not a format"),
            )
            .with_valid(vec!["json".into(), "csv".into()])]))
        }
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
    };
    let ctx = state.user_ctx(&req, &user);
    let r = state
        .db(move |conn| {
            reports::report(
                conn,
                &ctx,
                q.get("from").map(String::as_str),
                q.get("to").map(String::as_str),
                q.get("group_by").map(String::as_str),
            )
        })
        .await?;
    if csv {
        let body = reports::to_csv(&r)?;
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"tanggap-{}-{}-{}.csv\"",
                    r.group_by, r.from, r.to
                ),
            ))
            .body(body))
    } else {
        Ok(HttpResponse::Ok().json(r))
    }
}
