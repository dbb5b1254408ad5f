//! The HTTP edge: the app factory, routes, middleware. Handlers parse, authenticate, call one
//! service function and map the result; they hold no SQL.

pub mod audit;
pub mod extract;
pub mod health;
pub mod issues;
pub mod metrics;
pub mod notifications;
pub mod openapi;
pub mod problem;
pub mod reports;
pub mod request_id;
pub mod rules;
pub mod schemas;
pub mod session;
pub mod sla;
pub mod units;
pub mod users;

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::service::Clock;
use crate::store::{Db, Pool};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub cfg: Arc<Config>,
    pub pool: Pool,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<metrics::Metrics>,
    /// Wakes this instance's timer and outbox worker.
    pub wake: Arc<crate::jobs::Wake>,
    /// One permit per pooled connection: requests wait here for database work in arrival
    /// order, holding no thread (see [`AppState::db`]).
    pub db_turns: Arc<tokio::sync::Semaphore>,
    /// Password hashing (Argon2id) runs on at most this many threads at once, and never while
    /// holding a database turn: a flood of logins waits here instead of starving the database.
    pub hashing: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// After a change that may have created or moved a due instant or queued an email. On
    /// PostgreSQL the change's own `NOTIFY` (with the instant it armed) reaches this instance's
    /// timer through the listener, as it reaches the others; SQLite has only this instance.
    pub fn wake_workers(&self) {
        self.wake_timers();
        self.wake_outbox();
    }

    /// After a change that may have armed or moved a due instant.
    pub fn wake_timers(&self) {
        if self.cfg.backend != crate::config::Backend::Postgres {
            self.wake.timers_at(None);
        }
    }

    /// After a change that queued an email.
    pub fn wake_outbox(&self) {
        self.wake.outbox.notify_one();
    }

    /// Runs blocking database work off the async executor, in the request's span.
    ///
    /// Requests take their turn first: a permit of `db_turns` (as many as the pool has
    /// connections) is taken in arrival order while the request waits on the executor, and the
    /// blocking task keeps it until its connection is back in the pool. Without the turns every
    /// request got a blocking thread at once and waited inside the pool, whose waiters wake in
    /// no fixed order: under load some requests waited through many hand-overs, and every
    /// waiting request added a thread to the run queue (docs/BENCHMARKS.md, "Work queues").
    /// The wait for a turn counts against `database.connect_timeout` (503 when it runs out).
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> AppResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        // Bounded as the wait for a connection is.
        let waiting = self.metrics.waiting_for_turn();
        let turn = actix_web::rt::time::timeout(
            self.cfg.connect_timeout,
            self.db_turns.clone().acquire_owned(),
        )
        .await
        .map_err(|_| {
            AppError::Unavailable("no database connection: every connection is busy".into())
        })?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the database turns closed: {e}")))?;
        drop(waiting);
        web::block(move || {
            let _turn = turn;
            let _entered = span.enter();
            let mut conn = pool.get()?;
            let result = f(&mut conn);
            if matches!(result, Err(AppError::Unavailable(_))) {
                conn.mark_lost();
            }
            result
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the blocking task failed: {e}")))?
    }

    /// Runs CPU-heavy password work (Argon2id) on a blocking thread, at most
    /// [`AppState::hashing`] at once, holding no database turn.
    pub async fn hash_work<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("the hashing pool closed: {e}")))?;
        web::block(f)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("the blocking task failed: {e}")))
    }

    /// Like [`AppState::db`], and writes the answer as JSON on the same blocking thread, so that
    /// the many small values of a large answer (a page of issues) are made and freed on one
    /// thread and only the finished body crosses to the executor.
    pub async fn db_json<T, F>(&self, f: F) -> AppResult<web::Bytes>
    where
        T: serde::Serialize,
        F: FnOnce(&mut Db) -> AppResult<T> + Send + 'static,
    {
        self.db(move |conn| {
            let value = f(conn)?;
            // A page of issues runs to tens of kilobytes: started that large, the buffer is
            // not copied over and over as it grows.
            let mut out = Vec::with_capacity(PAGE_BUFFER);
            serde_json::to_writer(&mut out, &value)
                .map(|()| web::Bytes::from(out))
                .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the answer: {e}")))
        })
        .await
    }
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
            web::scope("/api/v1")
                .configure(session::routes)
                .configure(units::routes)
                .configure(users::routes)
                .configure(audit::routes)
                .configure(issues::routes)
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
