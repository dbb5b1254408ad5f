//! A new issue's row and what it writes beside it, in one statement on PostgreSQL.
//!
//! With durable commits a filing's cost is its round trips to the database: each statement is a
//! wait for the server and a wake-up of a thread, while the pooled connection is held. The
//! clocks, tags, post addresses, comparable words, look-alike pairs, the audit stream's first
//! event and the answer kept for replays do not depend on one another, only on the new row's
//! id, so PostgreSQL takes the row's `INSERT … RETURNING id` and them as one statement of
//! data-modifying `WITH` parts, each part reading the id from the row's (each part runs exactly
//! once whether or not it is read; a failing part fails the statement and so the filing's
//! transaction; the foreign keys are checked at the statement's end, when the row is there).
//! SQLite, in process, inserts the row, then runs the parts one by one.

use super::audit::{first_event_insert, head_insert};
use super::clocks::ClockRow;
use super::fixed::{Arg, Fixed};
use super::issues::IssueRow;
use super::schema::issues;
use super::Db;
use crate::audit::NewEvent;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::BigInt;

/// The writes that follow a new issue's row, all keyed by its id (not known before).
pub struct NewParts<'a> {
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

struct InsertFiled;

/// The parts, after `WITH i AS (<the row's INSERT … RETURNING id>), `.
const INSERT_PARTS: &str = concat!(
    "c AS (INSERT INTO issue_clocks (issue_id, kind, state, calendar, target, started_at, \
       due_at, paused_at, paused_seconds, stopped_at, frozen_remaining, breached, steps_fired, \
       next_event_at, elapsed_seconds) \
       SELECT (SELECT id FROM i), x.kind, x.state, x.calendar, x.target, x.started_at, \
       x.due_at, x.paused_at, x.paused_seconds, x.stopped_at, x.frozen_remaining, x.breached, \
       x.steps_fired, x.next_event_at, x.elapsed_seconds \
       FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (kind text, state text, calendar text, \
       target text, started_at bigint, due_at bigint, paused_at bigint, paused_seconds bigint, \
       stopped_at bigint, frozen_remaining bigint, breached boolean, steps_fired int, \
       next_event_at bigint, elapsed_seconds bigint)), \
     t AS (INSERT INTO issue_tags (issue_id, tag) \
       SELECT (SELECT id FROM i), jsonb_array_elements_text(CAST(? AS jsonb))), \
     u AS (INSERT INTO issue_urls (url, issue_id) \
       SELECT v, (SELECT id FROM i) FROM jsonb_array_elements_text(CAST(? AS jsonb)) AS v), \
     w AS (INSERT INTO issue_words (word, issue_id) \
       SELECT v, (SELECT id FROM i) FROM jsonb_array_elements_text(CAST(? AS jsonb)) AS v), \
     p AS (SELECT x.o, x.s, x.r FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (o bigint, s int, \
       r text)), \
     s AS (INSERT INTO issue_similar (issue_id, other_id, score, reasons) \
       SELECT (SELECT id FROM i), o, s, r FROM p \
       UNION ALL SELECT o, (SELECT id FROM i), s, r FROM p ON CONFLICT DO NOTHING), \
     h AS (",
    head_insert!(),
    "), e AS (",
    first_event_insert!(),
    "), k AS (UPDATE idempotency_keys SET status = ?, response = ? WHERE user_id = ? AND key = ?) \
     SELECT id FROM i"
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

/// Inserts `row` and writes `p` beside it: one round trip on PostgreSQL, one statement per
/// part on SQLite. Answers the new row's id.
pub fn insert_filed(conn: &mut Db, row: &IssueRow, p: &NewParts<'_>) -> QueryResult<i64> {
    let Db::Pg(pg) = conn else {
        let id = super::issues::insert(conn, row)?;
        one_by_one(conn, id, p)?;
        return Ok(id);
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
    let mut args = vec![
        Arg::Text(&clocks),
        Arg::Text(&tags),
        Arg::Text(&urls),
        Arg::Text(&words),
        Arg::Text(&similar),
    ];
    args.extend(first.args());
    args.extend([
        Arg::I32(status),
        Arg::Text(body),
        Arg::I64(user),
        Arg::OptText(key),
    ]);
    WithRow {
        row: diesel::insert_into(issues::table)
            .values(row)
            .returning(issues::id),
        parts: Fixed::<InsertFiled>::new(INSERT_PARTS, &args),
    }
    .get_result(pg)
}

/// `WITH i AS (<row>), <parts>`: a row's `INSERT … RETURNING id` (diesel's, from the row's
/// type) and the fixed parts that read its id, as one statement kept prepared under the pair
/// of their query ids.
struct WithRow<'a, I> {
    row: I,
    parts: Fixed<'a, InsertFiled>,
}

/// [`WithRow`]'s query id.
struct WithRowId<I>(std::marker::PhantomData<I>);

impl<I: QueryId> QueryId for WithRow<'_, I> {
    type QueryId = WithRowId<I::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = I::HAS_STATIC_QUERY_ID;
}

impl<I: QueryFragment<Pg>> QueryFragment<Pg> for WithRow<'_, I> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH i AS (");
        self.row.walk_ast(out.reborrow())?;
        out.push_sql("), ");
        self.parts.walk_ast(out.reborrow())
    }
}

impl<I> Query for WithRow<'_, I> {
    type SqlType = BigInt;
}

impl<I> RunQueryDsl<PgConnection> for WithRow<'_, I> {}

fn one_by_one(conn: &mut Db, id: i64, p: &NewParts<'_>) -> QueryResult<()> {
    for c in p.clocks {
        super::clocks::insert(
            conn,
            &ClockRow {
                issue_id: id,
                ..c.clone()
            },
        )?;
    }
    super::issues::insert_tags(conn, id, p.tags)?;
    super::issues::set_urls(conn, id, p.urls, false)?;
    super::issues::set_words(conn, id, p.words, false)?;
    let pairs: Vec<(i64, i64, i32, String)> = p
        .similar
        .iter()
        .flat_map(|(o, s, r)| [(id, *o, *s, r.clone()), (*o, id, *s, r.clone())])
        .collect();
    super::issues::insert_similar(conn, &pairs)?;
    super::audit::start_stream(conn, p.filed)?;
    if let Some((user, key, status, body)) = p.answer {
        super::issues::complete_idempotency(conn, user, key, status, body)?;
    }
    Ok(())
}
