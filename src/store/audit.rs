//! Appending to and reading the audit trail. Appends lock the stream's head row, so concurrent
//! writers to one stream queue up instead of forking the chain.
//!
//! Long because: the append's locking of a stream's head and its SQL for both backends sit
//! together.

#![allow(
    clippy::ref_option_ref,
    reason = "in the code diesel's Insertable derive writes for the borrowed optional columns"
)]

use super::fixed::{Arg, Fixed};
use super::schema::{audit_events, audit_heads};
use super::Db;
use crate::audit::{link, NewEvent, StoredEvent, GENESIS};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: i64,
    pub stream: String,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub changes: String,
    pub request_id: Option<String>,
    pub canonical: String,
    pub prev_hash: String,
    pub hash: String,
    pub client_request_id: Option<String>,
}

impl From<AuditRow> for StoredEvent {
    fn from(r: AuditRow) -> Self {
        StoredEvent {
            id: r.id,
            stream: r.stream,
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            changes: r.changes,
            request_id: r.request_id,
            client_request_id: r.client_request_id,
            canonical: r.canonical,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Insertable)]
// A `None` is inserted as NULL (what the column defaults to) instead of `DEFAULT`, so the
// INSERT is the same SQL every time and stays a prepared statement in diesel's cache.
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct NewRow<'a> {
    stream: &'a str,
    seq: i64,
    at: i64,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    changes: String,
    request_id: Option<&'a str>,
    client_request_id: Option<&'a str>,
    canonical: String,
    prev_hash: String,
    hash: String,
}

impl<'a> NewRow<'a> {
    /// `event` as the next link after a stream head at (`head_seq`, `head_hash`, `head_at`):
    /// recorded no earlier than the head's event, so that a stream's `at` never decreases
    /// (an event prepared before another that committed first takes that one's instant).
    fn linked(event: &'a NewEvent, head: Head) -> NewRow<'a> {
        let seq = head.seq + 1;
        let at = event.at.max(head.at);
        let canonical = event.canonical_at(seq, at);
        let hash = match &event.keys {
            Some(keys) => keys.link(&head.hash, &canonical),
            None => link(&head.hash, &canonical),
        };
        NewRow {
            stream: &event.stream,
            seq,
            at,
            actor: &event.actor,
            action: &event.action,
            subject: &event.subject,
            changes: event.changes_json(),
            request_id: event.request_id.as_deref(),
            client_request_id: event.client_request_id.as_deref(),
            canonical,
            prev_hash: head.hash,
            hash,
        }
    }
}

/// A stream's head: its newest event's seq, hash and instant.
#[derive(Debug, Clone, QueryableByName, Queryable)]
struct Head {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    hash: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    at: i64,
}

impl Head {
    fn genesis() -> Head {
        Head {
            seq: 0,
            hash: GENESIS.to_owned(),
            at: 0,
        }
    }
}

/// Locks the head of `stream` (creating it at the genesis) and answers it.
fn lock_head(conn: &mut Db, stream: &str) -> QueryResult<Head> {
    let genesis = (
        audit_heads::stream.eq(stream),
        audit_heads::seq.eq(0i64),
        audit_heads::hash.eq(GENESIS),
    );
    let columns = (audit_heads::seq, audit_heads::hash, audit_heads::at);
    match conn {
        Db::Pg(pg) => {
            diesel::insert_into(audit_heads::table)
                .values(genesis)
                .on_conflict_do_nothing()
                .execute(pg)?;
            audit_heads::table
                .find(stream)
                .select(columns)
                .for_update()
                .first(pg)
        }
        Db::Sqlite(lite) => {
            // The write transaction (BEGIN IMMEDIATE) already serialises writers.
            diesel::insert_or_ignore_into(audit_heads::table)
                .values(genesis)
                .execute(lite)?;
            audit_heads::table.find(stream).select(columns).first(lite)
        }
    }
}

/// Appends `event` to its stream inside the caller's transaction; answers (seq, hash).
pub fn append(conn: &mut Db, event: &NewEvent) -> QueryResult<(i64, String)> {
    let head = lock_head(conn, &event.stream)?;
    let row = NewRow::linked(event, head);
    super::on_backend!(conn, c => {
        diesel::insert_into(audit_events::table)
            .values(&row)
            .execute(c)?;
        diesel::update(audit_heads::table.find(&event.stream))
            .set((
                audit_heads::seq.eq(row.seq),
                audit_heads::hash.eq(&row.hash),
                audit_heads::at.eq(row.at),
            ))
            .execute(c)?
    });
    Ok((row.seq, row.hash))
}

/// The head and the first event of a new stream in one statement (PostgreSQL).
struct StartStream;

/// A new stream's head, as an `INSERT` for a `WITH` part; bound as [`NewRow::start_args`]
/// begins.
macro_rules! head_insert {
    () => {
        "INSERT INTO audit_heads (stream, seq, hash, at) VALUES (?, ?, ?, ?)"
    };
}

/// A new stream's first event; bound as [`NewRow::start_args`] goes on.
macro_rules! first_event_insert {
    () => {
        "INSERT INTO audit_events (stream, seq, at, actor, action, subject, changes, request_id, \
         client_request_id, canonical, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    };
}
pub(super) use {first_event_insert, head_insert};

const START_STREAM: &str = concat!(
    "WITH head AS (",
    head_insert!(),
    ") ",
    first_event_insert!()
);

impl NewRow<'_> {
    /// The values of [`head_insert`] then [`first_event_insert`], in their order.
    fn start_args(&self) -> [Arg<'_>; 16] {
        [
            Arg::Text(self.stream),
            Arg::I64(self.seq),
            Arg::Text(&self.hash),
            Arg::I64(self.at),
            Arg::Text(self.stream),
            Arg::I64(self.seq),
            Arg::I64(self.at),
            Arg::Text(self.actor),
            Arg::Text(self.action),
            Arg::Text(self.subject),
            Arg::Text(&self.changes),
            Arg::OptText(self.request_id),
            Arg::OptText(self.client_request_id),
            Arg::Text(&self.canonical),
            Arg::Text(&self.prev_hash),
            Arg::Text(&self.hash),
        ]
    }
}

/// The first event of a new stream, linked to the genesis head, ready to insert (the
/// filing's one-statement writes in `store::filing` use it).
pub(super) struct Genesis<'a>(NewRow<'a>);

