//! Prometheus metrics: request counts and latency histograms by route and status, pool usage,
//! tasks waiting for their turn at the database.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
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
        gauge(
            &mut out,
            "tanggap_db_pool_connections",
            "Database connections open in the pool.",
            pool.connections,
        );
        gauge(
            &mut out,
            "tanggap_db_pool_idle_connections",
            "Idle database connections in the pool.",
            pool.idle_connections,
        );
        gauge(
            &mut out,
            "tanggap_db_waiting_tasks",
            "Requests and jobs waiting for their turn at the database (one turn per pooled connection).",
            self.waiting.load(std::sync::atomic::Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP tanggap_logins_throttled_total Login attempts refused by the throttle (only the first per account or network and window is audited)."
        );
        let _ = writeln!(out, "# TYPE tanggap_logins_throttled_total counter");
        let _ = writeln!(
            out,
            "tanggap_logins_throttled_total {}",
            crate::service::auth::THROTTLED.load(std::sync::atomic::Ordering::Relaxed)
        );
        out
    }
}

/// One gauge with its help and type lines.
fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    let _ = writeln!(out, "{name} {value}");
}

/// The method as a label: the standard ones by name, any other (a client may send any token
/// as a method) as `other`, so that clients cannot grow the series without limit.
fn method_label(m: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = method_label(req.method()).to_owned();
    let state = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .cloned();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(state) = state {
        state.metrics.observe(
            &method,
            &route,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

/// Gauges of the work itself: what to alert on (dead messages, a growing backlog, a timer that
/// falls behind, breaches).
#[allow(
    clippy::cast_precision_loss,
    reason = "ages in microseconds stay far below 2^52 (142 years), where f64 is exact"
)]
pub fn render_work(
    now: i64,
    outbox: &[(String, i64)],
    oldest_waiting: Option<i64>,
    breached: i64,
    timer_overdue: Option<i64>,
) -> String {
    let mut out = String::new();
    let age = |t: Option<i64>| t.map_or(0.0, |t| ((now - t).max(0)) as f64 / 1e6);
    let _ = writeln!(
        out,
        "# HELP tanggap_outbox_messages Emails in the outbox by state (alert on dead > 0)."
    );
    let _ = writeln!(out, "# TYPE tanggap_outbox_messages gauge");
    for state in ["pending", "sending", "sent", "dead"] {
        let n = outbox
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "tanggap_outbox_messages{{state=\"{state}\"}} {n}");
    }
    gauge(
        &mut out,
        "tanggap_outbox_oldest_waiting_seconds",
        "Age of the oldest email not yet handed over (0 when none).",
        age(oldest_waiting),
    );
    gauge(
        &mut out,
        "tanggap_clocks_breached",
        "Running SLA clocks past their due instant.",
        breached,
    );
    gauge(
        &mut out,
        "tanggap_timer_lag_seconds",
        "How long the oldest due escalation step or breach has waited for the timer (0 when up to date; alert above a few seconds).",
        age(timer_overdue),
    );
    out
}
