//! Issue rows, their tags and comments, reference numbers, and filing idempotency records.
//!
//! Long because: all SQL on issues, their tags, comments, references and idempotency keys, for both
//! backends.

use super::fixed::{self, Arg};
use super::limit::{limited, limited_to, DEFAULT_PAGE};
use super::schema::{
    idempotency_keys, issue_comments, issue_similar, issue_tags, issue_urls, issue_words, issues,
    ref_counters,
};
use super::Db;
use crate::domain::issue::IssueState;
use crate::domain::{
    Category, DisinformationType, Priority, Sensitivity, Status, UnitCode, Verdict,
};
use diesel::connection::SimpleConnection;
use diesel::dsl;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, PartialEq)]
// A `None` is inserted as NULL (what the column defaults to) instead of `DEFAULT`, so the
// INSERT is the same SQL every time and stays a prepared statement in diesel's cache.
#[diesel(table_name = issues, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct IssueRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub ref_: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub channel: String,
    pub priority: String,
    pub sensitivity: String,
    pub status: String,
    pub held_from: Option<String>,
    pub source_urls: String,
    pub screenshot_urls: String,
    pub archive_urls: String,
    pub reach: Option<i64>,
    pub posted_at: Option<i64>,
    pub district: Option<String>,
    pub village: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub filed_by_id: i64,
    pub filed_by: String,
    pub filing_unit: Option<String>,
    pub assigned_unit: Option<String>,
    pub proposed_unit: Option<String>,
    /// The name of the rule that proposed `proposed_unit`, as at filing.
    pub proposed_rule: Option<String>,
    pub lapor_id: Option<String>,
    pub tags: String,
    pub duplicate_of: Option<String>,
    pub escalation_level: i32,
    pub verdict: Option<String>,
    /// The kind of false content a hoax verdict found.
    pub disinformation_type: Option<String>,
    pub clarification_text: Option<String>,
    pub clarification_urls: Option<String>,
    pub version: i64,
    pub urgent_at: i64,
    pub is_open: bool,
    /// Title, description and LAPOR! id in lower case, for `q`. Written with every save (the service's
    /// `refresh_derived`) and never read back: a read answers it empty, which spares every list
    /// page a copy of each issue's text.
    #[diesel(select_expression = "".into_sql::<diesel::sql_types::Text>(), select_expression_type = diesel::dsl::AsExprOf<&'static str, diesel::sql_types::Text>)]
    pub search: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The id an imported spreadsheet gave the issue.
    pub external_id: Option<String>,
    /// A key of an imported issue's content (when it had no id).
    pub import_key: Option<String>,
    /// How many issues were merged into this one (kept by the merge): their refs are read only
    /// when there are any.
    pub merged_count: i32,
    /// The clocks as the issue shows them, JSON ([`super::clocks::snapshot`]): set with every
    /// change of a clock's shown state and saved with the row; lists and queues read it.
    pub clocks: String,
    /// The `version` at which `clocks` was last known to match the clocks' table (written by
    /// this release); lists read the table instead when they differ.
    pub clocks_version: i64,
    /// The comparable words of the title and description, for finding similar issues. Written
    /// with every save (the service's `refresh_derived`) and never read back, as `search`.
    #[diesel(select_expression = "".into_sql::<diesel::sql_types::Text>(), select_expression_type = diesel::dsl::AsExprOf<&'static str, diesel::sql_types::Text>)]
    pub similar_text: String,
    /// The rules `similar_text` was made with ([`crate::domain::similar::TEXT_VERSION`]).
    pub similar_version: i16,
}

/// What a list reads of an issue to show it when the rest of its wire shape and its clocks'
/// copy, functions of its row at (`version`, `escalation_level`), are already at hand
/// ([`crate::service::issues::wire`]).
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = issues)]
pub struct IssueHead {
    pub id: i64,
    pub ref_: String,
    pub version: i64,
    /// Written without bumping `version` (system metadata), so part of the key.
    pub escalation_level: i32,
    pub urgent_at: i64,
    pub created_at: i64,
    pub merged_count: i32,
    pub duplicate_of: Option<String>,
}

diesel::define_sql_function!(fn nextval(name: diesel::sql_types::Text) -> diesel::sql_types::BigInt);

/// What the numbering of a year answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefNumber {
    Number(i64),
    /// PostgreSQL has no sequence for the year yet; the transaction is aborted: create it with
    /// [`create_ref_sequence`] outside any transaction and try again.
    SequenceMissing,
}

/// The next reference number of `year`, inside the filing transaction. PostgreSQL takes it
/// from the year's sequence, which never blocks concurrent filings; SQLite, with one writer at
/// a time, keeps a counter row. Numbers are never reused; gaps are possible.
pub fn next_ref_number(conn: &mut Db, year: i16) -> QueryResult<RefNumber> {
    match conn {
        Db::Pg(pg) => {
            match diesel::select(nextval(format!("issue_ref_{year}"))).get_result::<i64>(pg) {
                Ok(n) => Ok(RefNumber::Number(n)),
                Err(diesel::result::Error::DatabaseError(_, info))
                    if info.message().contains("does not exist") =>
                {
                    Ok(RefNumber::SequenceMissing)
                }
                Err(e) => Err(e),
            }
        }
        Db::Sqlite(lite) => {
            let year = i32::from(year);
            diesel::insert_or_ignore_into(ref_counters::table)
                .values((ref_counters::year.eq(year), ref_counters::next.eq(1i64)))
                .execute(lite)?;
            let n: i64 = ref_counters::table
                .find(year)
                .select(ref_counters::next)
                .first(lite)?;
            diesel::update(ref_counters::table.find(year))
                .set(ref_counters::next.eq(n + 1))
                .execute(lite)?;
            Ok(RefNumber::Number(n))
        }
    }
}

/// A filing's claim of its `Idempotency-Key` (user, key, body hash, now, expired before): ON
/// CONFLICT … DO UPDATE … WHERE, so that only an expired claim is replaced.
macro_rules! claim_sql {
    () => {
        "INSERT INTO idempotency_keys \
         (user_id, key, body_hash, status, response, created_at) VALUES (?, ?, ?, 0, '', ?) \
         ON CONFLICT (user_id, key) DO UPDATE SET body_hash = excluded.body_hash, status = 0, \
         response = '', created_at = excluded.created_at \
         WHERE idempotency_keys.created_at < ?"
    };
}

