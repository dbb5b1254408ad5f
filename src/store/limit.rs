//! `LIMIT n` written into the SQL text instead of bound.
//!
//! PostgreSQL plans a prepared statement for its bound values (a custom plan) for its first
//! five executions, then keeps a generic plan only if that plan's estimated cost is no higher.
//! A bound `LIMIT $n` is estimated in the generic plan as a tenth of the matching rows, so
//! for an ordered read over a big table the generic plan always looks dearer than the custom
//! one and PostgreSQL plans the statement again on every execution: with the issues table's
//! dozen indexes, about a fifth of the database's CPU on a queue page (docs/BENCHMARKS.md).
//! With the limit in the text, the generic plan is costed for the real limit, PostgreSQL keeps
//! it after five executions, and diesel keeps one prepared statement per limit used (pages
//! are at most 201 rows; a job's batch is one size, or, for the outbox claim, what room the
//! messages with an expired lease left in it).

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// Items on a page when the client does not say (`limit`, 1 to 200).
pub const DEFAULT_PAGE: i64 = 50;

/// `query` followed by `LIMIT n` and `suffix` (e.g. ` FOR UPDATE SKIP LOCKED`, which comes
/// after the limit in SQL). `query` must have no limit of its own.
#[derive(Debug, Clone, Copy)]
pub struct Limited<Q> {
    query: Q,
    limit: i64,
    suffix: &'static str,
}

/// `query LIMIT limit` (a negative limit reads nothing).
pub fn limited<Q>(query: Q, limit: i64) -> Limited<Q> {
    Limited {
        query,
        limit: limit.max(0),
        suffix: "",
    }
}

impl<Q> Limited<Q> {
    /// On PostgreSQL: locks the rows read, skipping those another transaction holds.
    #[must_use]
    pub fn for_update_skip_locked(self) -> Self {
        Limited {
            suffix: " FOR UPDATE SKIP LOCKED",
            ..self
        }
    }
}

impl<Q> QueryId for Limited<Q> {
    // The text varies with the limit, so the statement cache keys it by its SQL.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Limited<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for Limited<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&self.limit.to_string());
        out.push_sql(self.suffix);
        Ok(())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Limited<Q> {}

/// `query LIMIT N` with the limit in the type. [`Limited`] writes its SQL out on every call so
/// that diesel can find the statement by its text; this one is found by its type alone, for
/// the one page size nearly every request asks for (the default page and its look-ahead row).
#[derive(Debug, Clone, Copy)]
pub struct LimitedTo<Q, const N: i64> {
    query: Q,
}

/// `query LIMIT N`, found in the statement cache by its type.
pub fn limited_to<const N: i64, Q>(query: Q) -> LimitedTo<Q, N> {
    LimitedTo { query }
}

impl<Q: QueryId, const N: i64> QueryId for LimitedTo<Q, N> {
    type QueryId = LimitedTo<Q::QueryId, N>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q: Query, const N: i64> Query for LimitedTo<Q, N> {
    type SqlType = Q::SqlType;
}

impl<Q, DB, const N: i64> QueryFragment<DB> for LimitedTo<Q, N>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&N.to_string());
        Ok(())
    }
}

impl<Q, Conn, const N: i64> RunQueryDsl<Conn> for LimitedTo<Q, N> {}
