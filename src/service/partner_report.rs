//! The evaluation of the cooperation with partners in a budget year ("evaluasi kerja sama
//! media"): per partner, clarifications received, acknowledged, republished, places and reach
//! reported, and the median time from publication to the first republication.

use super::partners::require_registry;
use super::Ctx;
use crate::domain::clarification as rules;
use crate::error::{AppError, AppResult};
use crate::store::{self, Db};
use serde::Serialize;
use utoipa::ToSchema;

/// One partner's figures of a budget year.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PartnerFigures {
    pub partner: i64,
    pub name: String,
    pub kind: String,
    pub agreement_number: Option<String>,
    /// Clarifications sent to the partner.
    pub received: i64,
    pub acknowledged: i64,
    /// Clarifications it reported republishing (at least once).
    pub republished: i64,
    /// Places reported in all.
    pub reshares: i64,
    /// Reach reported in all.
    pub reach: i64,
    /// Median time from publication to the first reported republication, in seconds.
    pub median_seconds_to_republish: Option<i64>,
}

/// The evaluation of the cooperation with partners in a budget year.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PartnerReport {
    pub year: i32,
    pub partners: Vec<PartnerFigures>,
}

/// The budget year (the local calendar year) of `ctx.now` (an instant out of jiff's range, which
/// a clock cannot give, counts as the epoch's year).
pub fn this_year(ctx: &Ctx) -> i32 {
    jiff::Timestamp::from_microsecond(ctx.now)
        .map_or(1970, |t| i32::from(t.to_zoned(ctx.sla.zone.clone()).year()))
}

/// Per partner, over the clarifications published in the budget year (local calendar year).
pub fn report(conn: &mut Db, ctx: &Ctx, year: i32) -> AppResult<PartnerReport> {
    require_registry(ctx)?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::Invalid(vec![crate::error::FieldError::new(
            "year",
            "must be a year from 2000 to 2100",
        )]));
    }
    let start = |y: i32| -> AppResult<i64> {
        let y = i16::try_from(y).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(jiff::civil::date(y, 1, 1)
            .to_zoned(ctx.sla.zone.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .timestamp()
            .as_microsecond())
    };
    let rows = store::partners::report_rows(conn, start(year)?, start(year + 1)?)?;
    let mut partners = Vec::new();
    let mut after = None;
    loop {
        let page = store::partners::list(conn, after, 200)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        partners.extend(page);
    }
    let mut out = Vec::new();
    for p in partners {
        let mine: Vec<_> = rows.iter().filter(|r| r.partner_id == p.id).collect();
        if mine.is_empty() && !p.active {
            continue;
        }
        let mut times: Vec<i64> = mine
            .iter()
            .filter_map(|r| {
                r.first_reshare_at
                    .map(|f| (f - r.published_at).max(0) / 1_000_000)
            })
            .collect();
        out.push(PartnerFigures {
            partner: p.id,
            name: p.name,
            kind: p.kind,
            agreement_number: p.agreement_number,
            received: count(mine.len()),
            acknowledged: count(mine.iter().filter(|r| r.acknowledged_at.is_some()).count()),
            republished: count(mine.iter().filter(|r| r.reshares > 0).count()),
            reshares: mine.iter().map(|r| r.reshares).sum(),
            reach: mine.iter().map(|r| r.reach).sum(),
            median_seconds_to_republish: rules::median(&mut times),
        });
    }
    Ok(PartnerReport {
        year,
        partners: out,
    })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The report as CSV: one row per partner (text cells that could be read as formulas are
/// quoted as the reports' CSV does).
pub fn report_csv(r: &PartnerReport) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = [
        "year",
        "partner",
        "name",
        "kind",
        "agreement_number",
        "received",
        "acknowledged",
        "republished",
        "reshares",
        "reach",
        "median_seconds_to_republish",
    ];
    let io = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    w.write_record(head).map_err(io)?;
    for p in &r.partners {
        w.write_record([
            r.year.to_string(),
            p.partner.to_string(),
            super::reports::safe_cell(&p.name),
            p.kind.clone(),
            super::reports::safe_cell(p.agreement_number.as_deref().unwrap_or("")),
            p.received.to_string(),
            p.acknowledged.to_string(),
            p.republished.to_string(),
            p.reshares.to_string(),
            p.reach.to_string(),
            p.median_seconds_to_republish
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}
