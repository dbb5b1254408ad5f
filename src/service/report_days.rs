//! Reports over stored per-day tallies (`domain::report_days`): the job that tallies settled
//! days, and the report's read that adds stored tallies to fresh ones.
//!
//! The promise: a report is as exact and as current as one counted from the live tables. A
//! day's stored tallies are used only when (1) it was tallied under the current zone and unit
//! tree, and (2) no change to its issues was logged since — triggers log every change to an issue
//! filed more than a day ago, in the changing transaction, and the job tallies a day only two
//! days after it ended (by the database's clock, which the triggers use), after every change to
//! it that its snapshot saw. A change committed while the job tallied stays in the log, so the
//! day is read afresh until the next run takes it in. Days not stored are tallied by the report
//! itself from the same facts.

use super::issues::list::local_midnight;
use super::Ctx;
use crate::domain::enums::ReportGroup;
use crate::domain::report_days::{self as days, Scopes, Tally, Tree, GROUPINGS};
use crate::error::AppResult;
use crate::store::{self, Db};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A day stored is tallied at least this long after it ended (µs): more than the triggers' one
/// day, so that every change to a stored day is logged.
const SETTLE_AFTER: i64 = 2 * 86_400 * 1_000_000;
/// Quarter hours (µs), the unit the change log keys issues by.
const QUARTER: i64 = 900 * 1_000_000;

/// `YYYYMMDD` of a local date.
pub fn day_key(d: Date) -> i32 {
    i32::from(d.year()) * 10_000 + i32::from(d.month()) * 100 + i32::from(d.day())
}

fn date_of(zone: &TimeZone, micros: i64) -> Option<Date> {
    Some(
        jiff::Timestamp::from_microsecond(micros)
            .ok()?
            .to_zoned(zone.clone())
            .date(),
    )
}

/// `[start, end)` of a local date, in µs.
fn span(zone: &TimeZone, d: Date) -> Option<(i64, i64)> {
    Some((
        local_midnight(zone, d)?,
        local_midnight(zone, d.tomorrow().ok()?)?,
    ))
}

/// The zone and unit tree the tallies depend on, digested, and the tree.
fn basis(conn: &mut Db, zone: &TimeZone) -> AppResult<(String, Tree)> {
    let units = super::issues::unit_tree(conn)?;
    basis_of(conn, zone, &units)
}

/// [`basis`] over the units already read (code and parent of each).
fn basis_of(
    conn: &mut Db,
    zone: &TimeZone,
    units: &[(String, Option<String>)],
) -> AppResult<(String, Tree)> {
    let name = zone
        .iana_name()
        .map_or_else(|| format!("{zone:?}"), str::to_owned);
    let pics = store::report_days::pics(conn)?;
    Ok((days::basis(&name, units, &pics), Tree::new(units, &pics)))
}

/// What one run of the job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Run {
    /// Another instance held the turn; nothing was done.
    pub busy: bool,
    /// Days tallied and stored.
    pub stored: usize,
    /// Stored days removed (no longer settled).
    pub dropped: usize,
    /// Days still waiting to be tallied (for the next batch).
    pub left: usize,
}

