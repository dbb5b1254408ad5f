//! Issues: the wire shape, loading with visibility, and the validation every use case shares.
//! Filing, actions, edits, comments and lists each have their own file.
//!
//! Long because: the wire shape of an issue, its loading with visibility and its save are shared by
//! every use case on issues.

pub mod actions;
pub mod check;
pub mod clocks;
pub mod comments;
pub mod edit;
pub mod evidence;
pub mod file;
pub mod list;
pub mod page;
pub mod similar;
pub mod wire;

pub use check::{active_unit, is_http_url, Check};

use super::{Actor, Caller, Ctx};
use crate::audit::Changes;
use crate::domain::visibility::{self, IssueFacts, Viewer};
use crate::domain::{
    Category, Channel, DisinformationType, Priority, Role, Sensitivity, Status, Verdict,
};
use crate::error::{AppError, AppResult};
use crate::store::issues::IssueRow;
use crate::store::{self, Db};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Queue position of issues on hold: after every running one, in their own order.
pub const HELD_BASE: i64 = 4_000_000_000_000_000_000;

/// Evidence of an issue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct Evidence {
    pub screenshot_urls: Vec<String>,
    pub archive_urls: Vec<String>,
    /// Estimated reach (views, shares).
    pub reach: Option<i64>,
    /// When the post appeared (RFC 3339, UTC).
    pub posted_at: Option<String>,
}

/// Where the issue is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct Location {
    /// Kecamatan.
    pub district: Option<String>,
    /// Desa or kelurahan.
    pub village: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// The published clarification of a hoax.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Clarification {
    pub text: String,
    #[serde(default)]
    pub urls: Vec<String>,
}

/// One SLA clock of an issue.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ClockView {
    /// `triage`, `response` or `resolution`.
    pub kind: String,
    /// `running`, `paused`, `met`, `missed` or `cancelled`.
    pub state: String,
    /// The calendar the clock counts on.
    pub calendar: String,
    /// The configured target, e.g. `3wd`.
    pub target: String,
    pub started_at: String,
    pub due_at: String,
    pub breached: bool,
    pub remaining_seconds: Option<i64>,
    pub paused_seconds: i64,
    pub stopped_at: Option<String>,
}

/// An issue as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Issue {
    /// `ISU-<year>-<number>`.
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub channel: Channel,
    pub priority: Priority,
    pub sensitivity: Sensitivity,
    pub status: Status,
    pub source_urls: Vec<String>,
    pub evidence: Evidence,
    pub location: Location,
    /// The filer's email.
    pub filed_by: String,
    pub filing_unit: Option<String>,
    pub assigned_unit: Option<String>,
    /// The unit routing proposed.
    pub proposed_unit: Option<String>,
    /// The routing rule that proposed it, by its name when the issue was filed.
    pub proposed_by_rule: Option<String>,
    pub lapor_id: Option<String>,
    pub tags: Vec<String>,
    /// The issue this one was merged into.
    pub duplicate_of: Option<String>,
    /// The issues merged into this one.
    pub duplicates: Vec<String>,
    pub escalation_level: i32,
    pub verdict: Option<Verdict>,
    /// The kind of false content the verdict found (with `hoaks`, `misleading`, `satire`).
    pub disinformation_type: Option<DisinformationType>,
    pub clarification: Option<Clarification>,
    pub clocks: Vec<ClockView>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// In the answer of a filing only: the issues the filer may see that look like it (at most
    /// three, best first; see `POST /issues/similar`). In the answer of an edit that set a
    /// LAPOR! tracking id: the issues one may see that carry the same id. In the triage queue
    /// asked with `similar=true`: what filing found looking like it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similar: Option<Vec<similar::Suggestion>>,
}

fn parse_or<T>(what: &str, text: &str, f: fn(&str) -> Option<T>) -> AppResult<T> {
    f(text).ok_or_else(|| anyhow::anyhow!("stored {what} `{text}` is unknown").into())
}

