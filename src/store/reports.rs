//! What reports read: issues filed in a period (within a scope), their clocks and their steps.

use super::issues::{scoped, Scope};
use super::schema::{escalation_steps, issues};
use super::Db;
use diesel::prelude::*;

/// The fields a report groups and counts by.
#[derive(Debug, Clone, Queryable)]
pub struct ReportIssue {
    pub id: i64,
    pub status: String,
    pub assigned_unit: Option<String>,
    pub category: String,
    pub priority: String,
    pub channel: String,
    pub district: Option<String>,
}

/// Issues filed in `[from, to)` that the scope may see, by id after `after`, at most `limit`.
pub fn issues(
    conn: &mut Db,
    scope: &Scope,
    from: i64,
    to: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ReportIssue>> {
    scoped(scope)
        .filter(issues::created_at.ge(from))
        .filter(issues::created_at.lt(to))
        .filter(issues::id.gt(after))
        .order(issues::id.asc())
        .limit(limit)
        .select((
            issues::id,
            issues::status,
            issues::assigned_unit,
            issues::category,
            issues::priority,
            issues::channel,
            issues::district,
        ))
        .load(conn)
}

/// (issue, clock, step) of every step fired on the issues.
pub fn steps(conn: &mut Db, ids: &[i64]) -> QueryResult<Vec<(i64, i64, i32)>> {
    escalation_steps::table
        .filter(escalation_steps::issue_id.eq_any(ids.to_vec()))
        .select((
            escalation_steps::issue_id,
            escalation_steps::clock_id,
            escalation_steps::step,
        ))
        .distinct()
        .load(conn)
}
