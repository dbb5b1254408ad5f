//! The issue as the rules see it, and what each change does to it, as values: a use case loads
//! an [`IssueState`], asks [`decide`] (an action) or [`file`] (a new issue) for a
//! [`Transition`], and persists what it says — field changes, clock effects, notices and the
//! audit's name for the change. Nothing here reads a clock or touches a database.

use super::clock::ClockEvent;
use super::lifecycle::{self, Refusal, Standing};
use super::routing::Rule;
use super::{
    Action, Category, Channel, DisinformationType, Priority, Sensitivity, Status, UnitCode, Verdict,
};

/// The fields of an issue its rules depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueState {
    pub reference: String,
    pub status: Status,
    /// The state before `hold`, for `resume`.
    pub held_from: Option<Status>,
    pub assigned_unit: Option<UnitCode>,
    /// The unit routing proposed.
    pub proposed_unit: Option<UnitCode>,
    pub priority: Priority,
    pub category: Category,
    pub sensitivity: Sensitivity,
    pub verdict: Option<Verdict>,
    /// The kind of false content the verdict found.
    pub disinformation_type: Option<DisinformationType>,
    /// The issue this one was merged into.
    pub duplicate_of: Option<String>,
}

/// The issue another is to be merged into, as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeTarget {
    pub reference: String,
    pub status: Status,
    /// What the target was itself merged into, when it is a duplicate.
    pub duplicate_of: Option<String>,
}

/// An action with its (parsed) body. Units are known to exist and be active; texts are
/// checked for length and characters by the use case that read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Triage {
        unit: UnitCode,
        priority: Option<Priority>,
        category: Option<Category>,
    },
    Reassign {
        unit: UnitCode,
        reason: String,
    },
    Return {
        reason: String,
    },
    Respond {
        text: String,
    },
    Hold {
        reason: String,
    },
    Resume,
    Resolve {
        text: String,
    },
    Reopen {
        reason: String,
    },
    Close,
    Reject {
        reason: String,
    },
    Merge {
        into: MergeTarget,
    },
}

impl Command {
    /// The action the command takes.
    pub fn action(&self) -> Action {
        match self {
            Command::Triage { .. } => Action::Triage,
            Command::Reassign { .. } => Action::Reassign,
            Command::Return { .. } => Action::Return,
            Command::Respond { .. } => Action::Respond,
            Command::Hold { .. } => Action::Hold,
            Command::Resume => Action::Resume,
            Command::Resolve { .. } => Action::Resolve,
            Command::Reopen { .. } => Action::Reopen,
            Command::Close => Action::Close,
            Command::Reject { .. } => Action::Reject,
            Command::Merge { .. } => Action::Merge,
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Command::Reassign { reason, .. }
            | Command::Return { reason }
            | Command::Hold { reason }
            | Command::Reopen { reason }
            | Command::Reject { reason } => Some(reason),
            _ => None,
        }
    }
}

/// Who is told of a change, by which message. The use case finds the addresses (the unit's
/// mailbox, the TRC's group address, the filer's) and renders the message's template in the
/// deployment's language; a restricted issue's message is the redacted variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// To the unit's mailbox: the issue is theirs now.
    Assigned { unit: UnitCode },
    /// To the TRC: the unit gave the issue back ("bukan kewenangan").
    Returned { from_unit: String, reason: String },
    /// To the filer (and the filers of the issues merged into it): the issue is resolved, with
    /// the resolution's text.
    Resolved { text: String },
    /// To the filer (and the filers of the issues merged into it): the public response.
    Responded { text: String },
}

