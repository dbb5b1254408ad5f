//! Calendars at start-up: when a calendar's holidays (a revised decree) or office hours differ
//! from what the last start-up saw, the clocks still counting on it move to the instants the
//! calendar gives now — one transaction per chunk of issues, each move audited on its issue
//! (`clock.retargeted`, before and after, and why); steps already fired stay fired. And what a
//! calendar does each day, for `tanggap calendar show`.

use super::Ctx;
use crate::audit::{diff, Changes};
use crate::domain::calendar::Calendar;
use crate::domain::escalation::wakes_timers;
use crate::error::AppResult;
use crate::store::calendars::DigestRow;
use crate::store::{self, write_tx, Db};
use sha2::{Digest, Sha256};

/// Issues moved per transaction.
const CHUNK: usize = 200;

/// What changed in a calendar since the last start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Holidays,
    Hours,
    Both,
}

impl Change {
    /// The reason the audit trail gives.
    pub fn reason(self) -> &'static str {
        match self {
            Change::Holidays => "holiday list changed",
            Change::Hours => "office hours changed",
            Change::Both => "office hours and holiday list changed",
        }
    }
}

/// A calendar whose clocks were moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub calendar: String,
    pub change: Change,
    /// Issues with a clock on the calendar still counting, looked at.
    pub issues: usize,
    /// Issues whose clocks moved (audited).
    pub moved: usize,
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The digests of a calendar's office hours and of its holidays.
pub fn digests_of(cal: &Calendar) -> (String, String) {
    let hours: Vec<String> = cal.week.iter().map(|d| format!("{d:?}")).collect();
    let holidays: Vec<String> = cal.holidays.iter().map(ToString::to_string).collect();
    (digest(&hours.join(";")), digest(&holidays.join(";")))
}

/// Compares every calendar with what the last start-up saw and moves the clocks of those
/// that changed; the first start-up only records them. The digest is stored once every clock
/// has moved, so a start-up cut short does it all again (moving a clock twice to the same
/// instant changes nothing and records nothing).
pub fn reconcile(conn: &mut Db, ctx: &Ctx) -> AppResult<Vec<Moved>> {
    let stored = store::calendars::digests(conn)?;
    let mut out = Vec::new();
    for (name, cal) in &ctx.sla.calendars {
        let (hours, holidays) = digests_of(cal);
        let before = stored.iter().find(|d| &d.calendar == name);
        let change = match before {
            None => None,
            Some(d) => match (d.hours_digest != hours, d.holidays_digest != holidays) {
                (true, true) => Some(Change::Both),
                (true, false) => Some(Change::Hours),
                (false, true) => Some(Change::Holidays),
                (false, false) => continue,
            },
        };
        if let Some(change) = change {
            out.push(move_clocks(conn, ctx, cal, change)?);
        }
        store::calendars::save_digest(
            conn,
            &DigestRow {
                calendar: name.clone(),
                hours_digest: hours,
                holidays_digest: holidays,
                updated_at: ctx.now,
            },
        )?;
    }
    Ok(out)
}

/// Moves the clocks counting on `cal`, a chunk of issues per transaction.
fn move_clocks(conn: &mut Db, ctx: &Ctx, cal: &Calendar, change: Change) -> AppResult<Moved> {
    let ids = store::calendars::issues_counting_on(conn, &cal.name)?;
    let mut moved = 0;
    for chunk in ids.chunks(CHUNK) {
        moved += write_tx(conn, |conn| move_chunk(conn, ctx, cal, change, chunk))?;
    }
    Ok(Moved {
        calendar: cal.name.clone(),
        change,
        issues: ids.len(),
        moved,
    })
}

fn move_chunk(
    conn: &mut Db,
    ctx: &Ctx,
    cal: &Calendar,
    change: Change,
    ids: &[i64],
) -> AppResult<usize> {
    let mut rows = store::calendars::lock_issues(conn, ids)?;
    let clocks = store::clocks::of_issues(conn, ids)?;
    let mut moved = 0;
    let mut earliest: Option<i64> = None;
    for row in &mut rows {
        let mine: Vec<_> = clocks
            .iter()
            .filter(|c| c.issue_id == row.id)
            .cloned()
            .collect();
        let mut changes = Changes::new();
        let Some(next) =
            super::issues::clocks::recalendar(conn, ctx, row, &mine, cal, &mut changes)?
        else {
            continue;
        };
        diff(
            &mut changes,
            "reason",
            serde_json::Value::Null,
            change.reason(),
        );
        diff(&mut changes, "calendar", serde_json::Value::Null, &cal.name);
        super::issues::save(conn, ctx, row, "clock.retargeted", changes)?;
        earliest = earliest.into_iter().chain(next).min();
        moved += 1;
    }
    if let Some(t) = earliest.filter(|t| wakes_timers(ctx.now, *t)) {
        store::notify_timers(conn, t)?;
    }
    Ok(moved)
}
