//! Firing escalation steps and marking breaches when clocks come due. Each clock is handled in
//! its own transaction: the step records (unique per clock, step and recipient), their outbox
//! rows, the audit events and the clock's next instant are written together or not at all.
//!
//! Long because: firing reads as one path, from the locks through each clock, its steps and
//! their recipients to the batch of writes.

use super::Ctx;
use crate::audit::{diff, Changes};
use crate::domain::clock::Clock;
use crate::domain::escalation::{advance, Recipient, Step, TimerEvent};
use crate::domain::visibility::subtree;
use crate::domain::{Priority, Role};
use crate::error::AppResult;
use crate::store::clocks::ClockRow;
use crate::store::issues::IssueRow;
use crate::store::outbox::OutboxRow;
use crate::store::units::UnitRow;
use crate::store::users::UserRow;
use crate::store::{self, write_tx, Db};
use serde_json::json;

/// What one round of the timer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Steps fired.
    pub steps: usize,
    /// Clocks that passed their due instant.
    pub breaches: usize,
    /// Clocks skipped because someone else held their issue.
    pub skipped: usize,
    /// Due clocks looked at.
    pub seen: usize,
}

/// Ids of clocks due at `ctx.now`, earliest first (to share among workers).
pub fn due_clocks(conn: &mut Db, ctx: &Ctx, limit: i64) -> AppResult<Vec<i64>> {
    Ok(store::clocks::due(conn, ctx.now, limit)?)
}

/// How many clocks share one transaction: a burst of breaches costs one commit per chunk, not
/// one per clock.
const CHUNK: usize = 50;

/// What the clocks of one transaction wrote, kept to be written together at its end (many rows
/// per statement on PostgreSQL).
#[derive(Default)]
struct Batch {
    events: Vec<crate::audit::NewEvent>,
    steps: Vec<store::outbox::NewStep>,
    mails: Vec<store::outbox::NewOutbox>,
    clocks: Vec<store::clocks::TimerUpdate>,
    /// Escalation level per issue: (as locked, as now).
    levels: std::collections::BTreeMap<i64, (i32, i32)>,
}

impl Batch {
    /// Writes what the clocks produced; with `claim_until`, the messages are claimed as they
    /// are made (under a lease until then) and answered, for this instance's sender.
    fn write(self, conn: &mut Db, claim_until: Option<i64>) -> AppResult<Vec<OutboxRow>> {
        store::outbox::insert_steps(conn, &self.steps)?;
        let handed = if let Some(until) = claim_until {
            let mails: Vec<_> = self.mails.into_iter().map(|m| m.claimed(until)).collect();
            store::outbox::insert_many_returning(conn, &mails)?
        } else {
            store::outbox::insert_many(conn, &self.mails)?;
            Vec::new()
        };
        store::clocks::update_for_timer(conn, &self.clocks)?;
        let levels: Vec<(i64, i32)> = self
            .levels
            .iter()
            .filter(|(_, (was, now))| was != now)
            .map(|(id, (_, now))| (*id, *now))
            .collect();
        store::issues::set_escalation_levels(conn, &levels)?;
        store::audit::append_all(conn, &self.events)?;
        Ok(handed)
    }
}

impl Round {
    /// Adds another round's counts to this one.
    pub fn add(&mut self, r: Round) {
        self.steps += r.steps;
        self.breaches += r.breaches;
        self.skipped += r.skipped;
        self.seen += r.seen;
    }
}

/// Fires the clocks `ids` in one transaction, writing what they produced at its end.
fn fire_in_tx(
    conn: &mut Db,
    ctx: &Ctx,
    ids: &[i64],
    claim_until: Option<i64>,
) -> AppResult<(Round, Vec<OutboxRow>)> {
    write_tx(conn, |conn| {
        let mut batch = Batch::default();
        let r = fire_chunk(conn, ctx, ids, &mut batch)?;
        let handed = batch.write(conn, claim_until)?;
        Ok((r, handed))
    })
}

/// Handles the given clocks, a chunk at a time in one transaction; clocks another worker or
/// instance holds are skipped (and counted), clocks no longer due are left alone. Should a
/// chunk's transaction fail, its clocks are handled again each in its own transaction, so that
/// one bad clock holds up no other.
///
/// With `claim_until`, the emails the steps queue are claimed as they are made, under a lease
/// until then, and given to `hand` as each chunk commits, for the caller's own sender to start
/// on while the next chunk is written (saving the claim's update and reads of each message);
/// without, they wait in the outbox for any instance's claim. Should a clock fail even on its
/// own, the error is answered; what the chunks before it made was handed already.
pub fn fire_clocks(
    conn: &mut Db,
    ctx: &Ctx,
    ids: &[i64],
    claim_until: Option<i64>,
    hand: &mut dyn FnMut(Vec<OutboxRow>),
) -> AppResult<Round> {
    let mut round = Round {
        seen: ids.len(),
        ..Round::default()
    };
    for part in ids.chunks(CHUNK) {
        match fire_in_tx(conn, ctx, part, claim_until) {
            Ok((r, rows)) => {
                round.add(r);
                hand(rows);
            }
            Err(e) => {
                tracing::warn!(error = %e, clocks = part.len(), "a chunk of due clocks failed; handling them one by one");
                for id in part {
                    let (r, rows) = fire_in_tx(conn, ctx, std::slice::from_ref(id), claim_until)?;
                    round.add(r);
                    hand(rows);
                }
            }
        }
    }
    Ok(round)
}

