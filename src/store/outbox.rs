//! The email outbox and the escalation step records.
//!
//! Long because: every step of a message's life is here (made, or made already claimed;
//! claimed; sent, failed, released or dead; counted for operators), each with its PostgreSQL
//! batch form beside SQLite's row-by-row one.

use super::limit::limited;
use super::schema::{escalation_steps, issues, outbox};
use super::Db;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub issue_id: Option<i64>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub lease_until: Option<i64>,
    pub sent_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutbox {
    pub issue_id: Option<i64>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    /// Set (with state `sending` and one attempt) when the message is claimed as it is made,
    /// by the instance that will send it ([`NewOutbox::claimed`]).
    pub lease_until: Option<i64>,
    pub created_at: i64,
}

impl NewOutbox {
    /// The message claimed by its maker under a lease until `lease_until`, as a claim would
    /// (`sending`, one attempt): the maker hands it to its own sender instead of leaving it for
    /// a claim to find.
    #[must_use]
    pub fn claimed(mut self, lease_until: i64) -> NewOutbox {
        self.state = "sending".into();
        self.attempts = 1;
        self.lease_until = Some(lease_until);
        self
    }
}

pub fn insert(conn: &mut Db, row: &NewOutbox) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::insert_into(outbox::table)
        .values(row)
        .execute(c)
        .map(drop))
}

/// Inserts rows into `$table`: a thousand per statement on PostgreSQL (at most 11 parameters
/// a row here, far under its 65,535 per statement), one by one on SQLite.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        match $conn {
            Db::Pg(pg) => {
                for part in $rows.chunks(1_000) {
                    diesel::insert_into($table).values(part).execute(pg)?;
                }
            }
            Db::Sqlite(lite) => {
                for r in $rows {
                    diesel::insert_into($table).values(r).execute(lite)?;
                }
            }
        }
        Ok(())
    }};
}

/// Inserts messages.
pub fn insert_many(conn: &mut Db, rows: &[NewOutbox]) -> QueryResult<()> {
    insert_rows!(conn, outbox::table, rows)
}

/// Inserts messages and answers them as stored (with their ids), in the order given: with
/// `RETURNING` on PostgreSQL; on SQLite read back by their unique `Message-ID`s.
pub fn insert_many_returning(conn: &mut Db, rows: &[NewOutbox]) -> QueryResult<Vec<OutboxRow>> {
    let mut out: Vec<OutboxRow> = Vec::with_capacity(rows.len());
    match conn {
        Db::Pg(pg) => {
            for part in rows.chunks(1_000) {
                out.extend(
                    diesel::insert_into(outbox::table)
                        .values(part)
                        .returning(OutboxRow::as_returning())
                        .get_results(pg)?,
                );
            }
        }
        Db::Sqlite(lite) => {
            for r in rows {
                diesel::insert_into(outbox::table).values(r).execute(lite)?;
            }
            for part in rows.chunks(500) {
                let ids: Vec<&str> = part.iter().map(|r| r.message_id.as_str()).collect();
                out.extend(
                    outbox::table
                        .filter(outbox::message_id.eq_any(ids))
                        .select(OutboxRow::as_select())
                        .load(lite)?,
                );
            }
        }
    }
    let order: std::collections::HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(n, r)| (r.message_id.as_str(), n))
        .collect();
    out.sort_by_key(|r| order.get(r.message_id.as_str()).copied());
    Ok(out)
}

/// One recipient of one fired step.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = escalation_steps)]
pub struct NewStep {
    pub issue_id: i64,
    pub clock_id: i64,
    pub step: i32,
    pub recipient: String,
    pub fired_at: i64,
}

/// Records fired steps; the unique key (clock, step, recipient) refuses any second record, and
/// with it the whole statement.
pub fn insert_steps(conn: &mut Db, rows: &[NewStep]) -> QueryResult<()> {
    insert_rows!(conn, escalation_steps::table, rows)
}

