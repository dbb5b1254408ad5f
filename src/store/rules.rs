//! Routing rules.

use super::schema::{routing_rules, units};
use super::Db;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, PartialEq)]
#[diesel(table_name = routing_rules)]
pub struct RuleRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub name: String,
    pub position: i32,
    pub enabled: bool,
    pub categories: String,
    pub channels: String,
    pub districts: String,
    pub keywords: String,
    pub keyword_mode: String,
    pub unit: String,
    pub auto_assign: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every rule in the order they are tried.
pub fn all(conn: &mut Db) -> QueryResult<Vec<RuleRow>> {
    super::on_backend!(conn, c => routing_rules::table
        .order((routing_rules::position.asc(), routing_rules::id.asc()))
        .select(RuleRow::as_select())
        .load(c))
}

/// Every rule in the order they are tried, with whether its unit is active (`None`: the unit
/// is gone) — what the router needs, in one statement (each filing reads it).
pub fn all_with_unit_state(conn: &mut Db) -> QueryResult<Vec<(RuleRow, Option<bool>)>> {
    super::on_backend!(conn, c => routing_rules::table
        .left_join(units::table.on(units::code.eq(routing_rules::unit)))
        .order((routing_rules::position.asc(), routing_rules::id.asc()))
        .select((RuleRow::as_select(), units::active.nullable()))
        .load(c))
}

pub fn find(conn: &mut Db, id: i64) -> QueryResult<Option<RuleRow>> {
    routing_rules::table
        .find(id)
        .select(RuleRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts a rule and answers its id.
pub fn insert(conn: &mut Db, row: &RuleRow) -> QueryResult<i64> {
    diesel::insert_into(routing_rules::table)
        .values(row)
        .execute(conn)?;
    routing_rules::table
        .filter(routing_rules::name.eq(&row.name))
        .filter(routing_rules::created_at.eq(row.created_at))
        .order(routing_rules::id.desc())
        .select(routing_rules::id)
        .first(conn)
}

pub fn update(conn: &mut Db, row: &RuleRow) -> QueryResult<()> {
    diesel::update(routing_rules::table.find(row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn set_position(conn: &mut Db, id: i64, position: i32) -> QueryResult<()> {
    diesel::update(routing_rules::table.find(id))
        .set(routing_rules::position.eq(position))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut Db, id: i64) -> QueryResult<()> {
    diesel::delete(routing_rules::table.find(id))
        .execute(conn)
        .map(drop)
}

/// How many rules route to `unit`.
pub fn count_for_unit(conn: &mut Db, unit: &str) -> QueryResult<i64> {
    routing_rules::table
        .filter(routing_rules::unit.eq(unit))
        .count()
        .get_result(conn)
}