/// The units and the active leaders a transaction's steps name, read once when first needed:
/// a burst's steps name the same units again and again, and the leaders' scopes need every
/// unit anyway.
#[derive(Default)]
struct Directory {
    units: Option<std::collections::HashMap<String, UnitRow>>,
    leaders: Option<Vec<UserRow>>,
}

impl Directory {
    fn units(&mut self, conn: &mut Db) -> AppResult<&std::collections::HashMap<String, UnitRow>> {
        let units = match self.units.take() {
            Some(units) => units,
            None => store::units::all(conn)?
                .into_iter()
                .map(|u| (u.code.clone(), u))
                .collect(),
        };
        Ok(self.units.insert(units))
    }

    fn unit(&mut self, conn: &mut Db, code: &str) -> AppResult<Option<UnitRow>> {
        Ok(self.units(conn)?.get(code).cloned())
    }

    /// The active leaders (address, name) whose scope holds `unit`: those of no unit see every
    /// issue, those of a unit its subtree's.
    fn leaders_over(
        &mut self,
        conn: &mut Db,
        unit: Option<&str>,
    ) -> AppResult<Vec<(String, String)>> {
        if self.leaders.is_none() {
            self.leaders = Some(store::users::active_with_role(conn, Role::Leader.as_str())?);
        }
        let tree: Vec<(String, Option<String>)> = self
            .units(conn)?
            .values()
            .map(|u| (u.code.clone(), u.parent.clone()))
            .collect();
        Ok(self
            .leaders
            .iter()
            .flatten()
            .filter(|u| match (&u.unit, unit) {
                (None, _) => true,
                (Some(lu), Some(au)) => subtree(&tree, lu).iter().any(|c| c == au),
                (Some(_), None) => false,
            })
            .map(|u| (u.email.clone(), u.name.clone()))
            .collect())
    }
}

/// The addresses (and names) a step's recipients stand for; `unit` is the issue's.
fn recipients(
    conn: &mut Db,
    ctx: &Ctx,
    dir: &mut Directory,
    issue: &IssueRow,
    unit: Option<&UnitRow>,
    notify: &[String],
) -> AppResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |email: Option<String>, name: String| {
        if let Some(e) = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
        {
            if !out.iter().any(|(x, _)| *x == e) {
                out.push((e, name));
            }
        }
    };
    for n in notify {
        match Recipient::of(n) {
            Recipient::Unit => {
                if let Some(u) = unit {
                    push(u.email.clone(), u.name.clone());
                }
            }
            Recipient::UnitHead => {
                if let Some(u) = unit {
                    push(
                        u.head_email.clone(),
                        u.head_name.clone().unwrap_or_else(|| u.name.clone()),
                    );
                }
            }
            Recipient::ParentUnitHead => {
                if let Some(p) = unit.and_then(|u| u.parent.clone()) {
                    if let Some(pu) = dir.unit(conn, &p)? {
                        push(
                            pu.head_email.clone(),
                            pu.head_name.clone().unwrap_or(pu.name.clone()),
                        );
                    }
                }
            }
            Recipient::Group(g) => push(ctx.sla.groups.get(g).cloned(), g.to_owned()),
            Recipient::Leaders => {
                for (email, name) in dir.leaders_over(conn, issue.assigned_unit.as_deref())? {
                    push(Some(email), name);
                }
            }
            Recipient::Address(a) => push(Some(a.to_owned()), a.to_owned()),
        }
    }
    Ok(out)
}

