//! Partners — media outlets, KIM groups, content creators, other agencies — who carry the
//! government's clarifications to people: their registry (TRC and administrators), the fan-out
//! of a published clarification to every partner that receives it (through the outbox, once per
//! partner and clarification, with the personal signed link of `partner_links`). The yearly
//! evaluation of the cooperation is `partner_report`.
//!
//! Long because: the registry's field checks (kind, email, districts, topics, the agreement's
//! dates) and the fan-out that reads them belong together.

use super::issues::check::Check;
use super::Ctx;
use crate::audit::{diff, Changes, SYSTEM_STREAM};
use crate::domain::clarification::{self as rules, Interests, PartnerKind};
use crate::domain::{Category, Email, Role, Verdict};
use crate::error::{AppError, AppResult, Conflict};
use crate::mail::render::{ClarificationMail, Message};
use crate::store::clarifications::ClarificationRow;
use crate::store::partners::PartnerRow;
use crate::store::{self, write_tx, Db};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A partner as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Partner {
    pub id: i64,
    pub name: String,
    /// `media`, `kim`, `creator` or `agency`.
    pub kind: String,
    /// Where clarifications are sent.
    pub email: String,
    /// Districts (kecamatan) of interest; empty: all.
    pub districts: Vec<String>,
    /// Categories of interest; empty: all.
    pub topics: Vec<String>,
    pub agreement: Agreement,
    pub active: bool,
    pub version: i64,
}

/// The cooperation agreement of a budget year.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    #[serde(default)]
    pub number: Option<String>,
    /// The budget year.
    #[serde(default)]
    pub year: Option<i32>,
    /// First day in force (local date, `YYYY-MM-DD`).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day in force (inclusive).
    #[serde(default)]
    pub to: Option<String>,
}

/// The body of `POST /partners`, and of `PATCH` (absent keeps).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub districts: Option<Vec<String>>,
    #[serde(default)]
    pub topics: Option<Vec<String>>,
    #[serde(default)]
    pub agreement: Option<Agreement>,
    #[serde(default)]
    pub active: Option<bool>,
}

fn list_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl From<PartnerRow> for Partner {
    fn from(r: PartnerRow) -> Self {
        Partner {
            id: r.id,
            name: r.name,
            kind: r.kind,
            email: r.email,
            districts: list_of(&r.districts),
            topics: list_of(&r.topics),
            agreement: Agreement {
                number: r.agreement_number,
                year: r.agreement_year,
                from: r.agreement_from,
                to: r.agreement_to,
            },
            active: r.active,
            version: r.version,
        }
    }
}

/// The registry is the TRC's (Diskominfo's) and the administrators'.
pub fn require_registry(ctx: &Ctx) -> AppResult<()> {
    match ctx.actor.role() {
        None | Some(Role::Admin | Role::Trc) => Ok(()),
        Some(_) => Err(AppError::Forbidden(
            "partners are managed by the TRC and administrators".into(),
        )),
    }
}

fn date(c: &mut Check, field: &str, v: Option<&str>) -> Option<jiff::civil::Date> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    match v.parse::<jiff::civil::Date>() {
        Ok(d) if v.len() == 10 => Some(d),
        _ => {
            c.fail(field, format!("`{v}` is not a date (YYYY-MM-DD)"));
            None
        }
    }
}

