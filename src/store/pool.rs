//! The connection pools: the one every database task takes its turn at, and the few
//! connections the HTTP workers read the triage page on themselves, with their bounds.

use super::{connect, Db};
use anyhow::Context;
use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection};
use std::time::{Duration, Instant};

/// A pooled connection, with when it last went back to the pool and whether its last use
/// failed because the database was gone.
pub struct Pooled {
    db: Db,
    returned: Instant,
    lost: bool,
}

impl Pooled {
    /// The database went away during this connection's use: the pool drops it on return.
    pub fn mark_lost(&mut self) {
        self.lost = true;
    }
}

impl std::ops::Deref for Pooled {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Db {
        &mut self.db
    }
}

/// A connection back from use within this long is handed out again without a `SELECT 1`
/// (a round trip per request otherwise); one idle longer is checked first, which catches a
/// database restarted, or a connection dropped by a firewall, while the service was quiet.
/// Under load, a connection that meets a restarted database fails one request (503), is marked
/// lost and dropped.
pub const CHECK_AFTER_IDLE: Duration = Duration::from_secs(2);

/// The pool's connection manager: connects by URL scheme, never falling back to another backend.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    /// Run on every new connection after the per-connection settings (the worker reads'
    /// statement limit and name).
    setup: Option<String>,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let bad = |e: anyhow::Error| {
            r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(format!("{e:#}")))
        };
        let mut db = connect(&self.url).map_err(bad)?;
        if let Some(setup) = &self.setup {
            db.batch_execute(setup)
                .context("cannot configure the worker-read connection")
                .map_err(bad)?;
        }
        Ok(Pooled {
            db,
            returned: Instant::now(),
            lost: false,
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), r2d2::Error> {
        if conn.returned.elapsed() < CHECK_AFTER_IDLE {
            return Ok(());
        }
        conn.db
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.returned = Instant::now();
        conn.lost || <Db as TransactionManager<Db>>::is_broken_transaction_manager(&mut conn.db)
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// Builds the pool. It starts without connecting, so the service can come up (and say so on
/// `/readyz`) while the database is briefly away.
pub fn pool(url: &str, size: u32, timeout: Duration) -> Pool {
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .build_unchecked(Manager {
            url: url.to_owned(),
            setup: None,
        })
}

/// The name the worker-read connections give PostgreSQL (`pg_stat_activity`).
pub const WORKER_READ_NAME: &str = "tanggap worker read";

/// The PostgreSQL connections HTTP workers read the triage page on without handing the work to
/// another thread (`AppState::db_read`): `size` of them, kept open in the background (a
/// worker only ever takes one that is idle, never waits for one), each statement cut off by
/// the server after `limit`, and a database gone silent noticed by TCP within about
/// [`worker_tcp_bound`] of `limit` (keepalives and `tcp_user_timeout`), so that a worker is never
/// held much longer than `limit`.
pub fn worker_pool(url: &str, size: u32, limit: Duration) -> Pool {
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(size))
        // Only the pace of reconnecting in the background (half of it between attempts): a
        // worker never waits for one of these connections.
        .connection_timeout(Duration::from_secs(10))
        .error_handler(Box::new(WorkerConnectError))
        .test_on_check_out(true)
        .build_unchecked(Manager {
            url: with_tcp_bounds(url, worker_tcp_bound(limit)),
            setup: Some(format!(
                "SET statement_timeout = {}; SET application_name = '{WORKER_READ_NAME}'",
                limit.as_millis()
            )),
        })
}

/// Says why a worker-read connection could not be opened (pages are then read the usual way).
#[derive(Debug)]
struct WorkerConnectError;

impl r2d2::HandleError<r2d2::Error> for WorkerConnectError {
    fn handle_error(&self, error: r2d2::Error) {
        tracing::warn!(%error, "cannot open a worker-read connection (the triage page is read the usual way meanwhile; is max_connections enough for pool_size and the workers?)");
    }
}

/// How long TCP may take to notice a database gone silent under a worker read: keepalives
/// probe a quiet connection after this, and data unacknowledged this long fails it.
pub fn worker_tcp_bound(limit: Duration) -> Duration {
    (limit * 4).max(Duration::from_secs(2))
}

/// `url` with libpq's TCP keepalive and `tcp_user_timeout` parameters bounding a silent
/// peer to about `bound`, each added only where the URL does not set it already.
pub fn with_tcp_bounds(url: &str, bound: Duration) -> String {
    let secs = bound.as_secs().max(1);
    let wanted = [
        ("keepalives", "1".to_owned()),
        ("keepalives_idle", secs.div_ceil(2).to_string()),
        ("keepalives_interval", "1".to_owned()),
        ("keepalives_count", secs.div_ceil(2).to_string()),
        ("tcp_user_timeout", bound.as_millis().to_string()),
    ];
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let present: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .collect();
    let mut out = base.to_owned();
    let mut sep = '?';
    for part in query.split('&').filter(|p| !p.is_empty()) {
        out.push(sep);
        out.push_str(part);
        sep = '&';
    }
    for (key, value) in wanted {
        if !present.contains(&key) {
            out.push(sep);
            out.push_str(key);
            out.push('=');
            out.push_str(&value);
            sep = '&';
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_urls_bound_a_silent_peer_and_keep_what_the_url_sets() {
        let two = Duration::from_secs(2);
        assert_eq!(
            with_tcp_bounds("postgres://u:p@db/tanggap", two),
            "postgres://u:p@db/tanggap?keepalives=1&keepalives_idle=1&keepalives_interval=1\
             &keepalives_count=1&tcp_user_timeout=2000"
        );
        // The operator's own choices stand, and the rest of their query is kept.
        assert_eq!(
            with_tcp_bounds(
                "postgres://db/t?sslmode=require&keepalives_idle=30",
                Duration::from_secs(4)
            ),
            "postgres://db/t?sslmode=require&keepalives_idle=30&keepalives=1\
             &keepalives_interval=1&keepalives_count=2&tcp_user_timeout=4000"
        );
        assert_eq!(worker_tcp_bound(Duration::from_millis(250)), two);
        assert_eq!(
            worker_tcp_bound(Duration::from_secs(1)),
            Duration::from_secs(4)
        );
    }
}