pub(super) fn genesis(event: &NewEvent) -> Genesis<'_> {
    Genesis(NewRow::linked(event, Head::genesis()))
}

impl Genesis<'_> {
    /// The values of [`head_insert`] then [`first_event_insert`], in their order.
    pub(super) fn args(&self) -> [Arg<'_>; 16] {
        self.0.start_args()
    }
}

/// Starts a new stream with its first event, in one statement on PostgreSQL and two on SQLite
/// where `append` takes four: the head is created at the event (a stream that already exists is
/// a unique violation, so the caller's transaction fails rather than forking a chain).
pub fn start_stream(conn: &mut Db, event: &NewEvent) -> QueryResult<(i64, String)> {
    let row = NewRow::linked(event, Head::genesis());
    if let Db::Pg(pg) = conn {
        Fixed::<StartStream>::new(START_STREAM, &row.start_args()).execute(pg)?;
        return Ok((row.seq, row.hash));
    }
    super::on_backend!(conn, c => {
        diesel::insert_into(audit_heads::table)
            .values((
                audit_heads::stream.eq(&event.stream),
                audit_heads::seq.eq(row.seq),
                audit_heads::hash.eq(&row.hash),
                audit_heads::at.eq(row.at),
            ))
            .execute(c)?;
        diesel::insert_into(audit_events::table)
            .values(&row)
            .execute(c)?
    });
    Ok((row.seq, row.hash))
}

#[derive(QueryableByName)]
struct StreamHead {
    #[diesel(sql_type = diesel::sql_types::Text)]
    stream: String,
    #[diesel(embed)]
    head: Head,
}

/// Appends `events` (in order; any streams) inside the caller's transaction. On PostgreSQL the
/// heads of their streams are created and locked in one statement each (in stream order, so
/// that two batches never wait on each other in a cycle), the events are inserted many rows
/// per statement and the heads moved in one; SQLite appends them one by one.
pub fn append_all(conn: &mut Db, events: &[NewEvent]) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Text};
    let pg = match conn {
        Db::Pg(pg) if events.len() > 1 => pg,
        _ => {
            for e in events {
                append(conn, e)?;
            }
            return Ok(());
        }
    };
    let mut streams: Vec<String> = events.iter().map(|e| e.stream.clone()).collect();
    streams.sort_unstable();
    streams.dedup();
    diesel::sql_query(
        "INSERT INTO audit_heads (stream, seq, hash) SELECT s, 0, $2 FROM unnest($1::text[]) AS s \
         ORDER BY s ON CONFLICT DO NOTHING",
    )
    .bind::<Array<Text>, _>(&streams)
    .bind::<Text, _>(GENESIS)
    .execute(pg)?;
    let heads: Vec<StreamHead> = diesel::sql_query(
        "SELECT stream, seq, hash, at FROM audit_heads WHERE stream = ANY($1) ORDER BY stream FOR UPDATE",
    )
    .bind::<Array<Text>, _>(&streams)
    .load(pg)?;
    let mut head: std::collections::HashMap<String, Head> =
        heads.into_iter().map(|h| (h.stream, h.head)).collect();
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        let before = head
            .remove(&e.stream)
            .ok_or(diesel::result::Error::NotFound)?;
        let row = NewRow::linked(e, before);
        head.insert(
            e.stream.clone(),
            Head {
                seq: row.seq,
                hash: row.hash.clone(),
                at: row.at,
            },
        );
        rows.push(row);
    }
    // 11 parameters a row, well under PostgreSQL's 65,535 per statement.
    for part in rows.chunks(1_000) {
        diesel::insert_into(audit_events::table)
            .values(part)
            .execute(pg)?;
    }
    let (mut names, mut seqs, mut hashes, mut ats) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (name, h) in head {
        names.push(name);
        seqs.push(h.seq);
        hashes.push(h.hash);
        ats.push(h.at);
    }
    diesel::sql_query(
        "UPDATE audit_heads h SET seq = v.seq, hash = v.hash, at = v.at \
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[]) AS v(stream, seq, hash, at) \
         WHERE h.stream = v.stream",
    )
    .bind::<Array<Text>, _>(&names)
    .bind::<Array<BigInt>, _>(&seqs)
    .bind::<Array<Text>, _>(&hashes)
    .bind::<Array<BigInt>, _>(&ats)
    .execute(pg)?;
    Ok(())
}