/// Checks an input and applies it to `r`.
fn apply(c: &mut Check, r: &mut PartnerRow, i: &PartnerInput) {
    if let Some(n) = &i.name {
        r.name = c.text("name", n, 200, true);
    }
    if let Some(k) = &i.kind {
        if let Some(k) = c.enumerated("kind", k, PartnerKind::parse, PartnerKind::names) {
            r.kind = k.as_str().into();
        }
    }
    if let Some(e) = &i.email {
        match Email::parse(e) {
            Ok(e) => e.as_str().clone_into(&mut r.email),
            Err(m) => c.fail("email", m),
        }
    }
    if let Some(ds) = &i.districts {
        if ds.len() > 50 {
            c.fail("districts", "at most 50 districts");
        }
        let mut out: Vec<String> = Vec::new();
        for (n, d) in ds.iter().enumerate() {
            let d = c.text(&format!("districts.{n}"), d, 100, true);
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&d)) {
                out.push(d);
            }
        }
        r.districts = serde_json::to_string(&out).unwrap_or_else(|_| "[]".into());
    }
    if let Some(ts) = &i.topics {
        let mut out: Vec<String> = Vec::new();
        for (n, t) in ts.iter().enumerate() {
            if let Some(cat) =
                c.enumerated(&format!("topics.{n}"), t, Category::parse, Category::names)
            {
                if !out.iter().any(|o| o == cat.as_str()) {
                    out.push(cat.as_str().into());
                }
            }
        }
        r.topics = serde_json::to_string(&out).unwrap_or_else(|_| "[]".into());
    }
    if let Some(a) = &i.agreement {
        r.agreement_number = c.opt_text("agreement.number", a.number.as_deref(), 100);
        if let Some(y) = a.year {
            if !(2000..=2100).contains(&y) {
                c.fail("agreement.year", "must be a year from 2000 to 2100");
            }
        }
        r.agreement_year = a.year;
        let from = date(c, "agreement.from", a.from.as_deref());
        let to = date(c, "agreement.to", a.to.as_deref());
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                c.fail("agreement.to", "must not be before agreement.from");
            }
        }
        r.agreement_from = from.map(|d| d.to_string());
        r.agreement_to = to.map(|d| d.to_string());
    }
    if let Some(a) = i.active {
        r.active = a;
    }
}

fn record(conn: &mut Db, ctx: &Ctx, action: &str, id: i64, ch: Changes) -> AppResult<()> {
    ctx.record(conn, SYSTEM_STREAM, action, &format!("partner:{id}"), ch)
}

fn changes(before: Option<&PartnerRow>, after: &PartnerRow) -> Changes {
    let mut ch = Changes::new();
    let b = before.map(|r| Partner::from(r.clone()));
    let a = Partner::from(after.clone());
    let json = |p: &Option<Partner>, f: fn(&Partner) -> serde_json::Value| {
        p.as_ref().map_or(serde_json::Value::Null, f)
    };
    diff(
        &mut ch,
        "name",
        json(&b, |p| p.name.clone().into()),
        &a.name,
    );
    diff(
        &mut ch,
        "kind",
        json(&b, |p| p.kind.clone().into()),
        &a.kind,
    );
    diff(
        &mut ch,
        "email",
        json(&b, |p| p.email.clone().into()),
        &a.email,
    );
    diff(
        &mut ch,
        "districts",
        json(&b, |p| p.districts.clone().into()),
        &a.districts,
    );
    diff(
        &mut ch,
        "topics",
        json(&b, |p| p.topics.clone().into()),
        &a.topics,
    );
    diff(
        &mut ch,
        "agreement",
        json(&b, |p| {
            serde_json::to_value(&p.agreement).unwrap_or_default()
        }),
        serde_json::to_value(&a.agreement).unwrap_or_default(),
    );
    diff(&mut ch, "active", json(&b, |p| p.active.into()), a.active);
    ch
}