/// Takes in the logged changes and tallies up to `max_days` more settled days never stored (or
/// stored under another basis), in one transaction that reads one snapshot.
pub fn tally_days(conn: &mut Db, ctx: &Ctx, max_days: usize) -> AppResult<Run> {
    let zone = ctx.sla.zone.clone();
    store::snapshot_write_tx(conn, |conn| {
        if !store::report_days::take_turn(conn)? {
            return Ok(Run {
                busy: true,
                ..Run::default()
            });
        }
        let db_now = store::report_days::db_now(conn)?;
        let (basis, tree) = basis(conn, &zone)?;
        let changes = store::report_days::changes(conn)?;
        let mut run = Run::default();
        let last =
            date_of(&zone, db_now.min(ctx.now) - SETTLE_AFTER).and_then(|d| d.yesterday().ok());
        let first = store::report_days::filed_between(conn)?.and_then(|(t, _)| date_of(&zone, t));
        let (Some(first), Some(last)) = (first, last) else {
            // No issue at all (every one removed): nothing may stay stored.
            for d in store::report_days::days(conn, 0, i32::MAX)? {
                store::report_days::drop_day(conn, d.day)?;
                run.dropped += 1;
            }
            let ids: Vec<i64> = changes.iter().map(|c| c.id).collect();
            store::report_days::forget_changes(conn, &ids)?;
            return Ok(run);
        };
        let stored: HashMap<i32, String> =
            store::report_days::days(conn, day_key(first).min(day_key(last)), i32::MAX)?
                .into_iter()
                .map(|d| (d.day, d.basis))
                .collect();
        let open: HashSet<Date> = store::report_days::open_filed(conn)?
            .into_iter()
            .filter_map(|t| date_of(&zone, t))
            .collect();
        let changed: BTreeSet<Date> = changes
            .iter()
            .filter_map(|c| date_of(&zone, c.quarter * QUARTER))
            .collect();
        let (todo, left) = plan(first, last, &changed, &open, &stored, &basis, max_days);
        run.left = left;
        let mut settled_days = Vec::new();
        for d in todo {
            let key = day_key(d);
            if d > last || d < first || open.contains(&d) {
                if stored.contains_key(&key) {
                    store::report_days::drop_day(conn, key)?;
                    run.dropped += 1;
                }
            } else {
                settled_days.push(d);
            }
        }
        for (run_days, (from, to)) in spans(&zone, &settled_days) {
            let (issues, clocks) = store::report_days::facts(conn, from, to)?;
            for (d, (issues, clocks)) in by_day(&zone, run_days, issues, clocks) {
                let key = day_key(d);
                if days::settled(&issues, &clocks) {
                    let tallies =
                        days::tally(&issues, &clocks, &tree, Scopes::All, &GROUPINGS, ctx.now);
                    store::report_days::replace_day(conn, key, &basis, ctx.now, &tallies)?;
                    run.stored += 1;
                } else if stored.contains_key(&key) {
                    store::report_days::drop_day(conn, key)?;
                    run.dropped += 1;
                }
            }
        }
        let ids: Vec<i64> = changes.iter().map(|c| c.id).collect();
        store::report_days::forget_changes(conn, &ids)?;
        Ok(run)
    })
}

/// The days to look at in this batch: every changed day; then the oldest days not stored under
/// `basis` (nor open), up to `max_days`; and how many of those wait for the next batches.
fn plan(
    first: Date,
    last: Date,
    changed: &BTreeSet<Date>,
    open: &HashSet<Date>,
    stored: &HashMap<i32, String>,
    basis: &str,
    max_days: usize,
) -> (BTreeSet<Date>, usize) {
    let mut todo: BTreeSet<Date> = changed.clone();
    let mut waiting = 0usize;
    let mut d = first;
    while d <= last {
        if !changed.contains(&d)
            && !open.contains(&d)
            && stored.get(&day_key(d)).map(String::as_str) != Some(basis)
        {
            if waiting < max_days {
                todo.insert(d);
            }
            waiting += 1;
        }
        let Ok(next) = d.tomorrow() else { break };
        d = next;
    }
    (todo, waiting.saturating_sub(max_days))
}

/// The dates split into runs of consecutive days.
fn contiguous(dates: &[Date]) -> Vec<&[Date]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=dates.len() {
        let breaks = i == dates.len()
            || dates
                .get(i - 1)
                .and_then(|d| d.tomorrow().ok())
                .is_none_or(|next| Some(&next) != dates.get(i));
        if breaks {
            if let Some(run) = dates.get(start..i) {
                out.push(run);
            }
            start = i;
        }
    }
    out
}

/// The runs of consecutive days among `dates`, each with its `[start, end)` in µs.
fn spans<'a>(zone: &TimeZone, dates: &'a [Date]) -> Vec<(&'a [Date], (i64, i64))> {
    contiguous(dates)
        .into_iter()
        .filter_map(|run| {
            let start = span(zone, *run.first()?)?.0;
            let end = span(zone, *run.last()?)?.1;
            Some((run, (start, end)))
        })
        .collect()
}

type DayFacts = (Vec<days::IssueFact>, Vec<days::ClockFact>);

/// The facts split by local filing day; every day of `dates` is present (empty when nothing was
/// filed).
fn by_day(
    zone: &TimeZone,
    dates: &[Date],
    issues: Vec<days::IssueFact>,
    clocks: Vec<days::ClockFact>,
) -> BTreeMap<Date, DayFacts> {
    let mut out: BTreeMap<Date, DayFacts> =
        dates.iter().map(|d| (*d, DayFacts::default())).collect();
    let mut day_of_issue = HashMap::new();
    for i in issues {
        if let Some(d) = date_of(zone, i.created_at) {
            day_of_issue.insert(i.id, d);
            out.entry(d).or_default().0.push(i);
        }
    }
    for c in clocks {
        if let Some(d) = day_of_issue.get(&c.issue_id) {
            out.entry(*d).or_default().1.push(c);
        }
    }
    out
}

