//! Filing an issue, with `Idempotency-Key` replays.
//!
//! Long because: the filing's body, its checks, its new row and its idempotent replay are one use
//! case.

use super::check::{check_evidence, check_location, EvidenceInput, LocationInput};
use super::{caller_of, stream, to_json_list, Check, Issue, Location};
use crate::audit::{diff, Changes};
use crate::domain::issue;
use crate::domain::lifecycle::DEFAULT_PRIORITY;
use crate::domain::visibility::Viewer;
use crate::domain::{
    Category, Channel, DisinformationType, Priority, Role, Sensitivity, Status, Verdict,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::service::Ctx;
use crate::store::issues::IssueRow;
use crate::store::{self, write_tx, Db};
use serde::Deserialize;
use utoipa::ToSchema;

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
    /// Only with a verdict of `hoaks`, `misleading` or `satire`.
    #[schema(value_type = Option<crate::domain::enums::DisinformationType>)]
    pub disinformation_type: Option<String>,
}

/// What a filing answered.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The new issue.
    New(Box<Issue>),
    /// A replayed key: the first filing's answer as it was kept (JSON of an [`Issue`]).
    Replayed(String),
}

/// A filing's result.
#[derive(Debug, Clone)]
pub struct Filed {
    pub answer: Answer,
    pub reference: String,
    /// The issue's version in the answer (its `ETag`).
    pub version: i64,
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
        reference: stored["ref"].as_str().unwrap_or_default().to_owned(),
        version: stored["version"].as_i64().unwrap_or(1),
        answer: Answer::Replayed(row.response),
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

/// A filing's fields, checked.
pub(super) struct Checked {
    title: String,
    description: String,
    category: Category,
    channel: Channel,
    priority: Priority,
    sensitivity: Sensitivity,
    source_urls: Vec<String>,
    shots: Vec<String>,
    archives: Vec<String>,
    reach: Option<i64>,
    posted_at: Option<i64>,
    location: Location,
    lapor_id: Option<String>,
    tags: Vec<String>,
    verdict: Option<Verdict>,
    disinformation_type: Option<DisinformationType>,
}

/// A filing's verdict (hoaxes only) and the disinformation type it found (only with a verdict
/// that found false content).
fn check_verdict(
    c: &mut Check,
    input: &NewIssue,
    category: Option<Category>,
) -> (Option<Verdict>, Option<DisinformationType>) {
    let verdict = input.verdict.as_deref().and_then(|v| {
        let parsed = c.enumerated("verdict", v, Verdict::parse, Verdict::names);
        if category.is_some_and(|k| !issue::verdict_allowed(k)) {
            c.fail(
                "verdict",
                "a verdict is only for the category hoaks_disinformasi",
            );
        }
        parsed
    });
    let disinformation_type = input.disinformation_type.as_deref().and_then(|v| {
        let parsed = c.enumerated(
            "disinformation_type",
            v,
            DisinformationType::parse,
            DisinformationType::names,
        );
        if !issue::disinformation_allowed(verdict) {
            c.fail(
                "disinformation_type",
                "only with a verdict of hoaks, misleading or satire",
            );
        }
        parsed
    });
    (verdict, disinformation_type)
}

/// Checks a filing's body (and its `Idempotency-Key`): 422 naming every field that is wrong.
pub(super) fn check(input: &NewIssue, idem: Option<&Idempotency>) -> AppResult<Checked> {
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
    if channel.is_some_and(issue::needs_sources) && input.source_urls.is_empty() {
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
    let (verdict, disinformation_type) = check_verdict(&mut c, input, category);
    if let Some(k) = idem.map(|i| &i.key) {
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
    Ok(Checked {
        title,
        description,
        category,
        channel,
        priority,
        sensitivity,
        source_urls,
        shots,
        archives,
        reach,
        posted_at,
        location,
        lapor_id,
        tags,
        verdict,
        disinformation_type,
    })
}

/// The row of a new issue `reference` filed by `caller`, as it waits for triage.
fn new_row(ctx: &Ctx, caller: &crate::service::Caller, reference: String, f: &Checked) -> IssueRow {
    IssueRow {
        id: 0,
        ref_: reference,
        title: f.title.clone(),
        description: f.description.clone(),
        category: f.category.as_str().into(),
        channel: f.channel.as_str().into(),
        priority: f.priority.as_str().into(),
        sensitivity: f.sensitivity.as_str().into(),
        status: Status::New.as_str().into(),
        held_from: None,
        source_urls: to_json_list(&f.source_urls),
        screenshot_urls: to_json_list(&f.shots),
        archive_urls: to_json_list(&f.archives),
        reach: f.reach,
        posted_at: f.posted_at,
        district: f.location.district.clone(),
        village: f.location.village.clone(),
        lat: f.location.lat,
        lon: f.location.lon,
        filed_by_id: caller.id,
        filed_by: caller.email.clone(),
        filing_unit: caller.unit.clone(),
        assigned_unit: None,
        proposed_unit: None,
        proposed_rule: None,
        similar_text: String::new(),
        similar_version: 0,
        lapor_id: f.lapor_id.clone(),
        tags: to_json_list(&f.tags),
        duplicate_of: None,
        escalation_level: 0,
        verdict: f.verdict.map(|v| v.as_str().to_owned()),
        disinformation_type: f.disinformation_type.map(|v| v.as_str().to_owned()),
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
    }
}

/// The audit change of a filing: every field the answer shows (but its bookkeeping), and the
/// routing rule that placed it.
fn filed_changes(issue: &Issue, routed_by: Option<&crate::domain::routing::Rule>) -> Changes {
    let mut changes = Changes::new();
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(issue) {
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
        let rule = serde_json::json!({"id": r.id, "name": r.name});
        diff(&mut changes, "routing_rule", serde_json::Value::Null, rule);
    }
    changes
}

/// What a filing looks like, found before its transaction (a read, holding nothing): the
/// issues that look like it, to keep for the TRC's board, and those of them the filer may see.
struct Found {
    all: Vec<(i64, super::similar::Suggestion)>,
    for_filer: Vec<super::similar::Suggestion>,
}

impl Found {
    /// The issues to pair with the new one: (other, score in thousandths, reasons as JSON).
    fn pairs(&self) -> Vec<(i64, i32, String)> {
        self.all
            .iter()
            .map(|(other, s)| {
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "a score from 0 to 1, in thousandths"
                )]
                let score = (s.score * 1000.0).round() as i32;
                let reasons = serde_json::to_string(&s.reasons).unwrap_or_else(|_| "[]".into());
                (*other, score, reasons)
            })
            .collect()
    }
}

fn look_alike(conn: &mut Db, ctx: &Ctx, filer: &Viewer, input: &NewIssue) -> AppResult<Found> {
    use super::similar::{facts_of, find};
    let facts = facts_of(ctx, input);
    // Compared with every issue (the pairs are kept for everyone); the filer is shown those
    // their own scope may see, read in the same statement.
    let scope = (store::issues::Scope::All, &super::list::scope(filer));
    let all = find(conn, ctx, scope, &facts, None, 5)?;
    let for_filer = all
        .iter()
        .filter(|f| f.seen)
        .take(3)
        .map(|f| f.suggestion.clone())
        .collect();
    let all = all.into_iter().map(|f| (f.id, f.suggestion)).collect();
    Ok(Found { all, for_filer })
}

/// The routing rule that takes a new issue's row, if any (the domain decides).
fn routed<'r>(
    rules: &'r [crate::domain::routing::Rule],
    row: &IssueRow,
) -> Option<&'r crate::domain::routing::Rule> {
    crate::domain::routing::route(
        rules,
        &crate::domain::routing::Draft {
            category: &row.category,
            channel: &row.channel,
            district: row.district.as_deref(),
            title: &row.title,
            description: &row.description,
        },
    )
    .0
}

