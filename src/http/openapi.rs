//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::extract::Page;
use super::problem::Problem;
use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
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

/// The errors every operation of a kind can answer, added to each operation that does not list
/// them itself: a request body can be malformed (400), too large (413), of another media type
/// (415) or invalid (422), and so can query parameters (422); a bearer token can be missing or bad (401); anything under `/api`
/// needs the database (503 while it is away) and can fail (500). All are problem+json.
struct CommonProblems;

const COMMON: [(&str, &str); 7] = [
    (
        "400",
        "The body is not well-formed JSON, or too deeply nested",
    ),
    ("401", "No valid bearer token"),
    ("413", "The body is larger than the server accepts"),
    ("415", "The body is not sent as JSON"),
    ("422", "A field has an invalid value; `errors` names each"),
    ("500", "An unexpected error; the request id is in the log"),
    ("503", "The database is unavailable; retry later"),
];

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            let ops = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for op in ops.into_iter().flatten() {
                let body = op.request_body.is_some();
                let query =
                    op.parameters.iter().flatten().any(|p| {
                        matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)
                    });
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let api = path.starts_with("/api/");
                for (status, description) in COMMON {
                    let applies = match status {
                        "400" | "413" | "415" => body,
                        "422" => body || query,
                        "401" => secured,
                        _ => api,
                    };
                    if applies && !op.responses.responses.contains_key(status) {
                        let content = ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build();
                        let response = ResponseBuilder::new()
                            .description(description)
                            .content("application/problem+json", content)
                            .build();
                        op.responses
                            .responses
                            .insert(status.to_owned(), response.into());
                    }
                }
            }
        }
    }
}

/// An action's body may be left out: no body is taken as `{}` (`resume` and `close` need
/// nothing; the others answer 422 naming their missing fields).
struct OptionalActionBodies;

impl Modify for OptionalActionBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for action in crate::domain::Action::ALL {
            let path = format!("/api/v1/issues/{{ref}}/{}", action.as_str());
            let body = openapi
                .paths
                .paths
                .get_mut(&path)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.request_body.as_mut());
            if let Some(body) = body {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tanggap API", description = "Rapid-response public-issue tracking for regional government."),
    paths(
        super::health::healthz, super::health::readyz, super::health::metrics,
        super::session::token, super::session::me, super::session::change_password,
        super::session::sign_out, super::session::sign_out_user,
        super::units::list, super::units::create, super::units::get, super::units::update, super::units::delete,
        super::users::list, super::users::create, super::users::get, super::users::update, super::users::delete,
        super::audit::verify,
        super::issues::list, super::issues::similar, super::issues::file, super::issues::get, super::issues::patch,
        super::issues::triage, super::issues::reassign, super::issues::return_to_triage, super::issues::respond, super::issues::hold,
        super::issues::resume, super::issues::resolve, super::issues::reopen, super::issues::close, super::issues::reject, super::issues::merge,
        super::issues::comments, super::issues::add_comment, super::issues::history,
        super::evidence::upload, super::evidence::list, super::evidence::download,
        super::clarifications::propose, super::clarifications::list, super::clarifications::get,
        super::clarifications::revise, super::clarifications::act,
        super::partners::list_partners, super::partners::create_partner,
        super::partners::get_partner, super::partners::update_partner,
        super::partners::delete_partner, super::partners::report,
        super::issues::triage_queue, super::issues::unit_queue, super::issues::escalated_queue,
        super::rules::list, super::rules::create, super::rules::get, super::rules::update, super::rules::delete, super::rules::preview,
        super::notifications::list, super::notifications::retry,
        super::reports::report,
        super::sla::policies, super::sla::calendars, super::sla::ladders, super::sla::preview,
    ),
    components(schemas(Problem, crate::error::FieldError, Page<crate::service::units::Unit>, Page<crate::service::users::User>, Page<crate::service::issues::Issue>, Page<crate::service::issues::comments::Comment>, Page<crate::service::issues::comments::HistoryEvent>, Page<crate::service::notifications::Notification>, Page<crate::service::rules::RoutingRule>, Page<crate::service::clarifications::Clarification>, Page<crate::service::partners::Partner>, crate::service::clarifications::ClarificationReason)),
    modifiers(&Bearer, &CommonProblems, &OptionalActionBodies),
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
