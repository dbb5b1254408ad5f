//! The process's metrics: request counts and latency histograms by route and status, pool
//! usage, tasks waiting for their turn at the database. Kept here, beside the database turns
//! that count their waiters; `http::metrics` records requests into it and serves it.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request metrics, keyed by (method, route pattern, status).
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
    waiting: std::sync::atomic::AtomicI64,
    /// Triage pages read on an HTTP worker's own connection (`AppState::db_read`).
    pub worker_reads: std::sync::atomic::AtomicU64,
    /// Of those, cut off or failed and read again the usual way.
    pub worker_reads_redone: std::sync::atomic::AtomicU64,
}

/// One task waiting for its turn at the database, counted until dropped.
pub struct Waiting<'a>(&'a std::sync::atomic::AtomicI64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts a task waiting for its turn at the database while the guard lives.
    pub fn waiting_for_turn(&self) -> Waiting<'_> {
        self.waiting
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Waiting(&self.waiting)
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut map) = self.series.lock() else {
            return;
        };
        let s = map
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                if let Some(b) = s.buckets.get_mut(i) {
                    *b += 1;
                }
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, pool: &diesel::r2d2::State) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP tanggap_http_requests_total HTTP requests answered."
        );
        let _ = writeln!(out, "# TYPE tanggap_http_requests_total counter");
        let map = match self.series.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        for ((m, r, st), s) in map.iter() {
            let _ = writeln!(
                out,
                "tanggap_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP tanggap_http_request_duration_seconds Time to answer HTTP requests."
        );
        let _ = writeln!(
            out,
            "# TYPE tanggap_http_request_duration_seconds histogram"
        );
        for ((m, r, st), s) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{r}\",status=\"{st}\"");
            for (le, n) in BUCKETS.iter().zip(s.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "tanggap_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "tanggap_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "tanggap_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "tanggap_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        self.render_database(&mut out, pool);
        counter(
            &mut out,
            "tanggap_logins_throttled_total",
            "Login attempts refused by the throttle (only the first per account or network and window is audited).",
            crate::service::auth::THROTTLED.load(std::sync::atomic::Ordering::Relaxed),
        );
        out
    }

    /// The pool's, the turns' and the worker reads' figures.
    fn render_database(&self, out: &mut String, pool: &diesel::r2d2::State) {
        gauge(
            out,
            "tanggap_db_pool_connections",
            "Database connections open in the pool.",
            pool.connections,
        );
        gauge(
            out,
            "tanggap_db_pool_idle_connections",
            "Idle database connections in the pool.",
            pool.idle_connections,
        );
        gauge(
            out,
            "tanggap_db_waiting_tasks",
            "Requests and jobs waiting for their turn at the database (one turn per pooled connection).",
            self.waiting.load(std::sync::atomic::Ordering::Relaxed),
        );
        counter(
            out,
            "tanggap_db_worker_reads_total",
            "Triage pages read on the HTTP worker's own connection (database.read_on_worker_ms).",
            self.worker_reads.load(std::sync::atomic::Ordering::Relaxed),
        );
        counter(
            out,
            "tanggap_db_worker_reads_redone_total",
            "Worker reads cut off (or failed) and read again the usual way; each pauses worker reads for five seconds.",
            self.worker_reads_redone
                .load(std::sync::atomic::Ordering::Relaxed),
        );
    }
}

/// One counter with its help and type lines.
fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    metric(out, "counter", name, help, value);
}

/// One gauge with its help and type lines.
pub(crate) fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    metric(out, "gauge", name, help, value);
}

/// One metric of `kind` without labels, with its help and type lines.
fn metric(out: &mut String, kind: &str, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    let _ = writeln!(out, "{name} {value}");
}
