//! Partners — media outlets, KIM groups, content creators, other agencies — who carry the
//! government's clarifications to people: their registry (TRC and administrators), the fan-out
//! of a published clarification to every partner that receives it (through the outbox, once per
//! partner and clarification), the partner's personal signed link to acknowledge it and report
//! where it was republished, and the yearly evaluation of the cooperation.

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
use base64::Engine as _;
use hmac::Mac as _;
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
        store::partners::update(conn, &row)?;
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
                link_path(ctx, &public_id, p.id, expires)
            ),
            link_expires: super::notify::local_time(ctx, expires * 1_000_000),
        });
        let row = super::notify::outbox_row(ctx, Some(issue.id), &message, &p.email)?;
        store::outbox::insert(conn, &row)?;
        queued += 1;
    }
    Ok(queued)
}

type Hmac = hmac::Hmac<sha2::Sha256>;

/// The partner links' own key, derived from the email links' key (a link of one kind is never
/// valid as the other).
fn mac(ctx: &Ctx, public_id: &str, partner: i64, expires: i64) -> Hmac {
    // Keys of any length are accepted by HMAC.
    let mut m =
        <Hmac as hmac::Mac>::new_from_slice(&ctx.sla.links.key).unwrap_or_else(|_| unreachable!());
    m.update(format!("partner-link\n{public_id}\n{partner}\n{expires}").as_bytes());
    m
}

/// The path and query of a partner's personal link to a clarification.
pub fn link_path(ctx: &Ctx, public_id: &str, partner: i64, expires: i64) -> String {
    let sig = mac(ctx, public_id, partner, expires)
        .finalize()
        .into_bytes();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "/mitra/{public_id}?p={partner}&s={expires}&t={}",
        b64.encode(sig)
    )
}

/// A partner link's query, as received (also the hidden fields of its forms).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PartnerLink {
    pub p: Option<String>,
    pub s: Option<String>,
    pub t: Option<String>,
}

const REFUSED: &str =
    "this link is not valid: it may have been changed, or it belongs to another clarification";

/// Checks a link; answers the partner's id.
fn check(ctx: &Ctx, public_id: &str, q: &PartnerLink) -> AppResult<i64> {
    let refused = || AppError::Forbidden(REFUSED.into());
    let partner: i64 =
        q.p.as_deref()
            .and_then(|p| p.parse().ok())
            .ok_or_else(refused)?;
    let expires: i64 =
        q.s.as_deref()
            .and_then(|s| s.parse().ok())
            .ok_or_else(refused)?;
    let sig =
        q.t.as_deref()
            .and_then(|t| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(t)
                    .ok()
            })
            .ok_or_else(refused)?;
    mac(ctx, public_id, partner, expires)
        .verify_slice(&sig)
        .map_err(|_| refused())?;
    if expires < ctx.now / 1_000_000 {
        return Err(AppError::Forbidden(
            "this link has expired: ask the TRC for a new one".into(),
        ));
    }
    Ok(partner)
}

/// What a partner's page shows.
#[derive(Debug, Clone)]
pub struct PartnerPage {
    pub partner: String,
    pub clarification: super::public::PublicClarification,
    pub acknowledged_at: Option<i64>,
    pub reshares: Vec<(String, Option<i64>)>,
}

/// What a partner does on its page.
#[derive(Debug, Clone)]
pub enum PartnerStep {
    /// Opens the page.
    Open,
    /// "Received": acknowledges the clarification.
    Acknowledge,
    /// Reports where it was republished, and its reach.
    Reshare { url: String, reach: Option<String> },
}

