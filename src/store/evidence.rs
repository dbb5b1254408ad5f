//! Evidence files: kept in the database with their issue (see the migration for why).

use super::schema::evidence_files;
use super::Db;
use diesel::prelude::*;

/// What is known of a stored file, without its bytes.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = evidence_files)]
pub struct FileRow {
    pub id: i64,
    pub issue_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: i64,
}

/// A file to keep.
pub struct NewFile<'a> {
    pub issue_id: i64,
    pub name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub data: &'a [u8],
    pub uploaded_by: &'a str,
    pub at: i64,
}

/// Keeps a file; answers it as stored.
pub fn insert(conn: &mut Db, f: &NewFile) -> QueryResult<FileRow> {
    let size = i64::try_from(f.data.len()).unwrap_or(i64::MAX);
    diesel::insert_into(evidence_files::table)
        .values((
            evidence_files::issue_id.eq(f.issue_id),
            evidence_files::name.eq(f.name),
            evidence_files::content_type.eq(f.content_type),
            evidence_files::size.eq(size),
            evidence_files::sha256.eq(f.sha256),
            evidence_files::data.eq(f.data),
            evidence_files::uploaded_by.eq(f.uploaded_by),
            evidence_files::created_at.eq(f.at),
        ))
        .execute(conn)?;
    evidence_files::table
        .filter(evidence_files::issue_id.eq(f.issue_id))
        .order(evidence_files::id.desc())
        .select(FileRow::as_select())
        .first(conn)
}

/// An issue's files, oldest first.
pub fn of_issue(conn: &mut Db, issue_id: i64) -> QueryResult<Vec<FileRow>> {
    evidence_files::table
        .filter(evidence_files::issue_id.eq(issue_id))
        .order(evidence_files::id.asc())
        .select(FileRow::as_select())
        .load(conn)
}

/// The bytes kept for an issue so far.
pub fn total_size(conn: &mut Db, issue_id: i64) -> QueryResult<i64> {
    let sizes: Vec<i64> = evidence_files::table
        .filter(evidence_files::issue_id.eq(issue_id))
        .select(evidence_files::size)
        .load(conn)?;
    Ok(sizes.iter().sum())
}

/// One file of an issue with its bytes.
pub fn get(conn: &mut Db, issue_id: i64, id: i64) -> QueryResult<Option<(FileRow, Vec<u8>)>> {
    evidence_files::table
        .filter(evidence_files::issue_id.eq(issue_id))
        .filter(evidence_files::id.eq(id))
        .select((FileRow::as_select(), evidence_files::data))
        .first(conn)
        .optional()
}