pub(crate) fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) fn to_json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Facts of a row for visibility.
pub fn facts(row: &IssueRow) -> IssueFacts<'_> {
    IssueFacts {
        sensitivity: if row.sensitivity == "restricted" {
            Sensitivity::Restricted
        } else {
            Sensitivity::Normal
        },
        filed_by_id: row.filed_by_id,
        filing_unit: row.filing_unit.as_deref(),
        assigned_unit: row.assigned_unit.as_deref(),
    }
}

impl Issue {
    /// The wire shape of a row (`duplicates` from the store); takes the row, whose texts it
    /// keeps.
    pub fn from_row(
        row: IssueRow,
        duplicates: Vec<String>,
        clocks: Vec<ClockView>,
    ) -> AppResult<Issue> {
        Ok(Issue {
            reference: row.ref_,
            title: row.title,
            description: row.description,
            category: parse_or("category", &row.category, Category::parse)?,
            channel: parse_or("channel", &row.channel, Channel::parse)?,
            priority: parse_or("priority", &row.priority, Priority::parse)?,
            sensitivity: parse_or("sensitivity", &row.sensitivity, Sensitivity::parse)?,
            status: parse_or("status", &row.status, Status::parse)?,
            source_urls: json_list(&row.source_urls),
            evidence: Evidence {
                screenshot_urls: json_list(&row.screenshot_urls),
                archive_urls: json_list(&row.archive_urls),
                reach: row.reach,
                posted_at: row.posted_at.map(super::rfc3339),
            },
            location: Location {
                district: row.district,
                village: row.village,
                lat: row.lat,
                lon: row.lon,
            },
            filed_by: row.filed_by,
            filing_unit: row.filing_unit,
            assigned_unit: row.assigned_unit,
            proposed_unit: row.proposed_unit,
            proposed_by_rule: row.proposed_rule,
            lapor_id: row.lapor_id,
            tags: json_list(&row.tags),
            duplicate_of: row.duplicate_of,
            duplicates,
            escalation_level: row.escalation_level,
            verdict: match &row.verdict {
                Some(v) => Some(parse_or("verdict", v, Verdict::parse)?),
                None => None,
            },
            disinformation_type: match &row.disinformation_type {
                Some(v) => Some(parse_or(
                    "disinformation_type",
                    v,
                    DisinformationType::parse,
                )?),
                None => None,
            },
            clarification: row.clarification_text.map(|text| Clarification {
                text,
                urls: row
                    .clarification_urls
                    .as_deref()
                    .map(json_list)
                    .unwrap_or_default(),
            }),
            clocks,
            similar: None,
            version: row.version,
            created_at: super::rfc3339(row.created_at),
            updated_at: super::rfc3339(row.updated_at),
        })
    }
}

/// The issue's audit stream.
pub fn stream(reference: &str) -> String {
    format!("issue:{reference}")
}

/// The caller as a viewer, with its unit's subtree.
pub fn viewer(conn: &mut Db, caller: &Caller) -> AppResult<Viewer> {
    let units = match &caller.unit {
        Some(_) => unit_tree(conn)?,
        None => Vec::new(),
    };
    Ok(viewer_in(caller, &units))
}

/// The viewer behind a checked token, its caller loaded fresh with every unit's code and
/// parent (the tree its scope is made of) in one statement on PostgreSQL; `ctx` acts as that
/// caller from then on.
pub fn viewer_for(
    conn: &mut Db,
    ctx: &mut crate::service::Ctx,
    user: crate::service::auth::TokenUser,
) -> AppResult<Viewer> {
    let (row, tree) = store::units::user_and_tree(conn, user.id)?;
    let caller = crate::service::auth::caller_of_row(row, user)?;
    let tree: Vec<(String, Option<String>)> =
        tree.into_iter().map(|u| (u.code, u.parent)).collect();
    let viewer = viewer_in(&caller, &tree);
    ctx.actor = Actor::User(caller);
    Ok(viewer)
}

