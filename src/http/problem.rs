//! RFC 9457 problem details: the only place that knows HTTP statuses and problem types.
//! `AppError` answers through `ResponseError`; the `normalize` middleware turns every other
//! error response (the framework's own 400/404/405/413/415...) into problem+json too.

use crate::error::{AppError, Conflict, FieldError};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// A problem details body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable per kind of error, e.g. `urn:tanggap:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For 422: the invalid fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For 409 on issue actions: the actions the state allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<String>>,
}

/// The stable problem kind and title of a status.
fn kind_of(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad-request", "Malformed request"),
        401 => ("unauthorized", "Authentication required"),
        403 => ("forbidden", "Not allowed"),
        404 => ("not-found", "Not found"),
        405 => ("method-not-allowed", "Method not allowed"),
        406 => ("not-acceptable", "Not acceptable"),
        409 => ("conflict", "Conflict"),
        412 => ("precondition-failed", "Precondition failed"),
        413 => ("payload-too-large", "Request body too large"),
        415 => ("unsupported-media-type", "Unsupported media type"),
        422 => ("validation", "Invalid values"),
        429 => ("too-many-requests", "Too many requests"),
        503 => ("unavailable", "Service unavailable"),
        s if s >= 500 => ("internal", "Internal error"),
        _ => ("error", "Error"),
    }
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let (kind, title) = kind_of(status);
        Problem {
            kind: format!("urn:tanggap:problem:{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
            allowed_actions: None,
        }
    }

    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .content_type(CONTENT_TYPE)
            .body(serde_json::to_string(self).unwrap_or_default())
    }
}

/// The problem type and title of an error whose cause is finer than its status (the others
/// take their status's, [`kind_of`]). docs/API.md lists every type.
fn cause_of(e: &AppError) -> Option<(&'static str, &'static str)> {
    Some(match e {
        AppError::WrongState { .. } => ("wrong-state", "Not allowed in this state"),
        AppError::Conflict { cause, .. } => (
            cause.name(),
            match cause {
                Conflict::AlreadyExists => "Already exists",
                Conflict::InUse => "In use",
                Conflict::LastAdmin => "The last administrator",
                Conflict::InProgress => "In progress",
                Conflict::ChangedMeanwhile => "Changed meanwhile",
            },
        ),
        AppError::StaleVersion(_) => ("stale-version", "Stale version"),
        _ => return None,
    })
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::WrongState { .. } | AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::StaleVersion(_) => StatusCode::PRECONDITION_FAILED,
            AppError::NotJson(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut p = Problem::new(status, "");
        if let Some((kind, title)) = cause_of(self) {
            p.kind = format!("urn:tanggap:problem:{kind}");
            title.clone_into(&mut p.title);
        }
        p.detail = match self {
            AppError::Malformed(d)
            | AppError::Unauthenticated(d)
            | AppError::Forbidden(d)
            | AppError::NotFound(d)
            | AppError::StaleVersion(d)
            | AppError::NotJson(d)
            | AppError::TooLarge(d) => d.clone(),
            AppError::Conflict { detail, .. } => detail.clone(),
            AppError::WrongState {
                detail,
                allowed_actions,
            } => {
                p.allowed_actions.clone_from(allowed_actions);
                detail.clone()
            }
            AppError::Invalid(errors) => {
                p.errors = Some(errors.clone());
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("invalid values in: {}", fields.join(", "))
            }
            AppError::Throttled { detail, .. } => detail.clone(),
            AppError::Unavailable(d) => {
                tracing::warn!(error = %d, "answering 503");
                "the database is unavailable; try again shortly".to_owned()
            }
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                "an internal error occurred; it has been logged".to_owned()
            }
        };
        let mut res = p.response();
        if let AppError::Throttled {
            retry_after_secs, ..
        } = self
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if let AppError::Unauthenticated(_) = self {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The answer for routes that do not exist.
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    Problem::new(
        StatusCode::NOT_FOUND,
        format!("no such resource: {}", req.path()),
    )
    .response()
}

/// Whether the answer already explains itself: problem+json, or a console page (HTML, which
/// the console renders with the same message for people).
fn is_problem(res: &ServiceResponse<impl MessageBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(CONTENT_TYPE) || v.starts_with("text/html"))
}

/// Rewrites any error response that is not yet problem+json into one.
pub async fn normalize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .map(|s| s.cfg.body_limit);
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&res) {
        return Ok(res.map_into_boxed_body());
    }
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than the limit of {} bytes (server.request_body_limit)",
            limit.unwrap_or_default()
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!(
                "method {} is not allowed on {}",
                res.request().method(),
                res.request().path()
            )
        }
        _ => res.response().error().map_or_else(
            || status.canonical_reason().unwrap_or("error").to_owned(),
            ToString::to_string,
        ),
    };
    let (req, old) = res.into_parts();
    let mut new = Problem::new(status, detail).response();
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, new))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/API.md lists every problem type the API answers, by status.
    #[test]
    fn every_problem_type_is_documented() {
        let doc = include_str!("../../docs/API.md");
        let mut kinds: Vec<(u16, String)> = [
            // 409 and 412 only by cause, below.
            400u16, 401, 403, 404, 405, 413, 415, 422, 429, 500, 503,
        ]
        .iter()
        .map(|s| {
            let status = StatusCode::from_u16(*s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (*s, kind_of(status).0.to_owned())
        })
        .collect();
        let conflicts = [
            Conflict::AlreadyExists,
            Conflict::InUse,
            Conflict::LastAdmin,
            Conflict::InProgress,
            Conflict::ChangedMeanwhile,
        ];
        for cause in conflicts {
            let e = AppError::conflict(cause, "x");
            let (kind, _) = cause_of(&e).unwrap_or(("missing", ""));
            assert_eq!(e.status_code(), StatusCode::CONFLICT);
            kinds.push((409, kind.to_owned()));
        }
        let wrong = AppError::WrongState {
            detail: String::new(),
            allowed_actions: None,
        };
        kinds.push((
            409,
            cause_of(&wrong).unwrap_or(("missing", "")).0.to_owned(),
        ));
        let stale = AppError::StaleVersion(String::new());
        assert_eq!(stale.status_code(), StatusCode::PRECONDITION_FAILED);
        kinds.push((
            412,
            cause_of(&stale).unwrap_or(("missing", "")).0.to_owned(),
        ));
        for (status, kind) in kinds {
            let row = format!("| {status} | `{kind}` |");
            assert!(doc.contains(&row), "docs/API.md lacks the row {row}");
        }
    }
}
