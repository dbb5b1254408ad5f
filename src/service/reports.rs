//! Monitoring and evaluation reports: per period and group, issues filed and resolved, SLA
//! compliance, median and p90 times in open time, issues breached now, escalations.

use super::issues::{caller_of, list::local_midnight, list::scope, viewer};
use super::Ctx;
use crate::domain::clock::ClockState;
use crate::domain::{ClockKind, Status};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::{self, Db};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

pub const GROUPS: &[&str] = &["unit", "category", "priority", "channel", "district"];

/// One clock kind's figures.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct ClockFigures {
    /// Clocks stopped in time.
    pub met: i64,
    /// Clocks past due, stopped or not.
    pub missed: i64,
    /// Clocks still running and not yet past due (left out of compliance).
    pub running: i64,
    /// met ÷ (met + missed) × 100; null when both are 0.
    pub compliance_pct: Option<f64>,
    /// Over stopped clocks, in open seconds of the clock's calendar (nearest rank).
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// The figures of one group (or the total).
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct Figures {
    pub filed: i64,
    /// Issues of the group now resolved or closed.
    pub resolved: i64,
    pub response: ClockFigures,
    pub resolution: ClockFigures,
    /// Open issues with a clock past due and not stopped.
    pub breached_now: i64,
    /// Escalation steps fired (not recipients).
    pub escalations: i64,
}

/// A group.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Group {
    /// The unit code, category, ...; null for issues never assigned (by unit) or without district.
    pub key: Option<String>,
    /// The unit's name (unit groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A report.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub group_by: String,
    pub groups: Vec<Group>,
    pub total: Figures,
}

#[derive(Default)]
struct Acc {
    figures: Figures,
    response: Vec<i64>,
    resolution: Vec<i64>,
}

