//! Issues: the wire shape, loading with visibility, and the validation every use case shares.
//! Filing, actions, edits, comments and lists each have their own file.

pub mod actions;
pub mod clocks;
pub mod comments;
pub mod edit;
pub mod file;
pub mod list;

use super::{Actor, Caller, Ctx};
use crate::audit::Changes;
use crate::domain::visibility::{self, IssueFacts, Viewer};
use crate::domain::{Category, Channel, Priority, Role, Sensitivity, Status, Verdict};
use crate::error::{AppError, AppResult, FieldError};
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
    pub lapor_id: Option<String>,
    pub tags: Vec<String>,
    /// The issue this one was merged into.
    pub duplicate_of: Option<String>,
    /// The issues merged into this one.
    pub duplicates: Vec<String>,
    pub escalation_level: i32,
    pub verdict: Option<Verdict>,
    pub clarification: Option<Clarification>,
    pub clocks: Vec<ClockView>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn parse_or<T>(what: &str, text: &str, f: fn(&str) -> Option<T>) -> AppResult<T> {
    f(text).ok_or_else(|| anyhow::anyhow!("stored {what} `{text}` is unknown").into())
}

fn json_list(text: &str) -> Vec<String> {
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
            lapor_id: row.lapor_id,
            tags: json_list(&row.tags),
            duplicate_of: row.duplicate_of,
            duplicates,
            escalation_level: row.escalation_level,
            verdict: match &row.verdict {
                Some(v) => Some(parse_or("verdict", v, Verdict::parse)?),
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
    let dups = if row.merged_count > 0 {
        store::issues::duplicates_of(conn, &row.ref_)?
    } else {
        Vec::new()
    };
    let clocks = store::clocks::of_issue(conn, row.id)?
        .iter()
        .filter_map(store::clocks::ClockRow::to_clock)
        .map(|c| clocks::view(ctx, &c))
        .collect();
    let mut issue = [Issue::from_row(row, dups, clocks)?];
    hide_links(conn, ctx, &mut issue)?;
    let [issue] = issue;
    Ok(issue)
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

/// Takes out of `issues` the links to issues the caller may not see: a restricted issue merged
/// into a visible one leaves no ref in its `duplicates`, nor the other way in `duplicate_of`.
fn hide_links(conn: &mut Db, ctx: &Ctx, issues: &mut [Issue]) -> AppResult<()> {
    let refs: Vec<String> = issues
        .iter()
        .flat_map(|i| i.duplicates.iter().chain(i.duplicate_of.iter()).cloned())
        .collect();
    let hidden = hidden_refs(conn, ctx, &refs)?;
    if hidden.is_empty() {
        return Ok(());
    }
    for i in issues {
        i.duplicates.retain(|d| !hidden.contains(d));
        if i.duplicate_of.as_ref().is_some_and(|d| hidden.contains(d)) {
            i.duplicate_of = None;
        }
    }
    Ok(())
}

/// The wire shapes of many issues: their clocks from each row's copy (the table only for a
/// row whose copy is not current or cannot be read), and one query for the duplicates of those
/// that have any (most pages have none).
pub fn views(conn: &mut Db, ctx: &Ctx, rows: Vec<IssueRow>) -> AppResult<Vec<Issue>> {
    let refs: Vec<String> = rows
        .iter()
        .filter(|r| r.merged_count > 0)
        .map(|r| r.ref_.clone())
        .collect();
    let mut clocks: std::collections::HashMap<i64, Vec<ClockView>> =
        std::collections::HashMap::new();
    let mut unread: Vec<i64> = Vec::new();
    for r in &rows {
        // A copy left behind by an older release is not read at all.
        let copy = (r.clocks_version == r.version)
            .then(|| store::clocks::from_snapshot(&r.clocks))
            .flatten();
        match copy {
            Some(shown) => {
                clocks.insert(r.id, shown.iter().map(|c| clocks::view(ctx, c)).collect());
            }
            None => unread.push(r.id),
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
    let mut dups: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    if !refs.is_empty() {
        for (dup, of) in store::issues::duplicates_of_many(conn, &refs)? {
            dups.entry(of).or_default().push(dup);
        }
    }
    let mut issues = rows
        .into_iter()
        .map(|r| {
            let d = dups.remove(&r.ref_).unwrap_or_default();
            let c = clocks.remove(&r.id).unwrap_or_default();
            Issue::from_row(r, d, c)
        })
        .collect::<AppResult<Vec<Issue>>>()?;
    hide_links(conn, ctx, &mut issues)?;
    Ok(issues)
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
    row.search = format!("{}\n{}", row.title, row.description).to_lowercase();
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

// ----- validation shared by filing and editing -----

/// Collects field errors while a request's values are checked.
#[derive(Debug, Default)]
pub struct Check {
    pub errors: Vec<FieldError>,
}

impl Check {
    pub fn new() -> Self {
        Check { errors: Vec::new() }
    }

    pub fn fail(&mut self, field: &str, msg: impl Into<String>) {
        self.errors.push(FieldError::new(field, msg));
    }

    pub fn done(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }

    /// Trimmed text of 1..=max characters; `one_line` refuses line breaks.
    pub fn text(&mut self, field: &str, v: &str, max: usize, one_line: bool) -> String {
        let t = v.trim().to_owned();
        let n = t.chars().count();
        if n == 0 {
            self.fail(field, "must not be empty");
        } else if n > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if t
            .chars()
            .any(|c| c.is_control() && !(!one_line && (c == '\n' || c == '\r' || c == '\t')))
        {
            self.fail(
                field,
                if one_line {
                    "must be one line of text"
                } else {
                    "contains control characters"
                },
            );
        }
        t
    }

    pub fn opt_text(&mut self, field: &str, v: Option<&str>, max: usize) -> Option<String> {
        let v = v.map(str::trim).filter(|s| !s.is_empty())?;
        Some(self.text(field, v, max, true))
    }

    pub fn enumerated<T>(
        &mut self,
        field: &str,
        v: &str,
        parse: fn(&str) -> Option<T>,
        names: fn() -> Vec<String>,
    ) -> Option<T> {
        let r = parse(v.trim());
        if r.is_none() {
            self.errors.push(
                FieldError::new(field, format!("`{v}` is not one of the accepted values"))
                    .with_valid(names()),
            );
        }
        r
    }

    /// http(s) URLs, at most `max` of them.
    pub fn urls(&mut self, field: &str, v: &[String], max: usize) -> Vec<String> {
        if v.len() > max {
            self.fail(field, format!("at most {max} URLs"));
        }
        let mut out = Vec::new();
        for (i, u) in v.iter().enumerate() {
            let u = u.trim();
            if is_http_url(u) {
                if !out.iter().any(|o: &String| o == u) {
                    out.push(u.to_owned());
                }
            } else {
                self.fail(
                    &format!("{field}.{i}"),
                    format!("`{u}` is not an http:// or https:// URL"),
                );
            }
        }
        out
    }

    /// Tags: lower-cased, without `#`, letters, digits, `-` and `_`, 1–50 long, at most 20.
    pub fn tags(&mut self, field: &str, v: &[String]) -> Vec<String> {
        if v.len() > 20 {
            self.fail(field, "at most 20 tags");
        }
        let mut out: Vec<String> = Vec::new();
        for (i, t) in v.iter().enumerate() {
            let t = t.trim().trim_start_matches('#').to_lowercase();
            let ok = (1..=50).contains(&t.chars().count())
                && t.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if !ok {
                self.fail(
                    &format!("{field}.{i}"),
                    "a tag is 1 to 50 letters, digits, '-' or '_'",
                );
            } else if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    pub fn instant(&mut self, field: &str, v: &str) -> Option<i64> {
        if let Ok(t) = v.trim().parse::<jiff::Timestamp>() {
            Some(super::micros(t))
        } else {
            self.fail(
                field,
                format!("`{v}` is not an RFC 3339 instant such as 2026-03-02T08:15:00+08:00"),
            );
            None
        }
    }
}

/// Whether `u` is an absolute http(s) URL with a host and no spaces.
pub fn is_http_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or("");
            u.len() <= 2000
                && !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_alphanumeric() || ".-:[]_".contains(c))
                && !u.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// Checks a unit code names an active unit.
pub fn active_unit(
    conn: &mut Db,
    check: &mut Check,
    field: &str,
    code: &str,
) -> AppResult<Option<String>> {
    match store::units::find(conn, code.trim())? {
        Some(u) if u.active => Ok(Some(u.code)),
        Some(_) => {
            check.fail(field, format!("unit `{code}` is deactivated"));
            Ok(None)
        }
        None => {
            check.fail(field, format!("there is no unit `{code}`"));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_http_url;

    #[test]
    fn urls() {
        for ok in [
            "https://facebook.com/kotabaru/posts/1",
            "http://x.id",
            "https://t.co/a?b=c#d",
            "https://[::1]:8080/x",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "ftp://x.id",
            "https://",
            "javascript:alert(1)",
            "https://a b.id",
            "//x.id",
            "https:///path",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}
