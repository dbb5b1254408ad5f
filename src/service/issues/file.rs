//! Filing an issue, with `Idempotency-Key` replays.

use super::{caller_of, stream, to_json_list, Check, Issue, Location};
use crate::audit::{diff, Changes};
use crate::domain::lifecycle::DEFAULT_PRIORITY;
use crate::domain::{Category, Channel, Priority, Role, Sensitivity, Status, Verdict};
use crate::error::{AppError, AppResult, FieldError};
use crate::service::Ctx;
use crate::store::issues::IssueRow;
use crate::store::{self, write_tx, Db};
use serde::Deserialize;
use utoipa::ToSchema;

/// Evidence as filed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceInput {
    #[serde(default)]
    pub screenshot_urls: Vec<String>,
    #[serde(default)]
    pub archive_urls: Vec<String>,
    pub reach: Option<i64>,
    /// RFC 3339.
    pub posted_at: Option<String>,
}

/// Location as filed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub district: Option<String>,
    pub village: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// The body of `POST /issues`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIssue {
    /// One line.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(max_length = 10000)]
    pub description: String,
    #[schema(value_type = crate::domain::enums::Category)]
    pub category: String,
    #[schema(value_type = crate::domain::enums::Channel)]
    pub channel: String,
    /// Required unless the channel is `langsung` or `lainnya`.
    #[serde(default)]
    pub source_urls: Vec<String>,
    /// Default `medium`.
    #[schema(value_type = Option<crate::domain::enums::Priority>)]
    pub priority: Option<String>,
    /// Default `normal`.
    #[schema(value_type = Option<crate::domain::enums::Sensitivity>)]
    pub sensitivity: Option<String>,
    pub evidence: Option<EvidenceInput>,
    pub location: Option<LocationInput>,
    pub lapor_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only for `hoaks_disinformasi`.
    #[schema(value_type = Option<crate::domain::enums::Verdict>)]
    pub verdict: Option<String>,
}

/// Validated evidence and location, shared with edits.
pub(super) fn check_evidence(
    c: &mut Check,
    e: &EvidenceInput,
) -> (Vec<String>, Vec<String>, Option<i64>, Option<i64>) {
    let shots = c.urls("evidence.screenshot_urls", &e.screenshot_urls, 20);
    let archives = c.urls("evidence.archive_urls", &e.archive_urls, 20);
    if e.reach.is_some_and(|r| r < 0) {
        c.fail("evidence.reach", "must not be negative");
    }
    let posted = e
        .posted_at
        .as_deref()
        .and_then(|p| c.instant("evidence.posted_at", p));
    (shots, archives, e.reach, posted)
}

pub(super) fn check_location(c: &mut Check, l: &LocationInput) -> Location {
    let district = c.opt_text("location.district", l.district.as_deref(), 100);
    let village = c.opt_text("location.village", l.village.as_deref(), 100);
    if let Some(lat) = l.lat {
        if !(-90.0..=90.0).contains(&lat) {
            c.fail("location.lat", "must be a latitude from -90 to 90");
        }
    }
    if let Some(lon) = l.lon {
        if !(-180.0..=180.0).contains(&lon) {
            c.fail("location.lon", "must be a longitude from -180 to 180");
        }
    }
    if l.lat.is_some() != l.lon.is_some() {
        c.fail(
            if l.lat.is_some() {
                "location.lon"
            } else {
                "location.lat"
            },
            "give latitude and longitude together",
        );
    }
    Location {
        district,
        village,
        lat: l.lat,
        lon: l.lon,
    }
}

pub(super) fn needs_sources(channel: Channel) -> bool {
    !matches!(channel, Channel::Langsung | Channel::Lainnya)
}

/// What a filing answered: the status and body to send (the stored ones on a replay).
#[derive(Debug, Clone)]
pub struct Filed {
    pub status: u16,
    pub body: String,
    pub reference: String,
    /// The issue's version in `body` (its `ETag`).
    pub version: i64,
    pub replayed: bool,
    /// Whether the filing queued an email (a rule assigned the issue at once).
    pub mailed: bool,
}

/// An `Idempotency-Key` and the hash of the body it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub body_hash: String,
}

const KEY_TTL_US: i64 = 24 * 3600 * 1_000_000;

enum FileError {
    App(AppError),
    KeyTaken,
    NeedSequence,
}

impl From<diesel::result::Error> for FileError {
    fn from(e: diesel::result::Error) -> Self {
        FileError::App(e.into())
    }
}

impl From<AppError> for FileError {
    fn from(e: AppError) -> Self {
        FileError::App(e)
    }
}