/// Nearest rank: the value at rank ⌈p·n⌉ of the sorted values.
pub fn nearest_rank(sorted: &[i64], p_percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p_percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn finish(f: &mut ClockFigures, mut times: Vec<i64>) {
    let decided = f.met + f.missed;
    let pct = (decided > 0).then(|| (f.met as f64 * 10_000.0 / decided as f64).round() / 100.0);
    f.compliance_pct = pct;
    times.sort_unstable();
    f.median_seconds = nearest_rank(&times, 50);
    f.p90_seconds = nearest_rank(&times, 90);
}

fn parse_date(
    errors: &mut Vec<FieldError>,
    field: &str,
    v: Option<&str>,
) -> Option<jiff::civil::Date> {
    super::issues::list::date(errors, field, v?)
}

const PAGE: i64 = 5_000;

/// Builds the report for the caller: only the issues it may see count.
pub fn report(
    conn: &mut Db,
    ctx: &Ctx,
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
) -> AppResult<Report> {
    let mut errors = Vec::new();
    let today = jiff::Timestamp::from_microsecond(ctx.now)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_zoned(ctx.sla.zone.clone())
        .date();
    let month_start = today.first_of_month();
    let from_d = parse_date(&mut errors, "from", from).or(if from.is_none() {
        Some(month_start)
    } else {
        None
    });
    let to_d = parse_date(&mut errors, "to", to).or(if to.is_none() {
        Some(today.last_of_month())
    } else {
        None
    });
    let group_by = group_by.unwrap_or("unit").trim().to_owned();
    if !GROUPS.contains(&group_by.as_str()) {
        errors.push(
            FieldError::new("group_by", format!("`{group_by}` is not a grouping"))
                .with_valid(GROUPS.iter().map(|g| (*g).to_owned()).collect()),
        );
    }
    if let (Some(f), Some(t)) = (from_d, to_d) {
        if f > t {
            errors.push(FieldError::new("to", "must not be before from"));
        }
    }
    let (Some(from_d), Some(to_d)) = (from_d, to_d) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let start = local_midnight(&ctx.sla.zone, from_d).unwrap_or(0);
    let end = to_d
        .tomorrow()
        .ok()
        .and_then(|d| local_midnight(&ctx.sla.zone, d))
        .unwrap_or(i64::MAX);

    let v = viewer(conn, &caller_of(ctx))?;
    let sc = scope(&v);
    let mut groups: BTreeMap<Option<String>, Acc> = BTreeMap::new();
    let mut total = Acc::default();
    let mut after = 0;
    loop {
        let page = store::reports::issues(conn, &sc, start, end, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let ids: Vec<i64> = page.iter().map(|i| i.id).collect();
        let mut clocks: HashMap<i64, Vec<crate::domain::clock::Clock>> = HashMap::new();
        for r in store::clocks::of_issues(conn, &ids)? {
            if let Some(c) = r.to_clock() {
                clocks.entry(r.issue_id).or_default().push(c);
            }
        }
        let mut steps: HashMap<i64, i64> = HashMap::new();
        for (issue, _, _) in store::reports::steps(conn, &ids)? {
            *steps.entry(issue).or_default() += 1;
        }
        for i in &page {
            let key = match group_by.as_str() {
                "unit" => i.assigned_unit.clone(),
                "category" => Some(i.category.clone()),
                "priority" => Some(i.priority.clone()),
                "channel" => Some(i.channel.clone()),
                _ => i.district.clone(),
            };
            let status = Status::parse(&i.status).unwrap_or(Status::New);
            let resolved = matches!(status, Status::Resolved | Status::Closed);
            let mut breached_now = false;
            let add = |acc: &mut Acc| {
                acc.figures.filed += 1;
                acc.figures.resolved += i64::from(resolved);
                acc.figures.escalations += steps.get(&i.id).copied().unwrap_or(0);
            };
            add(groups.entry(key.clone()).or_default());
            add(&mut total);
            for c in clocks.get(&i.id).map(Vec::as_slice).unwrap_or(&[]) {
                let cal = ctx.sla.calendar(&c.calendar);
                let reading = c.read(&cal, ctx.now);
                let stopped = matches!(c.state, ClockState::Met | ClockState::Missed);
                if status.is_open() && c.is_live() && reading.breached {
                    breached_now = true;
                }
                if !matches!(c.kind, ClockKind::Response | ClockKind::Resolution)
                    || c.state == ClockState::Cancelled
                {
                    continue;
                }
                let time = c.stopped_at.filter(|_| stopped).map(|s| {
                    let ts = |u: i64| {
                        jiff::Timestamp::from_microsecond(u).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
                    };
                    (cal.open_seconds(ts(c.started_at), ts(s)) - c.paused_seconds).max(0)
                });
                for acc in [groups.entry(key.clone()).or_default(), &mut total] {
                    let (f, times) = if c.kind == ClockKind::Response {
                        (&mut acc.figures.response, &mut acc.response)
                    } else {
                        (&mut acc.figures.resolution, &mut acc.resolution)
                    };
                    match (c.state, reading.breached) {
                        (ClockState::Met, _) => f.met += 1,
                        (ClockState::Missed, _) | (_, true) => f.missed += 1,
                        _ => f.running += 1,
                    }
                    if let Some(t) = time {
                        times.push(t);
                    }
                }
            }
            if breached_now {
                groups.entry(key.clone()).or_default().figures.breached_now += 1;
                total.figures.breached_now += 1;
            }
        }
    }
    let names: HashMap<String, String> = if group_by == "unit" {
        store::units::all(conn)?
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect()
    } else {
        HashMap::new()
    };
    let mut out = Vec::new();
    for (key, mut acc) in groups {
        finish(&mut acc.figures.response, std::mem::take(&mut acc.response));
        finish(
            &mut acc.figures.resolution,
            std::mem::take(&mut acc.resolution),
        );
        let label = (group_by == "unit")
            .then(|| key.as_ref().and_then(|k| names.get(k).cloned()))
            .flatten();
        out.push(Group {
            key,
            label,
            figures: acc.figures,
        });
    }
    finish(
        &mut total.figures.response,
        std::mem::take(&mut total.response),
    );
    finish(
        &mut total.figures.resolution,
        std::mem::take(&mut total.resolution),
    );
    Ok(Report {
        from: from_d.to_string(),
        to: to_d.to_string(),
        group_by,
        groups: out,
        total: total.figures,
    })
}

/// A CSV cell that a spreadsheet will not run as a formula.
pub fn safe_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The report as CSV: a header, one row per group, and a TOTAL row.
pub fn to_csv(r: &Report) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let clock_cols = |p: &str| {
        [
            "met",
            "missed",
            "running",
            "compliance_pct",
            "median_seconds",
            "p90_seconds",
        ]
        .map(|c| format!("{p}_{c}"))
    };
    let mut header = vec![
        "key".to_owned(),
        "label".into(),
        "filed".into(),
        "resolved".into(),
    ];
    header.extend(clock_cols("response"));
    header.extend(clock_cols("resolution"));
    header.extend(["breached_now".to_owned(), "escalations".into()]);
    w.write_record(&header).map_err(|e| anyhow::anyhow!(e))?;
    let num = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let clock = |c: &ClockFigures| {
        vec![
            c.met.to_string(),
            c.missed.to_string(),
            c.running.to_string(),
            c.compliance_pct.map(|p| format!("{p}")).unwrap_or_default(),
            num(c.median_seconds),
            num(c.p90_seconds),
        ]
    };
    let row = |key: String, label: String, f: &Figures| {
        let mut v = vec![
            safe_cell(&key),
            safe_cell(&label),
            f.filed.to_string(),
            f.resolved.to_string(),
        ];
        v.extend(clock(&f.response));
        v.extend(clock(&f.resolution));
        v.extend([f.breached_now.to_string(), f.escalations.to_string()]);
        v
    };
    for g in &r.groups {
        w.write_record(row(
            g.key.clone().unwrap_or_default(),
            g.label.clone().unwrap_or_default(),
            &g.figures,
        ))
        .map_err(|e| anyhow::anyhow!(e))?;
    }
    w.write_record(row("TOTAL".into(), String::new(), &r.total))
        .map_err(|e| anyhow::anyhow!(e))?;
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 50), Some(5));
        assert_eq!(nearest_rank(&v, 90), Some(9));
        assert_eq!(nearest_rank(&[1, 2, 3], 50), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
    }

    #[test]
    fn formula_cells_are_escaped() {
        assert_eq!(safe_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(safe_cell("@cmd"), "'@cmd");
        assert_eq!(safe_cell("Dinas Kesehatan"), "Dinas Kesehatan");
    }
}
