//! The report tallies' job (`service::report_days`): every few minutes, takes in the changes
//! logged to older issues and tallies the settled days not yet stored, a month of days per
//! transaction. Several instances may run it: one at a time takes the turn, the others skip.

use crate::runtime::AppState;
use crate::service;
use std::time::Duration;

/// Between runs.
const EVERY: Duration = Duration::from_secs(300);
/// Days tallied per transaction.
const DAYS_PER_BATCH: usize = 31;

pub async fn run(state: AppState) {
    // Let the instance start serving first.
    let mut wait = Duration::from_secs(10);
    loop {
        if !pause(&state, wait).await {
            return;
        }
        wait = EVERY;
        loop {
            let ctx = super::system_ctx(&state);
            let started = std::time::Instant::now();
            match state
                .db(move |conn| service::report_days::tally_days(conn, &ctx, DAYS_PER_BATCH))
                .await
            {
                Ok(run) => {
                    if run.stored > 0 || run.dropped > 0 {
                        tracing::info!(
                            stored = run.stored,
                            dropped = run.dropped,
                            left = run.left,
                            elapsed_ms =
                                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                            "report tallies brought up to date"
                        );
                    }
                    if run.busy || run.left == 0 || state.wake.stopping() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot tally report days; trying again later");
                    break;
                }
            }
        }
    }
}

/// Waits `d` unless the instance stops first; answers whether to go on.
async fn pause(state: &AppState, d: Duration) -> bool {
    let until = tokio::time::Instant::now() + d;
    while tokio::time::Instant::now() < until {
        if state.wake.stopping() {
            return false;
        }
        tokio::time::sleep(Duration::from_secs(1).min(until - tokio::time::Instant::now())).await;
    }
    !state.wake.stopping()
}
