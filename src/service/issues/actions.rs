//! The lifecycle actions (`POST /issues/{ref}/{action}`), checked in the spec's order:
//! 404 (cannot see), 403 (may not act), 412 (stale `If-Match`), 409 (wrong state), 422 (body).

use super::{active_unit, caller_of, load_visible, save, view, viewer, Check, Issue};
use crate::audit::{diff, Changes};
use crate::domain::issue::{self, Command, MergeTarget, Rejection, Transition};
use crate::domain::lifecycle::{self, needs_reason, Standing};
use crate::domain::{Action, Category, Priority, Status, UnitCode};
use crate::error::{AppError, AppResult};
use crate::service::Ctx;
use crate::store::issues::IssueRow;
use crate::store::{self, write_tx, Db};
use serde::Deserialize;
use serde_json::Value;

/// The body of an action; each action takes its own fields (spec section 8):
/// `triage {unit, priority?, category?}`, `reassign {unit, reason}`, `return {reason}`,
/// `respond {text}`, `hold {reason}`, `resume {}`, `resolve {text}`, `reopen {reason}`,
/// `close {}`, `reject {reason}`, `merge {into}`.
/// (Unknown fields are named by `check_body`; refusing them here would leave the known ones
/// unchecked.)
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionBody {
    pub unit: Option<String>,
    pub priority: Option<String>,
    pub category: Option<String>,
    pub reason: Option<String>,
    pub text: Option<String>,
    pub into: Option<String>,
}

/// The fields `action`'s body may hold.
pub fn fields_of(action: Action) -> &'static [&'static str] {
    match action {
        Action::Triage => &["unit", "priority", "category"],
        Action::Reassign => &["unit", "reason"],
        Action::Return | Action::Hold | Action::Reopen | Action::Reject => &["reason"],
        Action::Respond | Action::Resolve => &["text"],
        Action::Resume | Action::Close => &[],
        Action::Merge => &["into"],
    }
}

/// Runs the checks up to 409 (in the spec's order: 403 before 412 before 409) and answers the
/// row and where the caller stands to it.
fn admit(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    action: Action,
    if_match: Option<i64>,
    lock: bool,
) -> AppResult<(IssueRow, Standing)> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, lock)?;
    let status = Status::parse(&row.status).ok_or_else(|| anyhow::anyhow!("bad stored status"))?;
    let held_from = row.held_from.as_deref().and_then(Status::parse);
    let who = Standing {
        role: v.role,
        pic_of_assigned_unit: v.is_pic_of(row.assigned_unit.as_deref()),
    };
    if !lifecycle::may_take(action, who) {
        return Err(refused(action, status, Rejection::Forbidden));
    }
    super::check_version(&row, if_match)?;
    lifecycle::next_status(status, held_from, action, who)
        .map_err(|r| refused(action, status, r.into()))?;
    Ok((row, who))
}

/// The checks before the body is read (404, 403, 412, 409).
pub fn preflight(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    action: Action,
    if_match: Option<i64>,
) -> AppResult<()> {
    admit(conn, ctx, reference, action, if_match, false).map(drop)
}

/// Checks the body's fields against the action: unknown ones and missing requirements are 422.
fn check_body(c: &mut Check, action: Action, body: &Value) {
    if let Some(map) = body.as_object() {
        for k in map.keys() {
            if !fields_of(action).contains(&k.as_str()) {
                c.fail(
                    k,
                    format!(
                        "is not a field of {action} (fields: {})",
                        fields_of(action).join(", ")
                    ),
                );
            }
        }
    }
}

fn reason(c: &mut Check, action: Action, b: &ActionBody) -> Option<String> {
    match &b.reason {
        Some(r) => Some(c.text("reason", r, 2000, false)),
        None if needs_reason(action) => {
            c.fail("reason", format!("{action} needs a reason"));
            None
        }
        None => None,
    }
}

