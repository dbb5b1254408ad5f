//! Failed-login records that throttle repeated attempts, shared by every instance.

use super::schema::login_failures;
use super::Db;
use diesel::prelude::*;

/// Failures recorded for `key` since `since` (µs): how many, and the oldest instant.
pub fn failures_since(conn: &mut Db, key: &str, since: i64) -> QueryResult<(i64, Option<i64>)> {
    login_failures::table
        .filter(login_failures::key.eq(key))
        .filter(login_failures::at.ge(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::at),
        ))
        .get_result(conn)
}

pub fn record(conn: &mut Db, keys: &[&str], at: i64) -> QueryResult<()> {
    for k in keys {
        diesel::insert_into(login_failures::table)
            .values((login_failures::key.eq(*k), login_failures::at.eq(at)))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets the failures of `key` (after a successful login) and everything older than `before`.
pub fn clear(conn: &mut Db, key: &str, before: i64) -> QueryResult<()> {
    diesel::delete(
        login_failures::table.filter(
            login_failures::key
                .eq(key)
                .or(login_failures::at.lt(before)),
        ),
    )
    .execute(conn)
    .map(drop)
}
