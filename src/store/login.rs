//! Login throttling state shared by every instance: failed (and reserved) attempts per key,
//! markers of throttling already reported, and the client networks each account signed in from.

use super::schema::{login_failures, login_known};
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

/// Serialises the attempts on `keys` until the transaction ends, so that counting the failures
/// and reserving one more are one step: PostgreSQL takes a transaction-scoped advisory lock per
/// key (in a fixed order); SQLite's write transaction already admits one writer at a time.
pub fn lock(conn: &mut Db, keys: &[&str]) -> QueryResult<()> {
    if let Db::Pg(pg) = conn {
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        for k in sorted {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
                .bind::<diesel::sql_types::Text, _>(k)
                .execute(pg)?;
        }
    }
    Ok(())
}

/// Records one attempt under each key; answers the rows' ids.
pub fn record(conn: &mut Db, keys: &[&str], at: i64) -> QueryResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(keys.len());
    for k in keys {
        let row = (login_failures::key.eq(*k), login_failures::at.eq(at));
        ids.push(match conn {
            Db::Pg(pg) => diesel::insert_into(login_failures::table)
                .values(row)
                .returning(login_failures::id)
                .get_result::<i64>(pg)?,
            // SQLite's write transaction admits one writer: the newest row is this one.
            Db::Sqlite(lite) => {
                diesel::insert_into(login_failures::table)
                    .values(row)
                    .execute(lite)?;
                login_failures::table
                    .select(diesel::dsl::max(login_failures::id))
                    .get_result::<Option<i64>>(lite)?
                    .unwrap_or(0)
            }
        });
    }
    Ok(ids)
}

/// Removes the rows `ids` (a reservation that turned out a success).
pub fn remove(conn: &mut Db, ids: &[i64]) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids.to_vec())))
        .execute(conn)
        .map(drop)
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

/// Whether `account` signed in from `address` at or after `since`.
pub fn known(conn: &mut Db, account: &str, address: &str, since: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        login_known::table
            .filter(login_known::account.eq(account))
            .filter(login_known::address.eq(address))
            .filter(login_known::at.ge(since)),
    ))
    .get_result(conn)
}

/// Remembers that `account` signed in from `address` at `at`; forgets entries older than
/// `forget_before`.
pub fn remember(
    conn: &mut Db,
    account: &str,
    address: &str,
    at: i64,
    forget_before: i64,
) -> QueryResult<()> {
    diesel::delete(
        login_known::table.filter(
            login_known::at.lt(forget_before).or(login_known::account
                .eq(account)
                .and(login_known::address.eq(address))),
        ),
    )
    .execute(conn)?;
    diesel::insert_into(login_known::table)
        .values((
            login_known::account.eq(account),
            login_known::address.eq(address),
            login_known::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}
