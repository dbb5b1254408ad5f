//! Emails queued in the outbox, in the same transaction as the change that causes them.

use super::Ctx;
use crate::domain::clock::Clock;
use crate::domain::issue::Notice;
use crate::domain::{Priority, Sensitivity};
use crate::error::AppResult;
use crate::mail::render::{
    Assignment, Escalation, Facts, Lang, Message, Resolved, Responded, Returned,
};
use crate::store::issues::IssueRow;
use crate::store::{self, Db};

const DAYS_ID: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// An instant in the deployment's local time with the zone's abbreviation (WITA, WIB, WIT).
pub fn local_time(ctx: &Ctx, us: i64) -> String {
    let Ok(t) = jiff::Timestamp::from_microsecond(us) else {
        return String::new();
    };
    let z = t.to_zoned(ctx.sla.zone.clone());
    let abbr = z.strftime("%Z").to_string();
    if ctx.sla.language == "en" {
        format!("{} {abbr}", z.strftime("%A, %-d %B %Y %H:%M"))
    } else {
        let day = usize::try_from(z.weekday().to_monday_zero_offset()).unwrap_or(0);
        let month = usize::try_from(z.month() - 1).unwrap_or(0);
        format!(
            "{}, {} {} {} pukul {:02}.{:02} {abbr}",
            DAYS_ID.get(day).unwrap_or(&""),
            z.day(),
            MONTHS_ID.get(month).unwrap_or(&""),
            z.year(),
            z.hour(),
            z.minute()
        )
    }
}

/// A span of real time in words: `2 jam 15 menit`, `2 hours 15 minutes`.
pub fn span(ctx: &Ctx, micros: i64) -> String {
    let mins = (micros.abs() / 60_000_000).max(1);
    let (d, h, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let en = ctx.sla.language == "en";
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(if en {
            format!("{d} day{}", if d == 1 { "" } else { "s" })
        } else {
            format!("{d} hari")
        });
    }
    if h > 0 {
        parts.push(if en {
            format!("{h} hour{}", if h == 1 { "" } else { "s" })
        } else {
            format!("{h} jam")
        });
    }
    if m > 0 && d == 0 {
        parts.push(if en {
            format!("{m} minute{}", if m == 1 { "" } else { "s" })
        } else {
            format!("{m} menit")
        });
    }
    parts.join(" ")
}

/// The facts every message about `issue` shows, for `recipient`. A restricted issue's mail
/// (it travels to shared unit inboxes and configured addresses) carries its ref and link only:
/// the templates withhold the rest.
/// The link is the recipient's own: signed, expiring, opening the issue read-only without a
/// password (`service::links`).
fn facts(
    conn: &mut Db,
    ctx: &Ctx,
    issue: &IssueRow,
    recipient: String,
    to: &str,
) -> AppResult<Facts> {
    let unit = match &issue.assigned_unit {
        Some(code) => store::units::find(conn, code)?,
        None => None,
    };
    Ok(facts_of(ctx, issue, unit.as_ref(), recipient, to))
}

/// [`facts`] with the issue's unit already read (`None` when unassigned or not found).
fn facts_of(
    ctx: &Ctx,
    issue: &IssueRow,
    unit: Option<&store::units::UnitRow>,
    recipient: String,
    to: &str,
) -> Facts {
    let unit = issue.assigned_unit.as_ref().map(|code| match unit {
        Some(u) => format!("{} ({})", u.name, u.code),
        None => code.clone(),
    });
    Facts {
        recipient,
        reference: issue.ref_.clone(),
        title: issue.title.clone(),
        restricted: issue.sensitivity == Sensitivity::Restricted.as_str(),
        priority: Priority::parse(&issue.priority).unwrap_or(Priority::Medium),
        unit,
        link: super::links::url(ctx, &issue.ref_, to),
    }
}

fn message_id(ctx: &Ctx) -> String {
    let domain = ctx
        .sla
        .mail_from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "tanggap.local".into());
    format!("<tanggap.{}@{domain}>", uuid::Uuid::new_v4().simple())
}

/// One message to one recipient, rendered in the deployment's language, as the outbox row to
/// insert.
pub fn outbox_row(
    ctx: &Ctx,
    issue_id: Option<i64>,
    message: &Message,
    to: &str,
) -> AppResult<store::outbox::NewOutbox> {
    let mail = message
        .render(Lang::of(&ctx.sla.language))
        .map_err(|e| anyhow::anyhow!("rendering a {} mail: {e}", message.kind().as_str()))?;
    Ok(store::outbox::NewOutbox {
        issue_id,
        kind: message.kind().as_str().to_owned(),
        recipient: to.to_owned(),
        subject: mail.subject,
        body_text: mail.text,
        body_html: mail.html,
        message_id: message_id(ctx),
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: ctx.now,
        lease_until: None,
        created_at: ctx.now,
    })
}