/// What the filing transaction's first statement found: the key held by another filing, or
/// the next reference number (or its year's sequence missing).
pub enum Claimed {
    KeyTaken,
    Number(RefNumber),
}

/// Claims `key` for a filing in progress (as [`claim_idempotency`]) and takes the next
/// reference number of `year` (as [`next_ref_number`]) only when the key was claimed — a
/// retried request never uses up a number: one statement on PostgreSQL.
pub fn claim_and_number(
    conn: &mut Db,
    (user_id, key, body_hash): (i64, &str, &str),
    (now, expired_before): (i64, i64),
    year: i16,
) -> QueryResult<Claimed> {
    let Db::Pg(pg) = conn else {
        if !claim_idempotency(conn, user_id, key, body_hash, now, expired_before)? {
            return Ok(Claimed::KeyTaken);
        }
        return next_ref_number(conn, year).map(Claimed::Number);
    };
    use diesel::sql_types::{BigInt, Bool};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Bool)]
        claimed: bool,
        #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
        n: Option<i64>,
    }
    struct ClaimAndNumber;
    const CLAIM_AND_NUMBER: &str = concat!(
        "WITH c AS (",
        claim_sql!(),
        " RETURNING 1) SELECT x.claimed, CASE WHEN x.claimed THEN nextval(CAST(? AS regclass)) \
         END AS n FROM (SELECT EXISTS (SELECT 1 FROM c) AS claimed) AS x"
    );
    let sequence = format!("issue_ref_{year}");
    let args = [
        Arg::I64(user_id),
        Arg::Text(key),
        Arg::Text(body_hash),
        Arg::I64(now),
        Arg::I64(expired_before),
        Arg::Text(&sequence),
    ];
    match fixed::Fixed::<ClaimAndNumber>::new(CLAIM_AND_NUMBER, &args).get_result::<Row>(pg) {
        Ok(Row {
            claimed: true,
            n: Some(n),
        }) => Ok(Claimed::Number(RefNumber::Number(n))),
        Ok(_) => Ok(Claimed::KeyTaken),
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("does not exist") =>
        {
            Ok(Claimed::Number(RefNumber::SequenceMissing))
        }
        Err(e) => Err(e),
    }
}

/// Creates the year's sequence on PostgreSQL (outside any transaction). Two instances may race
/// here: one of them fails, and the retry of the filing finds the sequence.
pub fn create_ref_sequence(conn: &mut Db, year: i16) -> QueryResult<()> {
    if let Db::Pg(pg) = conn {
        let sql = format!("CREATE SEQUENCE IF NOT EXISTS issue_ref_{year}");
        if pg.batch_execute(&sql).is_err() {
            pg.batch_execute(&sql)?;
        }
    }
    Ok(())
}

/// Inserts the issue and answers its id.
pub fn insert(conn: &mut Db, row: &IssueRow) -> QueryResult<i64> {
    match conn {
        // One round trip on PostgreSQL.
        Db::Pg(pg) => diesel::insert_into(issues::table)
            .values(row)
            .returning(issues::id)
            .get_result(pg),
        Db::Sqlite(_) => {
            diesel::insert_into(issues::table)
                .values(row)
                .execute(conn)?;
            issues::table
                .filter(issues::ref_.eq(&row.ref_))
                .select(issues::id)
                .first(conn)
        }
    }
}

/// Finds an issue by its reference; with `lock`, holds the row until the transaction ends
/// (PostgreSQL; SQLite's write transaction already excludes other writers).
pub fn find_by_ref(conn: &mut Db, reference: &str, lock: bool) -> QueryResult<Option<IssueRow>> {
    match conn {
        Db::Pg(pg) if lock => issues::table
            .filter(issues::ref_.eq(reference))
            .select(IssueRow::as_select())
            .for_update()
            .first(pg)
            .optional(),
        _ => issues::table
            .filter(issues::ref_.eq(reference))
            .select(IssueRow::as_select())
            .first(conn)
            .optional(),
    }
}

/// Saves the row when its stored version is still `expected`; answers whether it did.
pub fn update_if_version(conn: &mut Db, row: &IssueRow, expected: i64) -> QueryResult<bool> {
    let n = diesel::update(
        issues::table
            .filter(issues::id.eq(row.id))
            .filter(issues::version.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_tags(conn: &mut Db, issue_id: i64, tags: &[String]) -> QueryResult<()> {
    diesel::delete(issue_tags::table.filter(issue_tags::issue_id.eq(issue_id))).execute(conn)?;
    insert_tags(conn, issue_id, tags)
}

/// The tags of a new issue, in one fixed statement on either backend (the list goes as one
/// JSON array, so the text does not depend on how many tags there are).
pub fn insert_tags(conn: &mut Db, issue_id: i64, tags: &[String]) -> QueryResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    struct InsertTags;
    let list = serde_json::to_string(tags)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    fixed::execute::<InsertTags>(
        conn,
        "INSERT INTO issue_tags (issue_id, tag) SELECT ?, jsonb_array_elements_text(CAST(? AS jsonb))",
        "INSERT INTO issue_tags (issue_id, tag) SELECT ?, value FROM json_each(?)",
        &[Arg::I64(issue_id), Arg::Text(&list)],
    )
    .map(drop)
}

/// (duplicate, original) pairs for the issues merged into any of `refs`.
pub fn duplicates_of_many(conn: &mut Db, refs: &[String]) -> QueryResult<Vec<(String, String)>> {
    super::on_backend!(conn, c => issues::table
        .filter(issues::duplicate_of.eq_any(refs))
        .select((issues::ref_, issues::duplicate_of.assume_not_null()))
        .order(issues::id.asc())
        .load(c))
}

/// The issues merged into any of `refs`, with their filers: (ref, filer's id, filer's email).
pub fn duplicates_with_filers(
    conn: &mut Db,
    refs: &[String],
) -> QueryResult<Vec<(String, i64, String)>> {
    super::on_backend!(conn, c => issues::table
        .filter(issues::duplicate_of.eq_any(refs))
        .select((issues::ref_, issues::filed_by_id, issues::filed_by))
        .order(issues::id.asc())
        .load(c))
}

pub fn count(conn: &mut Db) -> QueryResult<i64> {
    issues::table.count().get_result(conn)
}

/// Who may see what, as SQL.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Admin, TRC, leaders without a unit.
    All,
    /// A PIC: issues filed by or assigned to the unit's subtree, or filed by the user; restricted
    /// ones only when filed by the user or assigned to the user's own unit.
    Pic {
        user_id: i64,
        unit: String,
        subtree: Vec<String>,
    },
    /// A leader with a unit: issues filed by or assigned to the subtree; restricted ones only
    /// when assigned to the subtree.
    Leader { subtree: Vec<String> },
}

/// Which order a list comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `created_at` descending (lists).
    Newest,
    /// `urgent_at` ascending (queues).
    Urgent,
}

