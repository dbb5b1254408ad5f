//! Lists with filters, and the work queues, each showing only what the caller may see.

use super::{caller_of, unit_tree, viewer, viewer_in, views, wire, Issue};
use crate::domain::visibility::{self, Viewer};
use crate::domain::{
    Category, Channel, DisinformationType, Priority, Role, Sensitivity, Status, Verdict,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::service::Ctx;
use crate::store::issues::{IssueQuery, IssueRow, Order, Scope};
use crate::store::{self, Db};
use std::collections::BTreeMap;

/// The SQL scope of what the viewer may see.
pub fn scope(v: &Viewer) -> Scope {
    match (v.role, &v.unit) {
        (Role::Admin | Role::Trc, _) | (Role::Leader, None) => Scope::All,
        (Role::Pic, Some(unit)) => Scope::Pic {
            user_id: v.user_id,
            unit: unit.clone(),
            subtree: v.subtree.clone(),
        },
        (Role::Pic, None) => Scope::Pic {
            user_id: v.user_id,
            unit: String::new(),
            subtree: vec![],
        },
        (Role::Leader, Some(_)) => Scope::Leader {
            subtree: v.subtree.clone(),
        },
    }
}

/// The filters `GET /issues` accepts besides `limit` and `cursor`.
pub const FILTERS: &[&str] = &[
    "status",
    "assigned_unit",
    "filing_unit",
    "category",
    "channel",
    "priority",
    "sensitivity",
    "district",
    "tag",
    "verdict",
    "disinformation_type",
    "lapor_id",
    "q",
    "created_from",
    "created_to",
];

fn split(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn enum_list<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    v: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> Vec<String>,
) -> Vec<String> {
    let items = split(v);
    for i in &items {
        if parse(i).is_none() {
            errors
                .push(FieldError::new(field, format!("`{i}` is not accepted")).with_valid(names()));
        }
    }
    items
}

/// Local midnight of a `YYYY-MM-DD` date in the deployment's zone, as µs.
pub fn local_midnight(zone: &jiff::tz::TimeZone, date: jiff::civil::Date) -> Option<i64> {
    date.to_zoned(zone.clone())
        .ok()
        .map(|z| crate::service::micros(z.timestamp()))
}

/// A local date written `YYYY-MM-DD`, or a field error.
pub fn date(errors: &mut Vec<FieldError>, field: &str, v: &str) -> Option<jiff::civil::Date> {
    match v.trim().parse::<jiff::civil::Date>() {
        Ok(d) if v.trim().len() == 10 => Some(d),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("`{v}` is not a date written YYYY-MM-DD"),
            ));
            None
        }
    }
}

