//! The escalation timer: sleeps until the earliest pending step or breach of any running clock
//! and fires it at its instant; woken early whenever a due instant is created or moved. A slow
//! sweep backs it up, it never replaces it.

use crate::runtime::AppState;
use crate::service::{self, Ctx};
use std::time::Duration;

/// The longest the timer sleeps without looking: a safety net for missed wake-ups, and what
/// lets changes that arm instants further away wake nobody (`escalation::wakes_timers`).
const SWEEP: Duration = Duration::from_micros(crate::domain::escalation::TIMER_SWEEP_US as u64);
/// How many due clocks one round handles.
const BATCH: i64 = 2000;

/// Moves the clocks of the calendars whose holidays or hours changed since the last start
/// (`service::calendars::reconcile`), so that this timer never fires a step at an instant the
/// calendar no longer gives; other instances' timers are woken by the moves themselves.
async fn move_changed_calendars(state: &AppState) -> crate::error::AppResult<()> {
    let started = std::time::Instant::now();
    let ctx = super::system_ctx(state);
    let moved = state
        .db(move |conn| service::calendars::reconcile(conn, &ctx))
        .await?;
    for m in moved {
        tracing::warn!(
            calendar = %m.calendar,
            reason = m.change.reason(),
            issues = m.issues,
            moved = m.moved,
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "a calendar changed since the last start: moved the due instants of its running clocks"
        );
    }
    Ok(())
}

pub async fn run(state: AppState) {
    let wake = state.wake.clone();
    // The instance serves meanwhile; only its timer waits for the move.
    while !wake.stopping() {
        match move_changed_calendars(&state).await {
            Ok(()) => {
                wake.calendars_checked
                    .store(true, std::sync::atomic::Ordering::Release);
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot compare the calendars with the last start's; retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
    while !wake.stopping() {
        let ctx = super::system_ctx(&state);
        let now = ctx.now;
        let round = fire_round(&state, ctx).await;
        let pause = match round {
            Ok(r) => {
                if r.steps > 0 {
                    tracing::info!(
                        steps = r.steps,
                        breaches = r.breaches,
                        "escalation steps fired"
                    );
                    wake.outbox.notify_one();
                } else if r.breaches > 0 {
                    tracing::info!(breaches = r.breaches, "SLA clocks breached");
                }
                if i64::try_from(r.seen).unwrap_or(0) >= BATCH {
                    continue;
                }
                if r.skipped > 0 {
                    // Someone is changing those issues right now; look again shortly.
                    Some(Duration::from_millis(50))
                } else {
                    None
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the escalation timer could not run; retrying");
                Some(Duration::from_secs(1))
            }
        };
        let sleep = match pause {
            Some(p) => p,
            None => match state.db(service::escalation::next_instant).await {
                Ok(Some(t)) => {
                    Duration::from_micros(u64::try_from((t - now).max(0)).unwrap_or(0)).min(SWEEP)
                }
                Ok(None) => SWEEP,
                Err(_) => Duration::from_secs(1),
            },
        };
        if sleep.is_zero() {
            continue;
        }
        // Woken before the deadline, look again only if a change announced an earlier instant
        // (or did not say): a burst of filings due hours away costs the timer nothing.
        let deadline = tokio::time::Instant::now() + sleep;
        let armed_at = now + i64::try_from(sleep.as_micros()).unwrap_or(i64::MAX);
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                () = wake.timers.notified() => {
                    if wake.stopping() || wake.take_timer_hint() < armed_at {
                        break;
                    }
                }
            }
        }
    }
}

/// One round: the due clocks, shared among parallel workers (half the pool), each handling its
/// share in its own transactions. Clocks are locked one by one, so workers and instances never
/// handle the same clock twice.
async fn fire_round(
    state: &AppState,
    ctx: Ctx,
) -> crate::error::AppResult<service::escalation::Round> {
    let c2 = ctx.clone();
    let ids = state
        .db(move |c| service::escalation::due_clocks(c, &c2, BATCH))
        .await?;
    let workers = usize::try_from(state.cfg.settings.database.pool_size / 2)
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = ids.len().div_ceil(workers).max(1);
    let lease_us = i64::try_from(state.cfg.mail.lease.as_micros()).unwrap_or(i64::MAX);
    let mut tasks = Vec::new();
    for part in ids.chunks(chunk) {
        let (state, ctx, part) = (state.clone(), ctx.clone(), part.to_vec());
        tasks.push(tokio::spawn(async move {
            // While this instance's sender is sending and not overloaded, the share's messages
            // are claimed as they are made and handed to it as each chunk commits (the sender
            // starts on them while the next chunk is written); otherwise they wait in the
            // outbox for any instance's claim.
            let claim_until = state
                .wake
                .takes_handed()
                .then(|| ctx.now.saturating_add(lease_us));
            let wake = state.wake.clone();
            let r = state
                .db(move |c| {
                    service::escalation::fire_clocks(c, &ctx, &part, claim_until, &mut |rows| {
                        wake.hand(rows);
                    })
                })
                .await;
            // Any message left in the outbox (not claimed as made) is due now.
            state.wake.outbox.notify_one();
            r
        }));
    }
    let mut total = service::escalation::Round::default();
    for t in tasks {
        let r = t
            .await
            .map_err(|e| anyhow::anyhow!("timer worker failed: {e}"))??;
        total.add(r);
    }
    Ok(total)
}
