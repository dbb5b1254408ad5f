//! Statements whose SQL text never changes, kept prepared by diesel's statement cache.
//!
//! Diesel caches a prepared statement only when it can tell that the SQL is always the same;
//! it never can for an upsert, an `UPDATE` or a multi-row insert, so those are parsed and
//! planned by PostgreSQL on every call. On the filing path that is most of the database's
//! extra work per request (see docs/BENCHMARKS.md). A [`Fixed`] statement carries its SQL as
//! a `&'static str` per backend and a marker type as its query id, so diesel keys the cache
//! by that type and prepares the statement once per connection.

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Binary, Integer, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;

/// A value bound to a `?` of a fixed statement.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    I64(i64),
    I32(i32),
    Text(&'a str),
    /// Text or NULL, bound either way (the statement's text stays the same).
    OptText(Option<&'a str>),
    Bytes(&'a [u8]),
}

/// A statement with fixed SQL: `?` marks each bound value, in the order of `args` (diesel
/// writes the backend's own placeholder). `M` names the statement for the cache: one marker
/// type per statement, and never two texts for one marker on one backend.
pub struct Fixed<'a, M> {
    sql: &'static str,
    args: &'a [Arg<'a>],
    statement: PhantomData<M>,
}

impl<'a, M: 'static> Fixed<'a, M> {
    pub fn new(sql: &'static str, args: &'a [Arg<'a>]) -> Self {
        debug_assert_eq!(
            sql.matches('?').count(),
            args.len(),
            "one bound value per ? in {sql}"
        );
        Fixed {
            sql,
            args,
            statement: PhantomData,
        }
    }
}

impl<M: 'static> QueryId for Fixed<'_, M> {
    type QueryId = M;
    const HAS_STATIC_QUERY_ID: bool = true;
}

fn walk<'b, DB>(
    sql: &'static str,
    args: &'b [Arg<'b>],
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    DB: Backend,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    i32: diesel::serialize::ToSql<Integer, DB>,
    str: diesel::serialize::ToSql<Text, DB>,
    Option<&'b str>: diesel::serialize::ToSql<Nullable<Text>, DB>,
    [u8]: diesel::serialize::ToSql<Binary, DB>,
{
    let mut parts = sql.split('?');
    if let Some(first) = parts.next() {
        out.push_sql(first);
    }
    for (part, arg) in parts.zip(args) {
        match arg {
            Arg::I64(v) => out.push_bind_param::<BigInt, _>(v)?,
            Arg::I32(v) => out.push_bind_param::<Integer, _>(v)?,
            Arg::Text(v) => out.push_bind_param::<Text, _>(*v)?,
            Arg::OptText(v) => out.push_bind_param::<Nullable<Text>, _>(v)?,
            Arg::Bytes(v) => out.push_bind_param::<Binary, _>(*v)?,
        }
        out.push_sql(part);
    }
    Ok(())
}

impl<M: 'static> QueryFragment<Pg> for Fixed<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        walk(self.sql, self.args, &mut out)
    }
}

impl<M: 'static> QueryFragment<Sqlite> for Fixed<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        walk(self.sql, self.args, &mut out)
    }
}

impl<Conn, M> RunQueryDsl<Conn> for Fixed<'_, M> {}

/// A fixed statement's rows are read by column name (`QueryableByName`), as `sql_query`'s are.
impl<M> diesel::query_builder::Query for Fixed<'_, M> {
    type SqlType = diesel::sql_types::Untyped;
}

/// Runs a fixed statement on either backend with its per-backend text; answers the rows
/// changed.
pub fn execute<M: 'static>(
    conn: &mut super::Db,
    pg: &'static str,
    sqlite: &'static str,
    args: &[Arg<'_>],
) -> QueryResult<usize> {
    match conn {
        super::Db::Pg(c) => Fixed::<M>::new(pg, args).execute(c),
        super::Db::Sqlite(c) => Fixed::<M>::new(sqlite, args).execute(c),
    }
}

/// Reads the rows of a fixed statement on either backend (the same text: `?` marks each value).
pub fn load<M: 'static, R>(
    conn: &mut super::Db,
    sql: &'static str,
    args: &[Arg<'_>],
) -> QueryResult<Vec<R>>
where
    R: diesel::deserialize::QueryableByName<Pg>
        + diesel::deserialize::QueryableByName<Sqlite>
        + 'static,
{
    match conn {
        super::Db::Pg(c) => Fixed::<M>::new(sql, args).load(c),
        super::Db::Sqlite(c) => Fixed::<M>::new(sql, args).load(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::debug_query;

    struct Probe;

    #[test]
    fn binds_follow_the_question_marks_in_order() {
        let args = [Arg::I64(7), Arg::Text("k"), Arg::I32(201)];
        let q = Fixed::<Probe>::new("UPDATE t SET s = ? WHERE a = ? AND b = ?", &args);
        let pg = debug_query::<Pg, _>(&q).to_string();
        assert!(
            pg.starts_with("UPDATE t SET s = $1 WHERE a = $2 AND b = $3"),
            "{pg}"
        );
        assert!(pg.contains("[7, \"k\", 201]"), "{pg}");
        let lite = debug_query::<Sqlite, _>(&q).to_string();
        assert!(
            lite.starts_with("UPDATE t SET s = ? WHERE a = ? AND b = ?"),
            "{lite}"
        );
    }

    #[test]
    fn a_missing_text_is_bound_as_null_and_the_text_stays() {
        let some = [Arg::OptText(Some("r-1"))];
        let none = [Arg::OptText(None)];
        let (a, b) = (
            debug_query::<Pg, _>(&Fixed::<Probe>::new("SELECT ?", &some)).to_string(),
            debug_query::<Pg, _>(&Fixed::<Probe>::new("SELECT ?", &none)).to_string(),
        );
        assert!(
            a.starts_with("SELECT $1") && a.contains("Some(\"r-1\")"),
            "{a}"
        );
        assert!(b.starts_with("SELECT $1") && b.contains("None"), "{b}");
    }

    #[test]
    fn a_fixed_statement_is_cacheable_under_its_marker() {
        let args = [Arg::I64(1)];
        let q = Fixed::<Probe>::new("SELECT ?", &args);
        assert_eq!(
            <Fixed<'_, Probe> as QueryId>::query_id(),
            Some(std::any::TypeId::of::<Probe>())
        );
        assert!(QueryFragment::<Pg>::is_safe_to_cache_prepared(&q, &Pg).unwrap());
    }
}