/// A list or queue request, already validated.
#[derive(Debug, Clone)]
pub struct IssueQuery {
    pub scope: Scope,
    /// Only these issues (empty: no such filter).
    pub ids: Vec<i64>,
    pub statuses: Vec<String>,
    pub open_only: bool,
    pub escalated_only: bool,
    pub assigned_units: Vec<String>,
    pub filing_units: Vec<String>,
    pub categories: Vec<String>,
    pub channels: Vec<String>,
    pub priorities: Vec<String>,
    pub sensitivities: Vec<String>,
    pub districts: Vec<String>,
    pub tags: Vec<String>,
    pub verdicts: Vec<String>,
    pub disinformation_types: Vec<String>,
    /// LAPOR! tracking ids, as written.
    pub lapor_ids: Vec<String>,
    pub text: Option<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub order: Order,
    /// The (sort key, id) of the last item of the previous page.
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

impl IssueRow {
    /// The issue as its rules see it; `None` when a stored value is not one the domain knows.
    pub fn state(&self) -> Option<IssueState> {
        Some(IssueState {
            reference: self.ref_.clone(),
            status: Status::parse(&self.status)?,
            held_from: self.held_from.as_deref().and_then(Status::parse),
            assigned_unit: self.assigned_unit.as_deref().map(UnitCode::stored),
            proposed_unit: self.proposed_unit.as_deref().map(UnitCode::stored),
            priority: Priority::parse(&self.priority)?,
            category: Category::parse(&self.category)?,
            sensitivity: Sensitivity::parse(&self.sensitivity)?,
            verdict: self.verdict.as_deref().and_then(Verdict::parse),
            disinformation_type: self
                .disinformation_type
                .as_deref()
                .and_then(DisinformationType::parse),
            duplicate_of: self.duplicate_of.clone(),
        })
    }

