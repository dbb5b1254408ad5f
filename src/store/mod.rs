//! The storage layer: the only module that holds SQL. One connection type over SQLite and
//! PostgreSQL (chosen from the URL scheme, never by trial), a pool, embedded migrations per
//! backend, and transactions. Every function takes the caller's connection so that a service
//! composes several of them in one transaction.

pub mod audit;
pub mod calendars;
pub mod clarifications;
pub mod clocks;
mod error;
pub mod evidence;
pub mod filing;
pub mod fixed;
pub mod issues;
pub mod limit;
pub mod login;
pub mod outbox;
pub mod partners;
mod pool;
pub mod report_days;
pub mod reports;
pub mod rules;
pub mod schema;
pub mod sessions;
pub mod units;
pub mod users;
pub mod with_user;

pub use pool::{
    pool, with_tcp_bounds, worker_pool, worker_tcp_bound, Manager, Pool, Pooled, CHECK_AFTER_IDLE,
    WORKER_READ_NAME,
};

use crate::config::Backend;
use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::Path;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs `$body` with `$c` bound to the backend's own connection, for the statements of the hot
/// read paths (a queue page, its clocks and duplicates, the caller). A statement run through
/// [`Db`] itself goes through diesel's multi-backend wrapper, which writes out the whole SQL
/// text again on every execution even when the statement is already prepared — a tenth of
/// the service's CPU on a queue page (docs/BENCHMARKS.md); run here, a statement with a fixed
/// text is looked up in the connection's cache by its type alone.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::Db::Pg($c) => $body,
            $crate::store::Db::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum Db {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Db::Pg(_) => Backend::Postgres,
            Db::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// The file path of a `sqlite://` URL: `sqlite://data/x.db` is relative, `sqlite:///abs` absolute.
pub fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://").filter(|p| !p.is_empty())
}

/// Opens one connection of the backend the URL names, with the per-connection settings.
pub fn connect(url: &str) -> anyhow::Result<Db> {
    if let Some(path) = sqlite_path(url) {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
        }
        let mut conn = SqliteConnection::establish(path)
            .with_context(|| format!("cannot open the SQLite database {path}"))?;
        // WAL lets readers work beside the one writer; synchronous=FULL makes every
        // acknowledged commit survive a power loss, not only a crash of the process.
        conn.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .context("cannot configure the SQLite connection")?;
        Ok(Db::Sqlite(conn))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut conn = PgConnection::establish(url).context("cannot connect to PostgreSQL")?;
        conn.batch_execute("SET TIME ZONE 'UTC'")
            .context("cannot configure the PostgreSQL connection")?;
        Ok(Db::Pg(conn))
    } else {
        anyhow::bail!("the database URL must start with sqlite:// or postgres://")
    }
}

/// Applies every pending migration; answers how many ran.
pub fn migrate(conn: &mut Db) -> anyhow::Result<usize> {
    let applied = match conn {
        Db::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        Db::Pg(c) => {
            // Nothing to do: the service's role may be one that cannot create tables (it does
            // not own them, so that it cannot disable the audit triggers: deploy/README.md),
            // and diesel's harness starts with a CREATE TABLE IF NOT EXISTS such a role is
            // refused.
            if !pg_pending(c)? {
                return Ok(0);
            }
            // Several instances may start at once: one migrates, the others wait for it.
            c.batch_execute("SELECT pg_advisory_lock(7340001)")?;
            let r = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            c.batch_execute("SELECT pg_advisory_unlock(7340001)")?;
            r
        }
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied)
}

/// Whether migrations are still pending (for `/readyz`).
pub fn has_pending_migrations(conn: &mut Db) -> anyhow::Result<bool> {
    match conn {
        Db::Sqlite(c) => c
            .has_pending_migration(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("cannot read the migration state: {e}")),
        Db::Pg(c) => pg_pending(c),
    }
}

/// Whether PostgreSQL lacks a migration this binary holds, read with a plain SELECT (which a
/// role that does not own the tables may run).
fn pg_pending(c: &mut PgConnection) -> anyhow::Result<bool> {
    use diesel::migration::MigrationSource;
    #[derive(diesel::QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let present: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "to_regclass('__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result(c)
    .context("cannot read the migration state")?;
    if !present {
        return Ok(true);
    }
    let applied: std::collections::HashSet<String> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<Applied>(c)
            .context("cannot read the applied migrations")?
            .into_iter()
            .map(|a| a.version)
            .collect();
    let ours = MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("cannot read the embedded migrations: {e}"))?;
    Ok(ours
        .iter()
        .any(|m| !applied.contains(&m.name().version().to_string())))
}