fn replay(row: store::issues::IdempotencyRow, idem: &Idempotency) -> AppResult<Filed> {
    if row.body_hash != idem.body_hash {
        return Err(AppError::Invalid(vec![FieldError::new(
            "Idempotency-Key",
            "was already used with another body; use a new key for a new issue",
        )]));
    }
    let stored: serde_json::Value = serde_json::from_str(&row.response).unwrap_or_default();
    Ok(Filed {
        status: u16::try_from(row.status).unwrap_or(201),
        reference: stored["ref"].as_str().unwrap_or_default().to_owned(),
        version: stored["version"].as_i64().unwrap_or(1),
        body: row.response,
        replayed: true,
        mailed: false,
    })
}

/// Who may file: PICs, the TRC and admins.
pub fn authorize(ctx: &Ctx) -> AppResult<()> {
    match caller_of(ctx).role {
        Role::Pic | Role::Trc | Role::Admin => Ok(()),
        Role::Leader => Err(AppError::Forbidden(
            "leaders read and instruct; PICs and the TRC file issues".into(),
        )),
    }
}

/// Files an issue. `zone` gives the local year of the reference.
#[allow(
    clippy::too_many_lines,
    reason = "still decides filing's rules (routing, clocks, idempotency) itself: they move into a domain transition with #21 step 1"
)]
pub fn file(
    conn: &mut Db,
    ctx: &Ctx,
    input: NewIssue,
    idem: Option<Idempotency>,
) -> AppResult<Filed> {
    authorize(ctx)?;
    let caller = caller_of(ctx);
    // A replayed key is found when the transaction claims it (the common, new key costs no
    // read before); the replay then answers the first result.
    let since = ctx.now - KEY_TTL_US;

    let mut c = Check::new();
    let title = c.text("title", &input.title, 200, true);
    let description = c.text("description", &input.description, 10_000, false);
    let category = c.enumerated(
        "category",
        &input.category,
        Category::parse,
        Category::names,
    );
    let channel = c.enumerated("channel", &input.channel, Channel::parse, Channel::names);
    let source_urls = c.urls("source_urls", &input.source_urls, 20);
    if channel.is_some_and(needs_sources) && input.source_urls.is_empty() {
        c.fail(
            "source_urls",
            "at least one link to the post is required for this channel",
        );
    }
    let priority = match &input.priority {
        Some(p) => c.enumerated("priority", p, Priority::parse, Priority::names),
        None => Some(DEFAULT_PRIORITY),
    };
    let sensitivity = match &input.sensitivity {
        Some(s) => c.enumerated("sensitivity", s, Sensitivity::parse, Sensitivity::names),
        None => Some(Sensitivity::Normal),
    };
    let (shots, archives, reach, posted_at) =
        check_evidence(&mut c, &input.evidence.clone().unwrap_or_default());
    let location = check_location(&mut c, &input.location.clone().unwrap_or_default());
    let lapor_id = c.opt_text("lapor_id", input.lapor_id.as_deref(), 64);
    let tags = c.tags("tags", &input.tags);
    let verdict = match &input.verdict {
        Some(v) => {
            let parsed = c.enumerated("verdict", v, Verdict::parse, Verdict::names);
            if category.is_some_and(|k| k != Category::HoaksDisinformasi) {
                c.fail(
                    "verdict",
                    "a verdict is only for the category hoaks_disinformasi",
                );
            }
            parsed
        }
        None => None,
    };
    if let Some(idem) = &idem {
        let k = &idem.key;
        if k.is_empty() || k.len() > 200 || !k.bytes().all(|b| b.is_ascii_graphic()) {
            c.fail(
                "Idempotency-Key",
                "must be 1 to 200 visible ASCII characters",
            );
        }
    }
    c.done()?;
    let (Some(category), Some(channel), Some(priority), Some(sensitivity)) =
        (category, channel, priority, sensitivity)
    else {
        return Err(anyhow::anyhow!("validated fields missing").into());
    };

    let year = jiff::Timestamp::from_microsecond(ctx.now)
        .map_err(|e| anyhow::anyhow!("bad clock: {e}"))?
        .to_zoned(ctx.sla.zone.clone())
        .year();
    let mut attempts = 0;
    let result = loop {
        attempts += 1;
        let r = write_tx(conn, |conn| -> Result<Filed, FileError> {
            if let Some(idem) = &idem {
                match store::issues::claim_idempotency(
                    conn,
                    caller.id,
                    &idem.key,
                    &idem.body_hash,
                    ctx.now,
                    since,
                ) {
                    Ok(true) => {}
                    Ok(false) => return Err(FileError::KeyTaken),
                    Err(e) => return Err(e.into()),
                }
            }
            let n = match store::issues::next_ref_number(conn, year)? {
                store::issues::RefNumber::Number(n) => n,
                store::issues::RefNumber::SequenceMissing => return Err(FileError::NeedSequence),
            };
            let reference = format!("ISU-{year}-{n:06}");
            let mut row = IssueRow {
                id: 0,
                ref_: reference.clone(),
                title: title.clone(),
                description: description.clone(),
                category: category.as_str().into(),
                channel: channel.as_str().into(),
                priority: priority.as_str().into(),
                sensitivity: sensitivity.as_str().into(),
                status: Status::New.as_str().into(),
                held_from: None,
                source_urls: to_json_list(&source_urls),
                screenshot_urls: to_json_list(&shots),
                archive_urls: to_json_list(&archives),
                reach,
                posted_at,
                district: location.district.clone(),
                village: location.village.clone(),
                lat: location.lat,
                lon: location.lon,
                filed_by_id: caller.id,
                filed_by: caller.email.clone(),
                filing_unit: caller.unit.clone(),
                assigned_unit: None,
                proposed_unit: None,
                lapor_id: lapor_id.clone(),
                tags: to_json_list(&tags),
                duplicate_of: None,
                escalation_level: 0,
                verdict: verdict.map(|v| v.as_str().to_owned()),
                clarification_text: None,
                clarification_urls: None,
                version: 1,
                urgent_at: ctx.now,
                is_open: true,
                search: String::new(),
                created_at: ctx.now,
                updated_at: ctx.now,
                external_id: None,
                import_key: None,
                merged_count: 0,
                clocks: "[]".into(),
                clocks_version: 0,
            };
            let rules = crate::service::rules::load_rules(conn)?;
            let (hit, _) = crate::domain::routing::route(
                &rules,
                &crate::domain::routing::Draft {
                    category: &row.category,
                    channel: &row.channel,
                    district: row.district.as_deref(),
                    title: &row.title,
                    description: &row.description,
                },
            );
            let routed_by = hit.map(|r| serde_json::json!({"id": r.id, "name": r.name}));
            if let Some(rule) = hit {
                row.proposed_unit = Some(rule.unit.clone());
                if rule.auto_assign {
                    row.assigned_unit = Some(rule.unit.clone());
                    row.status = Status::Assigned.as_str().into();
                }
            }
            super::refresh_derived(&mut row);
            let clocks = super::clocks::initial(ctx, &row);
            row.urgent_at = super::clocks::urgency(&row, &clocks);
            super::clocks::keep_copy(&mut row, &clocks);
            row.id = store::issues::insert(conn, &row)?;
            super::clocks::insert_initial(conn, ctx, &row, &clocks)?;
            store::issues::insert_tags(conn, row.id, &tags)?;
            // A new issue: its clocks are the ones just written, nothing is merged into it yet.
            let issue = Issue::from_row(
                row.clone(),
                Vec::new(),
                clocks.iter().map(|c| super::clocks::view(ctx, c)).collect(),
            )?;
            let mut changes = Changes::new();
            if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&issue) {
                for (k, v) in fields {
                    if !matches!(
                        k.as_str(),
                        "ref" | "version" | "created_at" | "updated_at" | "clocks" | "duplicates"
                    ) {
                        diff(&mut changes, &k, serde_json::Value::Null, v);
                    }
                }
            }
            if let Some(r) = routed_by {
                diff(&mut changes, "routing_rule", serde_json::Value::Null, r);
            }
            // The reference is new (from the sequence), so is its audit stream.
            let filed = ctx.event(
                &stream(&reference),
                "issue.filed",
                &format!("issue:{reference}"),
                changes,
            );
            store::audit::start_stream(conn, &filed)?;
            // A rule that assigned the issue at once tells the unit by email.
            let mailed = row.assigned_unit.is_some();
            if mailed {
                crate::service::notify::assignment(conn, ctx, &row)?;
            }
            let body = serde_json::to_string(&issue).map_err(|e| AppError::Internal(e.into()))?;
            if let Some(idem) = &idem {
                store::issues::complete_idempotency(conn, caller.id, &idem.key, 201, &body)?;
            }
            Ok(Filed {
                status: 201,
                body,
                reference,
                version: issue.version,
                replayed: false,
                mailed,
            })
        });
        match r {
            Err(FileError::NeedSequence) if attempts < 3 => {
                store::issues::create_ref_sequence(conn, year)?;
            }
            other => break other,
        }
    };
    match result {
        Ok(f) => Ok(f),
        Err(FileError::App(e)) => Err(e),
        Err(FileError::NeedSequence) => {
            Err(anyhow::anyhow!("cannot create the reference sequence of {year}").into())
        }
        Err(FileError::KeyTaken) => {
            let idem = idem.ok_or_else(|| anyhow::anyhow!("key taken without a key"))?;
            match store::issues::find_idempotency(conn, caller.id, &idem.key, since)? {
                Some(row) if row.status != 0 => replay(row, &idem),
                _ => Err(AppError::conflict(
                    crate::error::Conflict::InProgress,
                    "a filing with this Idempotency-Key is in progress; retry shortly",
                )),
            }
        }
    }
}