pub fn create(conn: &mut Db, ctx: &Ctx, input: PartnerInput) -> AppResult<Partner> {
    require_registry(ctx)?;
    write_tx(conn, |conn| {
        let mut c = Check::new();
        for (field, present) in [
            ("name", input.name.is_some()),
            ("kind", input.kind.is_some()),
            ("email", input.email.is_some()),
        ] {
            if !present {
                c.fail(field, "is required");
            }
        }
        let mut row = PartnerRow {
            id: 0,
            name: String::new(),
            kind: PartnerKind::Media.as_str().into(),
            email: String::new(),
            districts: "[]".into(),
            topics: "[]".into(),
            agreement_number: None,
            agreement_year: None,
            agreement_from: None,
            agreement_to: None,
            active: true,
            version: 1,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        apply(&mut c, &mut row, &input);
        c.done()?;
        row.id = store::partners::insert(conn, &row)?;
        record(conn, ctx, "partner.created", row.id, changes(None, &row))?;
        Ok(row.into())
    })
}

pub fn get(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<Partner> {
    require_registry(ctx)?;
    store::partners::find(conn, id)?
        .map(Partner::from)
        .ok_or_else(|| AppError::NotFound(format!("no partner {id}")))
}

pub fn list(conn: &mut Db, ctx: &Ctx, after: Option<i64>, limit: i64) -> AppResult<Vec<Partner>> {
    require_registry(ctx)?;
    Ok(store::partners::list(conn, after, limit)?
        .into_iter()
        .map(Partner::from)
        .collect())
}

pub fn update(
    conn: &mut Db,
    ctx: &Ctx,
    id: i64,
    if_match: Option<i64>,
    input: PartnerInput,
) -> AppResult<Partner> {
    require_registry(ctx)?;
    write_tx(conn, |conn| {
        let before = store::partners::find(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no partner {id}")))?;
        if let Some(m) = if_match.filter(|m| *m != before.version) {
            return Err(AppError::StaleVersion(format!(
                "partner {id} is at version {}, not {m}",
                before.version
            )));
        }
        let mut row = before.clone();
        let mut c = Check::new();
        apply(&mut c, &mut row, &input);
        c.done()?;
        row.version += 1;
        row.updated_at = ctx.now;
        // Another change between the read and this write (two people saving at once) is
        // refused, never overwritten.
        if !store::partners::update_if_version(conn, &row, before.version)? {
            return Err(AppError::StaleVersion(format!(
                "partner {id} was changed meanwhile: reload it and try again"
            )));
        }
        record(
            conn,
            ctx,
            "partner.updated",
            id,
            changes(Some(&before), &row),
        )?;
        Ok(row.into())
    })
}

/// Deletes a partner that never received anything (otherwise 409: deactivate it).
pub fn delete(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<()> {
    require_registry(ctx)?;
    write_tx(conn, |conn| {
        let row = store::partners::find(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no partner {id}")))?;
        if store::partners::referenced(conn, id)? {
            return Err(AppError::Conflict {
                cause: Conflict::InUse,
                detail: format!(
                    "partner {id} has received clarifications (kept for the evaluation): \
                     deactivate it with PATCH active: false"
                ),
            });
        }
        store::partners::delete(conn, id)?;
        let mut ch = Changes::new();
        diff(&mut ch, "name", &row.name, serde_json::Value::Null);
        record(conn, ctx, "partner.deleted", id, ch)
    })
}

/// The local date of an instant (µs).
fn local_date(ctx: &Ctx, us: i64) -> AppResult<jiff::civil::Date> {
    Ok(jiff::Timestamp::from_microsecond(us)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_zoned(ctx.sla.zone.clone())
        .date())
}

/// Queues a just-published clarification for every partner that receives it, in the
/// publication's transaction: one delivery record per partner (the unique key refuses a second
/// one) and one outbox message, with the partner's personal link. Answers how many.
pub fn fan_out(
    conn: &mut Db,
    ctx: &Ctx,
    clar: &ClarificationRow,
    issue: &crate::store::issues::IssueRow,
) -> AppResult<usize> {
    let today = local_date(ctx, ctx.now)?;
    let public_id = clar.public_id.clone().unwrap_or_default();
    let mut queued = 0;
    for p in store::partners::active(conn)? {
        let (districts, topics) = (list_of(&p.districts), list_of(&p.topics));
        let interests = Interests {
            active: p.active,
            districts: &districts,
            topics: &topics,
            agreement_from: p.agreement_from.as_deref().and_then(|d| d.parse().ok()),
            agreement_to: p.agreement_to.as_deref().and_then(|d| d.parse().ok()),
        };
        if !rules::receives(
            &interests,
            today,
            clar.district.as_deref(),
            clar.category.as_deref(),
        ) {
            continue;
        }
        if !store::partners::record_delivery(conn, clar.id, p.id, ctx.now)? {
            continue;
        }
        let expires = ctx.now / 1_000_000 + ctx.sla.links.partner_ttl_secs;
        let message = Message::Clarification(ClarificationMail {
            partner: p.name.clone(),
            public_id: public_id.clone(),
            title: clar.title.clone(),
            verdict: clar
                .verdict
                .as_deref()
                .and_then(Verdict::parse)
                .map(|v| rules::verdict_label(v).to_owned()),
            claim: clar.claim.clone(),
            text: clar.body.clone(),
            public_url: super::clarifications::public_url(ctx, &public_id),
            partner_link: format!(
                "{}{}",
                ctx.sla.public_base_url,
                super::partner_links::path(ctx, &public_id, p.id, expires)
            ),
            link_expires: super::notify::local_time(ctx, expires * 1_000_000),
        });
        let row = super::notify::outbox_row(ctx, Some(issue.id), &message, &p.email)?;
        store::outbox::insert(conn, &row)?;
        queued += 1;
    }
    Ok(queued)
}
