//! `/issues/{ref}/clarifications` (propose), `/clarifications` (the TRC's approval flow) and
//! `/partners` (the registry and its yearly evaluation).

use super::extract::{json_body, page, CurrentUser, Page, PageQuery};
use super::problem::Problem;
use super::AppState;
use crate::domain::clarification::ClarificationAction;
use crate::error::{AppError, AppResult};
use crate::service::clarifications::{
    self as clar, Clarification, ClarificationEdit, ClarificationReason, NewClarification, Step,
};
use crate::service::partners::{self, Partner, PartnerInput, PartnerReport};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/issues/{ref}/clarifications").route(web::post().to(propose)))
        .service(web::resource("/clarifications").route(web::get().to(list)))
        .service(
            web::resource("/clarifications/{id}")
                .route(web::get().to(get))
                .route(web::patch().to(revise)),
        )
        .service(web::resource("/clarifications/{id}/{action}").route(web::post().to(act)))
        .service(
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

fn with_etag(status: actix_web::http::StatusCode, version: i64) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::build(status);
    r.insert_header((header::ETAG, format!("\"{version}\"")));
    r
}

fn id_of(text: &str, what: &str) -> AppResult<i64> {
    text.parse()
        .map_err(|_| AppError::NotFound(format!("no {what} {text}")))
}

/// Proposes a clarification of an issue for publication (the TRC or the assigned unit's PIC;
/// a restricted issue's only by the TRC, as a standalone text with its own title).
#[utoipa::path(post, path = "/api/v1/issues/{ref}/clarifications", tag = "clarifications", security(("bearer" = [])),
    params(("ref" = String, Path)), request_body = NewClarification,
    responses((status = 201, body = Clarification),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn propose(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let reference = path.into_inner();
    let input: NewClarification = json_body(&req, &body)?;
    let c = state
        .db(move |conn| clar::propose(conn, &ctx, &reference, input))
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::CREATED, c.version)
        .insert_header((header::LOCATION, format!("/api/v1/clarifications/{}", c.id)))
        .json(c))
}

/// Clarifications, newest first, of the issues the caller may see; `state` filters
/// (comma-separated: proposed, returned, published, withdrawn).
#[utoipa::path(get, path = "/api/v1/clarifications", operation_id = "list_clarifications", tag = "clarifications", security(("bearer" = [])),
    params(PageQuery, ("state" = Option<String>, Query)),
    responses((status = 200, body = Page<Clarification>),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    q: web::Query<BTreeMap<String, String>>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let q = q.into_inner();
    if let Some(k) = q
        .keys()
        .find(|k| !["state", "limit", "cursor"].contains(&k.as_str()))
    {
        return Err(AppError::invalid(k.clone(), "is not a filter of this list"));
    }
    let (limit, before) = PageQuery {
        limit: q.get("limit").cloned(),
        cursor: q.get("cursor").cloned(),
    }
    .parse::<i64>()?;
    let states: Vec<String> = q
        .get("state")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let items = state
        .db(move |conn| clar::list(conn, &ctx, &states, before, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(page(items, limit, |c: &Clarification| c.id)))
}

/// One clarification (404 when its issue is not the caller's to see).
#[utoipa::path(get, path = "/api/v1/clarifications/{id}", operation_id = "get_clarification", tag = "clarifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Clarification),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let id = id_of(&path, "clarification")?;
    let c = state.db(move |conn| clar::get(conn, &ctx, id)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, c.version).json(c))
}

/// Revises a proposed or returned clarification (its proposer or the TRC); it is proposed
/// again. Honours `If-Match`.
#[utoipa::path(patch, path = "/api/v1/clarifications/{id}", operation_id = "revise_clarification", tag = "clarifications", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ClarificationEdit,
    responses((status = 200, body = Clarification),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn revise(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    take_step(state, req, user, &path, "revise", &body).await
}

/// A step of the TRC: `approve` (publish, with optional edits: `{title, claim, text, urls}`;
/// sends it to every partner that receives it), `return` (`{reason}`, to the proposer) or
/// `withdraw` (`{reason}`, shown on the public page). Honours `If-Match`.
#[utoipa::path(post, path = "/api/v1/clarifications/{id}/{action}", tag = "clarifications", security(("bearer" = [])),
    params(("id" = i64, Path), ("action" = String, Path, description = "approve, return or withdraw")),
    request_body(content = ClarificationEdit, description = "approve: optional edits ({} for none); return and withdraw: ClarificationReason"),
    responses((status = 200, body = Clarification),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (id, action) = path.into_inner();
    if !["approve", "return", "withdraw"].contains(&action.as_str()) {
        return Err(AppError::NotFound(format!(
            "no action `{action}`: approve, return or withdraw"
        )));
    }
    take_step(state, req, user, &id, &action, &body).await
}

async fn take_step(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: &str,
    action: &str,
    body: &[u8],
) -> AppResult<HttpResponse> {
    let ctx = state.user_ctx(&req, &user);
    let id = id_of(id, "clarification")?;
    let action = ClarificationAction::parse(action)
        .ok_or_else(|| AppError::NotFound(format!("no action `{action}`")))?;
    // Rights first (404, 403), then the version and the state, then the body.
    let c2 = ctx.clone();
    state
        .db(move |conn| clar::may_step(conn, &c2, id, action))
        .await?;
    let if_match = super::issues::if_match(&req)?;
    let step = match action {
        ClarificationAction::Revise => Step::Revise(json_body(&req, body)?),
        ClarificationAction::Approve if body.iter().all(u8::is_ascii_whitespace) => {
            Step::Approve(ClarificationEdit::default())
        }
        ClarificationAction::Approve => Step::Approve(json_body(&req, body)?),
        ClarificationAction::Return => {
            Step::Return(json_body::<ClarificationReason>(&req, body)?.reason)
        }
        ClarificationAction::Withdraw => {
            Step::Withdraw(json_body::<ClarificationReason>(&req, body)?.reason)
        }
    };
    let (c, queued) = state
        .db(move |conn| clar::step(conn, &ctx, id, if_match, step))
        .await?;
    if queued > 0 {
        state.wake_outbox();
    }
    Ok(with_etag(actix_web::http::StatusCode::OK, c.version).json(c))
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
        None | Some("") => jiff::Timestamp::from_microsecond(ctx.now)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .to_zoned(ctx.sla.zone.clone())
            .year()
            .into(),
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
        .db(move |conn| partners::report(conn, &ctx, year))
        .await?;
    if csv {
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mitra-{year}.csv\""),
            ))
            .body(partners::report_csv(&r)?))
    } else {
        Ok(HttpResponse::Ok().json(r))
    }
}
