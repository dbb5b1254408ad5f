//! The HTTP edge: the app factory, routes, middleware. Handlers parse, authenticate, call one
//! service function and map the result; they hold no SQL.

pub mod audit;
pub mod clarifications;
pub mod evidence;
pub mod extract;
pub mod health;
pub mod issues;
pub mod metrics;
pub mod notifications;
pub mod openapi;
pub mod partners;
pub mod problem;
pub mod reports;
pub mod request_id;
pub mod rules;
pub mod schemas;
pub mod session;
pub mod sla;
pub mod units;
pub mod users;

use crate::error::{AppError, AppResult};
pub use crate::runtime::AppState;
use crate::store::Db;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;

impl AppState {
    /// Like [`AppState::db`], and writes the answer as JSON on the same blocking thread, so that
    /// the many small values of a large answer (a page of issues) are made and freed on one
    /// thread and only the finished body crosses to the executor.
    pub async fn db_json<T, F>(&self, f: F) -> AppResult<web::Bytes>
    where
        T: serde::Serialize,
        F: FnOnce(&mut Db) -> AppResult<T> + Send + 'static,
    {
        self.db(move |conn| json_body(&f(conn)?)).await
    }
}

/// `value` written as JSON (on the thread that made it, see [`AppState::db_json`]).
pub(crate) fn json_body<T: serde::Serialize>(value: &T) -> AppResult<web::Bytes> {
    // A page of issues runs to tens of kilobytes: started that large, the buffer is not copied
    // over and over as it grows.
    let mut out = Vec::with_capacity(PAGE_BUFFER);
    serde_json::to_writer(&mut out, value)
        .map(|()| web::Bytes::from(out))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the answer: {e}")))
}

/// The room a page's JSON starts with (fifty issues take 40–60 KB).
const PAGE_BUFFER: usize = 64 * 1024;

/// Registers every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(web::resource("/metrics").route(web::get().to(health::metrics)))
        .service(web::resource("/api-docs/openapi.json").route(web::get().to(openapi::document)))
        .service(
            // The router tries the resources in the order registered, and each pattern with a
            // segment in braces is a regular expression run on the path (a fiftieth of the
            // service's time on a triage page when twenty of them came first): the busiest
            // routes, the queues and the issues, come first. No two patterns overlap, so the
            // order changes nothing else.
            web::scope("/api/v1")
                .configure(issues::routes)
                .configure(session::routes)
                .configure(units::routes)
                .configure(users::routes)
                .configure(audit::routes)
                .configure(evidence::routes)
                .configure(clarifications::routes)
                .configure(partners::routes)
                .configure(rules::routes)
                .configure(notifications::routes)
                .configure(reports::routes)
                .configure(sla::routes),
        );
}

/// A bound, not yet running server.
pub struct Server {
    pub port: u16,
    pub server: actix_web::dev::Server,
}

/// Binds the listener and builds the server (the caller runs it).
pub fn build(state: AppState, listener: TcpListener) -> anyhow::Result<Server> {
    let port = listener.local_addr()?.port();
    let cfg = state.cfg.clone();
    let data = web::Data::new(state);
    let body_limit = cfg.body_limit;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| AppError::invalid("(query)", e.to_string()).into()),
            )
            .configure(routes)
            .configure(crate::console::routes)
            .default_service(web::to(problem::not_found))
            .wrap(from_fn(problem::normalize))
            .wrap(from_fn(metrics::middleware))
            .wrap(from_fn(request_id::middleware))
    })
    .workers(cfg.workers)
    .shutdown_timeout(cfg.shutdown_timeout.as_secs())
    .listen(listener)?
    .run();
    Ok(Server { port, server })
}
