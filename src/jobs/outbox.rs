//! The outbox worker: claims due messages under a lease (so two instances never send the same
//! row at once), delivers them with a stable `Message-ID`, and records each outcome as it
//! comes: sent, or a retry with exponential backoff and jitter, or `dead` after
//! `mail.give_up_after`.
//!
//! Exactly once in effect, whatever the relay's speed: a claim takes no more messages than the
//! lease can cover (rounds of [`PARALLEL`] deliveries, each bounded by `mail.smtp.timeout`); a
//! message is handed to the relay only while there is still time to deliver it and record the
//! outcome before its lease runs out — one not started in time goes back to the queue
//! unsent; and outcomes are recorded while the batch is still being delivered. Configuration
//! refuses a lease shorter than twice the delivery timeout. What remains: a crash (or a
//! database outage longer than the lease) between the relay's acceptance and the recording,
//! and a relay that accepts after our timeout, re-send the message — with the same
//! `Message-ID`, so that receivers can drop the copy (docs/SECURITY.md).

use crate::http::AppState;
use crate::mail::transport::Outgoing;
use crate::mail::Transport;
use crate::service::notifications::{self, Outcome};
use crate::service::{self, Actor, Ctx};
use crate::store::outbox::OutboxRow;
use std::sync::Arc;
use std::time::Duration;

const SWEEP: Duration = Duration::from_secs(30);
/// Messages in flight at once (and SMTP connections kept open).
pub const PARALLEL: usize = 32;
/// Outcomes recorded in one transaction at most.
const RECORD_BATCH: usize = 256;

/// How much a worker may take on under one lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Messages per claim: as many rounds of `parallel` deliveries as fit in the lease, one
    /// delivery timeout kept back for recording the outcomes.
    pub batch: i64,
    /// How long before its lease runs out a message may still be handed to the relay (µs):
    /// its delivery (at most one timeout) and the recording (one more) must fit.
    pub last_start_before_lease_end_us: i64,
}

impl Plan {
    /// Half a delivery timeout is kept for recording the outcomes; the configuration's rule
    /// (a lease of at least two timeouts) leaves the first round another half to start in.
    pub fn new(lease: Duration, send_timeout: Duration, parallel: usize) -> Plan {
        let timeout_us = i64::try_from(send_timeout.as_micros())
            .unwrap_or(i64::MAX)
            .max(2);
        let lease_us = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
        let last_start_before_lease_end_us = timeout_us.saturating_add(timeout_us / 2);
        // Round k (from 0) starts k timeouts after the claim at the latest.
        let rounds = ((lease_us - last_start_before_lease_end_us) / timeout_us).max(0) + 1;
        Plan {
            batch: rounds.saturating_mul(i64::try_from(parallel).unwrap_or(1)),
            last_start_before_lease_end_us,
        }
    }
}

pub async fn run(state: AppState) {
    let transport = match Transport::from_config(&state.cfg) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "no mail transport: emails stay queued"
            );
            return;
        }
    };
    let times = state.cfg.mail;
    let plan = Plan::new(times.lease, times.send_timeout, PARALLEL);
    let lease_us = i64::try_from(times.lease.as_micros()).unwrap_or(i64::MAX);
    let from = state.cfg.settings.mail.from.clone();
    let wake = state.wake.clone();
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let (outcomes, received) = tokio::sync::mpsc::unbounded_channel();
    let recorder = tokio::spawn(record(state.clone(), received));
    while !wake.stopping() {
        let now = service::micros(state.clock.now());
        let claimed = state
            .db(move |c| notifications::claim(c, now, lease_us, plan.batch))
            .await;
        let rows = match claimed {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "the outbox worker could not claim messages; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if rows.is_empty() {
            let next = state
                .db(crate::service::notifications::next_due)
                .await
                .ok()
                .flatten();
            let sleep = next.map_or(SWEEP, |t| {
                Duration::from_micros(u64::try_from((t - now).max(0)).unwrap_or(0)).min(SWEEP)
            });
            if !sleep.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(sleep) => {}
                    () = wake.outbox.notified() => {}
                }
            }
            continue;
        }
        let mut tasks = Vec::with_capacity(rows.len());
        for row in rows {
            let (transport, from, limit) = (transport.clone(), from.clone(), limit.clone());
            let (outcomes, clock) = (outcomes.clone(), state.clock.clone());
            let start_by = row.lease_until.unwrap_or(0) - plan.last_start_before_lease_end_us;
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire().await;
                let outcome = if service::micros(clock.now()) > start_by {
                    // Too late to deliver and record within the lease: back to the queue.
                    Outcome::NotStarted
                } else {
                    deliver(&transport, &from, &row, times.send_timeout, &*clock).await
                };
                let _ = outcomes.send((row, outcome));
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }
    drop(outcomes);
    let _ = recorder.await;
}