/// Queues one message to one recipient. (No NOTIFY: PostgreSQL serialises the commits of
/// notifying transactions, and the instance that queued the message wakes its own outbox
/// worker right after the commit.)
fn enqueue(
    conn: &mut Db,
    ctx: &Ctx,
    issue: &IssueRow,
    message: &Message,
    to: &str,
) -> AppResult<()> {
    store::outbox::insert(conn, &outbox_row(ctx, Some(issue.id), message, to)?)?;
    Ok(())
}

/// Sends the notices of a change of `issue` (as saved): each to its recipients, by its
/// template.
pub fn send(conn: &mut Db, ctx: &Ctx, issue: &IssueRow, notices: &[Notice]) -> AppResult<()> {
    for n in notices {
        match n {
            Notice::Assigned { unit } => {
                // A unit without a mailbox gets no mail (its PICs see their queue).
                let Some(u) = store::units::find(conn, unit.as_str())? else {
                    continue;
                };
                let Some(to) = u.email.clone() else {
                    continue;
                };
                let facts = facts(conn, ctx, issue, u.name.clone(), &to)?;
                let m = Message::Assignment(Assignment {
                    facts,
                    unit_code: u.code,
                });
                enqueue(conn, ctx, issue, &m, &to)?;
            }
            Notice::Returned { from_unit, reason } => {
                let Some(to) = ctx.sla.groups.get("trc").cloned() else {
                    continue;
                };
                let mut facts = facts(conn, ctx, issue, "Tim Reaksi Cepat".into(), &to)?;
                facts.unit = Some(from_unit.clone());
                let m = Message::Returned(Returned {
                    facts,
                    from_unit: from_unit.clone(),
                    reason: reason.clone(),
                });
                enqueue(conn, ctx, issue, &m, &to)?;
            }
            Notice::Resolved { text } | Notice::Responded { text } => {
                let resolved = matches!(n, Notice::Resolved { .. });
                // A citizen's request is filed under an undeliverable account: the citizen
                // follows it with their tracking code instead.
                let deliverable = filers(conn, issue)?
                    .into_iter()
                    .filter(|(_, email, _)| !email.ends_with(".invalid"));
                for (user_id, email, merged_from) in deliverable {
                    let name = store::users::find(conn, user_id)?
                        .map_or_else(|| email.clone(), |u| u.name);
                    let facts = facts(conn, ctx, issue, name, &email)?;
                    let text = text.clone();
                    let m = if resolved {
                        Message::Resolved(Resolved {
                            facts,
                            text,
                            merged_from,
                        })
                    } else {
                        Message::Responded(Responded {
                            facts,
                            text,
                            merged_from,
                        })
                    };
                    enqueue(conn, ctx, issue, &m, &email)?;
                }
            }
        }
    }
    Ok(())
}

/// Who hears an issue's answer: its filer, and the filers of every issue merged into it (also
/// through an issue that was itself merged), each address once, with the ref of their own
/// issue when it was merged.
fn filers(conn: &mut Db, issue: &IssueRow) -> AppResult<Vec<(i64, String, Option<String>)>> {
    let mut out = vec![(issue.filed_by_id, issue.filed_by.clone(), None)];
    let mut seen = std::collections::BTreeSet::from([issue.filed_by.to_lowercase()]);
    let mut refs = std::collections::BTreeSet::from([issue.ref_.clone()]);
    let mut level = vec![issue.ref_.clone()];
    // Merges are kept short by the domain; the bound only guards against a cycle in old data.
    for _ in 0..8 {
        if level.is_empty() {
            break;
        }
        let found = store::issues::duplicates_with_filers(conn, &level)?;
        level = Vec::new();
        for (reference, user_id, email) in found {
            if !refs.insert(reference.clone()) {
                continue;
            }
            level.push(reference.clone());
            if seen.insert(email.to_lowercase()) {
                out.push((user_id, email, Some(reference)));
            }
        }
    }
    Ok(out)
}

/// The mails of escalation step `step` of `clock`, one per recipient (address, name).
pub fn escalation(
    ctx: &Ctx,
    issue: &IssueRow,
    unit: Option<&store::units::UnitRow>,
    clock: &Clock,
    step: i32,
    who: &[(String, String)],
) -> AppResult<Vec<store::outbox::NewOutbox>> {
    let base = facts_of(ctx, issue, unit, String::new(), "");
    let late = ctx.now - clock.due_at;
    let mut m = Escalation {
        facts: base,
        clock: clock.kind,
        due_local: local_time(ctx, clock.due_at),
        step,
        overdue: late >= 0,
        span: span(ctx, late),
    };
    who.iter()
        .map(|(email, name)| {
            m.facts.recipient.clone_from(name);
            m.facts.link = super::links::url(ctx, &issue.ref_, email);
            outbox_row(ctx, Some(issue.id), &Message::Escalation(m.clone()), email)
        })
        .collect()
}
