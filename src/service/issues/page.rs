//! Everything the console's issue page shows, in one use case: the issue, its comments and
//! public responses, its history, the actions this caller may take in its state, and the
//! units an action may name.

use super::comments::{Comment, HistoryEvent};
use super::{caller_of, load_visible, view, viewer, Issue};
use crate::domain::lifecycle::{self, Standing};
use crate::domain::{Action, Status};
use crate::error::AppResult;
use crate::service::Ctx;
use crate::store::{self, Db};

/// The issue page.
#[derive(Debug, Clone)]
pub struct IssuePage {
    pub issue: Issue,
    pub comments: Vec<Comment>,
    pub history: Vec<HistoryEvent>,
    /// The actions the state allows and this caller may take.
    pub actions: Vec<Action>,
    /// Active units (code, name), for the actions that name one.
    pub units: Vec<(String, String)>,
    /// Its evidence files, oldest first.
    pub evidence: Vec<super::evidence::EvidenceFile>,
    /// Whether this caller may add evidence.
    pub may_add_evidence: bool,
    /// Its clarifications for the public, newest first.
    pub clarifications: Vec<crate::service::clarifications::Clarification>,
    /// Whether this caller may propose one now (none waiting).
    pub may_propose: bool,
}

/// How much history and how many comments a page shows.
const SHOWN: i64 = 200;

/// The actions `status` allows that `who` may take.
pub fn actions_for(status: Status, who: Standing) -> Vec<Action> {
    lifecycle::allowed_actions(status)
        .into_iter()
        .filter(|a| lifecycle::may_take(*a, who))
        .collect()
}

/// The page of `reference` as the caller sees it (404 when they may not).
pub fn page(conn: &mut Db, ctx: &Ctx, reference: &str) -> AppResult<IssuePage> {
    let v = viewer(conn, &caller_of(ctx))?;
    let row = load_visible(conn, &v, reference, false)?;
    let status = Status::parse(&row.status).unwrap_or(Status::New);
    let who = Standing {
        role: v.role,
        pic_of_assigned_unit: v.is_pic_of(row.assigned_unit.as_deref()),
    };
    // The row and the viewer read above serve the evidence too.
    let may_add_evidence = super::evidence::may_add_to(&v, &row);
    let evidence = super::evidence::of_issue(conn, row.id)?;
    let clarifications = crate::service::clarifications::of_issue(conn, ctx, &row)?;
    let may_propose = crate::service::clarifications::may_propose_to(&v, &row)
        && !clarifications.iter().any(|c| {
            crate::domain::clarification::ClarificationState::parse(&c.state)
                .is_some_and(crate::domain::clarification::ClarificationState::pending)
        });
    let issue = view(conn, ctx, row)?;
    Ok(IssuePage {
        evidence,
        may_add_evidence,
        clarifications,
        may_propose,
        comments: super::comments::list(conn, ctx, reference, None, SHOWN)?,
        history: super::comments::history(conn, ctx, reference, None, SHOWN)?,
        actions: actions_for(status, who),
        units: active_units(conn)?,
        issue,
    })
}

/// Active units (code, name), by code.
pub fn active_units(conn: &mut Db) -> AppResult<Vec<(String, String)>> {
    Ok(store::units::all(conn)?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.code, u.name))
        .collect())
}