fn text(c: &mut Check, action: Action, b: &ActionBody) -> Option<String> {
    let Some(t) = &b.text else {
        c.fail("text", format!("{action} needs the text of the answer"));
        return None;
    };
    Some(c.text("text", t, 10_000, false))
}

fn unit(
    conn: &mut Db,
    c: &mut Check,
    action: Action,
    b: &ActionBody,
) -> AppResult<Option<UnitCode>> {
    let Some(u) = &b.unit else {
        c.fail("unit", format!("{action} needs the unit to assign"));
        return Ok(None);
    };
    Ok(active_unit(conn, c, "unit", u)?.map(|code| UnitCode::stored(&code)))
}

/// The issue to merge into, locked (its count of duplicates changes with the merge).
fn merge_target(conn: &mut Db, c: &mut Check, b: &ActionBody) -> AppResult<Option<IssueRow>> {
    let Some(into) = b.into.as_deref().map(str::trim) else {
        c.fail("into", "merge needs the issue to merge into");
        return Ok(None);
    };
    let found = store::issues::find_by_ref(conn, into, true)?;
    if found.is_none() {
        c.fail("into", format!("there is no issue {into}"));
    }
    Ok(found)
}

/// Reads the body as the action's command; its field errors go to `c`, and the command is
/// `None` when any field is missing or wrong.
fn command(
    conn: &mut Db,
    c: &mut Check,
    action: Action,
    b: &ActionBody,
    target: &mut Option<IssueRow>,
) -> AppResult<Option<Command>> {
    let reason = reason(c, action, b);
    Ok(match action {
        Action::Triage => {
            let unit = unit(conn, c, action, b)?;
            let priority = (b.priority.as_deref())
                .and_then(|p| c.enumerated("priority", p, Priority::parse, Priority::names));
            let category = (b.category.as_deref())
                .and_then(|k| c.enumerated("category", k, Category::parse, Category::names));
            unit.map(|unit| Command::Triage {
                unit,
                priority,
                category,
            })
        }
        Action::Reassign => unit(conn, c, action, b)?
            .zip(reason)
            .map(|(unit, reason)| Command::Reassign { unit, reason }),
        Action::Return => reason.map(|reason| Command::Return { reason }),
        Action::Hold => reason.map(|reason| Command::Hold { reason }),
        Action::Reopen => reason.map(|reason| Command::Reopen { reason }),
        Action::Reject => reason.map(|reason| Command::Reject { reason }),
        Action::Respond => text(c, action, b).map(|text| Command::Respond { text }),
        Action::Resolve => text(c, action, b).map(|text| Command::Resolve { text }),
        Action::Resume => Some(Command::Resume),
        Action::Close => Some(Command::Close),
        Action::Merge => {
            *target = merge_target(conn, c, b)?;
            let into = target.as_ref().and_then(|t| {
                Some(MergeTarget {
                    reference: t.ref_.clone(),
                    status: Status::parse(&t.status)?,
                    duplicate_of: t.duplicate_of.clone(),
                })
            });
            into.map(|into| Command::Merge { into })
        }
    })
}

/// The use case's error for a refusal of the domain.
fn refused(action: Action, status: Status, r: Rejection) -> AppError {
    match r {
        Rejection::Forbidden => AppError::Forbidden(format!("you may not {action} this issue")),
        Rejection::WrongState { allowed } => AppError::WrongState {
            detail: format!("{action} is not allowed while the issue is {status}"),
            allowed_actions: Some(allowed.iter().map(|a| a.as_str().to_owned()).collect()),
        },
        Rejection::Invalid { field, message } => {
            AppError::Invalid(vec![crate::error::FieldError::new(field, message)])
        }
    }
}