/// What a change does, for the use case to persist in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The issue after the change.
    pub after: IssueState,
    /// What the change does to the clocks.
    pub clock: ClockEvent,
    /// The public response to add (respond, resolve).
    pub public_response: Option<String>,
    /// The reason given, for the audit trail.
    pub reason: Option<String>,
    /// The issue that gains this one as a duplicate (merge).
    pub merged_into: Option<String>,
    pub notices: Vec<Notice>,
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The caller may not take this action (403).
    Forbidden,
    /// The state does not allow it (409), with the actions it does allow.
    WrongState { allowed: Vec<Action> },
    /// A field breaks a rule (422): the field and what is wrong.
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl From<Refusal> for Rejection {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Forbidden => Rejection::Forbidden,
            Refusal::WrongState { allowed } => Rejection::WrongState { allowed },
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> Rejection {
    Rejection::Invalid {
        field,
        message: message.into(),
    }
}

/// Decides an action: the next state, the fields it changes, its clock event and its notices.
pub fn decide(
    state: &IssueState,
    who: Standing,
    command: Command,
) -> Result<Transition, Rejection> {
    let action = command.action();
    let next = lifecycle::next_status(state.status, state.held_from, action, who)?;
    let mut after = state.clone();
    let mut t = Transition {
        after: state.clone(),
        clock: ClockEvent::Action(action),
        public_response: None,
        reason: command.reason().map(str::to_owned),
        merged_into: None,
        notices: Vec::new(),
    };
    match command {
        Command::Triage {
            unit,
            priority,
            category,
        } => {
            after.priority = priority.unwrap_or(after.priority);
            if let Some(k) = category {
                recategorise(&mut after, k);
            }
            t.notices.push(Notice::Assigned { unit: unit.clone() });
            after.assigned_unit = Some(unit);
        }
        Command::Reassign { unit, .. } => {
            if state.assigned_unit.as_ref() == Some(&unit) {
                return Err(invalid(
                    "unit",
                    format!("the issue is already assigned to {unit}"),
                ));
            }
            t.notices.push(Notice::Assigned { unit: unit.clone() });
            after.assigned_unit = Some(unit);
        }
        Command::Return { reason } => {
            let from_unit = after
                .assigned_unit
                .take()
                .map_or_else(|| "-".to_owned(), |u| u.to_string());
            after.proposed_unit = None;
            t.notices.push(Notice::Returned { from_unit, reason });
        }
        Command::Respond { text } => {
            t.notices.push(Notice::Responded { text: text.clone() });
            t.public_response = Some(text);
        }
        Command::Resolve { text } => {
            t.notices.push(Notice::Resolved { text: text.clone() });
            t.public_response = Some(text);
        }
        Command::Hold { .. } => after.held_from = Some(state.status),
        Command::Resume => after.held_from = None,
        Command::Merge { into } => {
            if into.reference == state.reference {
                return Err(invalid("into", "an issue cannot be merged into itself"));
            }
            if into.status == Status::Duplicate {
                return Err(invalid(
                    "into",
                    format!(
                        "{} is itself a duplicate of {}",
                        into.reference,
                        into.duplicate_of.unwrap_or_default()
                    ),
                ));
            }
            after.duplicate_of = Some(into.reference.clone());
            t.merged_into = Some(into.reference);
        }
        Command::Reopen { .. } | Command::Close | Command::Reject { .. } => {}
    }
    after.status = next;
    t.after = after;
    Ok(t)
}

/// A new category; a verdict stays only on a hoax.
fn recategorise(state: &mut IssueState, category: Category) {
    state.category = category;
    if !verdict_allowed(category) {
        state.verdict = None;
        state.disinformation_type = None;
    }
}

/// Whether a verdict found false content whose kind may be named (hoaks, misleading, satire;
/// not `benar`, not `unverified`).
pub fn disinformation_allowed(verdict: Option<Verdict>) -> bool {
    matches!(
        verdict,
        Some(Verdict::Hoaks | Verdict::Misleading | Verdict::Satire)
    )
}

/// Whether an issue of `category` may carry a verdict (hoaxes only).
pub fn verdict_allowed(category: Category) -> bool {
    category == Category::HoaksDisinformasi
}

/// Whether a filing on `channel` must link the post (all but `langsung`, `publik` and
/// `lainnya`).
pub fn needs_sources(channel: Channel) -> bool {
    !matches!(
        channel,
        Channel::Langsung | Channel::Publik | Channel::Lainnya
    )
}

/// Where a new issue starts, given the routing rule that matched it (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filing {
    pub status: Status,
    pub assigned_unit: Option<UnitCode>,
    pub proposed_unit: Option<UnitCode>,
    /// The clocks it starts with (triage while new; response and resolution once assigned).
    pub clocks: &'static [super::ClockKind],
    pub notices: Vec<Notice>,
}