/// Fires what is due on the clocks `ids`: their issues, then the clocks themselves, are locked
/// in one statement each (issues first, clocks second: the order user actions take, so the two
/// never deadlock; on PostgreSQL rows someone else holds are skipped and counted). What they
/// write is left in `batch` for the caller to write in the same transaction.
fn fire_chunk(conn: &mut Db, ctx: &Ctx, ids: &[i64], batch: &mut Batch) -> AppResult<Round> {
    let issues: std::collections::HashMap<i64, IssueRow> =
        store::issues::lock_of_clocks_for_timer(conn, ids)?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
    let mut clocks: std::collections::HashMap<i64, ClockRow> = store::clocks::lock_many(conn, ids)?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut round = Round::default();
    let mut dir = Directory::default();
    for id in ids {
        let Some(row) = clocks.remove(id) else {
            round.skipped += 1;
            continue;
        };
        let Some(issue) = issues.get(&row.issue_id) else {
            round.skipped += 1;
            continue;
        };
        round.add(fire_clock(conn, ctx, &mut dir, issue, row, batch)?);
    }
    Ok(round)
}

/// Fires what is due on one locked clock of a locked issue: the domain says what (breach,
/// steps, the next instant); this writes it into `batch`.
fn fire_clock(
    conn: &mut Db,
    ctx: &Ctx,
    dir: &mut Directory,
    issue: &IssueRow,
    row: ClockRow,
    batch: &mut Batch,
) -> AppResult<Round> {
    let mut round = Round::default();
    if row.next_event_at.is_none_or(|t| t > ctx.now) {
        return Ok(round);
    }
    let (Some(clock), Some(priority)) = (row.to_clock(), Priority::parse(&issue.priority)) else {
        return Ok(round);
    };
    let cal = ctx.sla.calendar(&clock.calendar);
    let steps = ctx.sla.ladders.steps(clock.kind, priority);
    let plan = advance(&cal, &clock, steps, row.steps_fired, ctx.now);
    let stream = super::issues::stream(&issue.ref_);
    let subject = format!("issue:{}", issue.ref_);
    for event in &plan.events {
        let ch = match *event {
            TimerEvent::Breached { due_at } => {
                round.breaches += 1;
                let clock = json!({"kind": clock.kind, "due_at": super::rfc3339(due_at)});
                let mut ch = Changes::new();
                diff(&mut ch, "clock", serde_json::Value::Null, clock);
                batch
                    .events
                    .push(ctx.event(&stream, "sla.breached", &subject, ch));
                continue;
            }
            TimerEvent::Step { number, index } => {
                let Some(step) = steps.get(index) else {
                    continue;
                };
                round.steps += 1;
                fire_step(conn, ctx, dir, issue, &row, &clock, number, step, batch)?
            }
        };
        batch
            .events
            .push(ctx.event(&stream, "escalation.step", &subject, ch));
    }
    batch.clocks.push(store::clocks::TimerUpdate {
        id: row.id,
        breached: plan.breached,
        steps_fired: plan.fired,
        next_event_at: plan.next_event_at,
    });
    // The level: the highest step fired on a clock still counting. The timer never stops a
    // clock, so it can only rise, to this clock's steps (the other clocks are as they were).
    let level = batch
        .levels
        .entry(issue.id)
        .or_insert((issue.escalation_level, issue.escalation_level));
    level.1 =
        super::issues::clocks::escalation_level([(true, level.1), (clock.is_live(), plan.fired)]);
    Ok(round)
}

/// One step: its records (one per recipient, unique), its mail to each, and its audit change.
#[allow(
    clippy::too_many_arguments,
    reason = "the step's facts, each from the timer's plan"
)]
fn fire_step(
    conn: &mut Db,
    ctx: &Ctx,
    dir: &mut Directory,
    issue: &IssueRow,
    row: &ClockRow,
    clock: &Clock,
    number: i32,
    step: &Step,
    batch: &mut Batch,
) -> AppResult<Changes> {
    let unit = match &issue.assigned_unit {
        Some(c) => dir.unit(conn, c)?,
        None => None,
    };
    let who = recipients(conn, ctx, dir, issue, unit.as_ref(), &step.notify)?;
    batch
        .steps
        .extend(who.iter().map(|(email, _)| store::outbox::NewStep {
            issue_id: issue.id,
            clock_id: row.id,
            step: number,
            recipient: email.clone(),
            fired_at: ctx.now,
        }));
    let mails = super::notify::escalation(ctx, issue, unit.as_ref(), clock, number, &who)?;
    batch.mails.extend(mails);
    let mut ch = Changes::new();
    diff(
        &mut ch,
        "escalation",
        serde_json::Value::Null,
        json!({
            "clock": clock.kind,
            "step": number,
            "at": step_label(step),
            "recipients": who.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(),
        }),
    );
    Ok(ch)
}

fn step_label(s: &Step) -> String {
    match s.at {
        crate::domain::escalation::StepAt::Share(p) => format!("{p}%"),
        crate::domain::escalation::StepAt::PastDue(d) => format!("+{d}"),
    }
}

/// The earliest instant the timer must wake for.
pub fn next_instant(conn: &mut Db) -> AppResult<Option<i64>> {
    Ok(store::clocks::next_event(conn)?)
}
