//! What a new issue writes beside its row, in one statement on PostgreSQL.
//!
//! With durable commits a filing's cost is its round trips to the database: each statement is a
//! wait for the server and a wake-up of a thread, while the pooled connection is held. The
//! clocks, tags, post addresses, comparable words, look-alike pairs, the audit stream's first
//! event and the answer kept for replays do not depend on one another, only on the new row's
//! id, so PostgreSQL takes them as one statement of data-modifying `WITH` parts (each part runs
//! exactly once whether or not it is read; a failing part fails the statement and so the
//! filing's transaction). SQLite, in process, runs them one by one.

use super::audit::{first_event_insert, head_insert};
use super::clocks::ClockRow;
use super::fixed::{Arg, Fixed};
use super::Db;
use crate::audit::NewEvent;
use diesel::{QueryResult, RunQueryDsl};

/// The writes that follow a new issue's row, all keyed by its id.
pub struct NewParts<'a> {
    pub issue_id: i64,
    pub clocks: &'a [ClockRow],
    pub tags: &'a [String],
    /// Canonical addresses of its posts, each once.
    pub urls: &'a [String],
    /// Its comparable words (the domain's `index_words`), each once.
    pub words: &'a [String],
    /// The issues it looks like: (other issue, score in thousandths, reasons as JSON); kept
    /// both ways.
    pub similar: &'a [(i64, i32, String)],
    /// The first event of the issue's audit stream.
    pub filed: &'a NewEvent,
    /// The answer kept for a replay of the filing's `Idempotency-Key`: (caller, key, status,
    /// body); the key was claimed earlier in the transaction.
    pub answer: Option<(i64, &'a str, i32, &'a str)>,
}

struct InsertParts;

const INSERT_PARTS: &str = concat!(
    "WITH \
     c AS (INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, \
       due_at, paused_at, paused_seconds, stopped_at, frozen_remaining, breached, steps_fired, \
       next_event_at, elapsed_seconds) \
       SELECT ?, x.kind, x.state, x.calendar, x.target, x.started_at, x.due_at, x.paused_at, \
       x.paused_seconds, x.stopped_at, x.frozen_remaining, x.breached, x.steps_fired, \
       x.next_event_at, x.elapsed_seconds FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (kind \
       text, state text, calendar text, target text, started_at bigint, due_at bigint, \
       paused_at bigint, paused_seconds bigint, stopped_at bigint, frozen_remaining bigint, \
       breached boolean, steps_fired int, next_event_at bigint, elapsed_seconds bigint)), \
     t AS (INSERT INTO issue_tags (issue_id, tag) \
       SELECT ?, jsonb_array_elements_text(CAST(? AS jsonb))), \
     u AS (INSERT INTO issue_urls (url, issue_id) \
       SELECT v, ? FROM jsonb_array_elements_text(CAST(? AS jsonb)) AS v), \
     w AS (INSERT INTO issue_words (word, issue_id) \
       SELECT v, ? FROM jsonb_array_elements_text(CAST(? AS jsonb)) AS v), \
     p AS (SELECT x.o, x.s, x.r FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (o bigint, s int, \
       r text)), \
     s AS (INSERT INTO issue_similar (issue_id, other_id, score, reasons) \
       SELECT ?, o, s, r FROM p UNION ALL SELECT o, ?, s, r FROM p ON CONFLICT DO NOTHING), \
     h AS (",
    head_insert!(),
    "), e AS (",
    first_event_insert!(),
    "), k AS (UPDATE idempotency_keys SET status = ?, response = ? WHERE user_id = ? AND key = ?) \
     SELECT 1"
);

fn json<T: serde::Serialize>(v: &T) -> QueryResult<String> {
    serde_json::to_string(v).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

fn clocks_json(clocks: &[ClockRow]) -> QueryResult<String> {
    let rows: Vec<serde_json::Value> = clocks
        .iter()
        .map(|c| {
            serde_json::json!({
                "kind": c.kind, "state": c.state, "calendar": c.calendar, "target": c.target,
                "started_at": c.started_at, "due_at": c.due_at, "paused_at": c.paused_at,
                "paused_seconds": c.paused_seconds, "stopped_at": c.stopped_at,
                "frozen_remaining": c.frozen_remaining, "breached": c.breached,
                "steps_fired": c.steps_fired, "next_event_at": c.next_event_at,
                "elapsed_seconds": c.elapsed_seconds,
            })
        })
        .collect();
    json(&rows)
}

/// Writes `p`: one round trip on PostgreSQL, one statement per part on SQLite.
pub fn insert_parts(conn: &mut Db, p: &NewParts<'_>) -> QueryResult<()> {
    let Db::Pg(pg) = conn else {
        return one_by_one(conn, p);
    };
    let clocks = clocks_json(p.clocks)?;
    let (tags, urls, words) = (json(&p.tags)?, json(&p.urls)?, json(&p.words)?);
    let similar = json(
        &p.similar
            .iter()
            .map(|(o, s, r)| serde_json::json!({"o": o, "s": s, "r": r}))
            .collect::<Vec<_>>(),
    )?;
    let first = super::audit::genesis(p.filed);
    // Without a key the UPDATE matches nothing (no key is NULL).
    let (user, key, status, body) = match p.answer {
        Some((user, key, status, body)) => (user, Some(key), status, body),
        None => (0, None, 0, ""),
    };
    let id = p.issue_id;
    let mut args = vec![
        Arg::I64(id),
        Arg::Text(&clocks),
        Arg::I64(id),
        Arg::Text(&tags),
        Arg::I64(id),
        Arg::Text(&urls),
        Arg::I64(id),
        Arg::Text(&words),
        Arg::Text(&similar),
        Arg::I64(id),
        Arg::I64(id),
    ];
    args.extend(first.args());
    args.extend([
        Arg::I32(status),
        Arg::Text(body),
        Arg::I64(user),
        Arg::OptText(key),
    ]);
    Fixed::<InsertParts>::new(INSERT_PARTS, &args)
        .execute(pg)
        .map(drop)
}

fn one_by_one(conn: &mut Db, p: &NewParts<'_>) -> QueryResult<()> {
    for c in p.clocks {
        super::clocks::insert(conn, c)?;
    }
    super::issues::insert_tags(conn, p.issue_id, p.tags)?;
    super::issues::set_urls(conn, p.issue_id, p.urls, false)?;
    super::issues::set_words(conn, p.issue_id, p.words, false)?;
    let pairs: Vec<(i64, i64, i32, String)> = p
        .similar
        .iter()
        .flat_map(|(o, s, r)| {
            [
                (p.issue_id, *o, *s, r.clone()),
                (*o, p.issue_id, *s, r.clone()),
            ]
        })
        .collect();
    super::issues::insert_similar(conn, &pairs)?;
    super::audit::start_stream(conn, p.filed)?;
    if let Some((user, key, status, body)) = p.answer {
        super::issues::complete_idempotency(conn, user, key, status, body)?;
    }
    Ok(())
}
