//! Emails queued in the outbox, in the same transaction as the change that causes them.

use super::Ctx;
use crate::domain::clock::Clock;
use crate::domain::issue::Notice;
use crate::domain::ClockKind;
use crate::error::AppResult;
use crate::mail::{render, MailKind};
use crate::store::issues::IssueRow;
use crate::store::{self, Db};
use std::collections::BTreeMap;

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

/// Whether an issue's content stays out of its emails: a restricted issue's mail, which
/// travels to shared unit inboxes and configured addresses, carries its ref and link only.
pub fn redacted(issue: &IssueRow) -> bool {
    issue.sensitivity == crate::domain::Sensitivity::Restricted.as_str()
}

/// The issue's title as its emails show it: for a restricted issue a note in its place.
pub fn shown_title(ctx: &Ctx, issue: &IssueRow) -> String {
    if !redacted(issue) {
        issue.title.clone()
    } else if en(ctx) {
        "(restricted issue: open the link to read it)".to_owned()
    } else {
        "(isu terbatas: buka tautan untuk membacanya)".to_owned()
    }
}

/// A free text of the issue (a reason, a resolution) as its emails show it: withheld for a
/// restricted issue.
pub fn shown_text(ctx: &Ctx, issue: &IssueRow, text: &str) -> String {
    if !redacted(issue) {
        text.to_owned()
    } else if en(ctx) {
        "(withheld: restricted issue)".to_owned()
    } else {
        "(tidak ditampilkan: isu terbatas)".to_owned()
    }
}

/// The base values every email about an issue shows.
pub fn issue_vars(
    conn: &mut Db,
    ctx: &Ctx,
    issue: &IssueRow,
) -> AppResult<BTreeMap<&'static str, String>> {
    let unit = match &issue.assigned_unit {
        Some(code) => match store::units::find(conn, code)? {
            Some(u) => format!("{} ({})", u.name, u.code),
            None => code.clone(),
        },
        None => if ctx.sla.language == "en" {
            "not assigned yet"
        } else {
            "belum ditugaskan"
        }
        .to_owned(),
    };
    let priority = match (ctx.sla.language.as_str(), issue.priority.as_str()) {
        ("en", p) => p.to_owned(),
        (_, "critical") => "kritis".into(),
        (_, "high") => "tinggi".into(),
        (_, "medium") => "sedang".into(),
        (_, "low") => "rendah".into(),
        (_, p) => p.to_owned(),
    };
    Ok(BTreeMap::from([
        ("ref", issue.ref_.clone()),
        ("title", shown_title(ctx, issue)),
        ("priority", priority),
        ("unit", unit),
        (
            "link",
            format!("{}/api/v1/issues/{}", ctx.sla.public_base_url, issue.ref_),
        ),
    ]))
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

/// Queues one email to one recipient.
pub fn enqueue(
    conn: &mut Db,
    ctx: &Ctx,
    issue_id: Option<i64>,
    kind: MailKind,
    to: &str,
    subject: &str,
    vars: &BTreeMap<&str, String>,
) -> AppResult<()> {
    store::outbox::insert(conn, &message(ctx, issue_id, kind, to, subject, vars))?;
    // No NOTIFY here: PostgreSQL serialises the commits of notifying transactions, and the
    // instance that queued the message wakes its own outbox worker right after the commit.
    Ok(())
}

/// One email to one recipient, rendered, as the outbox row to insert.
pub fn message(
    ctx: &Ctx,
    issue_id: Option<i64>,
    kind: MailKind,
    to: &str,
    subject: &str,
    vars: &BTreeMap<&str, String>,
) -> store::outbox::NewOutbox {
    let mail = render::render(kind, &ctx.sla.language, subject, vars);
    store::outbox::NewOutbox {
        issue_id,
        kind: kind.as_str().to_owned(),
        recipient: to.to_owned(),
        subject: mail.subject,
        body_text: mail.text,
        body_html: mail.html,
        message_id: message_id(ctx),
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: ctx.now,
        created_at: ctx.now,
    }
}

fn en(ctx: &Ctx) -> bool {
    ctx.sla.language == "en"
}

/// Sends the notices of a change of `issue` (as saved).
pub fn send(conn: &mut Db, ctx: &Ctx, issue: &IssueRow, notices: &[Notice]) -> AppResult<()> {
    for n in notices {
        match n {
            Notice::Assigned { .. } => assignment(conn, ctx, issue)?,
            Notice::Returned { from_unit, reason } => {
                returned(conn, ctx, issue, from_unit, reason)?;
            }
            Notice::Resolved { text } => resolved(conn, ctx, issue, text)?,
        }
    }
    Ok(())
}

/// Tells the assigned unit that an issue is theirs now.
pub fn assignment(conn: &mut Db, ctx: &Ctx, issue: &IssueRow) -> AppResult<()> {
    let Some(unit) = issue
        .assigned_unit
        .as_deref()
        .map(|c| store::units::find(conn, c))
        .transpose()?
        .flatten()
    else {
        return Ok(());
    };
    let Some(to) = unit.email.clone() else {
        return Ok(());
    };
    let mut v = issue_vars(conn, ctx, issue)?;
    v.insert("recipient", unit.name.clone());
    let (subject, headline, detail) = if en(ctx) {
        (
            format!(
                "[Tanggap] {} assigned to {}: {}",
                issue.ref_,
                unit.code,
                shown_title(ctx, issue)
            ),
            "A public issue has been assigned to your unit.".to_owned(),
            "Please respond publicly and resolve it within the SLA.".to_owned(),
        )
    } else {
        (
            format!(
                "[Tanggap] {} ditugaskan ke {}: {}",
                issue.ref_,
                unit.code,
                shown_title(ctx, issue)
            ),
            "Sebuah isu publik ditugaskan kepada unit Anda.".to_owned(),
            "Mohon berikan tanggapan publik dan selesaikan sesuai SLA.".to_owned(),
        )
    };
    v.insert("headline", headline);
    v.insert("detail", detail);
    enqueue(
        conn,
        ctx,
        Some(issue.id),
        MailKind::Assignment,
        &to,
        &subject,
        &v,
    )
}

