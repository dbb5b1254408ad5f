//! The lifecycle actions (`POST /issues/{ref}/{action}`), checked in the spec's order:
//! 404 (cannot see), 403 (may not act), 412 (stale `If-Match`), 409 (wrong state), 422 (body).

use super::clocks::ClockEvent;
use super::{active_unit, caller_of, load_visible, save, view, viewer, Check, Issue};
use crate::audit::{diff, Changes};
use crate::domain::lifecycle::{self, needs_reason, Refusal, Standing};
use crate::domain::visibility::Viewer;
use crate::domain::{Action, Category, Priority, Status};
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

/// Runs the checks up to 409 and answers the row, the viewer and the next status.
fn decide(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    action: Action,
    if_match: Option<i64>,
    lock: bool,
) -> AppResult<(IssueRow, Viewer, Status)> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, lock)?;
    let status = Status::parse(&row.status).ok_or_else(|| anyhow::anyhow!("bad stored status"))?;
    let held_from = row.held_from.as_deref().and_then(Status::parse);
    let who = Standing {
        role: v.role,
        pic_of_assigned_unit: v.is_pic_of(row.assigned_unit.as_deref()),
    };
    if !lifecycle::may_take(action, who) {
        return Err(AppError::Forbidden(format!(
            "you may not {action} this issue"
        )));
    }
    super::check_version(&row, if_match)?;
    match lifecycle::next_status(status, held_from, action, who) {
        Ok(next) => Ok((row, v, next)),
        Err(Refusal::Forbidden) => Err(AppError::Forbidden(format!(
            "you may not {action} this issue"
        ))),
        Err(Refusal::WrongState { allowed }) => Err(AppError::WrongState {
            detail: format!("{action} is not allowed while the issue is {status}"),
            allowed_actions: Some(allowed.iter().map(|a| a.as_str().to_owned()).collect()),
        }),
    }
}

/// The checks before the body is read (404, 403, 412, 409).
pub fn preflight(
    conn: &mut Db,
    ctx: &Ctx,
    reference: &str,
    action: Action,
    if_match: Option<i64>,
) -> AppResult<()> {
    decide(conn, ctx, reference, action, if_match, false).map(drop)
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

/// Takes the action.
#[allow(
    clippy::too_many_lines,
    reason = "still decides each action's field changes itself: they move into a domain transition with #21 step 1"
)]
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
        let (mut row, _v, next) = decide(conn, ctx, reference, action, if_match, true)?;
        let before = row.clone();
        let reason = reason(&mut c, action, &body);
        let mut changes = Changes::new();
        let mut comment: Option<String> = None;
        let mut merge_target: Option<IssueRow> = None;
        match action {
            Action::Triage | Action::Reassign => {
                match &body.unit {
                    Some(u) => {
                        if let Some(code) = active_unit(conn, &mut c, "unit", u)? {
                            if action == Action::Reassign
                                && row.assigned_unit.as_deref() == Some(code.as_str())
                            {
                                c.fail("unit", format!("the issue is already assigned to {code}"));
                            }
                            row.assigned_unit = Some(code);
                        }
                    }
                    None => c.fail("unit", format!("{action} needs the unit to assign")),
                }
                if let Some(p) = &body.priority {
                    if let Some(p) = c.enumerated("priority", p, Priority::parse, Priority::names) {
                        row.priority = p.as_str().into();
                    }
                }
                if let Some(k) = &body.category {
                    if let Some(k) = c.enumerated("category", k, Category::parse, Category::names) {
                        row.category = k.as_str().into();
                        if k != Category::HoaksDisinformasi && row.verdict.is_some() {
                            row.verdict = None;
                        }
                    }
                }
            }
            Action::Return => {
                row.assigned_unit = None;
                row.proposed_unit = None;
            }
            Action::Respond | Action::Resolve => match &body.text {
                Some(t) => comment = Some(c.text("text", t, 10_000, false)),
                None => c.fail("text", format!("{action} needs the text of the answer")),
            },
            Action::Hold => row.held_from = Some(row.status.clone()),
            Action::Resume => row.held_from = None,
            Action::Merge => match body.into.as_deref().map(str::trim) {
                Some(into) if into == row.ref_ => {
                    c.fail("into", "an issue cannot be merged into itself");
                }
                Some(into) => match store::issues::find_by_ref(conn, into, true)? {
                    Some(t) if t.status == Status::Duplicate.as_str() => c.fail(
                        "into",
                        format!(
                            "{into} is itself a duplicate of {}",
                            t.duplicate_of.clone().unwrap_or_default()
                        ),
                    ),
                    Some(t) => {
                        row.duplicate_of = Some(t.ref_.clone());
                        merge_target = Some(t);
                    }
                    None => c.fail("into", format!("there is no issue {into}")),
                },
                None => c.fail("into", "merge needs the issue to merge into"),
            },
            Action::Reopen | Action::Close | Action::Reject => {}
        }
        std::mem::take(&mut c).done()?;
        row.status = next.as_str().into();
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
        if let Some(r) = &reason {
            diff(&mut changes, "reason", Value::Null, r);
        }
        if let Some(text) = &comment {
            let author = ctx.actor.name().to_owned();
            let cm = store::issues::insert_comment(
                conn,
                row.id,
                "public_response",
                text,
                &author,
                ctx.now,
            )?;
            diff(
                &mut changes,
                "public_response",
                Value::Null,
                serde_json::json!({"id": cm.id, "body": text}),
            );
        }
        let event = ClockEvent::Action(action);
        super::refresh_derived(&mut row);
        super::clocks::apply(conn, ctx, &mut row, event, &mut changes)?;
        save(conn, ctx, &mut row, &format!("issue.{action}"), changes)?;
        match action {
            Action::Triage | Action::Reassign => {
                crate::service::notify::assignment(conn, ctx, &row)?;
            }
            Action::Return => crate::service::notify::returned(
                conn,
                ctx,
                &row,
                before.assigned_unit.as_deref().unwrap_or("-"),
                reason.as_deref().unwrap_or(""),
            )?,
            Action::Resolve => {
                crate::service::notify::resolved(
                    conn,
                    ctx,
                    &row,
                    comment.as_deref().unwrap_or(""),
                )?;
            }
            _ => {}
        }
        if let Some(mut target) = merge_target {
            target.merged_count += 1;
            let mut linked = Changes::new();
            diff(&mut linked, "duplicates", Value::Null, &row.ref_);
            save(conn, ctx, &mut target, "issue.merged_in", linked)?;
        }
        view(conn, ctx, row)
    })
}
