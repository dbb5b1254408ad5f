//! The outbox worker: claims due messages under a lease (so two instances never send the same
//! row at once), delivers them with a stable `Message-ID`, and records each outcome as it
//! comes: sent, or a retry with exponential backoff and jitter, or `dead` after
//! `mail.give_up_after`.
//!
//! Exactly once in effect, whatever the relay's speed: a claim takes no more messages than the
//! lease can cover (rounds of [`PARALLEL`] deliveries, each bounded by `mail.smtp.timeout` —
//! or, once the relay has shown its pace, by twice its slowest delivery of the last claim); a
//! message is handed to the relay only while there is still time to deliver it and record the
//! outcome before its lease runs out — one not started in time goes back to the queue
//! unsent; and outcomes are recorded while the batch is still being delivered. Configuration
//! refuses a lease shorter than twice the delivery timeout. What remains: a crash (or a
//! database outage longer than the lease) between the relay's acceptance and the recording,
//! and a relay that accepts after our timeout, re-send the message — with the same
//! `Message-ID`, so that receivers can drop the copy (docs/SECURITY.md).

use crate::mail::transport::Outgoing;
use crate::mail::Transport;
use crate::runtime::AppState;
use crate::service;
use crate::service::notifications::{self, Outcome};
use crate::store::outbox::OutboxRow;
use std::sync::Arc;
use std::time::Duration;

const SWEEP: Duration = Duration::from_secs(30);
/// Messages in flight at once: as many as the mail transport keeps connections open.
pub use crate::mail::PARALLEL;
/// Outcomes recorded in one transaction at most.
const RECORD_BATCH: usize = 256;
/// Messages per claim at most, however fast the relay.
const MAX_BATCH: i64 = 256;

/// How much a worker may take on under one lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Messages per claim: as many rounds of `parallel` deliveries as fit in the lease, one
    /// delivery timeout kept back for recording the outcomes.
    pub batch: i64,
    /// How long before its lease runs out a message may still be handed to the relay (µs):
    /// its delivery (at most one timeout) and the recording (one more) must fit.
    pub last_start_before_lease_end_us: i64,
    /// The span of a lease in which deliveries may start (µs).
    pub start_window_us: i64,
    /// Deliveries in flight at once.
    pub parallel: i64,
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
        let start_window_us = (lease_us - last_start_before_lease_end_us).max(0);
        let mut plan = Plan {
            batch: 0,
            last_start_before_lease_end_us,
            start_window_us,
            parallel: i64::try_from(parallel).unwrap_or(1),
        };
        plan.batch = plan.rounds_at(timeout_us);
        plan
    }

    /// Messages in as many rounds as start within the window when each takes `pace_us`, at
    /// most [`MAX_BATCH`] (one round at least).
    fn rounds_at(&self, pace_us: i64) -> i64 {
        let rounds = self.start_window_us / pace_us + 1;
        rounds
            .saturating_mul(self.parallel)
            .min(MAX_BATCH.max(self.parallel))
    }

    /// The next claim's size, given the slowest delivery of the last one: as many rounds at
    /// twice that pace as fit the lease's start window (a relay answering in milliseconds
    /// gets full claims), never fewer than the timeout's rounds and never more than
    /// [`MAX_BATCH`]. A wrong guess costs only time: a message that cannot start in time still
    /// goes back unsent.
    pub fn batch_after(&self, slowest: Option<Duration>) -> i64 {
        let Some(slowest) = slowest else {
            return self.batch;
        };
        let pace_us = i64::try_from(slowest.as_micros())
            .unwrap_or(i64::MAX)
            .saturating_mul(2)
            .max(1_000);
        self.rounds_at(pace_us).max(self.batch)
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
    let mut slowest = None;
    // The timer may now claim the messages it makes for this worker (`Wake::hand`).
    wake.sender_running
        .store(true, std::sync::atomic::Ordering::Release);
    // Handed messages and claims take turns, so that a long burst handed to this worker
    // holds up no message waiting in the outbox.
    let mut claim_first = false;
    while !wake.stopping() {
        let now = service::micros(state.clock.now());
        let batch = plan.batch_after(slowest);
        let rows = match next_rows(&state, &mut claim_first, now, lease_us, batch).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "the outbox worker could not claim messages; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if rows.is_empty() {
            idle(&state, now).await;
            continue;
        }
        let mut tasks = Vec::with_capacity(rows.len());
        for row in rows {
            let (transport, from, limit) = (transport.clone(), from.clone(), limit.clone());
            let (outcomes, clock) = (outcomes.clone(), state.clock.clone());
            let start_by = row.lease_until.unwrap_or(0) - plan.last_start_before_lease_end_us;
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire().await;
                let mut took = None;
                let outcome = if service::micros(clock.now()) > start_by {
                    // Too late to deliver and record within the lease: back to the queue.
                    Outcome::NotStarted
                } else {
                    let started = std::time::Instant::now();
                    let o = deliver(&transport, &from, &row, times.send_timeout, &*clock).await;
                    took = Some(started.elapsed());
                    o
                };
                let _ = outcomes.send((row, outcome));
                took
            }));
        }
        slowest = None;
        for t in tasks {
            slowest = slowest.max(t.await.ok().flatten());
        }
    }
    // Stopping: what was handed and not started goes back to the outbox at once, for another
    // instance (or the next start) to send, instead of waiting for its lease to run out.
    wake.sender_running
        .store(false, std::sync::atomic::Ordering::Release);
    for row in wake.take_handed(usize::MAX) {
        let _ = outcomes.send((row, Outcome::NotStarted));
    }
    drop(outcomes);
    let _ = recorder.await;
}

