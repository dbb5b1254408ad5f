//! Unit rows.

use super::schema::{issues, routing_rules, units, users};
use super::Db;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, PartialEq, Eq)]
#[diesel(table_name = units, treat_none_as_null = true)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub email: Option<String>,
    pub head_name: Option<String>,
    pub head_email: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A unit's place in the tree: what whose-issues-may-one-see needs of it.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = units)]
pub struct UnitLink {
    pub code: String,
    pub parent: Option<String>,
}

/// The row of user `id` (none: no such user) and every unit's code and parent, by code: one
/// statement on PostgreSQL ([`super::with_user`]: a filing's caller and the tree its scope is
/// made of, one round trip instead of two), two on SQLite (in the process).
pub fn user_and_tree(
    conn: &mut Db,
    id: i64,
) -> QueryResult<(Option<super::users::UserRow>, Vec<UnitLink>)> {
    let (user, mut tree) = match conn {
        Db::Pg(pg) => super::with_user::split(
            super::with_user::with_user::<_, UnitLink>(
                id,
                units::table.select(UnitLink::as_select()),
            )
            .load(pg)?,
        ),
        Db::Sqlite(_) => (
            super::users::find(conn, id)?,
            units::table.select(UnitLink::as_select()).load(conn)?,
        ),
    };
    tree.sort_by(|a, b| a.code.cmp(&b.code));
    Ok((user, tree))
}

pub fn find(conn: &mut Db, code: &str) -> QueryResult<Option<UnitRow>> {
    units::table
        .find(code)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()
}

/// Units ordered by code, after `after` (exclusive), at most `limit`.
pub fn list(conn: &mut Db, after: Option<&str>, limit: i64) -> QueryResult<Vec<UnitRow>> {
    let mut q = units::table
        .select(UnitRow::as_select())
        .order(units::code.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(units::code.gt(after.to_owned()));
    }
    q.load(conn)
}

/// Every unit (each filing routes with them, each unit queue reads the tree).
pub fn all(conn: &mut Db) -> QueryResult<Vec<UnitRow>> {
    super::on_backend!(conn, c => units::table
        .select(UnitRow::as_select())
        .order(units::code.asc())
        .load(c))
}

pub fn insert(conn: &mut Db, row: &UnitRow) -> QueryResult<()> {
    diesel::insert_into(units::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut Db, row: &UnitRow) -> QueryResult<()> {
    diesel::update(units::table.find(&row.code))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut Db, code: &str) -> QueryResult<()> {
    diesel::delete(units::table.find(code))
        .execute(conn)
        .map(drop)
}

/// The parent code of a unit, if any.
pub fn parent_of(conn: &mut Db, code: &str) -> QueryResult<Option<Option<String>>> {
    units::table
        .find(code)
        .select(units::parent)
        .first(conn)
        .optional()
}

/// How many rows elsewhere refer to the unit (sub-units, users), by table name.
pub fn references(conn: &mut Db, code: &str) -> QueryResult<Vec<(&'static str, i64)>> {
    let children: i64 = units::table
        .filter(units::parent.eq(code))
        .count()
        .get_result(conn)?;
    let members: i64 = users::table
        .filter(users::unit.eq(code))
        .count()
        .get_result(conn)?;
    let rules: i64 = routing_rules::table
        .filter(routing_rules::unit.eq(code))
        .count()
        .get_result(conn)?;
    let issues: i64 = issues::table
        .filter(
            issues::filing_unit
                .eq(code)
                .or(issues::assigned_unit.eq(code))
                .or(issues::proposed_unit.eq(code)),
        )
        .count()
        .get_result(conn)?;
    Ok([
        ("sub-units", children),
        ("users", members),
        ("routing rules", rules),
        ("issues", issues),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect())
}
