//! `/partners`: the registry of partners who carry clarifications to people (the TRC and
//! administrators), and the yearly evaluation of the cooperation.

use super::clarifications::{id_of, with_etag};
use super::extract::{json_body, page, CurrentUser, Page, PageQuery};
use super::problem::Problem;
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::service::partner_report::{self, PartnerReport};
use crate::service::partners::{self, Partner, PartnerInput};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/partners")
            .route(web::get().to(list_partners))
            .route(web::post().to(create_partner)),
    )
    .service(web::resource("/partners/report").route(web::get().to(report)))
    .service(
        web::resource("/partners/{id}")
            .route(web::get().to(get_partner))
            .route(web::patch().to(update_partner))
            .route(web::delete().to(delete_partner)),
    );
}

/// Partners, in the order they were registered (the TRC and administrators).
#[utoipa::path(get, path = "/api/v1/partners", operation_id = "list_partners", tag = "partners", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<Partner>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_partners(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    partners::require_registry(&ctx)?;
    let (limit, after) = q.parse::<i64>()?;
    let items = state
        .db(move |conn| partners::list(conn, &ctx, after, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(page(items, limit, |p: &Partner| p.id)))
}

/// Registers a partner: `name`, `kind` (media, kim, creator, agency) and `email` required;
/// `districts` and `topics` (categories) empty for all; the `agreement` of a budget year.
#[utoipa::path(post, path = "/api/v1/partners", operation_id = "create_partner", tag = "partners", security(("bearer" = [])),
    request_body = PartnerInput,
    responses((status = 201, body = Partner),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_partner(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    partners::require_registry(&ctx)?;
    let input: PartnerInput = json_body(&req, &body)?;
    let p = state
        .db(move |conn| partners::create(conn, &ctx, input))
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::CREATED, p.version)
        .insert_header((header::LOCATION, format!("/api/v1/partners/{}", p.id)))
        .json(p))
}

/// One partner.
#[utoipa::path(get, path = "/api/v1/partners/{id}", operation_id = "get_partner", tag = "partners", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Partner),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_partner(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    partners::require_registry(&ctx)?;
    let id = id_of(&path, "partner")?;
    let p = state.db(move |conn| partners::get(conn, &ctx, id)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, p.version).json(p))
}

/// Changes a partner (absent fields keep); `active: false` stops sending to it. Honours
/// `If-Match`.
#[utoipa::path(patch, path = "/api/v1/partners/{id}", operation_id = "update_partner", tag = "partners", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PartnerInput,
    responses((status = 200, body = Partner),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_partner(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    partners::require_registry(&ctx)?;
    let id = id_of(&path, "partner")?;
    let c2 = ctx.clone();
    state.db(move |conn| partners::get(conn, &c2, id)).await?;
    let if_match = super::issues::if_match(&req)?;
    let input: PartnerInput = json_body(&req, &body)?;
    let p = state
        .db(move |conn| partners::update(conn, &ctx, id, if_match, input))
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, p.version).json(p))
}

/// Deletes a partner that never received a clarification (otherwise 409: deactivate it).
#[utoipa::path(delete, path = "/api/v1/partners/{id}", operation_id = "delete_partner", tag = "partners", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_partner(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    partners::require_registry(&ctx)?;
    let id = id_of(&path, "partner")?;
    state
        .db(move |conn| partners::delete(conn, &ctx, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The evaluation of the cooperation with partners in a budget year (`year`, default the
/// current local year): per partner, clarifications received, acknowledged, republished,
/// places and reach reported, median time from publication to the first republication. CSV
/// with `format=csv` or `Accept: text/csv`.
#[utoipa::path(get, path = "/api/v1/partners/report", operation_id = "partner_report", tag = "partners", security(("bearer" = [])),
    params(("year" = Option<i32>, Query), ("format" = Option<String>, Query, description = "json or csv")),
    responses((status = 200, description = "The report", content((PartnerReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<BTreeMap<String, String>>,
) -> AppResult<HttpResponse> {
    super::extract::no_repeats(&req)?;
    let ctx = state.user_ctx(&req, &user);
    partners::require_registry(&ctx)?;
    let q = q.into_inner();
    if let Some(k) = q.keys().find(|k| !["year", "format"].contains(&k.as_str())) {
        return Err(AppError::invalid(
            k.clone(),
            "is not a parameter of this report",
        ));
    }
    let year = match q.get("year").map(String::as_str) {
        None | Some("") => partner_report::this_year(&ctx),
        Some(y) => y
            .parse::<i32>()
            .map_err(|_| AppError::invalid("year", format!("`{y}` is not a year")))?,
    };
    let csv = match q.get("format").map(String::as_str) {
        Some("csv") => true,
        None | Some("" | "json") => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
        Some(f) => {
            return Err(AppError::Invalid(vec![crate::error::FieldError::new(
                "format",
                format!("`{f}` is not a format of this report"),
            )
            .with_valid(vec!["json".into(), "csv".into()])]))
        }
    };
    let r = state
        .db(move |conn| partner_report::report(conn, &ctx, year))
        .await?;
    if csv {
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mitra-{year}.csv\""),
            ))
            .body(partner_report::report_csv(&r)?))
    } else {
        Ok(HttpResponse::Ok().json(r))
    }
}
