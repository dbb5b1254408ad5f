//! Monitoring and evaluation reports: per period and group, issues filed and resolved, SLA
//! compliance, median and p90 times in open time, issues breached now, escalations.
//!
//! Long because: the report's two ways of counting — stored per-day tallies and the live tables
//! (the reference, and long periods not yet tallied) — meet here in the one shape the API, the
//! console and the CSV give.

use super::issues::{caller_of, list::local_midnight, list::scope, viewer_in};
use super::report_days::Viewer as TallyViewer;
use super::Ctx;
use crate::domain::enums::ReportGroup;
use crate::domain::report_days::Tally;
use crate::domain::ClockKind;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::issues::Scope;
use crate::store::reports::GroupColumn;
use crate::store::{self, Db};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

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
    pub group_by: ReportGroup,
    pub groups: Vec<Group>,
    pub total: Figures,
    pub hoaxes: super::hoaxes::HoaxFigures,
}

/// met ÷ (met + missed) × 100, to two decimals; `None` when both are 0.
#[allow(
    clippy::cast_precision_loss,
    reason = "clock counts stay far below 2^52, where f64 is exact"
)]
fn compliance(met: i64, missed: i64) -> Option<f64> {
    let decided = met + missed;
    (decided > 0).then(|| (met as f64 * 10_000.0 / decided as f64).round() / 100.0)
}

impl ClockFigures {
    fn set(&mut self, c: &store::reports::ClockFigures) {
        self.met = c.met;
        self.missed = c.missed;
        self.running = c.clocks - c.met - c.missed;
        self.compliance_pct = compliance(c.met, c.missed);
        self.median_seconds = c.median;
        self.p90_seconds = c.p90;
    }

    fn of_tally(t: &mut crate::domain::report_days::ClockTally) -> ClockFigures {
        ClockFigures {
            met: t.met,
            missed: t.missed,
            running: t.clocks - t.met - t.missed,
            compliance_pct: compliance(t.met, t.missed),
            median_seconds: t.percentile(50),
            p90_seconds: t.percentile(90),
        }
    }
}

impl Figures {
    fn clock(&mut self, kind: &str) -> Option<&mut ClockFigures> {
        match ClockKind::parse(kind)? {
            ClockKind::Response => Some(&mut self.response),
            ClockKind::Resolution => Some(&mut self.resolution),
            ClockKind::Triage => None,
        }
    }
}

fn parse_date(
    errors: &mut Vec<FieldError>,
    field: &str,
    v: Option<&str>,
) -> Option<jiff::civil::Date> {
    super::issues::list::date(errors, field, v?)
}

