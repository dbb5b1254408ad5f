//! The outbox seen from outside: delivery outcomes (audited), and the admin's list and retry.

use super::Ctx;
use crate::audit::{diff, Changes, SYSTEM_STREAM};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::outbox::OutboxRow;
use crate::store::{self, write_tx, Db};
use serde::Serialize;
use utoipa::ToSchema;

/// A notification as the admin sees it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    /// The issue's ref, when it is about one.
    pub issue: Option<String>,
    /// `escalation`, `assignment`, `return` or `resolution`.
    pub kind: String,
    pub to: String,
    pub subject: String,
    /// `pending`, `sending`, `sent` or `dead`.
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub sent_at: Option<String>,
    pub message_id: String,
}

fn to_view(r: OutboxRow, issue: Option<String>) -> Notification {
    Notification {
        id: r.id,
        issue,
        kind: r.kind,
        to: r.recipient,
        subject: r.subject,
        next_attempt_at: (r.state == "pending").then(|| super::rfc3339(r.next_attempt_at)),
        state: r.state,
        attempts: r.attempts,
        last_error: r.last_error,
        sent_at: r.sent_at.map(super::rfc3339),
        message_id: r.message_id,
    }
}

pub const STATES: &[&str] = &["pending", "sending", "sent", "dead"];

