//! Console sessions (the cookie's secret is stored as its SHA-256 only).

use super::schema::console_sessions;
use super::Db;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct SessionRow {
    /// SHA-256 of the cookie's secret, hex.
    pub id: String,
    pub user_id: i64,
    /// The user's token version when the session began.
    pub token_version: i32,
    pub csrf: String,
    pub language: String,
    pub created_at: i64,
    pub seen_at: i64,
}

pub fn insert(conn: &mut Db, row: &SessionRow) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::insert_into(console_sessions::table)
        .values(row)
        .execute(c)
        .map(drop))
}

/// The session of `id` with its user's row (`None` when the user is gone): one read for every
/// console page.
pub fn find_with_user(
    conn: &mut Db,
    id: &str,
) -> QueryResult<Option<(SessionRow, Option<super::users::UserRow>)>> {
    use super::schema::users;
    super::on_backend!(conn, c => console_sessions::table
        .left_join(users::table.on(users::id.eq(console_sessions::user_id)))
        .filter(console_sessions::id.eq(id))
        .select((
            SessionRow::as_select(),
            Option::<super::users::UserRow>::as_select(),
        ))
        .first(c)
        .optional())
}

/// Marks the session used at `at`.
pub fn touch(conn: &mut Db, id: &str, at: i64) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::update(console_sessions::table.find(id))
        .set(console_sessions::seen_at.eq(at))
        .execute(c)
        .map(drop))
}

pub fn set_language(conn: &mut Db, id: &str, language: &str) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::update(console_sessions::table.find(id))
        .set(console_sessions::language.eq(language))
        .execute(c)
        .map(drop))
}

pub fn delete(conn: &mut Db, id: &str) -> QueryResult<()> {
    super::on_backend!(conn, c => diesel::delete(console_sessions::table.find(id))
        .execute(c)
        .map(drop))
}

/// Removes the sessions last used before `idle_before` or begun before `begun_before`.
pub fn purge(conn: &mut Db, idle_before: i64, begun_before: i64) -> QueryResult<usize> {
    super::on_backend!(conn, c => diesel::delete(
        console_sessions::table.filter(
            console_sessions::seen_at
                .lt(idle_before)
                .or(console_sessions::created_at.lt(begun_before)),
        ),
    )
    .execute(c))
}