    /// Writes the rules' fields of `state` into the row.
    pub fn set_state(&mut self, state: &IssueState) {
        self.status = state.status.as_str().into();
        self.held_from = state.held_from.map(|s| s.as_str().to_owned());
        self.assigned_unit = state.assigned_unit.as_ref().map(|u| u.as_str().to_owned());
        self.proposed_unit = state.proposed_unit.as_ref().map(|u| u.as_str().to_owned());
        if self.proposed_unit.is_none() {
            self.proposed_rule = None;
        }
        self.priority = state.priority.as_str().into();
        self.category = state.category.as_str().into();
        self.sensitivity = state.sensitivity.as_str().into();
        self.verdict = state.verdict.map(|v| v.as_str().to_owned());
        self.disinformation_type = state.disinformation_type.map(|v| v.as_str().to_owned());
        self.duplicate_of.clone_from(&state.duplicate_of);
    }
}

impl IssueQuery {
    pub fn new(scope: Scope, order: Order, limit: i64) -> Self {
        IssueQuery {
            ids: Vec::new(),
            scope,
            statuses: vec![],
            open_only: false,
            escalated_only: false,
            assigned_units: vec![],
            filing_units: vec![],
            categories: vec![],
            channels: vec![],
            priorities: vec![],
            sensitivities: vec![],
            districts: vec![],
            tags: vec![],
            verdicts: vec![],
            disinformation_types: vec![],
            lapor_ids: vec![],
            text: None,
            created_from: None,
            created_to: None,
            order,
            after: None,
            limit,
        }
    }
}

type Backend = <Db as Connection>::Backend;

/// Escapes LIKE wildcards in user text.
pub fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// What a scope may see, as a condition on an issue's row (NULL counts as no).
type Visible<'a> = Box<
    dyn BoxableExpression<
            issues::table,
            Backend,
            SqlType = diesel::sql_types::Nullable<diesel::sql_types::Bool>,
        > + 'a,
>;

/// The condition of [`Scope`]: `None` for [`Scope::All`], which sees everything.
fn visible<'a>(scope: &Scope) -> Option<Visible<'a>> {
    match scope {
        Scope::All => None,
        Scope::Pic {
            user_id,
            unit,
            subtree,
        } => Some(Box::new(
            issues::sensitivity
                .eq("normal")
                .and(
                    issues::filing_unit
                        .eq_any(subtree.clone())
                        .or(issues::assigned_unit.eq_any(subtree.clone()))
                        .or(issues::filed_by_id.eq(*user_id)),
                )
                .or(issues::sensitivity.eq("restricted").and(
                    issues::filed_by_id
                        .eq(*user_id)
                        .or(issues::assigned_unit.eq(unit.clone())),
                )),
        )),
        Scope::Leader { subtree } => Some(Box::new(
            issues::sensitivity
                .eq("normal")
                .and(
                    issues::filing_unit
                        .eq_any(subtree.clone())
                        .or(issues::assigned_unit.eq_any(subtree.clone())),
                )
                .or(issues::sensitivity
                    .eq("restricted")
                    .and(issues::assigned_unit.eq_any(subtree.clone()))),
        )),
    }
}

/// Issues the scope may see, as a query to refine.
pub fn scoped<'a>(scope: &Scope) -> issues::BoxedQuery<'a, Backend> {
    let s = issues::table.into_boxed::<Backend>();
    match visible(scope) {
        None => s,
        Some(v) => s.filter(v),
    }
}

/// Queue order: most urgent due instant first, then by id.
fn queue_order() -> (dsl::Asc<issues::urgent_at>, dsl::Asc<issues::id>) {
    (issues::urgent_at.asc(), issues::id.asc())
}

/// Past the cursor `(at, id)` in [`queue_order`].
fn after_in_queue(at: i64, id: i64) -> AfterInQueue {
    issues::urgent_at
        .gt(at)
        .or(issues::urgent_at.eq(at).and(issues::id.gt(id)))
}

type AfterInQueue = dsl::Or<
    dsl::Gt<issues::urgent_at, i64>,
    dsl::And<dsl::Eq<issues::urgent_at, i64>, dsl::Gt<issues::id, i64>>,
>;

/// A page of the issues in `status`, most urgent first, after the cursor `(urgent_at, id)`: the
/// triage queue. Unlike [`list`], whose filters vary, so that its statement is written out on
/// every call to be found in the connection's cache by its text, this one has a fixed text and
/// type for each limit (the first page's cursor is the lowest possible); at the default page
/// size it is found by its type alone.
pub fn by_urgency_in_status(
    conn: &mut Db,
    status: &str,
    after: Option<(i64, i64)>,
    limit: i64,
) -> QueryResult<Vec<IssueRow>> {
    urgency_page!(conn, status, after, limit, IssueRow)
}

/// [`by_urgency_in_status`], each issue's [`IssueHead`] only.
pub fn heads_by_urgency_in_status(
    conn: &mut Db,
    status: &str,
    after: Option<(i64, i64)>,
    limit: i64,
) -> QueryResult<Vec<IssueHead>> {
    urgency_page!(conn, status, after, limit, IssueHead)
}

/// User `user`'s row (none: no such user) and [`heads_by_urgency_in_status`]: one statement
/// on PostgreSQL ([`super::with_user`]), two on SQLite (in the process: no round trip to
/// save). The caller must check the user before using the heads.
pub fn user_and_heads_by_urgency_in_status(
    conn: &mut Db,
    user: i64,
    status: &str,
    after: Option<(i64, i64)>,
    limit: i64,
) -> QueryResult<(Option<super::users::UserRow>, Vec<IssueHead>)> {
    use super::with_user::{split, with_user};
    let pg = match conn {
        Db::Pg(pg) => pg,
        Db::Sqlite(_) => {
            let row = super::users::find(conn, user)?;
            return Ok((row, heads_by_urgency_in_status(conn, status, after, limit)?));
        }
    };
    macro_rules! load {
        ($q:expr) => {
            with_user::<_, IssueHead>(user, $q).load(pg)
        };
    }
    let rows: Vec<(Option<super::users::UserRow>, Option<IssueHead>)> =
        urgency_page!(status, after, limit, IssueHead => load)?;
    let (row, mut heads) = split(rows);
    heads.sort_by_key(|h| (h.urgent_at, h.id));
    Ok((row, heads))
}

/// The body of [`by_urgency_in_status`] selecting `$row`: the page's statement in one of its
/// four shapes, loaded on `$conn`, or handed to the caller's macro `$load` to be run (a macro:
/// the selection's backend is the connection's, so each backend's arm builds its own).
macro_rules! urgency_page {
    ($conn:expr, $status:expr, $after:expr, $limit:expr, $row:ty) => {{
        macro_rules! load_on_backend {
            ($q:expr) => {
                super::on_backend!($conn, c => $q.load(c))
            };
        }
        urgency_page!($status, $after, $limit, $row => load_on_backend)
    }};
    ($status:expr, $after:expr, $limit:expr, $row:ty => $load:ident) => {{
        macro_rules! query {
            () => {
                issues::table
                    .filter(issues::status.eq($status))
                    .order(queue_order())
                    .select(<$row>::as_select())
            };
        }
        // The default page and its look-ahead row: found in the cache by its type, its SQL not
        // written out again (a twentieth of the service's CPU on a page). The first page is its
        // own statement, without the cursor's condition: with it PostgreSQL could not tell how
        // many rows a bound cursor lets through, judged its one plan for every call worse than
        // planning each call anew, and planned every first page again (a third of the database's
        // time on a page of the triage queue at a million issues, docs/BENCHMARKS.md).
        match $after {
            None if $limit == DEFAULT_PAGE + 1 => {
                $load!(limited_to::<{ DEFAULT_PAGE + 1 }, _>(query!()))
            }
            None => $load!(limited(query!(), $limit)),
            Some((at, id)) if $limit == DEFAULT_PAGE + 1 => {
                $load!(limited_to::<{ DEFAULT_PAGE + 1 }, _>(
                    query!().filter(after_in_queue(at, id))
                ))
            }
            Some((at, id)) => $load!(limited(query!().filter(after_in_queue(at, id)), $limit)),
        }
    }};
}
use urgency_page;

/// A page of issues. A queue over a few units (a unit and its sub-units) is read unit by unit
/// and merged: each part then walks its index in queue order and stops at the page's end,
/// where one query over all the units would read and sort every open issue they hold. The
/// parts answer only their sort keys; the page's rows are then read by id, so that a page
/// decodes its own rows and not those of every part.
pub fn list(conn: &mut Db, q: &IssueQuery) -> QueryResult<Vec<IssueRow>> {
    list_as!(conn, q, IssueRow)
}

/// [`list`], each issue's [`IssueHead`] only.
pub fn list_heads(conn: &mut Db, q: &IssueQuery) -> QueryResult<Vec<IssueHead>> {
    list_as!(conn, q, IssueHead)
}

/// The body of [`list`] selecting `$row`.
macro_rules! list_as {
    ($conn:expr, $q:expr, $row:ty) => {{
        let (conn, q): (&mut Db, &IssueQuery) = ($conn, $q);
        if q.order == Order::Urgent && (2..=16).contains(&q.assigned_units.len()) {
            let mut keys: Vec<(i64, i64)> = Vec::new();
            for unit in &q.assigned_units {
                let one = IssueQuery {
                    assigned_units: vec![unit.clone()],
                    ..q.clone()
                };
                keys.extend(
                    limited(
                        filtered(&one).select((issues::urgent_at, issues::id)),
                        q.limit,
                    )
                    .load::<(i64, i64)>(conn)?,
                );
            }
            keys.sort_unstable();
            keys.truncate(usize::try_from(q.limit).unwrap_or(0));
            let ids: Vec<i64> = keys.iter().map(|(_, id)| *id).collect();
            let mut rows: Vec<$row> = super::on_backend!(conn, c => issues::table
                .filter(issues::id.eq_any(&ids))
                .select(<$row>::as_select())
                .load(c))?;
            rows.sort_by_key(|r| (r.urgent_at, r.id));
            return Ok(rows);
        }
        limited(filtered(q).select(<$row>::as_select()), q.limit).load(conn)
    }};
}
use list_as;

/// The issues of `ids` (in no particular order).
pub fn by_ids(conn: &mut Db, ids: &[i64]) -> QueryResult<Vec<IssueRow>> {
    super::on_backend!(conn, c => issues::table
        .filter(issues::id.eq_any(ids))
        .select(IssueRow::as_select())
        .load(c))
}

/// The issues of `refs` (in no particular order).
pub fn by_refs(conn: &mut Db, refs: &[String]) -> QueryResult<Vec<IssueRow>> {
    super::on_backend!(conn, c => issues::table
        .filter(issues::ref_.eq_any(refs))
        .select(IssueRow::as_select())
        .load(c))
}

/// The query of `q`: its scope, filters, order and cursor (its limit goes into the text, by
/// [`limited`]).
fn filtered<'a>(q: &IssueQuery) -> issues::BoxedQuery<'a, Backend> {
    let mut s = scoped(&q.scope);
    if !q.ids.is_empty() {
        s = s.filter(issues::id.eq_any(q.ids.clone()));
    }
    // A single value is written `=`, not `= ANY($1)`: with a bound array PostgreSQL's generic
    // plan cannot walk the (status, urgent_at) index in order and sorts every match instead.
    match q.statuses.as_slice() {
        [] => {}
        [one] => s = s.filter(issues::status.eq(one.clone())),
        many => s = s.filter(issues::status.eq_any(many.to_vec())),
    }
    if q.open_only {
        s = s.filter(issues::is_open.eq(true));
    }
    if q.escalated_only {
        s = s.filter(issues::escalation_level.gt(0));
    }
    match q.assigned_units.as_slice() {
        [] => {}
        [one] => s = s.filter(issues::assigned_unit.eq(one.clone())),
        many => s = s.filter(issues::assigned_unit.eq_any(many.to_vec())),
    }
    if !q.filing_units.is_empty() {
        s = s.filter(issues::filing_unit.eq_any(q.filing_units.clone()));
    }
    if !q.categories.is_empty() {
        s = s.filter(issues::category.eq_any(q.categories.clone()));
    }
    if !q.channels.is_empty() {
        s = s.filter(issues::channel.eq_any(q.channels.clone()));
    }
    if !q.priorities.is_empty() {
        s = s.filter(issues::priority.eq_any(q.priorities.clone()));
    }
    if !q.sensitivities.is_empty() {
        s = s.filter(issues::sensitivity.eq_any(q.sensitivities.clone()));
    }
    if !q.districts.is_empty() {
        s = s.filter(issues::district.eq_any(q.districts.clone()));
    }
    if !q.verdicts.is_empty() {
        s = s.filter(issues::verdict.eq_any(q.verdicts.clone()));
    }
    if !q.disinformation_types.is_empty() {
        s = s.filter(issues::disinformation_type.eq_any(q.disinformation_types.clone()));
    }
    if !q.lapor_ids.is_empty() {
        s = s.filter(issues::lapor_id.eq_any(q.lapor_ids.clone()));
    }
    if !q.tags.is_empty() {
        s = s.filter(
            issues::id.eq_any(
                issue_tags::table
                    .filter(issue_tags::tag.eq_any(q.tags.clone()))
                    .select(issue_tags::issue_id),
            ),
        );
    }
    if let Some(text) = &q.text {
        s = s.filter(issues::search.like(like_pattern(text)).escape('\\'));
    }
    if let Some(from) = q.created_from {
        s = s.filter(issues::created_at.ge(from));
    }
    if let Some(to) = q.created_to {
        s = s.filter(issues::created_at.lt(to));
    }
    ordered(s, q)
}

/// `s` in the order `q` asks for, after its cursor.
fn ordered<'a>(
    mut s: issues::BoxedQuery<'a, Backend>,
    q: &IssueQuery,
) -> issues::BoxedQuery<'a, Backend> {
    match q.order {
        Order::Newest => {
            if let Some((at, id)) = q.after {
                s = s.filter(
                    issues::created_at
                        .lt(at)
                        .or(issues::created_at.eq(at).and(issues::id.lt(id))),
                );
            }
            s = s.order((issues::created_at.desc(), issues::id.desc()));
        }
        Order::Urgent => {
            if let Some((at, id)) = q.after {
                s = s.filter(after_in_queue(at, id));
            }
            s = s.order(queue_order());
        }
    }
    s
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = issue_comments)]
pub struct CommentRow {
    pub id: i64,
    pub issue_id: i64,
    pub kind: String,
    pub body: String,
    pub author: String,
    pub created_at: i64,
}

