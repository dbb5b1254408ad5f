//! Firing escalation steps and marking breaches when clocks come due. Each clock is handled in
//! its own transaction: the step records (unique per clock, step and recipient), their outbox
//! rows, the audit events and the clock's next instant are written together or not at all.

use super::Ctx;
use crate::audit::{diff, Changes};
use crate::domain::escalation::{step_instant, Step};
use crate::domain::visibility::subtree;
use crate::domain::{ClockKind, Priority, Role};
use crate::error::AppResult;
use crate::mail::MailKind;
use crate::store::clocks::ClockRow;
use crate::store::issues::IssueRow;
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
    fn write(self, conn: &mut Db) -> AppResult<()> {
        store::outbox::insert_steps(conn, &self.steps)?;
        store::outbox::insert_many(conn, &self.mails)?;
        store::clocks::update_for_timer(conn, &self.clocks)?;
        let levels: Vec<(i64, i32)> = self
            .levels
            .iter()
            .filter(|(_, (was, now))| was != now)
            .map(|(id, (_, now))| (*id, *now))
            .collect();
        store::issues::set_escalation_levels(conn, &levels)?;
        store::audit::append_all(conn, &self.events)?;
        Ok(())
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
fn fire_in_tx(conn: &mut Db, ctx: &Ctx, ids: &[i64]) -> AppResult<Round> {
    write_tx(conn, |conn| {
        let mut batch = Batch::default();
        let r = fire_chunk(conn, ctx, ids, &mut batch)?;
        batch.write(conn)?;
        Ok(r)
    })
}

/// Handles the given clocks, a chunk at a time in one transaction; clocks another worker or
/// instance holds are skipped (and counted), clocks no longer due are left alone. Should a
/// chunk's transaction fail, its clocks are handled again each in its own transaction, so that
/// one bad clock holds up no other.
pub fn fire_clocks(conn: &mut Db, ctx: &Ctx, ids: &[i64]) -> AppResult<Round> {
    let mut round = Round {
        seen: ids.len(),
        ..Round::default()
    };
    for part in ids.chunks(CHUNK) {
        match fire_in_tx(conn, ctx, part) {
            Ok(r) => round.add(r),
            Err(e) => {
                tracing::warn!(error = %e, clocks = part.len(), "a chunk of due clocks failed; handling them one by one");
                for id in part {
                    round.add(fire_in_tx(conn, ctx, std::slice::from_ref(id))?);
                }
            }
        }
    }
    Ok(round)
}

fn clock_label(ctx: &Ctx, kind: ClockKind) -> &'static str {
    match (ctx.sla.language.as_str(), kind) {
        ("en", ClockKind::Triage) => "triage",
        ("en", ClockKind::Response) => "response",
        ("en", ClockKind::Resolution) => "resolution",
        (_, ClockKind::Triage) => "triase",
        (_, ClockKind::Response) => "tanggapan",
        (_, ClockKind::Resolution) => "penyelesaian",
    }
}

