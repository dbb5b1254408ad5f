//! Partners, the clarifications sent to them, and the reshares they reported.

use super::schema::{clarifications, partner_deliveries, partner_reshares, partners};
use super::Db;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = partners, treat_none_as_null = true)]
pub struct PartnerRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub email: String,
    /// JSON list.
    pub districts: String,
    /// JSON list of categories.
    pub topics: String,
    pub agreement_number: Option<String>,
    pub agreement_year: Option<i32>,
    pub agreement_from: Option<String>,
    pub agreement_to: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Inserts a partner; answers its id.
pub fn insert(conn: &mut Db, row: &PartnerRow) -> QueryResult<i64> {
    diesel::insert_into(partners::table)
        .values(row)
        .execute(conn)?;
    partners::table
        .order(partners::id.desc())
        .select(partners::id)
        .first(conn)
}

/// Saves the row when its stored version is still `expected`; answers whether it did.
pub fn update_if_version(conn: &mut Db, row: &PartnerRow, expected: i64) -> QueryResult<bool> {
    let n = diesel::update(
        partners::table
            .filter(partners::id.eq(row.id))
            .filter(partners::version.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

pub fn find(conn: &mut Db, id: i64) -> QueryResult<Option<PartnerRow>> {
    partners::table
        .find(id)
        .select(PartnerRow::as_select())
        .first(conn)
        .optional()
}

/// Partners by name, after `after` (id), at most `limit`.
pub fn list(conn: &mut Db, after: Option<i64>, limit: i64) -> QueryResult<Vec<PartnerRow>> {
    partners::table
        .filter(partners::id.gt(after.unwrap_or(0)))
        .order(partners::id.asc())
        .limit(limit)
        .select(PartnerRow::as_select())
        .load(conn)
}

/// Every active partner (the fan-out judges their interests).
pub fn active(conn: &mut Db) -> QueryResult<Vec<PartnerRow>> {
    partners::table
        .filter(partners::active.eq(true))
        .order(partners::id.asc())
        .select(PartnerRow::as_select())
        .load(conn)
}

/// Whether anything refers to the partner (then it is deactivated, not deleted).
pub fn referenced(conn: &mut Db, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        partner_deliveries::table.filter(partner_deliveries::partner_id.eq(id)),
    ))
    .get_result(conn)
}

pub fn delete(conn: &mut Db, id: i64) -> QueryResult<()> {
    diesel::delete(partners::table.find(id))
        .execute(conn)
        .map(drop)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = partner_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub clarification_id: i64,
    pub partner_id: i64,
    pub queued_at: i64,
    pub acknowledged_at: Option<i64>,
    pub first_reshare_at: Option<i64>,
}

/// Records that a clarification goes to a partner; answers whether it is new (the unique key
/// (clarification, partner) makes a second record a no-op, and the caller then sends nothing).
pub fn record_delivery(
    conn: &mut Db,
    clarification_id: i64,
    partner_id: i64,
    at: i64,
) -> QueryResult<bool> {
    let values = (
        partner_deliveries::clarification_id.eq(clarification_id),
        partner_deliveries::partner_id.eq(partner_id),
        partner_deliveries::queued_at.eq(at),
    );
    let n = super::on_backend!(conn, c => diesel::insert_into(partner_deliveries::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// The delivery of a clarification to a partner.
pub fn delivery(
    conn: &mut Db,
    clarification_id: i64,
    partner_id: i64,
) -> QueryResult<Option<DeliveryRow>> {
    partner_deliveries::table
        .filter(partner_deliveries::clarification_id.eq(clarification_id))
        .filter(partner_deliveries::partner_id.eq(partner_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// Marks a delivery acknowledged (the first time only); answers whether it changed.
pub fn acknowledge(conn: &mut Db, delivery_id: i64, at: i64) -> QueryResult<bool> {
    let n = diesel::update(
        partner_deliveries::table
            .find(delivery_id)
            .filter(partner_deliveries::acknowledged_at.is_null()),
    )
    .set(partner_deliveries::acknowledged_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = partner_reshares)]
pub struct ReshareRow {
    pub id: i64,
    pub delivery_id: i64,
    pub url: String,
    pub reach: Option<i64>,
    pub reported_at: i64,
}

/// Records a reshare (a URL reported again updates its reach); answers whether it is new.
pub fn add_reshare(
    conn: &mut Db,
    delivery_id: i64,
    url: &str,
    reach: Option<i64>,
    at: i64,
) -> QueryResult<bool> {
    let values = (
        partner_reshares::delivery_id.eq(delivery_id),
        partner_reshares::url.eq(url),
        partner_reshares::reach.eq(reach),
        partner_reshares::reported_at.eq(at),
    );
    let n = super::on_backend!(conn, c => diesel::insert_into(partner_reshares::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(c))?;
    if n == 0 {
        diesel::update(
            partner_reshares::table
                .filter(partner_reshares::delivery_id.eq(delivery_id))
                .filter(partner_reshares::url.eq(url)),
        )
        .set(partner_reshares::reach.eq(reach))
        .execute(conn)?;
    }
    diesel::update(
        partner_deliveries::table
            .find(delivery_id)
            .filter(partner_deliveries::first_reshare_at.is_null()),
    )
    .set(partner_deliveries::first_reshare_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn reshares(conn: &mut Db, delivery_id: i64) -> QueryResult<Vec<ReshareRow>> {
    partner_reshares::table
        .filter(partner_reshares::delivery_id.eq(delivery_id))
        .order(partner_reshares::id.asc())
        .select(ReshareRow::as_select())
        .load(conn)
}

/// One delivery as the partner report counts it: the partner, when the clarification was
/// published, acknowledged, first reshared, and the reach reported in all.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub partner_id: i64,
    pub published_at: i64,
    pub acknowledged_at: Option<i64>,
    pub first_reshare_at: Option<i64>,
    pub reshares: i64,
    pub reach: i64,
}

/// Every delivery of clarifications published in `[from, to)` (µs), with its reshares counted.
pub fn report_rows(conn: &mut Db, from: i64, to: i64) -> QueryResult<Vec<ReportRow>> {
    // partner, published, acknowledged, first reshare, delivery.
    type Row = (i64, Option<i64>, Option<i64>, Option<i64>, i64);
    let rows: Vec<Row> = partner_deliveries::table
        .inner_join(clarifications::table)
        .filter(clarifications::published_at.ge(from))
        .filter(clarifications::published_at.lt(to))
        .select((
            partner_deliveries::partner_id,
            clarifications::published_at,
            partner_deliveries::acknowledged_at,
            partner_deliveries::first_reshare_at,
            partner_deliveries::id,
        ))
        .load(conn)?;
    let each: Vec<(i64, Option<i64>)> = partner_reshares::table
        .inner_join(partner_deliveries::table.inner_join(clarifications::table))
        .filter(clarifications::published_at.ge(from))
        .filter(clarifications::published_at.lt(to))
        .select((partner_reshares::delivery_id, partner_reshares::reach))
        .load(conn)?;
    let mut sums: std::collections::HashMap<i64, (i64, i64)> = std::collections::HashMap::new();
    for (d, reach) in each {
        let e = sums.entry(d).or_default();
        e.0 += 1;
        e.1 = e.1.saturating_add(reach.unwrap_or(0));
    }
    Ok(rows
        .into_iter()
        .map(|(partner_id, published_at, ack, first, id)| {
            let (reshares, reach) = sums.get(&id).copied().unwrap_or((0, 0));
            ReportRow {
                partner_id,
                published_at: published_at.unwrap_or(0),
                acknowledged_at: ack,
                first_reshare_at: first,
                reshares,
                reach,
            }
        })
        .collect())
}