/// Builds the query of `GET /issues` from its parameters.
pub fn query_from(
    params: &BTreeMap<String, String>,
    zone: &jiff::tz::TimeZone,
    scope: Scope,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<IssueQuery> {
    let mut q = IssueQuery::new(scope, Order::Newest, limit + 1);
    q.after = after;
    let mut errors = Vec::new();
    for (k, v) in params {
        match k.as_str() {
            "limit" | "cursor" => {}
            "status" => q.statuses = enum_list(&mut errors, k, v, Status::parse, Status::names),
            "category" => {
                q.categories = enum_list(&mut errors, k, v, Category::parse, Category::names);
            }
            "channel" => q.channels = enum_list(&mut errors, k, v, Channel::parse, Channel::names),
            "priority" => {
                q.priorities = enum_list(&mut errors, k, v, Priority::parse, Priority::names);
            }
            "sensitivity" => {
                q.sensitivities =
                    enum_list(&mut errors, k, v, Sensitivity::parse, Sensitivity::names);
            }
            "verdict" => q.verdicts = enum_list(&mut errors, k, v, Verdict::parse, Verdict::names),
            "disinformation_type" => {
                q.disinformation_types = enum_list(
                    &mut errors,
                    k,
                    v,
                    DisinformationType::parse,
                    DisinformationType::names,
                );
            }
            "lapor_id" => q.lapor_ids = split(v),
            "assigned_unit" => q.assigned_units = split(v),
            "filing_unit" => q.filing_units = split(v),
            "district" => q.districts = split(v),
            "tag" => {
                q.tags = split(v)
                    .into_iter()
                    .map(|t| t.trim_start_matches('#').to_lowercase())
                    .collect();
            }
            "q" => q.text = Some(v.trim().to_owned()).filter(|t| !t.is_empty()),
            "created_from" => {
                q.created_from = date(&mut errors, k, v).and_then(|d| local_midnight(zone, d));
            }
            "created_to" => {
                q.created_to = date(&mut errors, k, v)
                    .and_then(|d| d.tomorrow().ok())
                    .and_then(|d| local_midnight(zone, d));
            }
            other => errors.push(
                FieldError::new(other, "is not a filter of this list")
                    .with_valid(FILTERS.iter().map(|s| (*s).to_owned()).collect()),
            ),
        }
    }
    if errors.is_empty() {
        Ok(q)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// A page of issues with the sort key of each, for the cursor.
pub struct Listed {
    pub items: Vec<Issue>,
    pub keys: Vec<(i64, i64)>,
}

fn run(conn: &mut Db, ctx: &Ctx, q: &IssueQuery) -> AppResult<Listed> {
    let rows = store::issues::list(conn, q)?;
    listed(conn, ctx, rows, q.order)
}

/// The page of `rows`, read in `order`, with their clocks and duplicates.
fn listed(conn: &mut Db, ctx: &Ctx, rows: Vec<IssueRow>, order: Order) -> AppResult<Listed> {
    let keys = rows
        .iter()
        .map(|r| match order {
            Order::Newest => (r.created_at, r.id),
            Order::Urgent => (r.urgent_at, r.id),
        })
        .collect();
    Ok(Listed {
        items: views(conn, ctx, rows)?,
        keys,
    })
}

/// `GET /issues`: newest first.
pub fn list(
    conn: &mut Db,
    ctx: &Ctx,
    zone: &jiff::tz::TimeZone,
    params: &BTreeMap<String, String>,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<Listed> {
    let q = list_query(conn, ctx, zone, params, limit, after)?;
    run(conn, ctx, &q)
}

/// The query of [`list`].
pub fn list_query(
    conn: &mut Db,
    ctx: &Ctx,
    zone: &jiff::tz::TimeZone,
    params: &BTreeMap<String, String>,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<IssueQuery> {
    let v = viewer(conn, &caller_of(ctx))?;
    query_from(params, zone, scope(&v), limit, after)
}

/// `GET /queues/triage`: issues in `new`, most urgent first (TRC and admin).
pub fn triage_queue(
    conn: &mut Db,
    ctx: &Ctx,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<Listed> {
    may_triage(ctx)?;
    let rows = store::issues::by_urgency_in_status(conn, Status::New.as_str(), after, limit + 1)?;
    listed(conn, ctx, rows, Order::Urgent)
}

fn may_triage(ctx: &Ctx) -> AppResult<()> {
    // The system acts as an administrator (`caller_of`).
    if !matches!(
        ctx.actor.role().unwrap_or(Role::Admin),
        Role::Trc | Role::Admin
    ) {
        return Err(AppError::Forbidden("the triage queue is the TRC's".into()));
    }
    Ok(())
}

/// A page to be written by [`wire::write_page`], and the cursor after it (none on the last).
pub struct WirePage {
    pub items: Vec<wire::Item>,
    pub next: Option<(i64, i64)>,
}

/// [`triage_queue`] for [`wire::write_page`] (the issues' unchanging members from `shapes`
/// when kept there at the rows' keys), for the user of a checked token, read in the page's
/// own statement (one round trip instead of two on PostgreSQL): `ctx`'s actor becomes that
/// user once the row is checked, before anything of the page is used.
pub fn triage_queue_wire_for(
    conn: &mut Db,
    ctx: &mut Ctx,
    user: crate::service::auth::TokenUser,
    shapes: &wire::Shapes,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<WirePage> {
    let (row, heads) = store::issues::user_and_heads_by_urgency_in_status(
        conn,
        user.id,
        Status::New.as_str(),
        after,
        limit + 1,
    )?;
    ctx.actor = crate::service::Actor::User(crate::service::auth::caller_of_row(row, user)?);
    may_triage(ctx)?;
    wire_page_of(conn, ctx, shapes, heads, limit, Order::Urgent)
}

/// The page of `q` (made with its look-ahead row, as by [`list_query`]) for
/// [`wire::write_page`], as [`triage_queue_wire_for`].
pub fn wire_page(
    conn: &mut Db,
    ctx: &Ctx,
    shapes: &wire::Shapes,
    q: &IssueQuery,
) -> AppResult<WirePage> {
    let heads = store::issues::list_heads(conn, q)?;
    wire_page_of(conn, ctx, shapes, heads, q.limit - 1, q.order)
}

/// The page of up to `limit + 1` `heads` read in `order`: the first `limit` of them, and the
/// cursor after the last when there were more.
fn wire_page_of(
    conn: &mut Db,
    ctx: &Ctx,
    shapes: &wire::Shapes,
    mut heads: Vec<store::issues::IssueHead>,
    limit: i64,
    order: Order,
) -> AppResult<WirePage> {
    let shown = usize::try_from(limit).unwrap_or(0);
    let next = if heads.len() > shown {
        heads.truncate(shown);
        heads.last().map(|h| match order {
            Order::Newest => (h.created_at, h.id),
            Order::Urgent => (h.urgent_at, h.id),
        })
    } else {
        None
    };
    Ok(WirePage {
        items: wire::items(conn, ctx, shapes, &heads)?,
        next,
    })
}

/// `GET /queues/unit/{code}`: open issues assigned to the unit or its sub-units.
pub fn unit_queue(
    conn: &mut Db,
    ctx: &Ctx,
    code: &str,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<Listed> {
    let q = unit_queue_query(conn, ctx, code, limit, after)?;
    run(conn, ctx, &q)
}

/// The query of [`unit_queue`] (403 or 404 as it answers).
pub fn unit_queue_query(
    conn: &mut Db,
    ctx: &Ctx,
    code: &str,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<IssueQuery> {
    // One read of the unit tree serves the caller's scope, the unit's existence and its subtree.
    let units = unit_tree(conn)?;
    let v = viewer_in(&caller_of(ctx), &units);
    if !units.iter().any(|(c, _)| c == code) {
        return Err(AppError::NotFound(format!("no unit `{code}`")));
    }
    let allowed = match (v.role, &v.unit) {
        (Role::Trc | Role::Admin, _) | (Role::Leader, None) => true,
        (Role::Leader | Role::Pic, Some(_)) => v.subtree.iter().any(|u| u == code),
        (Role::Pic, None) => false,
    };
    if !allowed {
        return Err(AppError::Forbidden(format!(
            "the queue of {code} is not in your scope"
        )));
    }
    let mut q = IssueQuery::new(scope(&v), Order::Urgent, limit + 1);
    q.open_only = true;
    q.assigned_units = visibility::subtree(&units, code);
    q.after = after;
    Ok(q)
}

/// `GET /queues/escalated`: open issues with an escalation level above 0 that the caller sees.
pub fn escalated_queue(
    conn: &mut Db,
    ctx: &Ctx,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<Listed> {
    let q = escalated_queue_query(conn, ctx, limit, after)?;
    run(conn, ctx, &q)
}

/// The query of [`escalated_queue`].
pub fn escalated_queue_query(
    conn: &mut Db,
    ctx: &Ctx,
    limit: i64,
    after: Option<(i64, i64)>,
) -> AppResult<IssueQuery> {
    let v = viewer(conn, &caller_of(ctx))?;
    let mut q = IssueQuery::new(scope(&v), Order::Urgent, limit + 1);
    q.open_only = true;
    q.escalated_only = true;
    q.after = after;
    Ok(q)
}