pub fn list(
    conn: &mut Db,
    ctx: &Ctx,
    states: &[String],
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Notification>> {
    ctx.require_admin()?;
    let mut errors = Vec::new();
    for s in states {
        if !STATES.contains(&s.as_str()) {
            errors.push(
                FieldError::new("state", format!("`{s}` is not a state"))
                    .with_valid(STATES.iter().map(|s| (*s).to_owned()).collect()),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(store::outbox::list(conn, states, before, limit)?
        .into_iter()
        .map(|(r, i)| to_view(r, i))
        .collect())
}

fn stream_of(conn: &mut Db, row: &OutboxRow) -> AppResult<(String, String)> {
    let issue = row
        .issue_id
        .map(|id| issue_ref(conn, id))
        .transpose()?
        .flatten();
    Ok(stream_and_subject(row, issue.as_deref()))
}

/// Where a notification's audit events go: its issue's stream, or the system's.
fn stream_and_subject(row: &OutboxRow, issue_ref: Option<&str>) -> (String, String) {
    match issue_ref {
        Some(r) => (super::issues::stream(r), format!("issue:{r}")),
        None => (SYSTEM_STREAM.to_owned(), format!("notification:{}", row.id)),
    }
}

fn issue_ref(conn: &mut Db, id: i64) -> AppResult<Option<String>> {
    Ok(store::outbox::issue_ref(conn, id)?)
}

/// Puts a dead notification back in the queue (admin).
pub fn retry(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<Notification> {
    ctx.require_admin()?;
    write_tx(conn, |conn| {
        let row = store::outbox::find(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no notification {id}")))?;
        if !store::outbox::retry(conn, id, ctx.now)? {
            return Err(AppError::WrongState {
                detail: format!(
                    "notification {id} is {}, not dead: only dead ones are retried",
                    row.state
                ),
                allowed_actions: None,
            });
        }
        let (stream, subject) = stream_of(conn, &row)?;
        let mut ch = Changes::new();
        diff(
            &mut ch,
            "notification",
            serde_json::Value::Null,
            serde_json::json!({"id": id, "to": row.recipient}),
        );
        diff(&mut ch, "state", "dead", "pending");
        ctx.record(conn, &stream, "notification.retried", &subject, ch)?;
        store::notify(conn, store::OUTBOX_CHANNEL)?;
        let after = store::outbox::find(conn, id)?
            .ok_or_else(|| anyhow::anyhow!("notification vanished"))?;
        let r = after
            .issue_id
            .map(|i| issue_ref(conn, i))
            .transpose()?
            .flatten();
        Ok(to_view(after, r))
    })
}

/// Claims due messages for delivery.
pub fn claim(conn: &mut Db, now: i64, lease_us: i64, limit: i64) -> AppResult<Vec<OutboxRow>> {
    write_tx(conn, |conn| {
        Ok(store::outbox::claim(conn, now, now + lease_us, limit)?)
    })
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the relay at this instant (µs).
    Sent {
        at: i64,
    },
    Failed {
        error: String,
        permanent: bool,
    },
    /// Not handed to the relay: too late in its lease to deliver and record in time. Back to
    /// the queue as it was, no attempt counted.
    NotStarted,
}

/// The delay (µs) before attempt `attempts + 1`: `base · 2^(attempts−1)`, at most six hours,
/// with ±20 % jitter (`jitter_permille` from 0 to 1000) so that messages failing together do
/// not retry together.
pub fn backoff(base_secs: i64, attempts: i32, jitter_permille: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let secs = base_secs.saturating_mul(1i64 << exp.min(30)).min(6 * 3600);
    let factor = 800 + 400 * jitter_permille.clamp(0, 1000) / 1000;
    (secs * factor / 1000).max(1) * 1_000_000
}

/// Records the outcome of an attempt, with its audit event, in one transaction.
pub fn record(
    conn: &mut Db,
    ctx: &Ctx,
    row: &OutboxRow,
    outcome: Outcome,
    retry_base_secs: i64,
    give_up_after_us: i64,
) -> AppResult<()> {
    let one = [(row.clone(), outcome)];
    write_tx(conn, |conn| {
        record_batch(conn, ctx, &one, retry_base_secs, give_up_after_us)
    })
}

/// Records the outcomes of a batch in one transaction (each with its audit event); should that
/// transaction fail, each is recorded on its own.
pub fn record_all(
    conn: &mut Db,
    ctx: &Ctx,
    done: &[(OutboxRow, Outcome)],
    retry_base_secs: i64,
    give_up_after_us: i64,
) -> AppResult<()> {
    let all = write_tx(conn, |conn| {
        record_batch(conn, ctx, done, retry_base_secs, give_up_after_us)
    });
    if let Err(e) = all {
        tracing::warn!(error = %e, messages = done.len(), "recording a batch of outcomes failed; recording them one by one");
        for (row, outcome) in done {
            record(
                conn,
                ctx,
                row,
                outcome.clone(),
                retry_base_secs,
                give_up_after_us,
            )?;
        }
    }
    Ok(())
}

/// The batch: the sent ones marked in one go, the failed ones one by one, all their audit
/// events appended together.
fn record_batch(
    conn: &mut Db,
    ctx: &Ctx,
    done: &[(OutboxRow, Outcome)],
    retry_base_secs: i64,
    give_up_after_us: i64,
) -> AppResult<()> {
    let issue_ids: Vec<i64> = done.iter().filter_map(|(r, _)| r.issue_id).collect();
    let refs: std::collections::HashMap<i64, String> = store::outbox::issue_refs(conn, &issue_ids)?
        .into_iter()
        .collect();
    let sent: Vec<(i64, i32)> = done
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Sent { .. }))
        .map(|(r, _)| (r.id, r.attempts))
        .collect();
    let marked = store::outbox::mark_sent_all(conn, &sent, ctx.now)?;
    let mut events = Vec::with_capacity(done.len());
    for (row, outcome) in done {
        let issue = row.issue_id.and_then(|id| refs.get(&id));
        let (stream, subject) = stream_and_subject(row, issue.map(String::as_str));
        let change = match outcome {
            Outcome::Sent { at } => marked.contains(&row.id).then(|| {
                let mut ch = outcome_changes(row, "sent", None);
                // The event is recorded now; when the relay took the message is part of it.
                diff(
                    &mut ch,
                    "delivered_at",
                    serde_json::Value::Null,
                    super::rfc3339(*at),
                );
                ("notification.sent", ch)
            }),
            Outcome::NotStarted => {
                store::outbox::release(conn, row.id, row.attempts, ctx.now)?;
                None
            }
            Outcome::Failed { error, permanent } => fail(
                conn,
                ctx,
                row,
                error,
                *permanent,
                retry_base_secs,
                give_up_after_us,
            )?
            .then(|| {
                (
                    "notification.dead",
                    outcome_changes(row, "dead", Some(error)),
                )
            }),
        };
        if let Some((action, ch)) = change {
            events.push(ctx.event(&stream, action, &subject, ch));
        }
    }
    store::audit::append_all(conn, &events)?;
    Ok(())
}

/// What an outcome changed, for its audit event.
fn outcome_changes(row: &OutboxRow, state: &str, error: Option<&str>) -> Changes {
    let mut ch = Changes::new();
    diff(
        &mut ch,
        "notification",
        serde_json::Value::Null,
        serde_json::json!({"id": row.id, "to": row.recipient, "kind": row.kind, "message_id": row.message_id}),
    );
    diff(&mut ch, "state", "sending", state);
    if let Some(e) = error {
        diff(&mut ch, "last_error", serde_json::Value::Null, e);
    }
    ch
}

/// Records a failed attempt: a retry after a backoff, or `dead` when the failure is permanent
/// or the message has been failing for `give_up_after`; answers whether it is now dead.
fn fail(
    conn: &mut Db,
    ctx: &Ctx,
    row: &OutboxRow,
    error: &str,
    permanent: bool,
    retry_base_secs: i64,
    give_up_after_us: i64,
) -> AppResult<bool> {
    let expired = ctx.now - row.created_at >= give_up_after_us;
    let next = (!permanent && !expired).then(|| {
        ctx.now
            + backoff(
                retry_base_secs,
                row.attempts,
                i64::from(rand::random::<u16>() % 1001),
            )
    });
    Ok(store::outbox::mark_failed(conn, row.id, row.attempts, error, next)? && next.is_none())
}

/// The earliest instant a queued message needs the worker.
pub fn next_due(conn: &mut Db) -> AppResult<Option<i64>> {
    Ok(store::outbox::next_due(conn)?)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_a_ceiling() {
        assert_eq!(backoff(30, 1, 500), 30_000_000);
        assert_eq!(backoff(30, 2, 500), 60_000_000);
        assert_eq!(backoff(30, 3, 500), 120_000_000);
        assert_eq!(backoff(30, 3, 0), 96_000_000);
        assert_eq!(backoff(30, 3, 1000), 144_000_000);
        assert_eq!(backoff(30, 40, 500), 6 * 3600 * 1_000_000);
    }
}