pub fn insert_comment(
    conn: &mut Db,
    issue_id: i64,
    kind: &str,
    body: &str,
    author: &str,
    at: i64,
) -> QueryResult<CommentRow> {
    diesel::insert_into(issue_comments::table)
        .values((
            issue_comments::issue_id.eq(issue_id),
            issue_comments::kind.eq(kind),
            issue_comments::body.eq(body),
            issue_comments::author.eq(author),
            issue_comments::created_at.eq(at),
        ))
        .execute(conn)?;
    issue_comments::table
        .filter(issue_comments::issue_id.eq(issue_id))
        .order(issue_comments::id.desc())
        .select(CommentRow::as_select())
        .first(conn)
}

/// Comments of an issue, oldest first, after comment `after`, at most `limit`.
pub fn comments(
    conn: &mut Db,
    issue_id: i64,
    kinds: &[&str],
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<CommentRow>> {
    let mut q = issue_comments::table
        .filter(issue_comments::issue_id.eq(issue_id))
        .filter(
            issue_comments::kind.eq_any(kinds.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>()),
        )
        .select(CommentRow::as_select())
        .order(issue_comments::id.asc())
        .limit(limit)
        .into_boxed::<Backend>();
    if let Some(a) = after {
        q = q.filter(issue_comments::id.gt(a));
    }
    q.load(conn)
}

/// A stored answer to an `Idempotency-Key`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub user_id: i64,
    pub key: String,
    pub body_hash: String,
    pub status: i32,
    pub response: String,
    pub created_at: i64,
}