/// Claims up to `limit` messages that are due — first those whose sender's lease expired (an
/// instance stopped mid-send), then pending ones in due order — and marks them `sending` with a
/// lease and one more attempt. PostgreSQL skips rows other instances hold; SQLite's write
/// transaction serialises claimers.
///
/// Two reads, not one with `OR`: each walks an index in order and stops at `limit` (expired
/// leases: `outbox_leased`, which holds only the messages being sent; pending ones:
/// `(state, next_attempt_at)`), where the `OR` made PostgreSQL read and sort every due
/// message — ten thousand in a burst of breaches — to take a batch.
pub fn claim(conn: &mut Db, now: i64, lease_until: i64, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    let expired = outbox::table
        .filter(outbox::state.eq("sending"))
        .filter(outbox::lease_until.lt(now))
        .order(outbox::lease_until.asc())
        .select(outbox::id);
    let pending = outbox::table
        .filter(outbox::state.eq("pending"))
        .filter(outbox::next_attempt_at.le(now))
        .order(outbox::next_attempt_at.asc())
        .select(outbox::id);
    let mut ids: Vec<i64> = match conn {
        Db::Pg(pg) => limited(expired, limit).for_update_skip_locked().load(pg)?,
        Db::Sqlite(lite) => limited(expired, limit).load(lite)?,
    };
    let room = limit - i64::try_from(ids.len()).unwrap_or(limit);
    if room > 0 {
        ids.extend(match conn {
            Db::Pg(pg) => limited(pending, room)
                .for_update_skip_locked()
                .load::<i64>(pg)?,
            Db::Sqlite(lite) => limited(pending, room).load::<i64>(lite)?,
        });
    }
    if ids.is_empty() {
        return Ok(vec![]);
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set((
            outbox::state.eq("sending"),
            outbox::lease_until.eq(lease_until),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
    outbox::table
        .filter(outbox::id.eq_any(&ids))
        .order(outbox::next_attempt_at.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Marks a claimed message sent; `false` when the claim was lost meanwhile.
pub fn mark_sent(conn: &mut Db, id: i64, attempts: i32, now: i64) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq("sending"))
            .filter(outbox::attempts.eq(attempts)),
    )
    .set((
        outbox::state.eq("sent"),
        outbox::sent_at.eq(now),
        outbox::lease_until.eq(None::<i64>),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks claimed messages sent, given (id, attempts) of each; answers the ids it marked (not
/// those whose claim was lost meanwhile). One statement on PostgreSQL.
pub fn mark_sent_all(
    conn: &mut Db,
    claimed: &[(i64, i32)],
    now: i64,
) -> QueryResult<std::collections::HashSet<i64>> {
    use diesel::sql_types::{Array, BigInt, Integer};
    #[derive(QueryableByName)]
    struct Marked {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    match conn {
        Db::Pg(pg) => {
            let (ids, attempts): (Vec<i64>, Vec<i32>) = claimed.iter().copied().unzip();
            let marked: Vec<Marked> = diesel::sql_query(
                "UPDATE outbox o SET state = 'sent', sent_at = $3, lease_until = NULL, last_error = NULL \
                 FROM unnest($1::bigint[], $2::int[]) AS v(id, attempts) \
                 WHERE o.id = v.id AND o.state = 'sending' AND o.attempts = v.attempts RETURNING o.id",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Integer>, _>(&attempts)
            .bind::<BigInt, _>(now)
            .load(pg)?;
            Ok(marked.into_iter().map(|m| m.id).collect())
        }
        Db::Sqlite(_) => {
            let mut marked = std::collections::HashSet::new();
            for &(id, attempts) in claimed {
                if mark_sent(conn, id, attempts, now)? {
                    marked.insert(id);
                }
            }
            Ok(marked)
        }
    }
}

/// The refs of issues by id.
pub fn issue_refs(conn: &mut Db, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    issues::table
        .filter(issues::id.eq_any(ids.to_vec()))
        .select((issues::id, issues::ref_))
        .load(conn)
}

/// Records a failed attempt: back to `pending` at `next` or, with `next` none, `dead`.
pub fn mark_failed(
    conn: &mut Db,
    id: i64,
    attempts: i32,
    error: &str,
    next: Option<i64>,
) -> QueryResult<bool> {
    let state = if next.is_some() { "pending" } else { "dead" };
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq("sending"))
            .filter(outbox::attempts.eq(attempts)),
    )
    .set((
        outbox::state.eq(state),
        outbox::last_error.eq(error),
        outbox::lease_until.eq(None::<i64>),
        outbox::next_attempt_at.eq(next.unwrap_or(0)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Puts a claimed message that was not handed to the relay back in the queue, due now, its
/// attempt not counted; `false` when the claim was lost meanwhile.
pub fn release(conn: &mut Db, id: i64, attempts: i32, now: i64) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq("sending"))
            .filter(outbox::attempts.eq(attempts)),
    )
    .set((
        outbox::state.eq("pending"),
        outbox::lease_until.eq(None::<i64>),
        outbox::attempts.eq(attempts - 1),
        outbox::next_attempt_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The earliest instant a message needs the worker (a pending attempt or an expiring lease).
pub fn next_due(conn: &mut Db) -> QueryResult<Option<i64>> {
    let pending: Option<i64> = outbox::table
        .filter(outbox::state.eq("pending"))
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .get_result(conn)?;
    let lease: Option<i64> = outbox::table
        .filter(outbox::state.eq("sending"))
        .select(diesel::dsl::min(outbox::lease_until))
        .get_result(conn)?;
    Ok(match (pending, lease) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

/// How many messages are being sent right now (claimed, outcome not yet recorded).
pub fn count_sending(conn: &mut Db) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::state.eq("sending"))
        .count()
        .get_result(conn)
}

pub fn find(conn: &mut Db, id: i64) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

/// Messages, newest first, optionally of some states.
pub fn list(
    conn: &mut Db,
    states: &[String],
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(OutboxRow, Option<String>)>> {
    let mut q = outbox::table
        .left_join(issues::table.on(issues::id.nullable().eq(outbox::issue_id)))
        .select((OutboxRow::as_select(), issues::ref_.nullable()))
        .order(outbox::id.desc())
        .limit(limit)
        .into_boxed::<<Db as Connection>::Backend>();
    if !states.is_empty() {
        q = q.filter(outbox::state.eq_any(states.to_vec()));
    }
    if let Some(b) = before {
        q = q.filter(outbox::id.lt(b));
    }
    q.load(conn)
}

/// Puts a dead message back in the queue.
pub fn retry(conn: &mut Db, id: i64, now: i64) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq("dead")),
    )
    .set((
        outbox::state.eq("pending"),
        outbox::next_attempt_at.eq(now),
        outbox::created_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The ref of an issue by id.
pub fn issue_ref(conn: &mut Db, id: i64) -> QueryResult<Option<String>> {
    issues::table
        .find(id)
        .select(issues::ref_)
        .first(conn)
        .optional()
}

/// What operators alert on in the outbox.
#[derive(Debug, Clone, Default)]
pub struct Backlog {
    /// Messages per state.
    pub by_state: Vec<(String, i64)>,
    /// When the oldest message still waiting (pending or sending) was queued.
    pub oldest_waiting: Option<i64>,
}

pub fn backlog(conn: &mut Db) -> QueryResult<Backlog> {
    let by_state = outbox::table
        .group_by(outbox::state)
        .select((outbox::state, diesel::dsl::count_star()))
        .load(conn)?;
    let oldest_waiting = outbox::table
        .filter(outbox::state.eq_any(["pending", "sending"]))
        .select(diesel::dsl::min(outbox::created_at))
        .get_result(conn)?;
    Ok(Backlog {
        by_state,
        oldest_waiting,
    })
}
