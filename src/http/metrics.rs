//! Prometheus metrics over HTTP: the middleware that records each request (route pattern and
//! a bounded method label) into [`Metrics`], and the gauges of the work itself.

use crate::runtime::metrics::gauge;
pub use crate::runtime::metrics::Metrics;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::fmt::Write;

/// How far ahead each holiday list a calendar names reaches, in days from `today` (the
/// deployment's local date): an alert on it gives the operator time to add the next decree.
pub fn render_holidays(sla: &crate::domain::sla::SlaConfig, today: jiff::civil::Date) -> String {
    let mut out = String::from(
        "# HELP tanggap_holiday_list_days_remaining Days from today until the last date a calendar's holiday list covers (negative once passed).\n\
         # TYPE tanggap_holiday_list_days_remaining gauge\n",
    );
    let used: std::collections::BTreeSet<&String> = sla.calendar_lists.values().flatten().collect();
    for name in used {
        if let Some(days) = sla
            .holiday_lists
            .get(name)
            .and_then(|l| l.days_remaining(today))
        {
            let _ = writeln!(
                out,
                "tanggap_holiday_list_days_remaining{{list=\"{name}\"}} {days}"
            );
        }
    }
    out
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