/// Tells the TRC that a unit returned an issue ("bukan kewenangan").
pub fn returned(
    conn: &mut Db,
    ctx: &Ctx,
    issue: &IssueRow,
    from_unit: &str,
    reason: &str,
) -> AppResult<()> {
    let Some(to) = ctx.sla.groups.get("trc").cloned() else {
        return Ok(());
    };
    let reason = shown_text(ctx, issue, reason);
    let mut v = issue_vars(conn, ctx, issue)?;
    v.insert("recipient", "Tim Reaksi Cepat".into());
    v.insert("unit", from_unit.to_owned());
    let (subject, headline, detail) = if en(ctx) {
        (
            format!("[Tanggap] {} returned by {from_unit}", issue.ref_),
            format!("{from_unit} returned this issue to the triage queue."),
            format!("Reason: {reason}"),
        )
    } else {
        (
            format!("[Tanggap] {} dikembalikan oleh {from_unit}", issue.ref_),
            format!("{from_unit} mengembalikan isu ini ke antrean triase."),
            format!("Alasan: {reason}"),
        )
    };
    v.insert("headline", headline);
    v.insert("detail", detail);
    enqueue(
        conn,
        ctx,
        Some(issue.id),
        MailKind::Return,
        &to,
        &subject,
        &v,
    )
}

/// Tells the filer that their issue was resolved.
pub fn resolved(conn: &mut Db, ctx: &Ctx, issue: &IssueRow, text: &str) -> AppResult<()> {
    let name = store::users::find(conn, issue.filed_by_id)?
        .map_or_else(|| issue.filed_by.clone(), |u| u.name);
    let text = shown_text(ctx, issue, text);
    let title = shown_title(ctx, issue);
    let mut v = issue_vars(conn, ctx, issue)?;
    v.insert("recipient", name);
    let (subject, headline, detail) = if en(ctx) {
        (
            format!("[Tanggap] {} resolved: {title}", issue.ref_),
            "The issue you filed has been resolved.".to_owned(),
            format!("Resolution: {text}"),
        )
    } else {
        (
            format!("[Tanggap] {} selesai: {title}", issue.ref_),
            "Isu yang Anda laporkan telah diselesaikan.".to_owned(),
            format!("Penyelesaian: {text}"),
        )
    };
    v.insert("headline", headline);
    v.insert("detail", detail);
    enqueue(
        conn,
        ctx,
        Some(issue.id),
        MailKind::Resolution,
        &issue.filed_by,
        &subject,
        &v,
    )
}

fn clock_label(ctx: &Ctx, kind: ClockKind) -> &'static str {
    match (en(ctx), kind) {
        (true, ClockKind::Triage) => "triage",
        (true, ClockKind::Response) => "response",
        (true, ClockKind::Resolution) => "resolution",
        (false, ClockKind::Triage) => "triase",
        (false, ClockKind::Response) => "tanggapan",
        (false, ClockKind::Resolution) => "penyelesaian",
    }
}

/// The mails of escalation step `step` of `clock`, one per recipient (address, name).
pub fn escalation(
    conn: &mut Db,
    ctx: &Ctx,
    issue: &IssueRow,
    clock: &Clock,
    step: i32,
    who: &[(String, String)],
) -> AppResult<Vec<store::outbox::NewOutbox>> {
    let mut vars = issue_vars(conn, ctx, issue)?;
    let label = clock_label(ctx, clock.kind);
    let late = ctx.now - clock.due_at;
    let en = en(ctx);
    vars.insert("clock", label.to_owned());
    vars.insert("due_local", local_time(ctx, clock.due_at));
    vars.insert("step", step.to_string());
    vars.insert(
        "lateness",
        match (late >= 0, en) {
            (true, true) => format!("overdue by {}", span(ctx, late)),
            (true, false) => format!("terlambat {}", span(ctx, late)),
            (false, true) => format!("{} left", span(ctx, late)),
            (false, false) => format!("sisa waktu {}", span(ctx, late)),
        },
    );
    vars.insert(
        "headline",
        match (late >= 0, en) {
            (true, true) => {
                format!("The {label} deadline of this issue has passed (escalation level {step}).")
            }
            (true, false) => {
                format!("Tenggat {label} isu ini telah terlewati (eskalasi tingkat {step}).")
            }
            (false, true) => format!("Warning: the {label} deadline of this issue is approaching."),
            (false, false) => format!("Peringatan: tenggat {label} isu ini segera tiba."),
        },
    );
    vars.insert(
        "advice",
        if en {
            "Please act on it in Tanggap now, or tell the TRC what blocks it."
        } else {
            "Mohon segera ditindaklanjuti melalui Tanggap, atau sampaikan kendalanya kepada TRC."
        }
        .to_owned(),
    );
    let title = shown_title(ctx, issue);
    let subject_line = if en {
        format!(
            "[Tanggap] {} escalation {step} ({label}): {title}",
            issue.ref_
        )
    } else {
        format!(
            "[Tanggap] {} eskalasi {step} ({label}): {title}",
            issue.ref_
        )
    };
    Ok(who
        .iter()
        .map(|(email, name)| {
            vars.insert("recipient", name.clone());
            message(
                ctx,
                Some(issue.id),
                MailKind::Escalation,
                email,
                &subject_line,
                &vars,
            )
        })
        .collect())
}