/// Events ordered by (stream, seq), after the position `after`, at most `limit`.
pub fn page(conn: &mut Db, after: Option<(&str, i64)>, limit: i64) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_events::table
        .select(AuditRow::as_select())
        .order((audit_events::stream.asc(), audit_events::seq.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((stream, seq)) = after {
        q = q.filter(
            audit_events::stream
                .gt(stream.to_owned())
                .or(audit_events::stream
                    .eq(stream.to_owned())
                    .and(audit_events::seq.gt(seq))),
        );
    }
    q.load(conn)
}

/// The first event of the system stream with `action` (the audit key's introduction).
pub fn first_system_event(conn: &mut Db, action: &str) -> QueryResult<Option<AuditRow>> {
    audit_events::table
        .filter(audit_events::stream.eq(crate::audit::SYSTEM_STREAM))
        .filter(audit_events::action.eq(action))
        .select(AuditRow::as_select())
        .order(audit_events::seq.asc())
        .first(conn)
        .optional()
}

/// The largest event id (0 when there are none).
pub fn max_id(conn: &mut Db) -> QueryResult<i64> {
    audit_events::table
        .select(diesel::dsl::max(audit_events::id))
        .get_result::<Option<i64>>(conn)
        .map(|m| m.unwrap_or(0))
}

/// Whether any event's link is keyed.
pub fn any_keyed(conn: &mut Db) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        audit_events::table.filter(audit_events::hash.like("k:%")),
    ))
    .get_result(conn)
}

/// The largest event id and every stream head, ordered by stream, at one consistent instant:
/// on PostgreSQL the heads are locked against appends (SHARE) until the caller's transaction
/// ends, so that no event below that id is still uncommitted; SQLite's write transaction
/// already excludes writers.
pub fn checkpoint_state(conn: &mut Db) -> QueryResult<(i64, Vec<StreamHeadRow>)> {
    if let Db::Pg(pg) = conn {
        diesel::connection::SimpleConnection::batch_execute(
            pg,
            "LOCK TABLE audit_heads IN SHARE MODE",
        )?;
    }
    Ok((max_id(conn)?, heads(conn)?))
}

/// A stream head as read: (stream, seq, hash).
pub type StreamHeadRow = (String, i64, String);

/// Every stream head, ordered by stream.
pub fn heads(conn: &mut Db) -> QueryResult<Vec<StreamHeadRow>> {
    audit_heads::table
        .select((audit_heads::stream, audit_heads::seq, audit_heads::hash))
        .order(audit_heads::stream.asc())
        .load(conn)
}

/// The events of one stream, oldest first.
pub fn stream(conn: &mut Db, stream: &str) -> QueryResult<Vec<AuditRow>> {
    audit_events::table
        .filter(audit_events::stream.eq(stream))
        .select(AuditRow::as_select())
        .order(audit_events::seq.asc())
        .load(conn)
}

/// The newest events touching `subject`, newest first (for tests and admin views).
pub fn by_subject(conn: &mut Db, subject: &str) -> QueryResult<Vec<AuditRow>> {
    audit_events::table
        .filter(audit_events::subject.eq(subject))
        .select(AuditRow::as_select())
        .order(audit_events::id.desc())
        .load(conn)
}

/// Events of one stream with `seq` above `after`, oldest first, at most `limit`.
pub fn stream_page(
    conn: &mut Db,
    stream: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    audit_events::table
        .filter(audit_events::stream.eq(stream))
        .filter(audit_events::seq.gt(after))
        .select(AuditRow::as_select())
        .order(audit_events::seq.asc())
        .limit(limit)
        .load(conn)
}
