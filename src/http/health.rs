//! `/healthz` (the process answers), `/readyz` (database reachable, migrations current),
//! `/metrics` (Prometheus).

use super::problem::Problem;
use super::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "The process answers")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database is reachable and migrated.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json")))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let r = state
        .db(|conn| crate::store::has_pending_migrations(conn).map_err(Into::into))
        .await;
    match r {
        Ok(false) => {
            HttpResponse::Ok().json(serde_json::json!({"status": "ready", "database": "ok"}))
        }
        Ok(true) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database migrations are pending",
        )
        .response(),
        Err(e) => {
            // The reason goes to the log, not to anonymous callers (it may name hosts, roles
            // or databases).
            tracing::warn!(error = %e, "readiness check: the database is not reachable");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is not reachable",
            )
            .response()
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut body = state.metrics.render(&state.pool.state());
    let today = state.clock.now().to_zoned(state.cfg.zone.clone()).date();
    body.push_str(&super::metrics::render_holidays(&state.cfg.sla, today));
    let (kept, kept_bytes) = state.shapes.size();
    crate::runtime::metrics::gauge(
        &mut body,
        "tanggap_lists_issues_kept",
        "Issues whose unchanging members this instance keeps for the API's lists.",
        kept,
    );
    crate::runtime::metrics::gauge(
        &mut body,
        "tanggap_lists_kept_bytes",
        "About how many bytes those take (at most two generations of 8 MB).",
        kept_bytes,
    );
    let now = crate::service::micros(state.clock.now());
    // The state of the work, from the database; left out (not made up) when it is away.
    let work = state
        .db(move |c| {
            Ok((
                crate::store::outbox::backlog(c)?,
                crate::store::clocks::timer_state(c, now)?,
            ))
        })
        .await;
    if let Ok((backlog, (breached, overdue))) = work {
        body.push_str(&super::metrics::render_work(
            now,
            &backlog.by_state,
            backlog.oldest_waiting,
            breached,
            overdue,
        ));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