/// Reverts the latest migration applied (tests of an upgrade over existing data).
pub fn revert_last(conn: &mut Db) -> anyhow::Result<()> {
    match conn {
        Db::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS).map(drop),
        Db::Pg(c) => c.revert_last_migration(POSTGRES_MIGRATIONS).map(drop),
    }
    .map_err(|e| anyhow::anyhow!("revert failed: {e}"))
}

/// Reverts every migration (tests of the down migrations).
pub fn revert_all(conn: &mut Db) -> anyhow::Result<()> {
    match conn {
        Db::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(drop),
        Db::Pg(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(drop),
    }
    .map_err(|e| anyhow::anyhow!("revert failed: {e}"))
}

/// The writers of this process on SQLite, one at a time. SQLite has one write lock, and its
/// busy handler makes a writer that finds it taken sleep and try again, up to 100 ms a try, so
/// in a burst of writers some waited far longer than the work queued before them (filing at 16
/// clients: p50 2–3 ms, p99 430–530 ms). Queued here, each is woken as soon as the one before it is
/// done. (A SQLite database has one Tanggap instance; other processes — a CLI command while
/// the service runs — still meet the busy handler.)
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite, so the write lock is taken up
/// front (after this process's earlier writers, [`SQLITE_WRITER`]) and waits for
/// `busy_timeout` instead of failing half-way; a plain `BEGIN` on PostgreSQL. Commits on `Ok`,
/// rolls back on `Err`.
pub fn write_tx<T, E>(conn: &mut Db, f: impl FnOnce(&mut Db) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    begin_write(conn, None, f)
}

/// A write transaction that reads one snapshot throughout (PostgreSQL `REPEATABLE READ`; SQLite's
/// transactions always do): what was committed after its first read stays unseen, so that a job
/// can tell what it took in from what it did not.
pub fn snapshot_write_tx<T, E>(
    conn: &mut Db,
    f: impl FnOnce(&mut Db) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    begin_write(conn, Some("BEGIN ISOLATION LEVEL REPEATABLE READ"), f)
}

fn begin_write<T, E>(
    conn: &mut Db,
    pg_begin: Option<&str>,
    f: impl FnOnce(&mut Db) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    // The lock guards no data, only the turn: one left poisoned by a writer that panicked is
    // taken as it is.
    let _writer = matches!(conn, Db::Sqlite(_)).then(|| {
        SQLITE_WRITER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    });
    match conn {
        Db::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        Db::Pg(c) => match pg_begin {
            Some(sql) => AnsiTransactionManager::begin_transaction_sql(c, sql)?,
            None => AnsiTransactionManager::begin_transaction(c)?,
        },
    }
    match f(conn) {
        Ok(value) => {
            if let Err(e) = <Db as TransactionManager<Db>>::commit_transaction(conn) {
                let _ = <Db as TransactionManager<Db>>::rollback_transaction(conn);
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            // The error that made us roll back is the one worth reporting.
            let _ = <Db as TransactionManager<Db>>::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Runs `f` on one consistent snapshot of the database (for verification and reports while
/// others write): `REPEATABLE READ READ ONLY` on PostgreSQL; on SQLite (WAL) a read
/// transaction keeps the snapshot of its first read. Always rolled back.
pub fn snapshot_tx<T, E>(conn: &mut Db, f: impl FnOnce(&mut Db) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        Db::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?,
        Db::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
    }
    let r = f(conn);
    let _ = <Db as TransactionManager<Db>>::rollback_transaction(conn);
    r
}

/// Channels other instances listen on (PostgreSQL `LISTEN`).
pub const TIMERS_CHANNEL: &str = "tanggap_timers";
pub const OUTBOX_CHANNEL: &str = "tanggap_outbox";

/// Tells every instance's timer, when the transaction commits, that a due instant was armed at
/// `earliest` (µs). PostgreSQL only, as [`notify`], which tells them without an instant.
pub fn notify_timers(conn: &mut Db, earliest: i64) -> diesel::QueryResult<()> {
    match conn {
        Db::Pg(pg) => pg.batch_execute(&format!("NOTIFY {TIMERS_CHANNEL}, '{earliest}'")),
        Db::Sqlite(_) => Ok(()),
    }
}

/// Tells every instance, when the transaction commits, that `channel` has news. PostgreSQL
/// only; with SQLite there is one instance, woken in process.
pub fn notify(conn: &mut Db, channel: &str) -> diesel::QueryResult<()> {
    match conn {
        Db::Pg(pg) => pg.batch_execute(&format!("NOTIFY {channel}")),
        Db::Sqlite(_) => Ok(()),
    }
}