/// Every unit's code and parent.
pub fn unit_tree(conn: &mut Db) -> AppResult<Vec<(String, Option<String>)>> {
    Ok(store::units::all(conn)?
        .into_iter()
        .map(|r| (r.code, r.parent))
        .collect())
}

/// The viewer of `caller` given every unit's code and parent (`unit_tree`).
pub fn viewer_in(caller: &Caller, units: &[(String, Option<String>)]) -> Viewer {
    Viewer {
        role: caller.role,
        user_id: caller.id,
        unit: caller.unit.clone(),
        subtree: match &caller.unit {
            Some(u) => visibility::subtree(units, u),
            None => Vec::new(),
        },
    }
}

/// The caller behind a context (the system acts as an administrator).
pub fn caller_of(ctx: &Ctx) -> Caller {
    match &ctx.actor {
        Actor::User(u) => u.clone(),
        Actor::System => Caller {
            id: 0,
            email: crate::audit::SYSTEM_ACTOR.into(),
            name: "Tanggap".into(),
            role: Role::Admin,
            unit: None,
        },
    }
}

/// Loads an issue the caller may see: 404 otherwise, exactly as if it did not exist.
pub fn load_visible(
    conn: &mut Db,
    viewer: &Viewer,
    reference: &str,
    lock: bool,
) -> AppResult<IssueRow> {
    match store::issues::find_by_ref(conn, reference, lock)? {
        Some(row) if viewer.can_see(&facts(&row)) => Ok(row),
        _ => Err(AppError::NotFound(format!("no issue {reference}"))),
    }
}

/// The wire shape of a stored issue, its clocks read at `ctx.now`; takes the row, as
/// [`Issue::from_row`] does.
pub fn view(conn: &mut Db, ctx: &Ctx, row: IssueRow) -> AppResult<Issue> {
    // The clocks from their table (the record), not from the row's copy.
    let lives = live(
        conn,
        ctx,
        &[LiveOf {
            id: row.id,
            reference: &row.ref_,
            clocks: LiveClocks::Table,
            merged_count: row.merged_count,
            duplicate_of: row.duplicate_of.as_deref(),
        }],
    )?;
    let live = lives.into_iter().next().unwrap_or_default();
    issue_of(row, live)
}

/// The refs among `refs` the caller may not see (none for those who see everything).
pub fn hidden_refs(
    conn: &mut Db,
    ctx: &Ctx,
    refs: &[String],
) -> AppResult<std::collections::HashSet<String>> {
    let caller = caller_of(ctx);
    // Whether the caller sees everything does not depend on the unit tree.
    if refs.is_empty() || viewer_in(&caller, &[]).sees_everything() {
        return Ok(std::collections::HashSet::new());
    }
    let v = viewer(conn, &caller)?;
    Ok(store::issues::by_refs(conn, refs)?
        .iter()
        .filter(|r| !v.can_see(&facts(r)))
        .map(|r| r.ref_.clone())
        .collect())
}

/// What a list shows of an issue that depends on the instant or on the reader: its clocks
/// (remaining time, breached), the issues merged into it and the one it was merged into, less
/// the links to issues the reader may not see.
#[derive(Debug, Default)]
pub struct Live {
    pub clocks: Vec<ClockView>,
    pub duplicates: Vec<String>,
    pub duplicate_of: Option<String>,
}

/// What [`live`] reads of an issue's row.
pub struct LiveOf<'a> {
    pub id: i64,
    pub reference: &'a str,
    pub clocks: LiveClocks<'a>,
    pub merged_count: i32,
    pub duplicate_of: Option<&'a str>,
}

/// Where [`live`] takes an issue's clocks from.
#[derive(Clone, Copy)]
pub enum LiveClocks<'a> {
    /// The row's copy, read.
    Copy(&'a [crate::domain::clock::Clock]),
    /// Their table: the row's copy is not current at the row's version, or not readable.
    Table,
    /// Nowhere: the caller shows them itself ([`wire`] writes a kept issue's clocks).
    Elsewhere,
}