/// Nothing to send: sleeps until the next message is due (at most [`SWEEP`]) or a wake-up.
async fn idle(state: &AppState, now: i64) {
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
            () = state.wake.outbox.notified() => {}
        }
    }
}

/// The next messages to send, at most `batch`: those the timer handed to this worker, or a
/// claim from the outbox — in turns (`claim_first` says whose turn it is), each taken when the
/// other has none.
async fn next_rows(
    state: &AppState,
    claim_first: &mut bool,
    now: i64,
    lease_us: i64,
    batch: i64,
) -> crate::error::AppResult<Vec<OutboxRow>> {
    let take = usize::try_from(batch).unwrap_or(1);
    if !*claim_first {
        let handed = state.wake.take_handed(take);
        if !handed.is_empty() {
            *claim_first = true;
            return Ok(handed);
        }
    }
    *claim_first = false;
    let claimed = state
        .db(move |c| notifications::claim(c, now, lease_us, batch))
        .await?;
    if claimed.is_empty() {
        return Ok(state.wake.take_handed(take));
    }
    Ok(claimed)
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
            let ctx = super::system_ctx(&state);
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
                last_start_before_lease_end_us: 45_000_000,
                start_window_us: 75_000_000,
                parallel: 32,
            }
        );
        // A lease of twice the timeout: one round, with half a timeout to start in.
        assert_eq!(
            Plan::new(s(10), s(5), 32),
            Plan {
                batch: 32,
                last_start_before_lease_end_us: 7_500_000,
                start_window_us: 2_500_000,
                parallel: 32,
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

    #[test]
    fn a_fast_relay_gets_full_claims_and_a_slow_one_the_lease_rule() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let plan = Plan::new(s(120), s(30), 32);
        // Nothing seen yet: the timeout's rounds.
        assert_eq!(plan.batch_after(None), 96);
        // Answers within milliseconds: full claims.
        assert_eq!(plan.batch_after(Some(ms(15))), 256);
        // A relay as slow as the timeout: the lease rule's batch, never fewer.
        assert_eq!(plan.batch_after(Some(s(30))), 96);
        assert_eq!(plan.batch_after(Some(s(600))), 96);
        // In between: rounds at twice the pace within the start window (75 s / 10 s + 1 = 8).
        assert_eq!(plan.batch_after(Some(s(5))), 256);
        assert_eq!(plan.batch_after(Some(ms(12_500))), 128);
        // The slow-relay fault test's set-up (lease 10 s, timeout 5 s, 3 s a message): one round.
        assert_eq!(Plan::new(s(10), s(5), 32).batch_after(Some(s(3))), 32);
        // However short the lease, at least one round.
        assert_eq!(Plan::new(s(1), s(5), 32).batch_after(Some(ms(1))), 32);
    }
}