/// Files an issue: a matching rule proposes its unit, and assigns it at once when the rule
/// says so (which tells the unit by mail); otherwise the issue waits for triage. A citizen's
/// request (`publik`) always waits for the TRC: nobody checked it yet.
pub fn file(hit: Option<&Rule>, channel: Channel) -> Filing {
    use super::ClockKind::{Resolution, Response, Triage};
    let proposed = hit.map(|r| UnitCode::stored(&r.unit));
    match (hit, proposed) {
        (Some(rule), Some(unit)) if rule.auto_assign && channel != Channel::Publik => Filing {
            status: Status::Assigned,
            assigned_unit: Some(unit.clone()),
            proposed_unit: Some(unit.clone()),
            clocks: &[Response, Resolution],
            notices: vec![Notice::Assigned { unit }],
        },
        (_, proposed) => Filing {
            status: Status::New,
            assigned_unit: None,
            proposed_unit: proposed,
            clocks: &[Triage],
            notices: Vec::new(),
        },
    }
}

/// The fields of an issue each caller may edit (`PATCH`).
pub mod editable {
    use super::{Role, Standing, Status};

    /// The TRC's (and administrators').
    pub const TRC: &[&str] = &[
        "priority",
        "category",
        "sensitivity",
        "tags",
        "verdict",
        "disinformation_type",
        "clarification",
        "lapor_id",
    ];
    /// The assigned unit's PICs'.
    pub const UNIT_PIC: &[&str] = &["verdict", "disinformation_type", "clarification", "tags"];
    /// The filer's, while the issue is new.
    pub const FILER: &[&str] = &[
        "title",
        "description",
        "channel",
        "source_urls",
        "evidence",
        "location",
    ];

    /// Every field an edit may name.
    pub fn known(field: &str) -> bool {
        TRC.contains(&field) || FILER.contains(&field)
    }