pub fn find_idempotency(
    conn: &mut Db,
    user_id: i64,
    key: &str,
    since: i64,
) -> QueryResult<Option<IdempotencyRow>> {
    idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::key.eq(key))
        .filter(idempotency_keys::created_at.ge(since))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()
}

/// Claims `key` for a filing in progress, replacing an expired claim, in one statement;
/// answers false when the key is held (in progress or done, and not expired).
fn claim_idempotency(
    conn: &mut Db,
    user_id: i64,
    key: &str,
    body_hash: &str,
    now: i64,
    expired_before: i64,
) -> QueryResult<bool> {
    // Both backends understand the same text.
    const CLAIM: &str = claim_sql!();
    struct Claim;
    let args = [
        Arg::I64(user_id),
        Arg::Text(key),
        Arg::Text(body_hash),
        Arg::I64(now),
        Arg::I64(expired_before),
    ];
    fixed::execute::<Claim>(conn, CLAIM, CLAIM, &args).map(|n| n == 1)
}

/// Stores the answer of a claimed filing.
pub fn complete_idempotency(
    conn: &mut Db,
    user_id: i64,
    key: &str,
    status: i32,
    response: &str,
) -> QueryResult<()> {
    const COMPLETE: &str =
        "UPDATE idempotency_keys SET status = ?, response = ? WHERE user_id = ? AND key = ?";
    struct Complete;
    let args = [
        Arg::I32(status),
        Arg::Text(response),
        Arg::I64(user_id),
        Arg::Text(key),
    ];
    fixed::execute::<Complete>(conn, COMPLETE, COMPLETE, &args).map(drop)
}

/// The issues of clocks, locked for the timer in one statement: on PostgreSQL `FOR UPDATE SKIP
/// LOCKED`, so that the timer never waits on people and never deadlocks with them (issues a
/// user's change holds are left out); on SQLite the write transaction already serialises
/// writers.
pub fn lock_of_clocks_for_timer(conn: &mut Db, clock_ids: &[i64]) -> QueryResult<Vec<IssueRow>> {
    use super::schema::issue_clocks;
    let of_clocks = issues::id.eq_any(
        issue_clocks::table
            .filter(issue_clocks::id.eq_any(clock_ids.to_vec()))
            .select(issue_clocks::issue_id),
    );
    match conn {
        Db::Pg(pg) => issues::table
            .filter(of_clocks)
            .select(IssueRow::as_select())
            .for_update()
            .skip_locked()
            .load(pg),
        Db::Sqlite(_) => issues::table
            .filter(of_clocks)
            .select(IssueRow::as_select())
            .load(conn),
    }
}

/// Sets the escalation level of many issues (system metadata: versions are not bumped); one
/// statement on PostgreSQL.
pub fn set_escalation_levels(conn: &mut Db, levels: &[(i64, i32)]) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Integer};
    match conn {
        Db::Pg(pg) if levels.len() > 1 => {
            let (ids, values): (Vec<i64>, Vec<i32>) = levels.iter().copied().unzip();
            diesel::sql_query(
                "UPDATE issues i SET escalation_level = v.level \
                 FROM unnest($1::bigint[], $2::int[]) AS v(id, level) WHERE i.id = v.id",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Integer>, _>(&values)
            .execute(pg)
            .map(drop)
        }
        _ => {
            for &(id, level) in levels {
                set_escalation_level(conn, id, level)?;
            }
            Ok(())
        }
    }
}

/// Sets the escalation level (system metadata: the version is not bumped).
pub fn set_escalation_level(conn: &mut Db, id: i64, level: i32) -> QueryResult<()> {
    diesel::update(issues::table.find(id))
        .set(issues::escalation_level.eq(level))
        .execute(conn)
        .map(drop)
}

/// Whether an issue was already imported under this external id, import key or ref.
pub fn imported(conn: &mut Db, external_id: Option<&str>, import_key: &str) -> QueryResult<bool> {
    let mut q = issues::table
        .filter(issues::import_key.eq(import_key))
        .select(issues::id)
        .limit(1)
        .into_boxed::<Backend>();
    if let Some(e) = external_id {
        q = q
            .or_filter(issues::external_id.eq(e))
            .or_filter(issues::ref_.eq(e));
    }
    Ok(!q.load::<i64>(conn)?.is_empty())
}

