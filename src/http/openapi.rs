//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::extract::Page;
use super::problem::Problem;
use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tanggap API", description = "Rapid-response public-issue tracking for regional government."),
    paths(
        super::health::healthz, super::health::readyz, super::health::metrics,
        super::session::token, super::session::me,
        super::units::list, super::units::create, super::units::get, super::units::update, super::units::delete,
        super::users::list, super::users::create, super::users::get, super::users::update, super::users::delete,
        super::audit::verify,
        super::issues::list, super::issues::file, super::issues::get, super::issues::patch, super::issues::act,
        super::issues::comments, super::issues::add_comment, super::issues::history,
        super::issues::triage_queue, super::issues::unit_queue, super::issues::escalated_queue,
        super::rules::list, super::rules::create, super::rules::get, super::rules::update, super::rules::delete, super::rules::preview,
        super::notifications::list, super::notifications::retry,
        super::reports::report,
        super::sla::policies, super::sla::calendars, super::sla::ladders, super::sla::preview,
    ),
    components(schemas(Problem, crate::error::FieldError, Page<crate::service::units::Unit>, Page<crate::service::users::User>, Page<crate::service::issues::Issue>, Page<crate::service::issues::comments::Comment>, Page<crate::service::issues::comments::HistoryEvent>, Page<crate::service::notifications::Notification>)),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

/// `GET /api-docs/openapi.json`
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json())
}