/// The period and grouping asked for: the current local month and `unit` by default; 422
/// naming each wrong parameter.
fn asked(
    ctx: &Ctx,
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
) -> AppResult<(jiff::civil::Date, jiff::civil::Date, ReportGroup)> {
    let mut errors = Vec::new();
    let today = jiff::Timestamp::from_microsecond(ctx.now)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_zoned(ctx.sla.zone.clone())
        .date();
    let from_d = match from {
        Some(_) => parse_date(&mut errors, "from", from),
        None => Some(today.first_of_month()),
    };
    let to_d = match to {
        Some(_) => parse_date(&mut errors, "to", to),
        None => Some(today.last_of_month()),
    };
    let asked = group_by.unwrap_or("unit").trim();
    let group_by = ReportGroup::parse(asked);
    if group_by.is_none() {
        errors.push(
            FieldError::new("group_by", format!("`{asked}` is not a grouping"))
                .with_valid(ReportGroup::names()),
        );
    }
    if let (Some(f), Some(t)) = (from_d, to_d) {
        if f > t {
            errors.push(FieldError::new("to", "must not be before from"));
        }
    }
    match (from_d, to_d, group_by) {
        (Some(f), Some(t), Some(g)) if errors.is_empty() => Ok((f, t, g)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// The hoax answer's target in seconds: it counts in wall-clock time only on the 24×7 calendar.
fn hoax_target(ctx: &Ctx) -> Option<i64> {
    ctx.sla
        .categories
        .get(&crate::domain::Category::HoaksDisinformasi)
        .filter(|o| o.calendar.as_deref() == Some("always"))
        .and_then(|o| o.response)
        .map(crate::domain::duration::SlaDuration::always_seconds)
}

/// The hoaxes of a report, as tallied or as read.
enum Hoaxes {
    Tally(crate::domain::report_days::HoaxTally),
    Rows(Vec<store::reports::HoaxRow>),
}

/// Builds the report for the caller: only the issues it may see count.
pub fn report(
    conn: &mut Db,
    ctx: &Ctx,
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
) -> AppResult<Report> {
    report_counted(conn, ctx, from, to, group_by, false)
}

/// The rows a report counts: the caller's scope, the period's instants, the grouping column.
fn period<'a>(
    ctx: &Ctx,
    sc: &'a Scope,
    (from, to): (jiff::civil::Date, jiff::civil::Date),
    group_by: ReportGroup,
) -> store::reports::Period<'a> {
    store::reports::Period {
        scope: sc,
        from: local_midnight(&ctx.sla.zone, from).unwrap_or(0),
        to: to
            .tomorrow()
            .ok()
            .and_then(|d| local_midnight(&ctx.sla.zone, d))
            .unwrap_or(i64::MAX),
        column: match group_by {
            ReportGroup::Unit => GroupColumn::AssignedUnit,
            ReportGroup::Category => GroupColumn::Category,
            ReportGroup::Priority => GroupColumn::Priority,
            ReportGroup::Channel => GroupColumn::Channel,
            ReportGroup::District => GroupColumn::District,
        },
        now: ctx.now,
    }
}

/// Whose stored per-day tallies a caller of scope `sc` (and unit) reads: every viewer its own
/// scope's; `None` (the database counts) for a PIC without a unit.
fn tally_viewer<'a>(sc: &'a Scope, unit: Option<&'a str>) -> Option<TallyViewer<'a>> {
    match (sc, unit) {
        (Scope::All, _) => Some(TallyViewer::Every),
        (Scope::Leader { .. }, Some(unit)) => Some(TallyViewer::Leader(unit)),
        (Scope::Pic { user_id, unit, .. }, _) if !unit.is_empty() => {
            Some(TallyViewer::Pic { id: *user_id, unit })
        }
        _ => None,
    }
}

/// The report as [`report`] makes it, or (`live`) counted over the live tables only, ignoring
/// stored tallies: the reference the tallies are tested against.
pub fn report_counted(
    conn: &mut Db,
    ctx: &Ctx,
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
    live: bool,
) -> AppResult<Report> {
    let (from_d, to_d, group_by) = asked(ctx, from, to, group_by)?;
    let caller = caller_of(ctx);
    // One snapshot, so that the queries agree with each other — the units too, read once: the
    // caller's subtree, the tallies' basis and the groups' labels.
    let ((groups, total), hoaxes, names) = store::snapshot_tx(conn, |conn| {
        store::reports::prepare(conn)?;
        let units = store::units::all(conn)?;
        let tree: Vec<(String, Option<String>)> = units
            .iter()
            .map(|u| (u.code.clone(), u.parent.clone()))
            .collect();
        let v = viewer_in(&caller, &tree);
        let sc = scope(&v);
        let period = period(ctx, &sc, (from_d, to_d), group_by);
        let tally_viewer = tally_viewer(&sc, v.unit.as_deref());
        let tallied = match tally_viewer {
            Some(t) if !live => {
                super::report_days::tallied(conn, ctx, t, (from_d, to_d), group_by, &tree)?
            }
            _ => None,
        };
        let (figures, hoaxes) = match tallied {
            Some(t) => (from_tallies(t.groups), Hoaxes::Tally(t.hoaxes)),
            None => (
                figures(
                    &store::reports::issue_counts(conn, &period)?,
                    &store::reports::step_counts(conn, &period)?,
                    &store::reports::clock_figures(conn, &period)?,
                ),
                Hoaxes::Rows(store::reports::hoaxes(conn, &period)?),
            ),
        };
        let names: HashMap<String, String> = if group_by == ReportGroup::Unit {
            units.into_iter().map(|u| (u.code, u.name)).collect()
        } else {
            HashMap::new()
        };
        Ok::<_, AppError>((figures, hoaxes, names))
    })?;
    let target = hoax_target(ctx);
    let out = groups
        .into_iter()
        .map(|(key, figures)| Group {
            label: (group_by == ReportGroup::Unit)
                .then(|| key.as_ref().and_then(|k| names.get(k).cloned()))
                .flatten(),
            key,
            figures,
        })
        .collect();
    Ok(Report {
        from: from_d.to_string(),
        to: to_d.to_string(),
        group_by,
        groups: out,
        total,
        hoaxes: match hoaxes {
            Hoaxes::Tally(t) => super::hoaxes::figures_of(t, target),
            Hoaxes::Rows(rows) => super::hoaxes::figures(&rows, target),
        },
    })
}

/// Records the counted time of clocks stopped before the database kept it (a one-off after the
/// migration that added it; a no-op afterwards). Calendars live in the configuration, so the
/// database cannot compute it itself. Answers how many clocks it filled.
pub fn fill_counted_times(conn: &mut Db, sla: &crate::domain::sla::SlaConfig) -> AppResult<usize> {
    let mut filled = 0;
    let mut after = 0;
    loop {
        let rows = store::clocks::missing_elapsed(conn, after, 10_000)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let counted: Vec<(i64, i64)> = rows
            .iter()
            .filter_map(|r| {
                let clock = r.to_clock()?;
                let secs = clock.counted_seconds(&sla.calendar(&clock.calendar))?;
                Some((r.id, secs))
            })
            .collect();
        store::write_tx(conn, |conn| store::clocks::set_elapsed(conn, &counted))?;
        filled += counted.len();
    }
    Ok(filled)
}

/// A CSV cell that a spreadsheet will not run as a formula.
/// The first characters that make a spreadsheet read a cell as a formula (TAB and CR too: some
/// spreadsheets skip them and read what follows).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

pub fn safe_cell(s: &str) -> String {
    if s.starts_with(FORMULA_STARTS) {
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

impl Figures {
    fn of_tally(t: &mut Tally) -> Figures {
        Figures {
            filed: t.filed,
            resolved: t.resolved,
            response: ClockFigures::of_tally(&mut t.response),
            resolution: ClockFigures::of_tally(&mut t.resolution),
            breached_now: t.breached_now,
            escalations: t.escalations,
        }
    }
}

/// The figures per group and in total from the groups' tallies.
fn from_tallies(
    tallies: BTreeMap<Option<String>, Tally>,
) -> (BTreeMap<Option<String>, Figures>, Figures) {
    let mut total = Tally::default();
    let mut groups = BTreeMap::new();
    for (k, mut t) in tallies {
        total.add(&t);
        groups.insert(k, Figures::of_tally(&mut t));
    }
    (groups, Figures::of_tally(&mut total))
}

/// The figures per group and in total from the store's counts.
fn figures(
    issues: &[store::reports::IssueCounts],
    steps: &[store::reports::StepCount],
    clocks: &[store::reports::ClockFigures],
) -> (BTreeMap<Option<String>, Figures>, Figures) {
    let mut groups: BTreeMap<Option<String>, Figures> = BTreeMap::new();
    let mut total = Figures::default();
    for i in issues {
        let g = groups.entry(i.k.clone()).or_default();
        g.filed = i.filed;
        g.resolved = i.resolved;
        g.breached_now = i.breached_now;
        total.filed += i.filed;
        total.resolved += i.resolved;
        total.breached_now += i.breached_now;
    }
    for s in steps {
        groups.entry(s.k.clone()).or_default().escalations = s.steps;
        total.escalations += s.steps;
    }
    for c in clocks {
        let figures = if c.total == 1 {
            &mut total
        } else {
            groups.entry(c.k.clone()).or_default()
        };
        if let Some(f) = figures.clock(&c.kind) {
            f.set(c);
        }
    }
    (groups, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped() {
        assert_eq!(safe_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(safe_cell("@cmd"), "'@cmd");
        assert_eq!(safe_cell("Dinas Kesehatan"), "Dinas Kesehatan");
        assert_eq!(safe_cell("\t=cmd"), "'\t=cmd");
        assert_eq!(safe_cell("\r=cmd"), "'\r=cmd");
    }
}
