//! Start-up: database pool, migrations, demo data, the HTTP server.

use crate::config::Config;
use crate::http;
use crate::runtime::AppState;
use crate::service::{self, Actor, Clock, Ctx};
use crate::store;
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;

/// Applies pending migrations and fills what a migration left to the service (answers how many
/// migrations it applied).
pub fn migrate(cfg: &Config, conn: &mut store::Db) -> anyhow::Result<usize> {
    let applied = store::migrate(conn)?;
    if applied > 0 {
        tracing::info!(migrations = applied, "applied database migrations");
    }
    let ctx = Ctx {
        actor: Actor::System,
        now: service::micros(jiff::Timestamp::now()),
        request_id: None,
        client_request_id: None,
        sla: cfg.sla.clone(),
    };
    if service::audit::introduce_key(conn, &ctx)
        .map_err(|e| anyhow::anyhow!("cannot record the audit key's introduction: {e:?}"))?
    {
        tracing::info!(key_id = %cfg.settings.audit.key_id, "audit key introduced: events from now on are keyed");
    }
    let filled = service::reports::fill_counted_times(conn, &cfg.sla)
        .map_err(|e| anyhow::anyhow!("cannot record the counted time of stopped clocks: {e:?}"))?;
    if filled > 0 {
        tracing::info!(
            clocks = filled,
            "recorded the counted time of stopped clocks"
        );
    }
    Ok(applied)
}

/// Opens the pool and applies pending migrations.
pub fn open_database(cfg: &Config) -> anyhow::Result<store::Pool> {
    let url = &cfg.settings.database.url.0;
    let mut conn = store::connect(url)
        .with_context(|| format!("database {}", cfg.settings.database.url.masked()))?;
    migrate(cfg, &mut conn)?;
    Ok(store::pool(
        url,
        cfg.settings.database.pool_size,
        cfg.connect_timeout,
    ))
}

/// Seeds the demo data on a new database when `[demo] seed` is on; answers whether it did.
pub fn seed_demo(cfg: &Config, pool: &store::Pool, clock: &dyn Clock) -> anyhow::Result<bool> {
    if !cfg.settings.demo.seed {
        return Ok(false);
    }
    let mut conn = pool
        .get()
        .context("no database connection for the demo data")?;
    let ctx = Ctx {
        actor: Actor::System,
        now: service::micros(clock.now()),
        request_id: None,
        client_request_id: None,
        sla: cfg.sla.clone(),
    };
    let seeded = service::demo::seed_if_empty(&mut conn, &ctx)
        .map_err(|e| anyhow::anyhow!("cannot seed the demo data: {e:?}"))?;
    if seeded {
        let n = service::demo::seed_issues(&mut conn, &ctx)
            .map_err(|e| anyhow::anyhow!("cannot seed the demo issues: {e:?}"))?;
        tracing::info!(issues = n, "seeded demo issues");
    }
    if seeded {
        tracing::warn!(
            password = service::demo::DEMO_PASSWORD,
            users = "admin@demo.tanggap.id, trc@demo.tanggap.id, pic.dinkes@demo.tanggap.id, pic.dpupr@demo.tanggap.id, pic.sebuku@demo.tanggap.id, leader@demo.tanggap.id",
            "seeded DEMO data with a published password: never use this database in production"
        );
    }
    Ok(seeded)
}

/// Warns of every holiday list that runs out within `time.holiday_warning_days`: the service
/// starts (later holidays would count as working days), and the log says what to do.
fn warn_of_holidays(cfg: &Config, clock: &dyn Clock) {
    let today = clock.now().to_zoned(cfg.zone.clone()).date();
    for w in cfg.holiday_warnings(today) {
        tracing::warn!(
            list = %w.list,
            covers_until = %w.covers_until,
            days_left = w.days_left,
            source = %w.source,
            "a holiday list runs out soon: add the next decree to it and restart"
        );
    }
}

/// Everything `serve` starts, ready to run.
pub struct Application {
    pub port: u16,
    pub state: AppState,
    pub server: actix_web::dev::Server,
}

impl Application {
    /// Migrates, seeds, binds `server.bind` (or the given listener) and builds the server.
    pub fn build(
        cfg: Config,
        clock: Arc<dyn Clock>,
        listener: Option<TcpListener>,
    ) -> anyhow::Result<Self> {
        warn_of_holidays(&cfg, clock.as_ref());
        let pool = open_database(&cfg)?;
        seed_demo(&cfg, &pool, clock.as_ref())?;
        let listener = match listener {
            Some(l) => l,
            None => TcpListener::bind(cfg.bind)
                .with_context(|| format!("cannot listen on {}", cfg.bind))?,
        };
        let connections = cfg.settings.database.pool_size as usize;
        let worker_reads = cfg.read_on_worker.map(|limit| {
            Arc::new(crate::runtime::WorkerReads::new(store::worker_pool(
                &cfg.settings.database.url.0,
                u32::try_from(cfg.workers).unwrap_or(u32::MAX),
                limit,
            )))
        });
        let state = AppState {
            worker_reads,
            cfg: Arc::new(cfg),
            pool,
            clock,
            metrics: Arc::default(),
            wake: Arc::default(),
            db_turns: Arc::new(tokio::sync::Semaphore::new(connections)),
            hashing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            )),
            shapes: Arc::default(),
        };
        let http::Server { port, server } = http::build(state.clone(), listener)?;
        Ok(Application {
            port,
            state,
            server,
        })
    }
}

impl Application {
    /// Runs the server and the background workers until the server stops (SIGTERM, SIGINT or
    /// a stop through its handle); then stops the workers.
    pub async fn run(self) -> std::io::Result<()> {
        let workers = crate::jobs::spawn(self.state.clone());
        let result = self.server.await;
        workers.stop().await;
        result
    }
}
