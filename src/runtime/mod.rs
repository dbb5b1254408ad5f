//! The neutral runtime every face of Tanggap runs on — HTTP handlers, the console, the CLI's
//! long-running commands and the background jobs: the process's state (configuration, pool,
//! clock, wake-ups, metrics), its database turns and its password-hashing pool. It depends on
//! none of those faces; they depend on it (and never on each other).

pub mod metrics;
mod sign_in;
pub mod uploads;
pub mod wake;

pub use wake::Wake;

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::service::Clock;
use crate::store::{Db, Pool};
use diesel::r2d2;
use std::sync::Arc;

/// What every face of one process reaches: configuration, the pool and its turns, the clock,
/// the workers' wake-ups, the metrics and the password-hashing pool.
#[derive(Clone)]
pub struct AppState {
    pub cfg: Arc<Config>,
    pub pool: Pool,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<metrics::Metrics>,
    /// Wakes this instance's timer and outbox worker.
    pub wake: Arc<Wake>,
    /// One permit per pooled connection: requests wait here for database work in arrival
    /// order, holding no thread (see [`AppState::db`]).
    pub db_turns: Arc<tokio::sync::Semaphore>,
    /// Password hashing (Argon2id) runs on at most this many threads at once, and never while
    /// holding a database turn: a flood of logins waits here instead of starving the database.
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Issues' unchanging members as lately shown, by their rows' keys.
    pub shapes: Arc<crate::service::issues::wire::Shapes>,
    /// The connections the triage page is read on by the HTTP workers themselves
    /// (`database.read_on_worker_ms`; PostgreSQL only).
    pub worker_reads: Option<Arc<WorkerReads>>,
}

/// The connections HTTP workers read the triage page on, and when they may next be used.
pub struct WorkerReads {
    pool: Pool,
    started: std::time::Instant,
    /// Milliseconds after `started` before which reads go the usual way (after a failure).
    paused_until: std::sync::atomic::AtomicU64,
}

/// How long worker reads go the usual way after one was cut off or failed.
pub const WORKER_READS_PAUSE: std::time::Duration = std::time::Duration::from_secs(5);

impl WorkerReads {
    pub fn new(pool: Pool) -> Self {
        WorkerReads {
            pool,
            started: std::time::Instant::now(),
            paused_until: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// An idle worker connection, unless reads are paused or none is idle (never waits).
    fn take(&self) -> Option<r2d2::PooledConnection<crate::store::Manager>> {
        if self.now_ms() < self.paused_until.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        self.pool.try_get()
    }

    /// A read failed or was cut off: the next ones go the usual way for a while.
    fn pause(&self) {
        let until = self
            .now_ms()
            .saturating_add(u64::try_from(WORKER_READS_PAUSE.as_millis()).unwrap_or(u64::MAX));
        self.paused_until
            .store(until, std::sync::atomic::Ordering::Relaxed);
    }
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
        let turn = tokio::time::timeout(
            self.cfg.connect_timeout,
            self.db_turns.clone().acquire_owned(),
        )
        .await
        .map_err(|_| {
            AppError::Unavailable("no database connection: every connection is busy".into())
        })?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the database turns closed: {e}")))?;
        drop(waiting);
        tokio::task::spawn_blocking(move || {
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

    /// Runs a short read — the triage page, one statement bounded by an index and a limit —
    /// on this HTTP worker's own thread when a worker connection is idle, saving the two
    /// hand-offs between threads of [`AppState::db`]; otherwise, and again after a read that
    /// was cut off (`database.read_on_worker_ms`), failed or panicked, as [`AppState::db`]
    /// does. The worker serves other connections meanwhile, so the cut-off bounds how long
    /// they can be held up; after one, worker reads pause for [`WORKER_READS_PAUSE`]. A panic
    /// is caught here as the blocking pool would catch it, so that it costs one request, never
    /// the worker and every connection it serves.
    pub async fn db_read<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> AppResult<T> + Clone + Send + 'static,
    {
        if let Some(reads) = &self.worker_reads {
            if let Some(mut conn) = reads.take() {
                self.metrics
                    .worker_reads
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let read = f.clone();
                let done =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&mut conn)))
                        .unwrap_or_else(|_| {
                            Err(AppError::Internal(anyhow::anyhow!("the read panicked")))
                        });
                match done {
                    Err(AppError::Internal(e)) => {
                        tracing::warn!(error = %format!("{e:#}"), "a read on the HTTP worker failed or was cut off: reading it again the usual way, and so for the next seconds");
                    }
                    Err(AppError::Unavailable(e)) => {
                        tracing::warn!(error = %e, "a read on the HTTP worker lost the database: reading it again the usual way, and so for the next seconds");
                    }
                    done => return done,
                }
                conn.mark_lost();
                reads.pause();
                self.metrics
                    .worker_reads_redone
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        self.db(f).await
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
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("the blocking task failed: {e}")))
    }
}