/// Inserts the issue in one transaction: the key's claim, the reference, routing's placement
/// (decided by the domain), the row, its clocks and tags, the audit stream's first event, the
/// notices, and the answer kept for replays.
fn insert(
    conn: &mut Db,
    ctx: &Ctx,
    f: &Checked,
    idem: Option<&Idempotency>,
    (year, found, then): (i16, &Found, Then<'_>),
) -> Result<Filed, FileError> {
    use store::issues::{Claimed, RefNumber};
    let caller = caller_of(ctx);
    // The key's claim and the reference number: one round trip on PostgreSQL.
    let number = match idem {
        Some(idem) => {
            let key = (caller.id, idem.key.as_str(), idem.body_hash.as_str());
            match store::issues::claim_and_number(conn, key, (ctx.now, ctx.now - KEY_TTL_US), year)?
            {
                Claimed::KeyTaken => return Err(FileError::KeyTaken),
                Claimed::Number(n) => n,
            }
        }
        None => store::issues::next_ref_number(conn, year)?,
    };
    let n = match number {
        RefNumber::Number(n) => n,
        RefNumber::SequenceMissing => return Err(FileError::NeedSequence),
    };
    let reference = format!("ISU-{year}-{n:06}");
    let mut row = new_row(ctx, &caller, reference.clone(), f);
    let rules = crate::service::rules::load_rules(conn)?;
    let hit = routed(&rules, &row);
    let channel =
        crate::domain::Channel::parse(&row.channel).unwrap_or(crate::domain::Channel::Lainnya);
    let placed = issue::file(hit, channel);
    row.status = placed.status.as_str().into();
    row.assigned_unit = placed.assigned_unit.map(|u| u.as_str().to_owned());
    row.proposed_unit = placed.proposed_unit.map(|u| u.as_str().to_owned());
    row.proposed_rule = hit
        .filter(|_| row.proposed_unit.is_some())
        .map(|r| r.name.clone());
    super::refresh_derived(&mut row);
    let clocks = super::clocks::initial(ctx, &row, placed.clocks);
    row.urgent_at = super::clocks::urgency(&row, &clocks);
    super::clocks::keep_copy(&mut row, &clocks);
    let (clock_rows, wake) = super::clocks::initial_rows(ctx, &row, &clocks);
    // A new issue: its clocks are the ones just written, nothing is merged into it yet.
    let shown = clocks.iter().map(|c| super::clocks::view(ctx, c)).collect();
    let mut issue = Issue::from_row(row.clone(), Vec::new(), shown)?;
    issue.similar = Some(found.for_filer.clone());
    // The reference is new (from the sequence), so is its audit stream.
    let subject = format!("issue:{reference}");
    let filed = ctx.event(
        &stream(&reference),
        "issue.filed",
        &subject,
        filed_changes(&issue, hit),
    );
    let body = serde_json::to_string(&issue).map_err(|e| AppError::Internal(e.into()))?;
    // The row and everything it brings, in one round trip on PostgreSQL (the row's id is not
    // known before: its clocks' rows carry none until then).
    row.id = store::filing::insert_filed(
        conn,
        &row,
        &store::filing::NewParts {
            clocks: &clock_rows,
            tags: &f.tags,
            urls: &super::canonical_urls(&super::json_list(&row.source_urls)),
            words: &crate::domain::similar::index_words(&row.similar_text),
            similar: &found.pairs(),
            filed: &filed,
            answer: idem.map(|idem| (caller.id, idem.key.as_str(), 201, body.as_str())),
        },
    )?;
    if let Some(t) = wake {
        store::notify_timers(conn, t)?;
    }
    then(conn, row.id)?;
    crate::service::notify::send(conn, ctx, &row, &placed.notices)?;
    Ok(Filed {
        reference,
        version: issue.version,
        answer: Answer::New(Box::new(issue)),
        mailed: !placed.notices.is_empty(),
    })
}

/// Something more a filing writes in its own transaction, given the new issue's id.
pub type Then<'a> = &'a dyn Fn(&mut Db, i64) -> AppResult<()>;

/// Files an issue (the reference's year is the deployment's local year). A replayed key is
/// found when the transaction claims it (the common, new key costs no read before); the replay
/// then answers the first result.
pub fn file(
    conn: &mut Db,
    ctx: &Ctx,
    input: NewIssue,
    idem: Option<Idempotency>,
) -> AppResult<Filed> {
    file_then(conn, ctx, input, idem, &|_, _| Ok(()))
}

/// [`file`], writing `then` in the filing's transaction.
pub fn file_then(
    conn: &mut Db,
    ctx: &Ctx,
    input: NewIssue,
    idem: Option<Idempotency>,
    then: Then<'_>,
) -> AppResult<Filed> {
    authorize(ctx)?;
    let checked = check(&input, idem.as_ref())?;
    let filer = super::viewer(conn, &caller_of(ctx))?;
    file_checked(conn, ctx, &filer, &input, checked, idem, then)
}

/// [`file`] by the bearer of a checked token: the caller and the unit tree its scope is made
/// of are read in one statement (PostgreSQL), checked, and only then is `input` — the request's
/// body as parsed — looked at, so that one who may not file learns nothing of their body's
/// faults (401, then 403, then 422).
pub fn file_for(
    conn: &mut Db,
    ctx: &mut Ctx,
    user: crate::service::auth::TokenUser,
    input: AppResult<NewIssue>,
    idem: Option<Idempotency>,
) -> AppResult<Filed> {
    let filer = super::viewer_for(conn, ctx, user)?;
    authorize(ctx)?;
    let input = input?;
    let checked = check(&input, idem.as_ref())?;
    file_checked(conn, ctx, &filer, &input, checked, idem, &|_, _| Ok(()))
}

/// [`file_then`] by an authorized caller whose scope is `filer`, of `input` as checked.
fn file_checked(
    conn: &mut Db,
    ctx: &Ctx,
    filer: &Viewer,
    input: &NewIssue,
    checked: Checked,
    idem: Option<Idempotency>,
    then: Then<'_>,
) -> AppResult<Filed> {
    let year = jiff::Timestamp::from_microsecond(ctx.now)
        .map_err(|e| anyhow::anyhow!("bad clock: {e}"))?
        .to_zoned(ctx.sla.zone.clone())
        .year();
    let found = look_alike(conn, ctx, filer, input)?;
    let mut attempts = 0;
    let result = loop {
        attempts += 1;
        match write_tx(conn, |conn| {
            insert(conn, ctx, &checked, idem.as_ref(), (year, &found, then))
        }) {
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
            let since = ctx.now - KEY_TTL_US;
            match store::issues::find_idempotency(conn, caller_of(ctx).id, &idem.key, since)? {
                Some(row) if row.status != 0 => replay(row, &idem),
                _ => Err(AppError::conflict(
                    crate::error::Conflict::InProgress,
                    "a filing with this Idempotency-Key is in progress; retry shortly",
                )),
            }
        }
    }
}