/// Whose report: every issue's (administrators, the TRC, a leader without unit), a unit's
/// leaders', or a PIC's (its id and unit).
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    Every,
    Leader(&'a str),
    Pic { id: i64, unit: &'a str },
}

/// A report's tallies: per group, and its hoaxes.
#[derive(Debug, Clone, Default)]
pub struct Tallied {
    pub groups: BTreeMap<Option<String>, Tally>,
    pub hoaxes: days::HoaxTally,
}

/// At most this many days of a report are tallied by the report itself (their issues are read
/// into memory); with more, the report counts in the database instead (`None` from [`tallied`]).
pub const FRESH_DAYS_MAX: usize = 120;

/// The tallies per group of the issues filed from `from` to `to` (local dates, inclusive) that
/// `viewer` sees, grouped by `group_by`, as of `ctx.now`:
/// stored days that still hold, and the others tallied now — or `None` when more than
/// [`FRESH_DAYS_MAX`] days would be. Call inside one snapshot, with the units (code and parent)
/// read in it.
pub fn tallied(
    conn: &mut Db,
    ctx: &Ctx,
    viewer: Viewer,
    (from, to): (Date, Date),
    group_by: ReportGroup,
    units: &[(String, Option<String>)],
) -> AppResult<Option<Tallied>> {
    let zone = ctx.sla.zone.clone();
    let (basis, tree) = basis_of(conn, &zone, units)?;
    let key = match viewer {
        Viewer::Every => days::EVERY_ISSUE.to_owned(),
        Viewer::Leader(unit) => unit.to_owned(),
        // Tallied for the unit the users table gave; a caller seen with another counts live.
        Viewer::Pic { id, unit } if tree.pic_unit(id) == Some(unit) => days::pic_scope(id),
        Viewer::Pic { .. } => return Ok(None),
    };
    let scope = key.as_str();
    let changed: HashSet<i32> = store::report_days::changed_quarters(conn)?
        .into_iter()
        .filter_map(|q| date_of(&zone, q * QUARTER).map(day_key))
        .collect();
    let holds: HashSet<i32> = store::report_days::days(conn, day_key(from), day_key(to))?
        .into_iter()
        .filter(|d| d.basis == basis && !changed.contains(&d.day))
        .map(|d| d.day)
        .collect();
    // Days outside the first and the last filing hold no issue.
    let Some((first, last)) = store::report_days::filed_between(conn)?
        .and_then(|(a, b)| date_of(&zone, a).zip(date_of(&zone, b)))
    else {
        return Ok(Some(Tallied::default()));
    };
    let mut fresh = Vec::new();
    let mut d = from.max(first);
    while d <= to.min(last) {
        if !holds.contains(&day_key(d)) {
            fresh.push(d);
            if fresh.len() > FRESH_DAYS_MAX {
                return Ok(None);
            }
        }
        let Ok(next) = d.tomorrow() else { break };
        d = next;
    }
    let mut out = Tallied::default();
    if !holds.is_empty() {
        for (day, key, t) in
            store::report_days::tallies(conn, scope, group_by, day_key(from), day_key(to))?
        {
            if holds.contains(&day) {
                out.groups.entry(key).or_default().add(&t);
            }
        }
        for (day, h) in store::report_days::hoax_tallies(conn, scope, day_key(from), day_key(to))? {
            if holds.contains(&day) {
                out.hoaxes.add(&h);
            }
        }
    }
    for (_, (from, to)) in spans(&zone, &fresh) {
        let (issues, clocks) = store::report_days::facts(conn, from, to)?;
        let fresh = days::tally(
            &issues,
            &clocks,
            &tree,
            Scopes::Only(scope),
            &[group_by],
            ctx.now,
        );
        for r in fresh.rows {
            out.groups.entry(r.key).or_default().add(&r.tally);
        }
        for h in fresh.hoaxes.values() {
            out.hoaxes.add(h);
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_days() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let dates = [
            d("2026-01-30"),
            d("2026-01-31"),
            d("2026-02-01"),
            d("2026-02-03"),
        ];
        let runs = contiguous(&dates);
        assert_eq!(runs, [&dates[..3], &dates[3..]]);
        assert!(contiguous(&[]).is_empty());
        assert_eq!(day_key(d("2026-02-03")), 20_260_203);
    }
}
