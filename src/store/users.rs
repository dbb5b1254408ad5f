//! User rows.

use super::schema::{audit_events, users};
use super::Db;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub unit: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by a password or role change and by "sign out everywhere": tokens carrying an
    /// older version are refused.
    pub token_version: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub unit: Option<&'a str>,
    pub password_hash: &'a str,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserChanges {
    pub name: String,
    pub role: String,
    pub unit: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub updated_at: i64,
    pub token_version: i32,
}

/// A user by id (every request reads its caller so).
pub fn find(conn: &mut Db, id: i64) -> QueryResult<Option<UserRow>> {
    super::on_backend!(conn, c => users::table
        .find(id)
        .select(UserRow::as_select())
        .first(c)
        .optional())
}

pub fn find_by_email(conn: &mut Db, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut Db, after: Option<i64>, limit: i64) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(users::id.gt(after));
    }
    q.load(conn)
}

pub fn count(conn: &mut Db) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn insert(conn: &mut Db, user: &NewUser<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    users::table
        .filter(users::email.eq(user.email))
        .select(UserRow::as_select())
        .first(conn)
}

pub fn update(conn: &mut Db, id: i64, changes: &UserChanges) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

/// Sets the password hash, provided it is still `expected` (no change in between), and raises
/// the token version; answers whether it was set.
pub fn set_password(
    conn: &mut Db,
    id: i64,
    expected: &str,
    hash: &str,
    now: i64,
) -> QueryResult<bool> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::password_hash.eq(expected)),
    )
    .set((
        users::password_hash.eq(hash),
        users::token_version.eq(users::token_version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Raises the token version, ending every token signed before; answers whether the user exists.
pub fn end_tokens(conn: &mut Db, id: i64, now: i64) -> QueryResult<bool> {
    diesel::update(users::table.find(id))
        .set((
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn delete(conn: &mut Db, id: i64) -> QueryResult<()> {
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(drop)
}

/// Whether the user appears as the actor of any audit event: such a user is kept for the record.
pub fn has_acted(conn: &mut Db, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        audit_events::table.filter(audit_events::actor.eq(email)),
    ))
    .get_result(conn)
}

/// Active users of a role, by id.
pub fn active_with_role(conn: &mut Db, role: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq(role))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)
}

/// The console language a user chose, if any.
pub fn language(conn: &mut Db, id: i64) -> QueryResult<Option<String>> {
    super::on_backend!(conn, c => users::table
        .find(id)
        .select(users::language)
        .first::<Option<String>>(c)
        .optional()
        .map(Option::flatten))
}

/// Keeps the console language a user chose.
pub fn set_language(conn: &mut Db, id: i64, language: &str) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::update(users::table.find(id))
        .set(users::language.eq(language))
        .execute(c)
        .map(drop))
}