impl<'a> LiveClocks<'a> {
    /// The row's copy when there is one, else the table.
    pub fn of(copy: Option<&'a [crate::domain::clock::Clock]>) -> Self {
        copy.map_or(LiveClocks::Table, LiveClocks::Copy)
    }
}

/// The row's copy of its clocks when it is current at the row's version (a copy left behind by
/// an older release is not read at all).
pub fn copied_clocks(r: &IssueRow) -> Option<Vec<crate::domain::clock::Clock>> {
    (r.clocks_version == r.version)
        .then(|| store::clocks::from_snapshot(&r.clocks))
        .flatten()
}

/// The live parts of many issues, in their order: the clocks from each row's copy (the table
/// only for a row whose copy is not current or cannot be read), one query for the duplicates
/// of those that have any (most pages have none), and one for the links' visibility when there
/// are links and the caller does not see everything.
pub fn live(conn: &mut Db, ctx: &Ctx, items: &[LiveOf<'_>]) -> AppResult<Vec<Live>> {
    let mut clocks: std::collections::HashMap<i64, Vec<ClockView>> =
        std::collections::HashMap::new();
    let mut unread: Vec<i64> = Vec::new();
    for r in items {
        match r.clocks {
            LiveClocks::Copy(shown) => {
                clocks.insert(r.id, shown.iter().map(|c| clocks::view(ctx, c)).collect());
            }
            LiveClocks::Table => unread.push(r.id),
            LiveClocks::Elsewhere => {}
        }
    }
    if !unread.is_empty() {
        for c in store::clocks::of_issues(conn, &unread)? {
            if let Some(clock) = c.to_clock() {
                clocks
                    .entry(c.issue_id)
                    .or_default()
                    .push(clocks::view(ctx, &clock));
            }
        }
    }
    let merged: Vec<String> = items
        .iter()
        .filter(|r| r.merged_count > 0)
        .map(|r| r.reference.to_owned())
        .collect();
    let mut dups: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    if !merged.is_empty() {
        for (dup, of) in store::issues::duplicates_of_many(conn, &merged)? {
            dups.entry(of).or_default().push(dup);
        }
    }
    let mut out: Vec<Live> = items
        .iter()
        .map(|r| Live {
            clocks: clocks.remove(&r.id).unwrap_or_default(),
            duplicates: dups.remove(r.reference).unwrap_or_default(),
            duplicate_of: r.duplicate_of.map(str::to_owned),
        })
        .collect();
    hide_links(conn, ctx, &mut out)?;
    Ok(out)
}

/// Takes out of `lives` the links to issues the caller may not see: a restricted issue merged
/// into a visible one leaves no ref in its `duplicates`, nor the other way in `duplicate_of`.
fn hide_links(conn: &mut Db, ctx: &Ctx, lives: &mut [Live]) -> AppResult<()> {
    let refs: Vec<String> = lives
        .iter()
        .flat_map(|i| i.duplicates.iter().chain(i.duplicate_of.iter()).cloned())
        .collect();
    let hidden = hidden_refs(conn, ctx, &refs)?;
    if hidden.is_empty() {
        return Ok(());
    }
    for i in lives {
        i.duplicates.retain(|d| !hidden.contains(d));
        if i.duplicate_of.as_ref().is_some_and(|d| hidden.contains(d)) {
            i.duplicate_of = None;
        }
    }
    Ok(())
}

/// The wire shapes of many issues (see [`live`]).
pub fn views(conn: &mut Db, ctx: &Ctx, rows: Vec<IssueRow>) -> AppResult<Vec<Issue>> {
    let copies: Vec<Option<Vec<crate::domain::clock::Clock>>> =
        rows.iter().map(copied_clocks).collect();
    let of: Vec<LiveOf<'_>> = rows
        .iter()
        .zip(&copies)
        .map(|(r, c)| LiveOf {
            id: r.id,
            reference: &r.ref_,
            clocks: LiveClocks::of(c.as_deref()),
            merged_count: r.merged_count,
            duplicate_of: r.duplicate_of.as_deref(),
        })
        .collect();
    let lives = live(conn, ctx, &of)?;
    drop(of);
    rows.into_iter()
        .zip(lives)
        .map(|(r, l)| issue_of(r, l))
        .collect()
}

/// The wire shape of a row with its live parts.
fn issue_of(row: IssueRow, live: Live) -> AppResult<Issue> {
    let mut issue = Issue::from_row(row, live.duplicates, live.clocks)?;
    issue.duplicate_of = live.duplicate_of;
    Ok(issue)
}

/// Reads one issue.
pub fn get(conn: &mut Db, ctx: &Ctx, reference: &str) -> AppResult<Issue> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, false)?;
    view(conn, ctx, row)
}