/// Issues by id after `after` (optionally filed in `[from, to)`), at most `limit` (exports).
pub fn page_by_id(
    conn: &mut Db,
    after: i64,
    from: Option<i64>,
    to: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<IssueRow>> {
    let mut q = issues::table
        .filter(issues::id.gt(after))
        .select(IssueRow::as_select())
        .order(issues::id.asc())
        .limit(limit)
        .into_boxed::<Backend>();
    if let Some(f) = from {
        q = q.filter(issues::created_at.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(issues::created_at.lt(t));
    }
    q.load(conn)
}

/// Replaces the canonical addresses of an issue's posts.
pub fn set_urls(conn: &mut Db, issue_id: i64, urls: &[String], replace: bool) -> QueryResult<()> {
    if replace {
        super::on_backend!(conn, c => diesel::delete(issue_urls::table.filter(issue_urls::issue_id.eq(issue_id)))
            .execute(c))?;
    }
    let rows: Vec<_> = urls
        .iter()
        .map(|u| (issue_urls::url.eq(u), issue_urls::issue_id.eq(issue_id)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    super::on_backend!(conn, c => diesel::insert_into(issue_urls::table).values(&rows).execute(c))?;
    Ok(())
}

/// The issues that carry one of `urls` (canonical addresses), the newest first, at most
/// `limit` ([`candidates`] on SQLite).
fn with_urls(conn: &mut Db, urls: &[String], limit: i64) -> QueryResult<Vec<i64>> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    super::on_backend!(conn, c => issue_urls::table
        .filter(issue_urls::url.eq_any(urls))
        .select(issue_urls::issue_id)
        .distinct()
        .order(issue_urls::issue_id.desc())
        .limit(limit)
        .load(c))
}

/// A word and an issue that carries it.
pub type WordHit = (String, i64);

/// The issues that carry one of `urls` (at most `limit`) and, for each of `words`, the newest
/// issues that carry it (at most `per_word`): [`with_urls`] and [`word_hits`] in one round trip
/// on PostgreSQL (a prepared statement: the lists go as JSON arrays).
pub fn candidates(
    conn: &mut Db,
    urls: &[String],
    words: &[String],
    (limit, per_word): (i64, i64),
) -> QueryResult<(Vec<i64>, Vec<WordHit>)> {
    let Db::Pg(pg) = conn else {
        return Ok((
            with_urls(conn, urls, limit)?,
            word_hits(conn, words, per_word)?,
        ));
    };
    use diesel::sql_types::{BigInt, Nullable, Text};
    #[derive(QueryableByName)]
    struct Hit {
        #[diesel(sql_type = Nullable<Text>)]
        word: Option<String>,
        #[diesel(sql_type = BigInt)]
        issue_id: i64,
    }
    struct Candidates;
    // Each post's newest issues through the primary key `(url, issue_id)`, read backwards from
    // the post and stopped at the limit, and each word's newest issues through
    // `newest_with_words` (migration 23). The posts' part was `SELECT DISTINCT issue_id …
    // WHERE url = ANY(…) LIMIT ?`: the generic plan PostgreSQL keeps for it after five runs
    // (planned without the limit's value, taken as a tenth of the rows) walked the issue-id
    // index to have the ids in order and filtered every post by address — a filing's read grew
    // with the table (docs/BENCHMARKS.md, fourteenth session). Ordered by the key's own order
    // for one address, no plan is cheaper than the key.
    const CANDIDATES: &str = "SELECT NULL::text AS word, u.issue_id FROM unnest(ARRAY(SELECT \
         jsonb_array_elements_text(CAST(? AS jsonb)))) AS q (url) CROSS JOIN LATERAL (SELECT \
         issue_id FROM issue_urls AS p WHERE p.url = q.url ORDER BY p.issue_id DESC LIMIT ?) AS u \
         UNION ALL SELECT word, issue_id FROM newest_with_words(ARRAY(SELECT \
         jsonb_array_elements_text(CAST(? AS jsonb))), ?)";
    let json = |v: &[String]| {
        serde_json::to_string(v).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
    };
    let (urls, words) = (json(urls)?, json(words)?);
    let args = [
        Arg::Text(&urls),
        Arg::I64(limit),
        Arg::Text(&words),
        Arg::I64(per_word),
    ];
    let hits: Vec<Hit> = fixed::Fixed::<Candidates>::new(CANDIDATES, &args).load(pg)?;
    let (mut by_url, mut by_word) = (Vec::new(), Vec::new());
    for h in hits {
        match h.word {
            None => by_url.push(h.issue_id),
            Some(w) => by_word.push((w, h.issue_id)),
        }
    }
    // An issue that carries two of the posts comes once, the newest first, at most `limit`.
    by_url.sort_unstable_by(|a, b| b.cmp(a));
    by_url.dedup();
    by_url.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((by_url, by_word))
}

/// The issues that carry the LAPOR! tracking id `id` (any case), at most `limit`.
pub fn with_lapor_id(conn: &mut Db, id: &str, limit: i64) -> QueryResult<Vec<i64>> {
    // Ids are written as LAPOR! shows them; compared in upper case, the two common spellings.
    let spellings = vec![id.to_owned(), id.to_uppercase(), id.to_lowercase()];
    super::on_backend!(conn, c => issues::table
        .filter(issues::lapor_id.eq_any(&spellings))
        .select(issues::id)
        .limit(limit)
        .load(c))
}

/// Replaces the words an issue is found by (the domain's `index_words`).
pub fn set_words(conn: &mut Db, issue_id: i64, words: &[String], replace: bool) -> QueryResult<()> {
    if replace {
        super::on_backend!(conn, c => diesel::delete(issue_words::table.filter(issue_words::issue_id.eq(issue_id)))
            .execute(c))?;
    }
    let rows: Vec<_> = words
        .iter()
        .map(|w| (issue_words::word.eq(w), issue_words::issue_id.eq(issue_id)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    super::on_backend!(conn, c => diesel::insert_into(issue_words::table).values(&rows).execute(c))?;
    Ok(())
}

/// For each of `words`, the newest issues that carry it, at most `per_word`: (word, issue id),
/// one short query per word, in process ([`candidates`] on SQLite; PostgreSQL reads them in
/// its one statement). Each word is one range of the primary key read backwards, so the cost
/// is bounded by the words and `per_word`, never by how many issues there are.
fn word_hits(conn: &mut Db, words: &[String], per_word: i64) -> QueryResult<Vec<WordHit>> {
    let mut out = Vec::new();
    for w in words {
        let ids: Vec<i64> = super::on_backend!(conn, c => issue_words::table
            .filter(issue_words::word.eq(w))
            .order(issue_words::issue_id.desc())
            .select(issue_words::issue_id)
            .limit(per_word)
            .load(c))?;
        out.extend(ids.into_iter().map(|id| (w.clone(), id)));
    }
    Ok(out)
}

/// Issues whose comparable words were made under an older version than `version`: (id,
/// title, description, source URLs as stored), at most `limit`, by id.
pub fn similar_outdated(
    conn: &mut Db,
    version: i16,
    limit: i64,
) -> QueryResult<Vec<(i64, String, String, String)>> {
    super::on_backend!(conn, c => issues::table
        .filter(issues::similar_version.lt(version))
        .order(issues::id)
        .select((issues::id, issues::title, issues::description, issues::source_urls))
        .limit(limit)
        .load(c))
}

/// Writes an issue's comparable words and the version of the rules they were made with.
pub fn set_similar_text(conn: &mut Db, id: i64, text: &str, version: i16) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::update(issues::table.find(id))
        .set((issues::similar_text.eq(text), issues::similar_version.eq(version)))
        .execute(c)
        .map(drop))
}

/// Keeps what filing found: `(issue, other, score in thousandths, reasons as JSON)`, each pair
/// as given (the caller writes both ways); a pair already kept stays as it was.
pub fn insert_similar(conn: &mut Db, pairs: &[(i64, i64, i32, String)]) -> QueryResult<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    // One statement for all the pairs (a filing's round trips are its cost).
    let rows: Vec<_> = pairs
        .iter()
        .map(|(issue, other, score, reasons)| {
            (
                issue_similar::issue_id.eq(*issue),
                issue_similar::other_id.eq(*other),
                issue_similar::score.eq(*score),
                issue_similar::reasons.eq(reasons.as_str()),
            )
        })
        .collect();
    super::on_backend!(conn, c => diesel::insert_into(issue_similar::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// A kept pair: (issue id, the other's id, ref, title and status, score in thousandths,
/// reasons as JSON).
pub type SimilarRow = (i64, i64, String, String, String, i32, String);

/// What filing found for `ids`, best first per issue.
pub fn similar_of(conn: &mut Db, ids: &[i64]) -> QueryResult<Vec<SimilarRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    super::on_backend!(conn, c => issue_similar::table
        .inner_join(issues::table.on(issues::id.eq(issue_similar::other_id)))
        .filter(issue_similar::issue_id.eq_any(ids))
        .order((issue_similar::issue_id, issue_similar::score.desc()))
        .select((
            issue_similar::issue_id,
            issue_similar::other_id,
            issues::ref_,
            issues::title,
            issues::status,
            issue_similar::score,
            issue_similar::reasons,
        ))
        .load(c))
}

/// The ids of the issues `q` finds (its scope, its `ids`), nothing else read.
pub fn ids_of(conn: &mut Db, q: &IssueQuery) -> QueryResult<Vec<i64>> {
    limited(filtered(q).select(issues::id), q.limit).load(conn)
}

/// What filing found for `ids`: for each issue its `per_issue` best pairs whose other issue
/// is not a merged duplicate, best first (ties by the other's id), for a reader who sees every
/// issue. On PostgreSQL each issue's pairs are sorted first and the other issues read in that
/// order until `per_issue` pass, so a page of the triage board reads a few issues per card,
/// not every pair's (1,100 buffers instead of 2,800 for a page at a million grown issues);
/// SQLite cuts them in process.
pub fn similar_best(conn: &mut Db, ids: &[i64], per_issue: i64) -> QueryResult<Vec<SimilarRow>> {
    let Db::Pg(pg) = conn else {
        let mut out = Vec::new();
        let mut last: Option<(i64, i64)> = None;
        for row in similar_of(conn, ids)? {
            if row.4 == "duplicate" {
                continue;
            }
            let n = match last {
                Some((issue, n)) if issue == row.0 => n + 1,
                _ => 1,
            };
            last = Some((row.0, n));
            if n <= per_issue {
                out.push(row);
            }
        }
        return Ok(out);
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    use diesel::sql_types::{BigInt, Integer, Text};
    #[derive(QueryableByName)]
    struct Pair {
        #[diesel(sql_type = BigInt)]
        issue_id: i64,
        #[diesel(sql_type = BigInt)]
        other_id: i64,
        #[diesel(sql_type = Text)]
        reference: String,
        #[diesel(sql_type = Text)]
        title: String,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Integer)]
        score: i32,
        #[diesel(sql_type = Text)]
        reasons: String,
    }
    struct SimilarBest;
    const SIMILAR_BEST: &str = "SELECT q.id AS issue_id, p.other_id, p.reference, p.title, \
         p.status, p.score, p.reasons \
         FROM (SELECT CAST(v AS bigint) AS id FROM jsonb_array_elements_text(CAST(? AS jsonb)) \
           AS v) AS q \
         CROSS JOIN LATERAL (SELECT s.other_id, i.ref AS reference, i.title, i.status, s.score, \
           s.reasons FROM (SELECT other_id, score, reasons FROM issue_similar \
             WHERE issue_id = q.id ORDER BY score DESC, other_id ASC) AS s \
           JOIN LATERAL (SELECT ref, title, status FROM issues WHERE id = s.other_id) AS i \
             ON i.status <> 'duplicate' \
           ORDER BY s.score DESC, s.other_id ASC LIMIT ?) AS p \
         ORDER BY q.id, p.score DESC, p.other_id ASC";
    let list = serde_json::to_string(ids)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let args = [Arg::Text(&list), Arg::I64(per_issue)];
    let pairs: Vec<Pair> = fixed::Fixed::<SimilarBest>::new(SIMILAR_BEST, &args).load(pg)?;
    Ok(pairs
        .into_iter()
        .map(|p| {
            (
                p.issue_id,
                p.other_id,
                p.reference,
                p.title,
                p.status,
                p.score,
                p.reasons,
            )
        })
        .collect())
}

/// What similar issues compare of an issue.
#[derive(Debug, Clone, Queryable)]
pub struct CompareRow {
    pub id: i64,
    pub ref_: String,
    pub title: String,
    pub description: String,
    /// Its comparable words, made under the rules of `similar_version`.
    pub similar_text: String,
    pub similar_version: i16,
    /// As stored (a JSON list).
    pub source_urls: String,
    pub district: Option<String>,
    pub village: Option<String>,
    pub category: String,
    pub status: String,
    pub lapor_id: Option<String>,
    /// Whether the scope of `compare_rows`'s `seen_by` may see it (NULL is no).
    pub seen: Option<bool>,
}

/// The issues `q` finds (its scope and `ids`), with only what similar issues compare: no
/// clocks, no duplicates, no views; each with whether `seen_by` may see it (a filing compares
/// with every issue and shows its filer only those, in the same read).
pub fn compare_rows(
    conn: &mut Db,
    q: &IssueQuery,
    seen_by: &Scope,
) -> QueryResult<Vec<CompareRow>> {
    let seen: Visible<'_> = visible(seen_by).unwrap_or_else(|| {
        Box::new(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Bool>,
        >("TRUE"))
    });
    limited(
        filtered(q).select((
            issues::id,
            issues::ref_,
            issues::title,
            issues::description,
            issues::similar_text,
            issues::similar_version,
            issues::source_urls,
            issues::district,
            issues::village,
            issues::category,
            issues::status,
            issues::lapor_id,
            seen,
        )),
        q.limit,
    )
    .load(conn)
}
