//! Stored SLA clocks.

use super::schema::issue_clocks;
use super::Db;
use crate::domain::clock::{Clock, ClockState};
use crate::domain::ClockKind;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
// A `None` is inserted as NULL (what the column defaults to) instead of `DEFAULT`, so the
// INSERT is the same SQL every time and stays a prepared statement in diesel's cache.
#[diesel(table_name = issue_clocks, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ClockRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub issue_id: i64,
    pub kind: String,
    pub state: String,
    pub calendar: String,
    pub target: String,
    pub started_at: i64,
    pub due_at: i64,
    pub paused_at: Option<i64>,
    pub paused_seconds: i64,
    pub stopped_at: Option<i64>,
    pub frozen_remaining: Option<i64>,
    pub breached: bool,
    /// Ladder steps fired so far (the highest step number fired).
    pub steps_fired: i32,
    /// When the timer next needs this clock (its next step or its breach); null when none.
    pub next_event_at: Option<i64>,
    /// Open seconds counted from start to stop (stopped clocks), for reports.
    pub elapsed_seconds: Option<i64>,
}

impl ClockRow {
    pub fn to_clock(&self) -> Option<Clock> {
        Some(Clock {
            kind: ClockKind::parse(&self.kind)?,
            state: ClockState::parse(&self.state)?,
            calendar: self.calendar.clone(),
            target: self.target.clone(),
            started_at: self.started_at,
            due_at: self.due_at,
            paused_at: self.paused_at,
            paused_seconds: self.paused_seconds,
            stopped_at: self.stopped_at,
            frozen_remaining: self.frozen_remaining,
            breached: self.breached,
            elapsed_seconds: self.elapsed_seconds,
        })
    }

    pub fn from_clock(
        id: i64,
        issue_id: i64,
        c: &Clock,
        steps_fired: i32,
        next_event_at: Option<i64>,
    ) -> ClockRow {
        ClockRow {
            id,
            issue_id,
            kind: c.kind.as_str().into(),
            state: c.state.as_str().into(),
            calendar: c.calendar.clone(),
            target: c.target.clone(),
            started_at: c.started_at,
            due_at: c.due_at,
            paused_at: c.paused_at,
            paused_seconds: c.paused_seconds,
            stopped_at: c.stopped_at,
            frozen_remaining: c.frozen_remaining,
            breached: c.breached,
            steps_fired,
            next_event_at,
            elapsed_seconds: c.elapsed_seconds,
        }
    }
}

/// Every clock of an issue, oldest first.
pub fn of_issue(conn: &mut Db, issue_id: i64) -> QueryResult<Vec<ClockRow>> {
    issue_clocks::table
        .filter(issue_clocks::issue_id.eq(issue_id))
        .order(issue_clocks::id.asc())
        .select(ClockRow::as_select())
        .load(conn)
}

/// Clocks of many issues, oldest first.
pub fn of_issues(conn: &mut Db, ids: &[i64]) -> QueryResult<Vec<ClockRow>> {
    super::on_backend!(conn, c => issue_clocks::table
        .filter(issue_clocks::issue_id.eq_any(ids))
        .order(issue_clocks::id.asc())
        .select(ClockRow::as_select())
        .load(c))
}

pub fn insert(conn: &mut Db, row: &ClockRow) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::insert_into(issue_clocks::table)
        .values(row)
        .execute(c)
        .map(drop))
}