/// Checks `If-Match` against the stored version (412 when stale).
pub fn check_version(row: &IssueRow, if_match: Option<i64>) -> AppResult<()> {
    match if_match {
        Some(v) if v != row.version => Err(AppError::StaleVersion(format!(
            "the issue is at version {}, not {v}: reload it and try again",
            row.version
        ))),
        _ => Ok(()),
    }
}

/// Recomputes the derived columns after a change: open flag and search text (the queue
/// position comes with the clocks).
pub fn refresh_derived(row: &mut IssueRow) {
    let status = Status::parse(&row.status).unwrap_or(Status::New);
    row.is_open = status.is_open();
    row.search = match &row.lapor_id {
        Some(id) => format!("{}\n{}\n{}", row.title, row.description, id),
        None => format!("{}\n{}", row.title, row.description),
    }
    .to_lowercase();
    row.similar_text = crate::domain::similar::index_text(&row.title, &row.description);
    row.similar_version = crate::domain::similar::TEXT_VERSION;
}

/// Keeps what an issue is found by for similar issues: its posts' canonical addresses (from the
/// stored JSON list) and the words of its comparable text.
pub fn keep_found_by(
    conn: &mut Db,
    id: i64,
    source_urls: &str,
    similar_text: &str,
) -> AppResult<()> {
    store::issues::set_urls(conn, id, &canonical_urls(&json_list(source_urls)), true)?;
    store::issues::set_words(
        conn,
        id,
        &crate::domain::similar::index_words(similar_text),
        true,
    )?;
    Ok(())
}

/// [`keep_found_by`] for an issue just inserted: nothing of it to replace, so nothing deleted
/// first (two statements fewer per filing).
pub fn keep_found_by_new(
    conn: &mut Db,
    id: i64,
    source_urls: &str,
    similar_text: &str,
) -> AppResult<()> {
    store::issues::set_urls(conn, id, &canonical_urls(&json_list(source_urls)), false)?;
    store::issues::set_words(
        conn,
        id,
        &crate::domain::similar::index_words(similar_text),
        false,
    )?;
    Ok(())
}

/// The canonical addresses of posts, each once.
pub fn canonical_urls(urls: &[String]) -> Vec<String> {
    let mut out: Vec<String> = urls
        .iter()
        .filter_map(|u| crate::domain::similar::canonical_url(u))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Saves a changed row (compare-and-set on its version) and appends the audit event.
pub fn save(
    conn: &mut Db,
    ctx: &Ctx,
    row: &mut IssueRow,
    action: &str,
    changes: Changes,
) -> AppResult<()> {
    let expected = row.version;
    // The copy of the clocks stays current when it was (or was just written); one left stale
    // by an older release stays stale until an action writes it again.
    let copy_current = row.clocks_version == expected;
    row.version += 1;
    if copy_current {
        row.clocks_version = row.version;
    }
    row.updated_at = ctx.now;
    refresh_derived(row);
    if !store::issues::update_if_version(conn, row, expected)? {
        return Err(AppError::StaleVersion(
            "the issue changed meanwhile: reload it and try again".into(),
        ));
    }
    ctx.record(
        conn,
        &stream(&row.ref_),
        action,
        &format!("issue:{}", row.ref_),
        changes,
    )
}
