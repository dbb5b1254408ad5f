//! The SLA clocks of an issue: which start, stop, pause, resume or move with each change
//! (spec section 5), and the issue's queue position (its most urgent running due instant).

use super::HELD_BASE;
use crate::audit::{diff, Changes};
use crate::domain::calendar::Calendar;
pub use crate::domain::clock::ClockEvent;
use crate::domain::clock::{Clock, ClockEffect, ClockState};
use crate::domain::escalation::wakes_timers;
use crate::domain::{Category, ClockKind, Priority, SlaDuration, Status};
use crate::error::AppResult;
use crate::service::Ctx;
use crate::store::clocks::ClockRow;
use crate::store::issues::IssueRow;
use crate::store::{self, Db};
use serde_json::json;
use std::borrow::Cow;

/// Queue position of open issues with no running clock: after the running ones, before held.
pub const IDLE_BASE: i64 = 3_000_000_000_000_000_000;

/// The calendar and target of a `kind` clock for the issue's priority and category.
pub fn target<'c>(
    ctx: &'c Ctx,
    row: &IssueRow,
    kind: ClockKind,
) -> Option<(Cow<'c, Calendar>, SlaDuration)> {
    let priority = Priority::parse(&row.priority)?;
    let category = Category::parse(&row.category)?;
    let t = ctx.sla.target(priority, category, kind)?;
    Some((ctx.sla.calendar(&t.calendar), t.target))
}

fn start(ctx: &Ctx, row: &IssueRow, kind: ClockKind) -> Option<Clock> {
    let (cal, duration) = target(ctx, row, kind)?;
    Some(Clock::start(kind, &cal, duration, ctx.now))
}

/// The clocks of `kinds` a new issue starts with, on its targets.
pub fn initial(ctx: &Ctx, row: &IssueRow, kinds: &[ClockKind]) -> Vec<Clock> {
    kinds.iter().filter_map(|k| start(ctx, row, *k)).collect()
}

/// The queue position of an issue with these clocks.
pub fn urgency(row: &IssueRow, clocks: &[Clock]) -> i64 {
    if row.status == Status::OnHold.as_str() {
        return HELD_BASE + row.created_at;
    }
    clocks
        .iter()
        .filter(|c| c.is_running())
        .map(|c| c.due_at)
        .min()
        .unwrap_or(IDLE_BASE + row.created_at)
}

fn summary(c: &Clock) -> serde_json::Value {
    json!({"kind": c.kind, "state": c.state, "target": c.target, "due_at": crate::service::rfc3339(c.due_at)})
}

/// When the timer next needs a clock, given the steps already fired.
fn next_event(ctx: &Ctx, row: &IssueRow, c: &Clock, fired: i32) -> Option<i64> {
    let priority = Priority::parse(&row.priority)?;
    let steps = ctx.sla.ladders.steps(c.kind, priority);
    crate::domain::escalation::next_event(
        &ctx.sla.calendar(&c.calendar),
        c,
        steps,
        usize::try_from(fired).unwrap_or(0),
    )
}

/// The highest step fired on a clock still counting (0 when none).
/// `clocks` gives, for each clock, whether it still counts and how many steps it fired.
pub fn escalation_level(clocks: impl IntoIterator<Item = (bool, i32)>) -> i32 {
    clocks
        .into_iter()
        .filter(|(live, _)| *live)
        .map(|(_, fired)| fired)
        .max()
        .unwrap_or(0)
}

/// The rows of a filed issue's initial clocks, and the instant to wake the timers at when one
/// of them needs the timer before it would look again anyway.
pub fn initial_rows(ctx: &Ctx, row: &IssueRow, clocks: &[Clock]) -> (Vec<ClockRow>, Option<i64>) {
    let mut earliest: Option<i64> = None;
    let rows = clocks
        .iter()
        .map(|c| {
            let next = next_event(ctx, row, c, 0);
            earliest = earliest.into_iter().chain(next).min();
            ClockRow::from_clock(0, row.id, c, 0, next)
        })
        .collect();
    (rows, earliest.filter(|t| wakes_timers(ctx.now, *t)))
}

