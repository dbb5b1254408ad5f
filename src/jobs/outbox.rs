//! The outbox worker: claims due messages under a lease (so two instances never send the same
//! row at once), delivers them with a stable `Message-ID`, and records each outcome: sent, or
//! a retry with exponential backoff and jitter, or `dead` after `mail.give_up_after`.

use crate::http::AppState;
use crate::mail::transport::Outgoing;
use crate::mail::Transport;
use crate::service::notifications::{self, Outcome};
use crate::service::{self, Actor, Ctx};
use crate::store::outbox::OutboxRow;
use std::sync::Arc;
use std::time::Duration;

const SWEEP: Duration = Duration::from_secs(30);
const BATCH: i64 = 256;
/// Messages in flight at once (and SMTP connections kept open).
pub const PARALLEL: usize = 32;

fn dur(text: &str, fallback: i64) -> i64 {
    crate::domain::SlaDuration::parse(text).map_or(fallback, |d| d.always_seconds())
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
    let mail = &state.cfg.settings.mail;
    let lease_us = dur(&mail.lease, 120) * 1_000_000;
    let retry_base = dur(&mail.retry_base, 30);
    let give_up_us = dur(&mail.give_up_after, 172_800) * 1_000_000;
    let from = mail.from.clone();
    let wake = state.wake.clone();
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    // The outcomes of one batch are recorded while the next batch is being sent.
    let mut recording: Option<tokio::task::JoinHandle<()>> = None;
    while !wake.stopping() {
        let now = service::micros(state.clock.now());
        let claimed = state
            .db(move |c| notifications::claim(c, now, lease_us, BATCH))
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
            if let Some(r) = recording.take() {
                let _ = r.await;
                continue;
            }
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
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire().await;
                let outcome = deliver(&transport, &from, &row).await;
                (row, outcome)
            }));
        }
        let mut done = Vec::with_capacity(tasks.len());
        for t in tasks {
            if let Ok(d) = t.await {
                done.push(d);
            }
        }
        let ctx = Ctx {
            actor: Actor::System,
            now: service::micros(state.clock.now()),
            request_id: None,
            sla: state.cfg.sla.clone(),
        };
        let n = done.len();
        if let Some(r) = recording.take() {
            let _ = r.await;
        }
        let st = state.clone();
        recording = Some(tokio::spawn(async move {
            if let Err(e) = st
                .db(move |c| notifications::record_all(c, &ctx, &done, retry_base, give_up_us))
                .await
            {
                tracing::warn!(messages = n, error = %e, "could not record delivery outcomes; their leases will expire and they are retried");
            }
        }));
    }
    if let Some(r) = recording.take() {
        let _ = r.await;
    }
}

async fn deliver(transport: &Transport, from: &str, row: &OutboxRow) -> Outcome {
    let mail = Outgoing {
        from: from.to_owned(),
        to: row.recipient.clone(),
        subject: row.subject.clone(),
        text: row.body_text.clone(),
        html: row.body_html.clone(),
        message_id: row.message_id.clone(),
    };
    match transport.send(&mail).await {
        Ok(()) => Outcome::Sent,
        Err(e) => {
            tracing::warn!(notification.id = row.id, permanent = e.permanent, error = %e.message, "delivery failed");
            Outcome::Failed {
                error: e.message,
                permanent: e.permanent,
            }
        }
    }
}