pub fn update(conn: &mut Db, row: &ClockRow) -> QueryResult<()> {
    diesel::update(issue_clocks::table.find(row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

/// The earliest instant any running clock needs the timer.
pub fn next_event(conn: &mut Db) -> QueryResult<Option<i64>> {
    issue_clocks::table
        .filter(issue_clocks::next_event_at.is_not_null())
        .select(diesel::dsl::min(issue_clocks::next_event_at))
        .get_result(conn)
}

/// Ids of clocks whose next event is due at `now`, earliest first.
pub fn due(conn: &mut Db, now: i64, limit: i64) -> QueryResult<Vec<i64>> {
    super::limit::limited(
        issue_clocks::table
            .filter(issue_clocks::next_event_at.le(now))
            .order((issue_clocks::next_event_at.asc(), issue_clocks::id.asc()))
            .select(issue_clocks::id),
        limit,
    )
    .load(conn)
}

/// Locks clocks for the timer in one statement: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so
/// instances share the work and never wait on each other (clocks another holds are left out).
pub fn lock_many(conn: &mut Db, ids: &[i64]) -> QueryResult<Vec<ClockRow>> {
    match conn {
        Db::Pg(pg) => issue_clocks::table
            .filter(issue_clocks::id.eq_any(ids.to_vec()))
            .select(ClockRow::as_select())
            .for_update()
            .skip_locked()
            .load(pg),
        Db::Sqlite(_) => issue_clocks::table
            .filter(issue_clocks::id.eq_any(ids.to_vec()))
            .select(ClockRow::as_select())
            .load(conn),
    }
}

/// Stopped clocks (met or missed) whose counted time is not recorded yet, by id after `after`:
/// those stopped before the database recorded it.
pub fn missing_elapsed(conn: &mut Db, after: i64, limit: i64) -> QueryResult<Vec<ClockRow>> {
    issue_clocks::table
        .filter(issue_clocks::elapsed_seconds.is_null())
        .filter(issue_clocks::state.eq_any(["met", "missed"]))
        .filter(issue_clocks::id.gt(after))
        .order(issue_clocks::id.asc())
        .limit(limit)
        .select(ClockRow::as_select())
        .load(conn)
}

/// Records the counted time of many stopped clocks (`(id, seconds)`): one statement on
/// PostgreSQL, so that an upgrade's catch-up over millions of clocks is not millions of turns.
pub fn set_elapsed(conn: &mut Db, counted: &[(i64, i64)]) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt};
    match conn {
        Db::Pg(pg) if counted.len() > 1 => {
            let (ids, seconds): (Vec<i64>, Vec<i64>) = counted.iter().copied().unzip();
            diesel::sql_query(
                "UPDATE issue_clocks c SET elapsed_seconds = v.seconds \
                 FROM unnest($1::bigint[], $2::bigint[]) AS v(id, seconds) WHERE c.id = v.id",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<BigInt>, _>(&seconds)
            .execute(pg)?;
        }
        _ => {
            for (id, seconds) in counted {
                diesel::update(issue_clocks::table.find(id))
                    .set(issue_clocks::elapsed_seconds.eq(seconds))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// What the timer changes on a clock: whether it breached, the steps fired, the next instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerUpdate {
    pub id: i64,
    pub breached: bool,
    pub steps_fired: i32,
    pub next_event_at: Option<i64>,
}

/// Applies the timer's changes to many clocks: one statement on PostgreSQL.
pub fn update_for_timer(conn: &mut Db, updates: &[TimerUpdate]) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable};
    match conn {
        Db::Pg(pg) if updates.len() > 1 => {
            let ids: Vec<i64> = updates.iter().map(|u| u.id).collect();
            let breached: Vec<bool> = updates.iter().map(|u| u.breached).collect();
            let fired: Vec<i32> = updates.iter().map(|u| u.steps_fired).collect();
            let next: Vec<Option<i64>> = updates.iter().map(|u| u.next_event_at).collect();
            diesel::sql_query(
                "UPDATE issue_clocks c SET breached = v.breached, steps_fired = v.fired, next_event_at = v.next \
                 FROM unnest($1::bigint[], $2::bool[], $3::int[], $4::bigint[]) AS v(id, breached, fired, next) \
                 WHERE c.id = v.id",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Bool>, _>(&breached)
            .bind::<Array<Integer>, _>(&fired)
            .bind::<Array<Nullable<BigInt>>, _>(&next)
            .execute(pg)?;
        }
        _ => {
            for u in updates {
                diesel::update(issue_clocks::table.find(u.id))
                    .set((
                        issue_clocks::breached.eq(u.breached),
                        issue_clocks::steps_fired.eq(u.steps_fired),
                        issue_clocks::next_event_at.eq(u.next_event_at),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// What operators alert on: running clocks past due, and the earliest instant the timer should
/// already have handled (`None` when it is up to date).
pub fn timer_state(conn: &mut Db, now: i64) -> QueryResult<(i64, Option<i64>)> {
    let breached = issue_clocks::table
        .filter(issue_clocks::state.eq("running"))
        .filter(issue_clocks::due_at.le(now))
        .count()
        .get_result(conn)?;
    let overdue = issue_clocks::table
        .filter(issue_clocks::next_event_at.le(now))
        .select(diesel::dsl::min(issue_clocks::next_event_at))
        .get_result(conn)?;
    Ok((breached, overdue))
}

/// The issue row's copy of its clocks, in the order they started: what lists show, without
/// what the timer needs (steps fired, next instant) or reports count (elapsed time). The
/// migration that added the column writes the same shape from `issue_clocks`.
pub fn snapshot(clocks: &[Clock]) -> String {
    serde_json::to_string(clocks).unwrap_or_else(|_| "[]".into())
}

/// The clocks of an issue row's copy; `None` when it cannot be read (then read the table).
pub fn from_snapshot(text: &str) -> Option<Vec<Clock>> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_reads_back_and_reads_what_the_migration_writes() {
        let c = Clock {
            kind: ClockKind::Response,
            state: ClockState::Paused,
            calendar: "office".into(),
            target: "1wd".into(),
            started_at: 1_796_000_000_000_000,
            due_at: 1_796_100_000_000_000,
            paused_at: Some(1_796_050_000_000_000),
            paused_seconds: 60,
            stopped_at: None,
            frozen_remaining: Some(-30),
            breached: true,
            elapsed_seconds: Some(5),
        };
        let text = snapshot(std::slice::from_ref(&c));
        assert_eq!(
            from_snapshot(&text),
            Some(vec![Clock {
                elapsed_seconds: None,
                ..c.clone()
            }])
        );
        // PostgreSQL's json_build_object, as the migration and the loaders write it.
        let pg = r#"[{"kind" : "triage", "state" : "running", "calendar" : "always", "target" : "30m", "started_at" : 1, "due_at" : 2, "paused_at" : null, "paused_seconds" : 0, "stopped_at" : null, "frozen_remaining" : null, "breached" : false}]"#;
        let read = from_snapshot(pg).expect("reads");
        assert_eq!(read[0].kind, ClockKind::Triage);
        assert_eq!((read[0].started_at, read[0].due_at), (1, 2));
        assert_eq!(from_snapshot("[]"), Some(Vec::new()));
        assert_eq!(from_snapshot(""), None);
        assert_eq!(from_snapshot(r#"[{"kind":"later"}]"#), None);
    }
}