/// Applies an event to the issue's clocks (the row already shows the new state, priority and
/// category), stores them with their next timer instants, sets `row.urgent_at` and
/// `row.escalation_level`, and records each change in `changes`.
pub fn apply(
    conn: &mut Db,
    ctx: &Ctx,
    row: &mut IssueRow,
    event: ClockEvent,
    changes: &mut Changes,
) -> AppResult<()> {
    let stored = store::clocks::of_issue(conn, row.id)?;
    let mut clocks: Vec<(i64, Clock, i32)> = stored
        .iter()
        .filter_map(|r| r.to_clock().map(|c| (r.id, c, r.steps_fired)))
        .collect();
    let before: Vec<Clock> = clocks.iter().map(|(_, c, _)| c.clone()).collect();
    let now = ctx.now;
    let cal = |c: &Clock| ctx.sla.calendar(&c.calendar);
    for (_, c, _) in &mut clocks {
        let k = cal(c);
        match event.effect_on(c.kind, c.is_live()) {
            ClockEffect::Keep => {}
            ClockEffect::Stop => c.stop(&k, now),
            ClockEffect::Cancel => c.cancel(now),
            ClockEffect::Pause => c.pause(&k, now),
            ClockEffect::Resume => c.resume(&k, now),
            ClockEffect::Retarget => {
                if let Some((cal, duration)) = target(ctx, row, c.kind) {
                    c.retarget(&cal, duration, now);
                }
            }
        }
    }
    let fresh = event.starts();
    // The earliest instant armed or moved here (a clock paused or stopped needs no wake-up: a
    // timer armed for its old instant finds nothing due and looks for the next).
    let mut earliest: Option<i64> = None;
    for (i, ((id, c, fired), old)) in clocks.iter().zip(before.iter()).enumerate() {
        if c != old {
            let next = next_event(ctx, row, c, *fired);
            earliest = earliest.into_iter().chain(next).min();
            store::clocks::update(conn, &ClockRow::from_clock(*id, row.id, c, *fired, next))?;
            diff(
                changes,
                &format!("clocks.{}", i + 1),
                summary(old),
                summary(c),
            );
        }
    }
    for &kind in fresh {
        if let Some(c) = start(ctx, row, kind) {
            let next = next_event(ctx, row, &c, 0);
            earliest = earliest.into_iter().chain(next).min();
            store::clocks::insert(conn, &ClockRow::from_clock(0, row.id, &c, 0, next))?;
            diff(
                changes,
                &format!("clocks.{}", clocks.len() + 1),
                serde_json::Value::Null,
                summary(&c),
            );
            clocks.push((0, c, 0));
        }
    }
    if let Some(t) = earliest.filter(|t| wakes_timers(ctx.now, *t)) {
        store::notify_timers(conn, t)?;
    }
    let all: Vec<(Clock, i32)> = clocks.into_iter().map(|(_, c, f)| (c, f)).collect();
    let level = escalation_level(all.iter().map(|(c, f)| (c.is_live(), *f)));
    diff(changes, "escalation_level", row.escalation_level, level);
    row.escalation_level = level;
    let plain: Vec<Clock> = all.into_iter().map(|(c, _)| c).collect();
    row.urgent_at = urgency(row, &plain);
    keep_copy(row, &plain);
    Ok(())
}

/// Writes the row's copy of its clocks (what lists show) and marks it current as of the row's
/// version; saving the change (`save`) carries it to the next version.
pub fn keep_copy(row: &mut IssueRow, clocks: &[Clock]) {
    row.clocks = store::clocks::snapshot(clocks);
    row.clocks_version = row.version;
}

/// The clock as the issue shows it at `now`.
pub fn view(ctx: &Ctx, c: &Clock) -> super::ClockView {
    view_as_read(c, &c.read(&ctx.sla.calendar(&c.calendar), ctx.now))
}

/// The view of clock `c` as `r` reads it.
pub fn view_as_read(c: &Clock, r: &crate::domain::clock::ClockReading) -> super::ClockView {
    super::ClockView {
        kind: c.kind.as_str().into(),
        state: r.state.as_str().into(),
        calendar: c.calendar.clone(),
        target: c.target.clone(),
        started_at: crate::service::rfc3339(c.started_at),
        due_at: crate::service::rfc3339(c.due_at),
        breached: r.breached,
        remaining_seconds: r.remaining_seconds,
        paused_seconds: r.paused_seconds,
        stopped_at: c.stopped_at.map(crate::service::rfc3339),
    }
}

/// Whether any clock is still counting and past due (for reports and escalations).
pub fn breached_now(ctx: &Ctx, clocks: &[Clock]) -> bool {
    clocks
        .iter()
        .any(|c| c.state == ClockState::Running && ctx.now >= c.due_at)
}

/// Moves the due instants of `row`'s clocks still counting on `calendar` (whose hours or
/// holidays changed) to what the calendar says now: each clock keeps its own target and start,
/// its steps already fired stay fired, its next step or breach is armed at the new instant.
/// Writes the clocks that moved, the row's queue position and copy, and records each move in
/// `changes`; answers the earliest instant armed (none when nothing moved).
pub fn recalendar(
    conn: &mut Db,
    ctx: &Ctx,
    row: &mut IssueRow,
    stored: &[ClockRow],
    calendar: &Calendar,
    changes: &mut Changes,
) -> AppResult<Option<Option<i64>>> {
    let mut all: Vec<(Clock, i32)> = Vec::new();
    let mut moved = false;
    let mut earliest: Option<i64> = None;
    for r in stored {
        let Some(mut c) = r.to_clock() else {
            continue;
        };
        let before = c.clone();
        if c.is_live() && c.calendar == calendar.name {
            if let Ok(target) = SlaDuration::parse(&c.target) {
                c.retarget(calendar, target, ctx.now);
            }
        }
        if c != before {
            moved = true;
            let next = next_event(ctx, row, &c, r.steps_fired);
            earliest = earliest.into_iter().chain(next).min();
            store::clocks::update(
                conn,
                &ClockRow::from_clock(r.id, row.id, &c, r.steps_fired, next),
            )?;
            diff(
                changes,
                &format!("clocks.{}", all.len() + 1),
                summary(&before),
                summary(&c),
            );
        }
        all.push((c, r.steps_fired));
    }
    if !moved {
        return Ok(None);
    }
    let plain: Vec<Clock> = all.into_iter().map(|(c, _)| c).collect();
    row.urgent_at = urgency(row, &plain);
    keep_copy(row, &plain);
    Ok(Some(earliest))
}