    /// The fields this caller may change on an issue in `status`, sorted.
    pub fn fields(who: Standing, is_filer: bool, status: Status) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        if matches!(who.role, Role::Trc | Role::Admin) {
            out.extend(TRC);
        }
        if who.pic_of_assigned_unit {
            out.extend(UNIT_PIC);
        }
        if is_filer && status == Status::New {
            out.extend(FILER);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

use super::Role;

/// What an edit does to the clocks: a new priority or category moves their due instants.
pub fn edit_clock_event(before: &IssueState, after: &IssueState) -> Option<ClockEvent> {
    (before.priority != after.priority || before.category != after.category)
        .then_some(ClockEvent::Retarget)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str) -> UnitCode {
        UnitCode::parse(code).unwrap()
    }

    fn state(status: Status) -> IssueState {
        IssueState {
            reference: "ISU-2026-000001".into(),
            status,
            held_from: None,
            assigned_unit: (status != Status::New).then(|| unit("DINKES")),
            proposed_unit: Some(unit("DINKES")),
            priority: Priority::Medium,
            category: Category::HoaksDisinformasi,
            sensitivity: Sensitivity::Normal,
            verdict: Some(Verdict::Hoaks),
            disinformation_type: None,
            duplicate_of: None,
        }
    }

    const TRC: Standing = Standing {
        role: Role::Trc,
        pic_of_assigned_unit: false,
    };
    const UNIT_PIC: Standing = Standing {
        role: Role::Pic,
        pic_of_assigned_unit: true,
    };

    #[test]
    fn triage_assigns_and_tells_the_unit() {
        let t = decide(
            &state(Status::New),
            TRC,
            Command::Triage {
                unit: unit("DISHUB"),
                priority: Some(Priority::High),
                category: Some(Category::Infrastruktur),
            },
        )
        .unwrap();
        assert_eq!(t.after.status, Status::Assigned);
        assert_eq!(t.after.assigned_unit, Some(unit("DISHUB")));
        assert_eq!(t.after.priority, Priority::High);
        // A verdict belongs to hoaxes only: recategorising drops it.
        assert_eq!(t.after.verdict, None);
        assert_eq!(
            t.notices,
            [Notice::Assigned {
                unit: unit("DISHUB")
            }]
        );
        assert_eq!(t.clock, ClockEvent::Action(Action::Triage));
    }

    #[test]
    fn return_empties_the_units_and_tells_the_trc() {
        let t = decide(
            &state(Status::Assigned),
            UNIT_PIC,
            Command::Return {
                reason: "bukan kewenangan".into(),
            },
        )
        .unwrap();
        assert_eq!(t.after.status, Status::New);
        assert_eq!((t.after.assigned_unit, t.after.proposed_unit), (None, None));
        assert_eq!(t.reason.as_deref(), Some("bukan kewenangan"));
        assert_eq!(
            t.notices,
            [Notice::Returned {
                from_unit: "DINKES".into(),
                reason: "bukan kewenangan".into()
            }]
        );
    }

    #[test]
    fn field_rules() {
        let s = state(Status::Assigned);
        let same = decide(
            &s,
            TRC,
            Command::Reassign {
                unit: unit("DINKES"),
                reason: "x".into(),
            },
        );
        assert!(matches!(
            same,
            Err(Rejection::Invalid { field: "unit", .. })
        ));
        let itself = decide(
            &s,
            TRC,
            Command::Merge {
                into: MergeTarget {
                    reference: s.reference.clone(),
                    status: Status::Assigned,
                    duplicate_of: None,
                },
            },
        );
        assert!(matches!(
            itself,
            Err(Rejection::Invalid { field: "into", .. })
        ));
        let chained = decide(
            &s,
            TRC,
            Command::Merge {
                into: MergeTarget {
                    reference: "ISU-2026-000002".into(),
                    status: Status::Duplicate,
                    duplicate_of: Some("ISU-2026-000003".into()),
                },
            },
        );
        assert_eq!(
            chained,
            Err(Rejection::Invalid {
                field: "into",
                message: "ISU-2026-000002 is itself a duplicate of ISU-2026-000003".into()
            })
        );
    }

    #[test]
    fn the_state_is_checked_before_the_fields() {
        // A wrong state answers 409 even when the body would also be wrong.
        let r = decide(
            &state(Status::Closed),
            TRC,
            Command::Merge {
                into: MergeTarget {
                    reference: "ISU-2026-000001".into(),
                    status: Status::New,
                    duplicate_of: None,
                },
            },
        );
        assert!(matches!(r, Err(Rejection::WrongState { .. })));
        let r = decide(
            &state(Status::Assigned),
            Standing {
                role: Role::Leader,
                pic_of_assigned_unit: false,
            },
            Command::Close,
        );
        assert_eq!(r, Err(Rejection::Forbidden));
    }

    #[test]
    fn hold_and_resume_come_back_to_where_they_were() {
        let held = decide(
            &state(Status::Responded),
            TRC,
            Command::Hold { reason: "x".into() },
        )
        .unwrap();
        assert_eq!(held.after.held_from, Some(Status::Responded));
        let resumed = decide(&held.after, TRC, Command::Resume).unwrap();
        assert_eq!(resumed.after.status, Status::Responded);
        assert_eq!(resumed.after.held_from, None);
    }

    #[test]
    fn resolve_answers_publicly_and_tells_the_filer() {
        let t = decide(
            &state(Status::Assigned),
            UNIT_PIC,
            Command::Resolve {
                text: "sudah diperbaiki".into(),
            },
        )
        .unwrap();
        assert_eq!(t.public_response.as_deref(), Some("sudah diperbaiki"));
        assert_eq!(
            t.notices,
            [Notice::Resolved {
                text: "sudah diperbaiki".into()
            }]
        );
    }

    #[test]
    fn editable_fields() {
        let filer_pic = Standing {
            role: Role::Pic,
            pic_of_assigned_unit: false,
        };
        assert_eq!(
            editable::fields(filer_pic, true, Status::New),
            [
                "channel",
                "description",
                "evidence",
                "location",
                "source_urls",
                "title"
            ]
        );
        assert!(editable::fields(filer_pic, true, Status::Assigned).is_empty());
        assert_eq!(
            editable::fields(UNIT_PIC, false, Status::Assigned),
            ["clarification", "disinformation_type", "tags", "verdict"]
        );
        assert!(editable::known("lapor_id") && !editable::known("status"));
    }
}