/// The addresses (and names) a step's recipients stand for.
fn recipients(
    conn: &mut Db,
    ctx: &Ctx,
    issue: &IssueRow,
    notify: &[String],
) -> AppResult<Vec<(String, String)>> {
    let unit = match &issue.assigned_unit {
        Some(c) => store::units::find(conn, c)?,
        None => None,
    };
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
        match n.as_str() {
            "unit" => {
                if let Some(u) = &unit {
                    push(u.email.clone(), u.name.clone());
                }
            }
            "unit_head" => {
                if let Some(u) = &unit {
                    push(
                        u.head_email.clone(),
                        u.head_name.clone().unwrap_or_else(|| u.name.clone()),
                    );
                }
            }
            "parent_unit_head" => {
                if let Some(p) = unit.as_ref().and_then(|u| u.parent.clone()) {
                    if let Some(pu) = store::units::find(conn, &p)? {
                        push(
                            pu.head_email.clone(),
                            pu.head_name.clone().unwrap_or(pu.name.clone()),
                        );
                    }
                }
            }
            "trc" | "trc_lead" | "kominfo_head" => {
                push(ctx.sla.groups.get(n.as_str()).cloned(), n.clone());
            }
            "leaders" => {
                let units: Vec<(String, Option<String>)> = store::units::all(conn)?
                    .into_iter()
                    .map(|u| (u.code, u.parent))
                    .collect();
                for u in store::users::active_with_role(conn, Role::Leader.as_str())? {
                    let in_scope = match (&u.unit, &issue.assigned_unit) {
                        (None, _) => true,
                        (Some(lu), Some(au)) => subtree(&units, lu).contains(au),
                        (Some(_), None) => false,
                    };
                    if in_scope {
                        push(Some(u.email), u.name);
                    }
                }
            }
            literal => push(Some(literal.to_owned()), literal.to_owned()),
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
    for id in ids {
        let Some(row) = clocks.remove(id) else {
            round.skipped += 1;
            continue;
        };
        let Some(issue) = issues.get(&row.issue_id) else {
            round.skipped += 1;
            continue;
        };
        round.add(fire_clock(conn, ctx, issue, row, batch)?);
    }
    Ok(round)
}

/// Fires what is due on one locked clock of a locked issue.
#[allow(
    clippy::too_many_lines,
    reason = "still decides the breach-or-step rules itself: they move into a domain transition with #21 step 1"
)]
fn fire_clock(
    conn: &mut Db,
    ctx: &Ctx,
    issue: &IssueRow,
    row: ClockRow,
    batch: &mut Batch,
) -> AppResult<Round> {
    let mut round = Round::default();
    let clock_id = row.id;
    if row.next_event_at.is_none_or(|t| t > ctx.now) {
        return Ok(round);
    }
    let Some(mut clock) = row.to_clock() else {
        return Ok(round);
    };
    let Some(priority) = Priority::parse(&issue.priority) else {
        return Ok(round);
    };
    let cal = ctx.sla.calendar(&clock.calendar);
    let steps: Vec<Step> = ctx.sla.ladders.steps(clock.kind, priority).to_vec();
    let mut fired = row.steps_fired;
    let stream = super::issues::stream(&issue.ref_);
    let subject = format!("issue:{}", issue.ref_);
    loop {
        if !clock.is_running() {
            break;
        }
        let breach_at = (!clock.breached).then_some(clock.due_at);
        let idx = usize::try_from(fired).unwrap_or(0);
        let step_at = steps.get(idx).map(|s| step_instant(&cal, &clock, s.at));
        // At equal instants the breach comes first: the 100 % step follows it.
        let breach_due = breach_at.filter(|b| *b <= ctx.now && step_at.is_none_or(|s| *b <= s));
        if let Some(due) = breach_due {
            clock.breached = true;
            round.breaches += 1;
            let mut ch = Changes::new();
            diff(
                &mut ch,
                "clock",
                serde_json::Value::Null,
                json!({"kind": clock.kind, "due_at": super::rfc3339(due)}),
            );
            batch
                .events
                .push(ctx.event(&stream, "sla.breached", &subject, ch));
            continue;
        }
        let (Some(step), Some(at)) = (steps.get(idx), step_at) else {
            break;
        };
        if at > ctx.now {
            break;
        }
        fired += 1;
        let who = recipients(conn, ctx, issue, &step.notify)?;
        batch
            .steps
            .extend(who.iter().map(|(email, _)| store::outbox::NewStep {
                issue_id: issue.id,
                clock_id,
                step: fired,
                recipient: email.clone(),
                fired_at: ctx.now,
            }));
        let mut vars = super::notify::issue_vars(conn, ctx, issue)?;
        let label = clock_label(ctx, clock.kind);
        let late = ctx.now - clock.due_at;
        let en = ctx.sla.language == "en";
        vars.insert("clock", label.to_owned());
        vars.insert("due_local", super::notify::local_time(ctx, clock.due_at));
        vars.insert("step", fired.to_string());
        vars.insert(
            "lateness",
            match (late >= 0, en) {
                (true, true) => format!("overdue by {}", super::notify::span(ctx, late)),
                (true, false) => format!("terlambat {}", super::notify::span(ctx, late)),
                (false, true) => format!("{} left", super::notify::span(ctx, late)),
                (false, false) => format!("sisa waktu {}", super::notify::span(ctx, late)),
            },
        );
        vars.insert(
            "headline",
            match (late >= 0, en) {
                (true, true) => format!(
                    "The {label} deadline of this issue has passed (escalation level {fired})."
                ),
                (true, false) => {
                    format!("Tenggat {label} isu ini telah terlewati (eskalasi tingkat {fired}).")
                }
                (false, true) => {
                    format!("Warning: the {label} deadline of this issue is approaching.")
                }
                (false, false) => format!("Peringatan: tenggat {label} isu ini segera tiba."),
            },
        );
        vars.insert(
            "advice",
            if en { "Please act on it in Tanggap now, or tell the TRC what blocks it." } else { "Mohon segera ditindaklanjuti melalui Tanggap, atau sampaikan kendalanya kepada TRC." }.to_owned(),
        );
        let title = super::notify::shown_title(ctx, issue);
        let subject_line = if en {
            format!(
                "[Tanggap] {} escalation {fired} ({label}): {title}",
                issue.ref_
            )
        } else {
            format!(
                "[Tanggap] {} eskalasi {fired} ({label}): {title}",
                issue.ref_
            )
        };
        for (email, name) in &who {
            vars.insert("recipient", name.clone());
            batch.mails.push(super::notify::message(
                ctx,
                Some(issue.id),
                MailKind::Escalation,
                email,
                &subject_line,
                &vars,
            ));
        }
        round.steps += 1;
        let mut ch = Changes::new();
        diff(
            &mut ch,
            "escalation",
            serde_json::Value::Null,
            json!({
                "clock": clock.kind,
                "step": fired,
                "at": step_label(step),
                "recipients": who.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(),
            }),
        );
        batch
            .events
            .push(ctx.event(&stream, "escalation.step", &subject, ch));
    }
    let next = crate::domain::escalation::next_event(
        &cal,
        &clock,
        &steps,
        usize::try_from(fired).unwrap_or(0),
    );
    batch.clocks.push(store::clocks::TimerUpdate {
        id: row.id,
        breached: clock.breached,
        steps_fired: fired,
        next_event_at: next,
    });
    // The level: the highest step fired on a clock still counting. The timer never stops a
    // clock, so it can only rise, to this clock's steps (the other clocks are as they were).
    let level = batch
        .levels
        .entry(issue.id)
        .or_insert((issue.escalation_level, issue.escalation_level));
    level.1 = super::issues::clocks::escalation_level([(true, level.1), (clock.is_live(), fired)]);
    Ok(round)
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
