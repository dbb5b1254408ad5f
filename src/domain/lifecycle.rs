//! The issue lifecycle as a pure state machine: which actions each state allows, who may take
//! them, and where they lead (spec section 3).

use super::enums::Priority;
use super::Role;

crate::domain::enums::text_enum!(
    /// Where an issue stands.
    Status {
        New => "new",
        Assigned => "assigned",
        Responded => "responded",
        OnHold => "on_hold",
        Resolved => "resolved",
        Closed => "closed",
        Rejected => "rejected",
        Duplicate => "duplicate",
    }
);

crate::domain::enums::text_enum!(
    /// What can be done to an issue, each at `POST /issues/{ref}/{action}`.
    Action {
        Triage => "triage",
        Reassign => "reassign",
        Return => "return",
        Respond => "respond",
        Hold => "hold",
        Resume => "resume",
        Resolve => "resolve",
        Reopen => "reopen",
        Close => "close",
        Reject => "reject",
        Merge => "merge",
    }
);

impl Status {
    /// `new`, `assigned`, `responded`, `on_hold`.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::Assigned | Status::Responded | Status::OnHold
        )
    }
}

/// Who asks, relative to the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub role: Role,
    /// The caller is a PIC of the assigned unit.
    pub pic_of_assigned_unit: bool,
}

/// The actions the state allows, whoever asks.
pub fn allowed_actions(status: Status) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| from_states(*a).contains(&status))
        .collect()
}

/// The states an action may start from.
pub fn from_states(action: Action) -> &'static [Status] {
    use Status::{Assigned, Closed, New, OnHold, Resolved, Responded};
    match action {
        Action::Triage => &[New],
        Action::Reassign => &[Assigned, Responded, OnHold],
        Action::Return => &[Assigned],
        Action::Respond => &[Assigned],
        Action::Hold => &[New, Assigned, Responded],
        Action::Resume => &[OnHold],
        Action::Resolve => &[Assigned, Responded],
        Action::Reopen => &[Resolved, Closed],
        Action::Close => &[Resolved],
        Action::Reject => &[New],
        Action::Merge => &[New, Assigned, Responded, OnHold],
    }
}

/// Whether the caller may take the action at all (regardless of the state).
pub fn may_take(action: Action, who: Standing) -> bool {
    let trc = matches!(who.role, Role::Trc | Role::Admin);
    let unit_pic = who.role == Role::Pic && who.pic_of_assigned_unit;
    match action {
        Action::Triage
        | Action::Reassign
        | Action::Reopen
        | Action::Close
        | Action::Reject
        | Action::Merge => trc,
        Action::Return => unit_pic,
        Action::Respond | Action::Hold | Action::Resume | Action::Resolve => trc || unit_pic,
    }
}

/// Whether the action needs a written reason.
pub fn needs_reason(action: Action) -> bool {
    matches!(
        action,
        Action::Reassign | Action::Return | Action::Hold | Action::Reopen | Action::Reject
    )
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not take this action (403).
    Forbidden,
    /// The state does not allow it (409), with the actions it does allow.
    WrongState { allowed: Vec<Action> },
}

/// The state an action leads to. `held_from` is the state before `hold`, for `resume`.
pub fn next_status(
    status: Status,
    held_from: Option<Status>,
    action: Action,
    who: Standing,
) -> Result<Status, Refusal> {
    if !may_take(action, who) {
        return Err(Refusal::Forbidden);
    }
    if !from_states(action).contains(&status) {
        return Err(Refusal::WrongState {
            allowed: allowed_actions(status),
        });
    }
    Ok(match action {
        Action::Triage | Action::Reassign | Action::Reopen => Status::Assigned,
        Action::Return => Status::New,
        Action::Respond => Status::Responded,
        Action::Hold => Status::OnHold,
        Action::Resume => match held_from {
            Some(s) if s.is_open() && s != Status::OnHold => s,
            _ => Status::Assigned,
        },
        Action::Resolve => Status::Resolved,
        Action::Close => Status::Closed,
        Action::Reject => Status::Rejected,
        Action::Merge => Status::Duplicate,
    })
}

