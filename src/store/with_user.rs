//! A user's row and a read's rows in one statement (PostgreSQL).
//!
//! Every request with a bearer token reads its user first (active? token version current?
//! role, unit), then what it asked for. Over a network each statement is a round trip, and on
//! a busy two-core machine each round trip is two thread switches on each side: on the TRC's
//! triage page the user's statement cost the service as much as the page's own
//! (docs/BENCHMARKS.md, thirteenth session). [`WithUser`] asks for both at once:
//!
//! ```sql
//! SELECT u.*, r.* FROM (<the user's row>) u LEFT JOIN (<the read>) r ON FALSE
//! UNION ALL
//! SELECT u.*, r.* FROM (<the read>) r LEFT JOIN (<the user's row>) u ON FALSE
//! ```
//!
//! The first part is the user's row alone (the read's columns NULL; no row when the user does
//! not exist), the second the rows read alone (the user's columns NULL): PostgreSQL reads
//! neither side of a join `ON FALSE` twice, and no row carries the user's columns again (a
//! first version joined `ON TRUE`; decoding the user's row with every row read cost what the
//! saved round trip did). Both parts see one snapshot. The read keeps its own `ORDER BY` and
//! `LIMIT` inside its subquery; the caller sorts the rows again rather than trust the append
//! to keep that order. Nothing of the read may be used before the user's row has been checked.

use super::schema::users;
use super::users::UserRow;
use diesel::dsl::AsSelect as SelectBy;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// The row of user `id` and the rows `R` of `read` (see the module's text).
pub struct WithUser<Q, R> {
    user: UserQuery,
    read: Q,
    row: std::marker::PhantomData<R>,
}

/// [`WithUser`] of user `id` and `read`, whose selection is `R::as_select()`.
pub fn with_user<Q, R>(id: i64, read: Q) -> WithUser<Q, R> {
    WithUser {
        user: users::table.find(id).select(UserRow::as_select()),
        read,
        row: std::marker::PhantomData,
    }
}

type UserQuery = diesel::dsl::Select<diesel::dsl::Find<users::table, i64>, SelectBy<UserRow, Pg>>;

impl<Q: QueryId, R: 'static> QueryId for WithUser<Q, R> {
    type QueryId = WithUser<Q::QueryId, R>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID && UserQuery::HAS_STATIC_QUERY_ID;
}

impl<Q, R> Query for WithUser<Q, R>
where
    R: Selectable<Pg>,
    Option<R>: Selectable<Pg>,
{
    type SqlType = (SelectBy<Option<UserRow>, Pg>, SelectBy<Option<R>, Pg>);
}

impl<Q: QueryFragment<Pg>, R> QueryFragment<Pg> for WithUser<Q, R> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT u.*, r.* FROM (");
        QueryFragment::<Pg>::walk_ast(&self.user, out.reborrow())?;
        out.push_sql(") u LEFT JOIN (");
        self.read.walk_ast(out.reborrow())?;
        out.push_sql(") r ON FALSE UNION ALL SELECT u.*, r.* FROM (");
        self.read.walk_ast(out.reborrow())?;
        out.push_sql(") r LEFT JOIN (");
        QueryFragment::<Pg>::walk_ast(&self.user, out.reborrow())?;
        out.push_sql(") u ON FALSE");
        Ok(())
    }
}

impl<Q, R> RunQueryDsl<PgConnection> for WithUser<Q, R> {}

/// The user's row (none: no such user) and the rows read, as the statement answered them.
pub fn split<R>(rows: Vec<(Option<UserRow>, Option<R>)>) -> (Option<UserRow>, Vec<R>) {
    let mut user = None;
    let mut read = Vec::with_capacity(rows.len());
    for (u, r) in rows {
        if user.is_none() {
            user = u;
        }
        read.extend(r);
    }
    (user, read)
}
