//! Clarifications: a public response or hoax clarification proposed for publication, approved
//! (possibly edited), returned or withdrawn by the TRC — the government's one voice. Approval
//! publishes it under a stable public id, takes the snapshot the public pages show, and queues
//! it for every partner that receives it, in one transaction with its audit event (on the
//! issue's stream).
//!
//! A restricted issue's clarification is `standalone`: a text the TRC writes for the public,
//! published with none of the issue's fields (no verdict, category, district or unit).
//!
//! Long because: one flow in one place — the proposal, the four steps with their rights,
//! versions and states, the snapshot publication takes, and the staff's views — each step's
//! rules beside the others'.

use super::issues::check::Check;
use super::issues::{caller_of, facts, load_visible, stream, viewer};
use super::Ctx;
use crate::audit::{diff, Changes};
use crate::domain::clarification::{self as rules, ClarificationAction, ClarificationState};
use crate::domain::{Role, Sensitivity, Status};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::clarifications::ClarificationRow;
use crate::store::{self, write_tx, Db};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A clarification as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Clarification {
    pub id: i64,
    /// The issue it clarifies.
    pub issue: String,
    /// `proposed`, `returned`, `published` or `withdrawn`.
    pub state: String,
    /// Set at publication: `KLR-2026-000042`.
    pub public_id: Option<String>,
    /// The public page, once published.
    pub public_url: Option<String>,
    pub title: String,
    /// The claim that is clarified (a hoax's words), if given.
    pub claim: Option<String>,
    pub text: String,
    /// Supporting links (official sources).
    pub urls: Vec<String>,
    /// Written for the public of a restricted issue: published with none of its fields.
    pub standalone: bool,
    pub verdict: Option<String>,
    pub disinformation_type: Option<String>,
    pub category: Option<String>,
    pub district: Option<String>,
    pub unit: Option<String>,
    pub proposed_by: String,
    pub proposed_at: String,
    pub decided_by: Option<String>,
    pub return_reason: Option<String>,
    pub published_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub withdraw_reason: Option<String>,
    pub version: i64,
    /// What may be done in this state: `revise`, `approve`, `return`, `withdraw`.
    pub allowed_actions: Vec<String>,
}

/// The body of `POST /issues/{ref}/clarifications`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClarification {
    /// The public title (default: the issue's title; required for a restricted issue).
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub claim: Option<String>,
    pub text: String,
    #[serde(default)]
    pub urls: Vec<String>,
}

/// The body of `PATCH /clarifications/{id}` and of `approve` (edits; absent keeps).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarificationEdit {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::service::double_option")]
    #[schema(value_type = Option<String>)]
    pub claim: Option<Option<String>>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub urls: Option<Vec<String>>,
}

/// The body of `return` and `withdraw`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarificationReason {
    pub reason: String,
}

/// What a step of the TRC asks.
#[derive(Debug, Clone)]
pub enum Step {
    Revise(ClarificationEdit),
    Approve(ClarificationEdit),
    Return(String),
    Withdraw(String),
}

