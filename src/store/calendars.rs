//! The calendars as the last start-up saw them (digests), and the issues whose clocks count on
//! a calendar.

use super::schema::{calendar_digests, issue_clocks, issues};
use super::Db;
use crate::domain::clock::ClockState;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = calendar_digests)]
pub struct DigestRow {
    pub calendar: String,
    pub hours_digest: String,
    pub holidays_digest: String,
    pub updated_at: i64,
}

/// Every stored digest.
pub fn digests(conn: &mut Db) -> QueryResult<Vec<DigestRow>> {
    super::on_backend!(conn, c => calendar_digests::table
        .select(DigestRow::as_select())
        .load(c))
}

/// Stores a calendar's digest (inserted or replaced).
pub fn save_digest(conn: &mut Db, row: &DigestRow) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::insert_into(calendar_digests::table)
        .values(row)
        .on_conflict(calendar_digests::calendar)
        .do_update()
        .set(row)
        .execute(c)
        .map(drop))
}

/// The issues (ids, ascending) with a clock still counting (running or paused) on `calendar`.
pub fn issues_counting_on(conn: &mut Db, calendar: &str) -> QueryResult<Vec<i64>> {
    let live = [ClockState::Running.as_str(), ClockState::Paused.as_str()];
    super::on_backend!(conn, c => issue_clocks::table
        .filter(issue_clocks::calendar.eq(calendar))
        .filter(issue_clocks::state.eq_any(live))
        .select(issue_clocks::issue_id)
        .distinct()
        .order(issue_clocks::issue_id.asc())
        .load(c))
}

/// Locks the issues `ids` (waiting for those someone holds: a change of the calendar moves
/// every clock, none may be skipped).
pub fn lock_issues(conn: &mut Db, ids: &[i64]) -> QueryResult<Vec<super::issues::IssueRow>> {
    use super::issues::IssueRow;
    match conn {
        Db::Pg(pg) => issues::table
            .filter(issues::id.eq_any(ids))
            .order(issues::id.asc())
            .select(IssueRow::as_select())
            .for_update()
            .load(pg),
        Db::Sqlite(_) => issues::table
            .filter(issues::id.eq_any(ids))
            .order(issues::id.asc())
            .select(IssueRow::as_select())
            .load(conn),
    }
}