/// The priority of an issue filed without one.
pub const DEFAULT_PRIORITY: Priority = Priority::Medium;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TRC: Standing = Standing {
        role: Role::Trc,
        pic_of_assigned_unit: false,
    };

    #[test]
    fn the_table_of_the_spec() {
        use Status::*;
        assert_eq!(
            allowed_actions(New),
            [Action::Triage, Action::Hold, Action::Reject, Action::Merge]
        );
        assert_eq!(
            allowed_actions(Assigned),
            [
                Action::Reassign,
                Action::Return,
                Action::Respond,
                Action::Hold,
                Action::Resolve,
                Action::Merge
            ]
        );
        assert_eq!(allowed_actions(Resolved), [Action::Reopen, Action::Close]);
        assert_eq!(allowed_actions(Closed), [Action::Reopen]);
        assert!(allowed_actions(Rejected).is_empty());
        assert!(allowed_actions(Duplicate).is_empty());
        assert_eq!(next_status(New, None, Action::Triage, TRC), Ok(Assigned));
        assert_eq!(
            next_status(OnHold, Some(Responded), Action::Resume, TRC),
            Ok(Responded)
        );
        assert_eq!(next_status(OnHold, Some(New), Action::Resume, TRC), Ok(New));
    }

    #[test]
    fn who_may_act() {
        let pic = Standing {
            role: Role::Pic,
            pic_of_assigned_unit: true,
        };
        let other_pic = Standing {
            role: Role::Pic,
            pic_of_assigned_unit: false,
        };
        let leader = Standing {
            role: Role::Leader,
            pic_of_assigned_unit: false,
        };
        let admin = Standing {
            role: Role::Admin,
            pic_of_assigned_unit: false,
        };
        for a in Action::ALL {
            assert!(may_take(*a, admin) || *a == Action::Return, "{a}");
            assert!(!may_take(*a, leader), "{a}");
            assert!(!may_take(*a, other_pic), "{a}");
        }
        assert!(may_take(Action::Return, pic) && !may_take(Action::Return, TRC));
        assert!(may_take(Action::Respond, pic) && !may_take(Action::Triage, pic));
    }

    fn any_status() -> impl Strategy<Value = Status> {
        prop::sample::select(Status::ALL.to_vec())
    }
    fn any_action() -> impl Strategy<Value = Action> {
        prop::sample::select(Action::ALL.to_vec())
    }
    fn any_role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    proptest! {
        /// Random walks never leave the defined states, and every refusal is explained.
        #[test]
        fn walks_stay_in_the_table(steps in prop::collection::vec((any_action(), any_role(), any::<bool>()), 1..60)) {
            let mut status = Status::New;
            let mut held_from = None;
            for (action, role, unit) in steps {
                let who = Standing { role, pic_of_assigned_unit: unit };
                match next_status(status, held_from, action, who) {
                    Ok(next) => {
                        prop_assert!(may_take(action, who));
                        prop_assert!(from_states(action).contains(&status));
                        if action == Action::Hold { held_from = Some(status); }
                        if action == Action::Resume { prop_assert_eq!(Some(next), held_from); held_from = None; }
                        status = next;
                    }
                    Err(Refusal::Forbidden) => prop_assert!(!may_take(action, who)),
                    Err(Refusal::WrongState { allowed }) => {
                        prop_assert!(!allowed.contains(&action));
                        prop_assert_eq!(allowed, allowed_actions(status));
                    }
                }
                prop_assert!(Status::ALL.contains(&status));
            }
        }

        #[test]
        fn terminal_states_allow_nothing(action in any_action(), s in any_status()) {
            if matches!(s, Status::Rejected | Status::Duplicate) {
                prop_assert!(next_status(s, None, action, TRC).is_err());
            }
        }
    }
}