/// Records outcomes as they arrive, whatever is waiting in one transaction. Should the
/// database refuse, tries again while the messages' leases last (after that they are another
/// worker's to send again, the window docs/SECURITY.md names).
async fn record(
    state: AppState,
    mut received: tokio::sync::mpsc::UnboundedReceiver<(OutboxRow, Outcome)>,
) {
    let retry_base = i64::try_from(state.cfg.mail.retry_base.as_secs()).unwrap_or(30);
    let give_up_us = i64::try_from(state.cfg.mail.give_up_after.as_micros()).unwrap_or(i64::MAX);
    let mut buf = Vec::with_capacity(RECORD_BATCH);
    while received.recv_many(&mut buf, RECORD_BATCH).await > 0 {
        let done = Arc::new(std::mem::take(&mut buf));
        let lease_end = done
            .iter()
            .filter_map(|(r, _)| r.lease_until)
            .min()
            .unwrap_or(0);
        loop {
            let ctx = Ctx {
                actor: Actor::System,
                now: service::micros(state.clock.now()),
                request_id: None,
                sla: state.cfg.sla.clone(),
            };
            let now = ctx.now;
            let batch = done.clone();
            let recorded = state
                .db(move |c| notifications::record_all(c, &ctx, &batch, retry_base, give_up_us))
                .await;
            match recorded {
                Ok(()) => break,
                Err(e) if now < lease_end => {
                    tracing::warn!(messages = done.len(), error = %e, "could not record delivery outcomes; trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => {
                    tracing::error!(messages = done.len(), error = %e, "could not record delivery outcomes before their leases ran out: they will be sent again");
                    break;
                }
            }
        }
    }
}

async fn deliver(
    transport: &Transport,
    from: &str,
    row: &OutboxRow,
    timeout: Duration,
    clock: &dyn crate::service::Clock,
) -> Outcome {
    let mail = Outgoing {
        from: from.to_owned(),
        to: row.recipient.clone(),
        subject: row.subject.clone(),
        text: row.body_text.clone(),
        html: row.body_html.clone(),
        message_id: row.message_id.clone(),
    };
    let sent = tokio::time::timeout(timeout, transport.send(&mail))
        .await
        .unwrap_or_else(|_| {
            Err(crate::mail::transport::SendError {
                permanent: false,
                message: format!("no answer within {timeout:?} (mail.smtp.timeout)"),
            })
        });
    match sent {
        Ok(()) => Outcome::Sent {
            at: service::micros(clock.now()),
        },
        Err(e) => {
            tracing::warn!(notification.id = row.id, permanent = e.permanent, error = %e.message, "delivery failed");
            Outcome::Failed {
                error: e.message,
                permanent: e.permanent,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Plan;
    use std::time::Duration;

    #[test]
    fn a_claim_fits_in_its_lease() {
        let s = Duration::from_secs;
        // The shipped defaults: 2 min lease, 30 s timeout → three rounds of 32.
        assert_eq!(
            Plan::new(s(120), s(30), 32),
            Plan {
                batch: 96,
                last_start_before_lease_end_us: 45_000_000
            }
        );
        // A lease of twice the timeout: one round, with half a timeout to start in.
        assert_eq!(
            Plan::new(s(10), s(5), 32),
            Plan {
                batch: 32,
                last_start_before_lease_end_us: 7_500_000
            }
        );
        // Every message of a claim can start, be delivered and be recorded within the lease:
        // round k starts at k·timeout at the latest.
        for (lease, timeout) in [(120, 30), (10, 5), (7, 3), (3600, 7), (61, 30), (6, 3)] {
            let p = Plan::new(s(lease), s(timeout), 32);
            let rounds = p.batch / 32;
            let last_start = (rounds - 1) * i64::try_from(timeout).unwrap() * 1_000_000;
            assert!(
                last_start
                    <= i64::try_from(lease).unwrap() * 1_000_000 - p.last_start_before_lease_end_us,
                "{lease}/{timeout}: {p:?}"
            );
        }
    }
}