/// A partner's use of its link, audited on the clarification's issue stream.
pub fn partner_step(
    conn: &mut Db,
    ctx: &Ctx,
    public_id: &str,
    q: &PartnerLink,
    step: PartnerStep,
) -> AppResult<PartnerPage> {
    let partner_id = check(ctx, public_id, q)?;
    write_tx(conn, |conn| {
        let refused = || AppError::Forbidden(REFUSED.into());
        let clar = store::clarifications::published(conn, public_id)?.ok_or_else(refused)?;
        let partner = store::partners::find(conn, partner_id)?.ok_or_else(refused)?;
        let delivery = store::partners::delivery(conn, clar.id, partner_id)?.ok_or_else(refused)?;
        let mut ch = Changes::new();
        diff(&mut ch, "partner", serde_json::Value::Null, &partner.name);
        let action = match &step {
            PartnerStep::Open => "partner.link_opened",
            PartnerStep::Acknowledge => {
                if store::partners::acknowledge(conn, delivery.id, ctx.now)? {
                    diff(&mut ch, "acknowledged", false, true);
                }
                "partner.acknowledged"
            }
            PartnerStep::Reshare { url, reach } => {
                let mut c = Check::new();
                let url = c.urls("url", std::slice::from_ref(url), 1);
                let reach = match reach.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                    None => None,
                    Some(r) => match r.replace(['.', ','], "").parse::<i64>() {
                        Ok(n) if (0..=1_000_000_000).contains(&n) => Some(n),
                        _ => {
                            c.fail("reach", "must be a whole number from 0 to 1,000,000,000");
                            None
                        }
                    },
                };
                if url.is_empty() && c.errors.is_empty() {
                    c.fail("url", "must not be empty");
                }
                c.done()?;
                let n = store::partners::reshares(conn, delivery.id)?.len();
                let known = store::partners::reshares(conn, delivery.id)?
                    .iter()
                    .any(|r| r.url == url[0]);
                if n >= 50 && !known {
                    return Err(AppError::Invalid(vec![crate::error::FieldError::new(
                        "url",
                        "at most 50 places per clarification",
                    )]));
                }
                store::partners::add_reshare(conn, delivery.id, &url[0], reach, ctx.now)?;
                store::partners::acknowledge(conn, delivery.id, ctx.now)?;
                diff(
                    &mut ch,
                    "reshare",
                    serde_json::Value::Null,
                    serde_json::json!({"url": url[0], "reach": reach}),
                );
                "partner.reshare_reported"
            }
        };
        let reference = store::outbox::issue_ref(conn, clar.issue_id)?.unwrap_or_default();
        ctx.record(
            conn,
            &super::issues::stream(&reference),
            action,
            &format!("clarification:{}", clar.id),
            ch,
        )?;
        let delivery = store::partners::delivery(conn, clar.id, partner_id)?.ok_or_else(refused)?;
        let reshares = store::partners::reshares(conn, delivery.id)?
            .into_iter()
            .map(|r| (r.url, r.reach))
            .collect();
        Ok(PartnerPage {
            partner: partner.name,
            clarification: super::public::PublicClarification::from_row(&clar),
            acknowledged_at: delivery.acknowledged_at,
            reshares,
        })
    })
}

/// One partner's figures of a budget year.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PartnerFigures {
    pub partner: i64,
    pub name: String,
    pub kind: String,
    pub agreement_number: Option<String>,
    /// Clarifications sent to the partner.
    pub received: i64,
    pub acknowledged: i64,
    /// Clarifications it reported republishing (at least once).
    pub republished: i64,
    /// Places reported in all.
    pub reshares: i64,
    /// Reach reported in all.
    pub reach: i64,
    /// Median time from publication to the first reported republication, in seconds.
    pub median_seconds_to_republish: Option<i64>,
}

/// The evaluation of the cooperation with partners in a budget year.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PartnerReport {
    pub year: i32,
    pub partners: Vec<PartnerFigures>,
}

/// Per partner, over the clarifications published in the budget year (local calendar year).
pub fn report(conn: &mut Db, ctx: &Ctx, year: i32) -> AppResult<PartnerReport> {
    require_registry(ctx)?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::Invalid(vec![crate::error::FieldError::new(
            "year",
            "must be a year from 2000 to 2100",
        )]));
    }
    let start = |y: i32| -> AppResult<i64> {
        let y = i16::try_from(y).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(jiff::civil::date(y, 1, 1)
            .to_zoned(ctx.sla.zone.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .timestamp()
            .as_microsecond())
    };
    let rows = store::partners::report_rows(conn, start(year)?, start(year + 1)?)?;
    let mut partners = Vec::new();
    let mut after = None;
    loop {
        let page = store::partners::list(conn, after, 200)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        partners.extend(page);
    }
    let mut out = Vec::new();
    for p in partners {
        let mine: Vec<_> = rows.iter().filter(|r| r.partner_id == p.id).collect();
        if mine.is_empty() && !p.active {
            continue;
        }
        let mut times: Vec<i64> = mine
            .iter()
            .filter_map(|r| {
                r.first_reshare_at
                    .map(|f| (f - r.published_at).max(0) / 1_000_000)
            })
            .collect();
        out.push(PartnerFigures {
            partner: p.id,
            name: p.name,
            kind: p.kind,
            agreement_number: p.agreement_number,
            received: count(mine.len()),
            acknowledged: count(mine.iter().filter(|r| r.acknowledged_at.is_some()).count()),
            republished: count(mine.iter().filter(|r| r.reshares > 0).count()),
            reshares: mine.iter().map(|r| r.reshares).sum(),
            reach: mine.iter().map(|r| r.reach).sum(),
            median_seconds_to_republish: rules::median(&mut times),
        });
    }
    Ok(PartnerReport {
        year,
        partners: out,
    })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The report as CSV: one row per partner (text cells that could be read as formulas are
/// quoted as the reports' CSV does).
pub fn report_csv(r: &PartnerReport) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = [
        "year",
        "partner",
        "name",
        "kind",
        "agreement_number",
        "received",
        "acknowledged",
        "republished",
        "reshares",
        "reach",
        "median_seconds_to_republish",
    ];
    let io = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    w.write_record(head).map_err(io)?;
    for p in &r.partners {
        w.write_record([
            r.year.to_string(),
            p.partner.to_string(),
            super::reports::safe_cell(&p.name),
            p.kind.clone(),
            super::reports::safe_cell(p.agreement_number.as_deref().unwrap_or("")),
            p.received.to_string(),
            p.acknowledged.to_string(),
            p.republished.to_string(),
            p.reshares.to_string(),
            p.reach.to_string(),
            p.median_seconds_to_republish
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}