impl Step {
    fn action(&self) -> ClarificationAction {
        match self {
            Step::Revise(_) => ClarificationAction::Revise,
            Step::Approve(_) => ClarificationAction::Approve,
            Step::Return(_) => ClarificationAction::Return,
            Step::Withdraw(_) => ClarificationAction::Withdraw,
        }
    }
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The public page of a published clarification.
pub fn public_url(ctx: &Ctx, public_id: &str) -> String {
    format!("{}/klarifikasi/{public_id}", ctx.sla.public_base_url)
}

pub fn to_view(ctx: &Ctx, r: ClarificationRow, issue: String) -> Clarification {
    let state = ClarificationState::parse(&r.state).unwrap_or(ClarificationState::Proposed);
    let unit = match (&r.unit_code, &r.unit_name) {
        (Some(c), Some(n)) => Some(format!("{n} ({c})")),
        (Some(c), None) => Some(c.clone()),
        _ => None,
    };
    Clarification {
        id: r.id,
        issue,
        state: r.state,
        public_url: r.public_id.as_deref().map(|p| public_url(ctx, p)),
        public_id: r.public_id,
        title: r.title,
        claim: r.claim,
        text: r.body,
        urls: json_list(&r.urls),
        standalone: r.standalone,
        verdict: r.verdict,
        disinformation_type: r.disinformation_type,
        category: r.category,
        district: r.district,
        unit,
        proposed_by: r.proposed_by,
        proposed_at: super::rfc3339(r.proposed_at),
        decided_by: r.decided_by,
        return_reason: r.return_reason,
        published_at: r.published_at.map(super::rfc3339),
        withdrawn_at: r.withdrawn_at.map(super::rfc3339),
        withdraw_reason: r.withdraw_reason,
        version: r.version,
        allowed_actions: state.allowed(),
    }
}

fn is_trc(role: Role) -> bool {
    matches!(role, Role::Trc | Role::Admin)
}

/// The words the public search finds a clarification by.
fn search_text(r: &ClarificationRow) -> String {
    let mut s = r.title.to_lowercase();
    for part in [r.claim.as_deref().unwrap_or(""), &r.body] {
        s.push('\n');
        s.push_str(&part.to_lowercase());
    }
    s
}

/// Checks and applies an edit to `r` (only the fields it names).
fn apply_edit(c: &mut Check, r: &mut ClarificationRow, e: &ClarificationEdit) {
    if let Some(t) = &e.title {
        r.title = c.text("title", t, 200, true);
    }
    if let Some(claim) = &e.claim {
        r.claim = claim
            .as_deref()
            .map(|v| c.text("claim", v, 1_000, false))
            .filter(|v| !v.is_empty());
    }
    if let Some(t) = &e.text {
        r.body = c.text("text", t, 10_000, false);
    }
    if let Some(urls) = &e.urls {
        r.urls = serde_json::to_string(&c.urls("urls", urls, 10)).unwrap_or_else(|_| "[]".into());
    }
}

/// A new proposal of `issue`, before its texts are checked.
fn new_row(
    ctx: &Ctx,
    issue: &crate::store::issues::IssueRow,
    title: String,
    standalone: bool,
) -> ClarificationRow {
    ClarificationRow {
        id: 0,
        issue_id: issue.id,
        public_id: None,
        state: ClarificationState::Proposed.as_str().into(),
        title,
        claim: None,
        body: String::new(),
        urls: "[]".into(),
        standalone,
        verdict: None,
        disinformation_type: None,
        category: None,
        district: None,
        unit_code: None,
        unit_name: None,
        detected_at: issue.created_at,
        proposed_by: ctx.actor.name().to_owned(),
        proposed_at: ctx.now,
        decided_by: None,
        return_reason: None,
        published_at: None,
        withdrawn_at: None,
        withdraw_reason: None,
        search: String::new(),
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    }
}

/// Whether `v` may propose a clarification of `issue` (rights and state; a waiting one is
/// checked apart).
pub fn may_propose_to(
    v: &crate::domain::visibility::Viewer,
    issue: &crate::store::issues::IssueRow,
) -> bool {
    let restricted = facts(issue).sensitivity == Sensitivity::Restricted;
    let status = Status::parse(&issue.status).unwrap_or(Status::New);
    let who = is_trc(v.role) || (!restricted && v.is_pic_of(issue.assigned_unit.as_deref()));
    who && !matches!(status, Status::Rejected | Status::Duplicate)
}

/// The rights to propose a clarification of `reference` and the issue's state (404, 403,
/// 409), before any body is read; answers the issue.
pub fn may_propose(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    lock: bool,
) -> AppResult<crate::store::issues::IssueRow> {
    let v = viewer(conn, &caller_of(ctx))?;
    let issue = load_visible(conn, &v, reference, lock)?;
    let restricted = facts(&issue).sensitivity == Sensitivity::Restricted;
    if restricted && !is_trc(v.role) {
        return Err(AppError::Forbidden(
            "a restricted issue's clarification is written by the TRC, as a text for the public"
                .into(),
        ));
    }
    if !is_trc(v.role) && !v.is_pic_of(issue.assigned_unit.as_deref()) {
        return Err(AppError::Forbidden(
            "clarifications are proposed by the TRC or the assigned unit's PIC".into(),
        ));
    }
    let status = Status::parse(&issue.status).unwrap_or(Status::New);
    if matches!(status, Status::Rejected | Status::Duplicate) {
        return Err(AppError::WrongState {
            detail: format!(
                "{reference} is {}: clarify the issue it stands for instead",
                issue.status
            ),
            allowed_actions: None,
        });
    }
    Ok(issue)
}

/// Proposes a clarification of an issue for publication: the TRC, or the assigned unit's PIC
/// (a restricted issue's only by the TRC, as a standalone text with its own title).
pub fn propose(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    input: NewClarification,
) -> AppResult<Clarification> {
    write_tx(conn, |conn| {
        let issue = may_propose(conn, ctx, reference, true)?;
        let restricted = facts(&issue).sensitivity == Sensitivity::Restricted;
        if let Some(p) = store::clarifications::pending_of_issue(conn, issue.id)? {
            return Err(AppError::Conflict {
                cause: crate::error::Conflict::AlreadyExists,
                detail: format!(
                    "{reference} already has a clarification waiting (/api/v1/clarifications/{}): revise that one",
                    p.id
                ),
            });
        }
        let mut c = Check::new();
        let title = match input.title.as_deref() {
            Some(t) => c.text("title", t, 200, true),
            None if restricted => {
                c.fail(
                    "title",
                    "a restricted issue's clarification needs a title written for the public",
                );
                String::new()
            }
            None => issue.title.chars().take(200).collect(),
        };
        let mut row = new_row(ctx, &issue, title, restricted);
        apply_edit(
            &mut c,
            &mut row,
            &ClarificationEdit {
                title: None,
                claim: Some(input.claim.clone()),
                text: Some(input.text.clone()),
                urls: Some(input.urls.clone()),
            },
        );
        c.done()?;
        row.search = search_text(&row);
        row.id = store::clarifications::insert(conn, &row)?;
        let mut ch = Changes::new();
        diff(
            &mut ch,
            "clarification",
            serde_json::Value::Null,
            serde_json::json!({"id": row.id, "title": row.title, "text": row.body,
                "standalone": row.standalone}),
        );
        ctx.record(
            conn,
            &stream(reference),
            "clarification.proposed",
            &format!("clarification:{}", row.id),
            ch,
        )?;
        Ok(to_view(ctx, row, reference.to_owned()))
    })
}

/// Loads a clarification whose issue the caller may see (404 otherwise).
fn load(
    conn: &mut Db,
    ctx: &Ctx,
    id: i64,
    lock: bool,
) -> AppResult<(
    ClarificationRow,
    crate::store::issues::IssueRow,
    crate::domain::visibility::Viewer,
)> {
    let v = viewer(conn, &caller_of(ctx))?;
    let not_found = || AppError::NotFound(format!("no clarification {id}"));
    let (row, reference) = store::clarifications::find(conn, id, lock)?.ok_or_else(not_found)?;
    let issue = load_visible(conn, &v, &reference, lock).map_err(|_| not_found())?;
    Ok((row, issue, v))
}

/// One clarification (404 when its issue is not the caller's to see).
pub fn get(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<Clarification> {
    let (row, issue, _) = load(conn, ctx, id, false)?;
    Ok(to_view(ctx, row, issue.ref_))
}

/// The rights for a step (404, 403), before any body is read.
pub fn may_step(conn: &mut Db, ctx: &Ctx, id: i64, action: ClarificationAction) -> AppResult<()> {
    let (row, _, v) = load(conn, ctx, id, false)?;
    authorize(&row, &v, ctx, action)
}

fn authorize(
    row: &ClarificationRow,
    v: &crate::domain::visibility::Viewer,
    ctx: &Ctx,
    action: ClarificationAction,
) -> AppResult<()> {
    let ok = is_trc(v.role)
        || (action == ClarificationAction::Revise && row.proposed_by == ctx.actor.name());
    if ok {
        Ok(())
    } else if action == ClarificationAction::Revise {
        Err(AppError::Forbidden(
            "a clarification is revised by its proposer or the TRC".into(),
        ))
    } else {
        Err(AppError::Forbidden(format!(
            "only the TRC may {} a clarification",
            action.as_str()
        )))
    }
}

/// The issue turned restricted after the proposal: only the TRC's own text for the public may
/// go out (the TRC's revision makes the clarification standalone).
fn turned_restricted(
    row: &mut ClarificationRow,
    issue: &crate::store::issues::IssueRow,
    v: &crate::domain::visibility::Viewer,
    action: ClarificationAction,
) -> AppResult<()> {
    let restricted = facts(issue).sensitivity == Sensitivity::Restricted;
    if !restricted || row.standalone {
        return Ok(());
    }
    match action {
        ClarificationAction::Revise if is_trc(v.role) => row.standalone = true,
        ClarificationAction::Revise => {
            return Err(AppError::Forbidden(
                "the issue is restricted now: its clarification is written by the TRC".into(),
            ))
        }
        ClarificationAction::Approve => {
            return Err(AppError::WrongState {
                detail: format!(
                    "{} became restricted after this was proposed: the TRC revises it as a text \
                     for the public (title and text) before approving",
                    issue.ref_
                ),
                allowed_actions: Some(vec!["revise".into(), "return".into()]),
            })
        }
        _ => {}
    }
    Ok(())
}

/// Takes one step: revise, approve (publish and send to partners), return, withdraw.
/// Answers the clarification and how many partners it was queued for.
pub fn step(
    conn: &mut Db,
    ctx: &Ctx,
    id: i64,
    if_match: Option<i64>,
    step: Step,
) -> AppResult<(Clarification, usize)> {
    write_tx(conn, |conn| {
        let (mut row, issue, v) = load(conn, ctx, id, true)?;
        let action = step.action();
        authorize(&row, &v, ctx, action)?;
        if let Some(m) = if_match {
            if m != row.version {
                return Err(AppError::StaleVersion(format!(
                    "clarification {id} is at version {}, not {m}",
                    row.version
                )));
            }
        }
        let state = ClarificationState::parse(&row.state).unwrap_or(ClarificationState::Proposed);
        let Some(next) = state.after(action) else {
            return Err(AppError::WrongState {
                detail: format!(
                    "clarification {id} is {}: it cannot be {}",
                    row.state,
                    past_tense(action)
                ),
                allowed_actions: Some(state.allowed()),
            });
        };
        turned_restricted(&mut row, &issue, &v, action)?;
        let before = row.clone();
        let mut c = Check::new();
        match &step {
            Step::Revise(e) | Step::Approve(e) => apply_edit(&mut c, &mut row, e),
            Step::Return(r) => row.return_reason = Some(c.text("reason", r, 2_000, false)),
            Step::Withdraw(r) => row.withdraw_reason = Some(c.text("reason", r, 2_000, false)),
        }
        c.done()?;
        row.state = next.as_str().into();
        row.version += 1;
        row.updated_at = ctx.now;
        match action {
            ClarificationAction::Revise => row.return_reason = None,
            ClarificationAction::Approve => publish(conn, ctx, &mut row, &issue)?,
            ClarificationAction::Return => row.decided_by = Some(ctx.actor.name().to_owned()),
            ClarificationAction::Withdraw => row.withdrawn_at = Some(ctx.now),
        }
        row.search = search_text(&row);
        // SQLite's writer lock and PostgreSQL's row lock already serialise steps; the version
        // guard keeps that true should either ever be loosened.
        if !store::clarifications::update_if_version(conn, &row, before.version)? {
            return Err(AppError::StaleVersion(format!(
                "clarification {id} was changed meanwhile: reload it and try again"
            )));
        }
        let queued = if action == ClarificationAction::Approve {
            super::partners::fan_out(conn, ctx, &row, &issue)?
        } else {
            0
        };
        let ch = step_changes(&before, &row, queued);
        ctx.record(
            conn,
            &stream(&issue.ref_),
            &format!("clarification.{}", past_tense(action)),
            &format!("clarification:{id}"),
            ch,
        )?;
        Ok((to_view(ctx, row, issue.ref_), queued))
    })
}

/// What a step changed, for its audit event.
fn step_changes(before: &ClarificationRow, row: &ClarificationRow, queued: usize) -> Changes {
    let mut ch = Changes::new();
    diff(&mut ch, "state", &before.state, &row.state);
    for (field, a, b) in [
        ("title", &before.title, &row.title),
        ("text", &before.body, &row.body),
        ("urls", &before.urls, &row.urls),
    ] {
        diff(&mut ch, field, a, b);
    }
    diff(&mut ch, "claim", &before.claim, &row.claim);
    diff(&mut ch, "public_id", &before.public_id, &row.public_id);
    diff(&mut ch, "standalone", before.standalone, row.standalone);
    diff(&mut ch, "reason", &before.return_reason, &row.return_reason);
    diff(
        &mut ch,
        "withdraw_reason",
        &before.withdraw_reason,
        &row.withdraw_reason,
    );
    if queued > 0 {
        diff(&mut ch, "partners_queued", serde_json::Value::Null, queued);
    }
    ch
}

fn past_tense(a: ClarificationAction) -> &'static str {
    match a {
        ClarificationAction::Revise => "revised",
        ClarificationAction::Approve => "approved",
        ClarificationAction::Return => "returned",
        ClarificationAction::Withdraw => "withdrawn",
    }
}

/// Publication: the public id and the snapshot of the issue's public fields (none for a
/// standalone text).
fn publish(
    conn: &mut Db,
    ctx: &Ctx,
    row: &mut ClarificationRow,
    issue: &crate::store::issues::IssueRow,
) -> AppResult<()> {
    let year = jiff::Timestamp::from_microsecond(ctx.now)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_zoned(ctx.sla.zone.clone())
        .year();
    row.public_id = Some(rules::public_id(year, row.id));
    row.published_at = Some(ctx.now);
    row.decided_by = Some(ctx.actor.name().to_owned());
    row.return_reason = None;
    // A restricted issue may have turned normal since the proposal, or the other way round:
    // what counts is the issue now.
    row.standalone = facts(issue).sensitivity == Sensitivity::Restricted || row.standalone;
    if row.standalone {
        return Ok(());
    }
    row.verdict.clone_from(&issue.verdict);
    row.disinformation_type
        .clone_from(&issue.disinformation_type);
    row.category = Some(issue.category.clone());
    row.district.clone_from(&issue.district);
    if let Some(code) = &issue.assigned_unit {
        row.unit_code = Some(code.clone());
        row.unit_name = store::units::find(conn, code)?.map(|u| u.name);
    }
    Ok(())
}

/// Clarifications for staff, newest first: those whose issue the caller may see.
pub fn list(
    conn: &mut Db,
    ctx: &Ctx,
    states: &[String],
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Clarification>> {
    let mut errors = Vec::new();
    for s in states {
        if ClarificationState::parse(s).is_none() {
            errors.push(
                FieldError::new("state", format!("`{s}` is not a state"))
                    .with_valid(ClarificationState::names()),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let v = viewer(conn, &caller_of(ctx))?;
    let want = usize::try_from(limit).unwrap_or(0);
    let mut out = Vec::with_capacity(want);
    let mut before = before;
    // Read on past what the caller may not see, so that a page is full when there is more.
    loop {
        let rows = store::clarifications::list(conn, states, before, limit)?;
        let got = rows.len();
        before = rows.last().map(|(r, _)| r.id);
        for (row, reference) in rows {
            let visible = is_trc(v.role)
                || store::issues::find_by_ref(conn, &reference, false)?
                    .is_some_and(|i| v.can_see(&facts(&i)));
            if visible && out.len() < want {
                out.push(to_view(ctx, row, reference));
            }
        }
        if out.len() >= want || got < want {
            return Ok(out);
        }
    }
}

/// An issue's clarifications, newest first (the issue already shown to the caller).
pub fn of_issue(
    conn: &mut Db,
    ctx: &Ctx,
    issue: &crate::store::issues::IssueRow,
) -> AppResult<Vec<Clarification>> {
    Ok(store::clarifications::of_issue(conn, issue.id)?
        .into_iter()
        .map(|r| to_view(ctx, r, issue.ref_.clone()))
        .collect())
}