/// Takes the action: checks who asks and the state (404, 403, 412, 409), reads the body as a
/// command (422), lets the domain decide, and persists the transition.
pub fn act(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    action: Action,
    if_match: Option<i64>,
    raw: &Value,
) -> AppResult<Issue> {
    let mut c = Check::new();
    check_body(&mut c, action, raw);
    let body: ActionBody = serde_json::from_value(raw.clone()).unwrap_or_default();
    write_tx(conn, |conn| {
        let (row, who) = admit(conn, ctx, reference, action, if_match, true)?;
        let mut target = None;
        let command = command(conn, &mut c, action, &body, &mut target)?;
        std::mem::take(&mut c).done()?;
        let (Some(command), Some(state)) = (command, row.state()) else {
            return Err(anyhow::anyhow!("a checked command or a stored state is missing").into());
        };
        let status = state.status;
        let t = issue::decide(&state, who, command).map_err(|r| refused(action, status, r))?;
        persist(conn, ctx, row, action, t, target)
    })
}

/// Persists a transition: the row's fields, the public response, the clocks, the saved row
/// with its audit event, the notices, and the merge's link on its target.
fn persist(
    conn: &mut Db,
    ctx: &Ctx,
    mut row: IssueRow,
    action: Action,
    t: Transition,
    target: Option<IssueRow>,
) -> AppResult<Issue> {
    let before = row.clone();
    row.set_state(&t.after);
    let mut changes = Changes::new();
    diff(&mut changes, "status", &before.status, &row.status);
    diff(
        &mut changes,
        "assigned_unit",
        &before.assigned_unit,
        &row.assigned_unit,
    );
    diff(
        &mut changes,
        "proposed_unit",
        &before.proposed_unit,
        &row.proposed_unit,
    );
    diff(&mut changes, "priority", &before.priority, &row.priority);
    diff(&mut changes, "category", &before.category, &row.category);
    diff(&mut changes, "verdict", &before.verdict, &row.verdict);
    diff(
        &mut changes,
        "duplicate_of",
        &before.duplicate_of,
        &row.duplicate_of,
    );
    if let Some(r) = &t.reason {
        diff(&mut changes, "reason", Value::Null, r);
    }
    if let Some(text) = &t.public_response {
        let author = ctx.actor.name().to_owned();
        let cm =
            store::issues::insert_comment(conn, row.id, "public_response", text, &author, ctx.now)?;
        let shown = serde_json::json!({"id": cm.id, "body": text});
        diff(&mut changes, "public_response", Value::Null, shown);
    }
    super::refresh_derived(&mut row);
    super::clocks::apply(conn, ctx, &mut row, t.clock, &mut changes)?;
    save(conn, ctx, &mut row, &format!("issue.{action}"), changes)?;
    crate::service::notify::send(conn, ctx, &row, &t.notices)?;
    if let (Some(mut target), Some(_)) = (target, &t.merged_into) {
        let linked = gather(conn, &mut target, &row)?;
        save(conn, ctx, &mut target, "issue.merged_in", linked)?;
    }
    view(conn, ctx, row)
}

/// What the issue that stays gains from one merged into it: the link, the duplicate's posts
/// (up to the 20 an issue may carry; found by them from now on), its reach added to its own,
/// and the channel it came from — each in the target's history.
fn gather(conn: &mut Db, target: &mut IssueRow, merged: &IssueRow) -> AppResult<Changes> {
    target.merged_count += 1;
    let mut linked = Changes::new();
    diff(&mut linked, "duplicates", Value::Null, &merged.ref_);
    diff(&mut linked, "merged_channel", Value::Null, &merged.channel);
    let before = super::json_list(&target.source_urls);
    let mut urls = before.clone();
    for u in super::json_list(&merged.source_urls) {
        if urls.len() < 20 && !urls.contains(&u) {
            urls.push(u);
        }
    }
    if urls != before {
        diff(&mut linked, "source_urls", &before, &urls);
        target.source_urls = super::to_json_list(&urls);
        store::issues::set_urls(conn, target.id, &super::canonical_urls(&urls), true)?;
    }
    if let Some(more) = merged.reach.filter(|r| *r > 0) {
        let reach = target.reach.unwrap_or(0).saturating_add(more);
        diff(&mut linked, "reach", target.reach, reach);
        target.reach = Some(reach);
    }
    Ok(linked)
}
