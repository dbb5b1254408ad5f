//! Clarifications. The public pages read only [`published`] and [`published_page`]: published
//! rows, their snapshot columns.

use super::schema::{clarifications, issues};
use super::Db;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = clarifications, treat_none_as_null = true)]
pub struct ClarificationRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub issue_id: i64,
    pub public_id: Option<String>,
    pub state: String,
    pub title: String,
    pub claim: Option<String>,
    pub body: String,
    /// JSON list of supporting links.
    pub urls: String,
    pub standalone: bool,
    pub verdict: Option<String>,
    pub disinformation_type: Option<String>,
    pub category: Option<String>,
    pub district: Option<String>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub detected_at: i64,
    pub proposed_by: String,
    pub proposed_at: i64,
    pub decided_by: Option<String>,
    pub return_reason: Option<String>,
    pub published_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
    pub withdraw_reason: Option<String>,
    pub search: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Inserts a clarification; answers its id.
pub fn insert(conn: &mut Db, row: &ClarificationRow) -> QueryResult<i64> {
    diesel::insert_into(clarifications::table)
        .values(row)
        .execute(conn)?;
    clarifications::table
        .filter(clarifications::issue_id.eq(row.issue_id))
        .order(clarifications::id.desc())
        .select(clarifications::id)
        .first(conn)
}

/// Saves a changed clarification when its stored version is still `expected` (the caller bumps
/// the row's); answers whether it did.
pub fn update_if_version(
    conn: &mut Db,
    row: &ClarificationRow,
    expected: i64,
) -> QueryResult<bool> {
    let n = diesel::update(
        clarifications::table
            .filter(clarifications::id.eq(row.id))
            .filter(clarifications::version.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// A clarification and its issue's ref; `lock` takes both rows for update (PostgreSQL).
pub fn find(conn: &mut Db, id: i64, lock: bool) -> QueryResult<Option<(ClarificationRow, String)>> {
    match conn {
        Db::Pg(pg) if lock => clarifications::table
            .inner_join(issues::table)
            .filter(clarifications::id.eq(id))
            .select((ClarificationRow::as_select(), issues::ref_))
            .for_update()
            .first(pg)
            .optional(),
        _ => clarifications::table
            .inner_join(issues::table)
            .filter(clarifications::id.eq(id))
            .select((ClarificationRow::as_select(), issues::ref_))
            .first(conn)
            .optional(),
    }
}

/// The clarification of an issue still waiting for a decision or a revision, if any.
pub fn pending_of_issue(conn: &mut Db, issue_id: i64) -> QueryResult<Option<ClarificationRow>> {
    clarifications::table
        .filter(clarifications::issue_id.eq(issue_id))
        .filter(clarifications::state.eq_any(["proposed", "returned"]))
        .select(ClarificationRow::as_select())
        .first(conn)
        .optional()
}

/// An issue's clarifications, newest first.
pub fn of_issue(conn: &mut Db, issue_id: i64) -> QueryResult<Vec<ClarificationRow>> {
    clarifications::table
        .filter(clarifications::issue_id.eq(issue_id))
        .order(clarifications::id.desc())
        .select(ClarificationRow::as_select())
        .load(conn)
}

/// Clarifications for staff, newest first, with their issue's ref: in `states` (all when
/// empty), ids below `before`.
pub fn list(
    conn: &mut Db,
    states: &[String],
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(ClarificationRow, String)>> {
    let mut q = clarifications::table
        .inner_join(issues::table)
        .select((ClarificationRow::as_select(), issues::ref_))
        .order(clarifications::id.desc())
        .limit(limit)
        .into_boxed::<<Db as Connection>::Backend>();
    if !states.is_empty() {
        q = q.filter(clarifications::state.eq_any(states.to_vec()));
    }
    if let Some(b) = before {
        q = q.filter(clarifications::id.lt(b));
    }
    q.load(conn)
}

/// A published or withdrawn clarification by its public id (a withdrawn one says so publicly).
pub fn published(conn: &mut Db, public_id: &str) -> QueryResult<Option<ClarificationRow>> {
    clarifications::table
        .filter(clarifications::public_id.eq(public_id))
        .filter(clarifications::state.eq_any(["published", "withdrawn"]))
        .select(ClarificationRow::as_select())
        .first(conn)
        .optional()
}

/// Published clarifications, newest first: those matching every word of `words` (lower-case)
/// in their title, claim or text, published before `(at, id)`.
pub fn published_page(
    conn: &mut Db,
    words: &[String],
    before: Option<(i64, i64)>,
    limit: i64,
) -> QueryResult<Vec<ClarificationRow>> {
    let mut q = clarifications::table
        .filter(clarifications::state.eq("published"))
        .select(ClarificationRow::as_select())
        .order((
            clarifications::published_at.desc(),
            clarifications::id.desc(),
        ))
        .limit(limit)
        .into_boxed::<<Db as Connection>::Backend>();
    for w in words {
        q = q.filter(
            clarifications::search
                .like(super::issues::like_pattern(w))
                .escape('\\'),
        );
    }
    if let Some((at, id)) = before {
        q = q.filter(
            clarifications::published_at
                .lt(at)
                .or(clarifications::published_at
                    .eq(at)
                    .and(clarifications::id.lt(id))),
        );
    }
    q.load(conn)
}

/// Published clarifications of an issue or of the issues merged into it (for a citizen's
/// tracking page), newest first.
pub fn published_of_issues(conn: &mut Db, issue_ids: &[i64]) -> QueryResult<Vec<ClarificationRow>> {
    clarifications::table
        .filter(clarifications::issue_id.eq_any(issue_ids.to_vec()))
        .filter(clarifications::state.eq("published"))
        .order(clarifications::published_at.desc())
        .select(ClarificationRow::as_select())
        .load(conn)
}
