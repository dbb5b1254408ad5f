//! Use cases: one function per command, each owning its transaction, shared by HTTP and CLI.
//! A function loads, lets the domain decide, writes rows and appends the audit event in the
//! same transaction. `now` and the actor come in through `Ctx`.

pub mod audit;
pub mod auth;
pub mod calendars;
pub mod citizen;
pub mod clarifications;
pub mod demo;
pub mod escalation;
pub mod export;
pub mod hoaxes;
pub mod import;
pub mod issues;
pub mod links;
pub mod notifications;
pub mod notify;
pub mod partner_links;
pub mod partner_report;
pub mod partners;
pub mod public;
pub mod report_days;
pub mod reports;
pub mod rules;
pub mod sessions;
pub mod sla;
pub mod units;
pub mod users;

use crate::audit::{Changes, NewEvent, SYSTEM_ACTOR};
use crate::domain::Role;
use crate::error::AppResult;
use crate::store::{self, Db};

/// A signed-in user as the services see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub unit: Option<String>,
}

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    System,
    User(Caller),
}

impl Actor {
    pub fn name(&self) -> &str {
        match self {
            Actor::System => SYSTEM_ACTOR,
            Actor::User(u) => &u.email,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::System => None,
            Actor::User(u) => Some(u.role),
        }
    }
}

/// The context of one use case: who, when (µs since the epoch, UTC), and the request id.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub now: i64,
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent, kept apart from ours.
    pub client_request_id: Option<String>,
    /// Calendars and SLA policies of the deployment.
    pub sla: std::sync::Arc<crate::domain::sla::SlaConfig>,
}

impl Ctx {
    /// Appends an audit event in the current transaction.
    pub fn record(
        &self,
        conn: &mut Db,
        stream: &str,
        action: &str,
        subject: &str,
        changes: Changes,
    ) -> AppResult<()> {
        store::audit::append(conn, &self.event(stream, action, subject, changes))?;
        Ok(())
    }

    /// An audit event by this context's actor, now, to append later in the same transaction
    /// (with others, by [`store::audit::append_all`]).
    pub fn event(&self, stream: &str, action: &str, subject: &str, changes: Changes) -> NewEvent {
        NewEvent {
            stream: stream.to_owned(),
            actor: self.actor.name().to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            changes,
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
            at: self.now,
            keys: self
                .sla
                .audit_keys
                .active()
                .then(|| self.sla.audit_keys.clone()),
        }
    }

    /// The signed-in user acting, if any.
    pub fn caller(&self) -> Option<&Caller> {
        match &self.actor {
            Actor::User(u) => Some(u),
            Actor::System => None,
        }
    }

    /// Refuses callers other than admins (and the system itself).
    pub fn require_admin(&self) -> AppResult<()> {
        match self.actor.role() {
            None | Some(Role::Admin) => Ok(()),
            Some(_) => Err(crate::error::AppError::Forbidden(
                "only administrators may do this".into(),
            )),
        }
    }
}

/// Microseconds since the epoch of a timestamp.
pub fn micros(ts: jiff::Timestamp) -> i64 {
    ts.as_microsecond()
}

/// A timestamp of stored microseconds, as RFC 3339 UTC text.
pub fn rfc3339(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The source of the current time; tests set their own.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> jiff::Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// The system clock shifted by an offset that only moves forward: tests jump ahead in time
/// (`advance`) instead of sleeping, while time still flows as it does for everything else.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset_us: std::sync::atomic::AtomicI64,
}

impl ShiftedClock {
    /// Moves this clock `by` ahead of where it was.
    pub fn advance(&self, by: std::time::Duration) {
        let us = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.offset_us
            .fetch_add(us, std::sync::atomic::Ordering::AcqRel);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> jiff::Timestamp {
        let offset = self.offset_us.load(std::sync::atomic::Ordering::Acquire);
        let now = jiff::Timestamp::now();
        now.checked_add(jiff::SignedDuration::from_micros(offset))
            .unwrap_or(now)
    }
}

/// Deserialises a merge-patch field: absent → `None`, `null` → `Some(None)`, value → `Some(Some)`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(de).map(Some)
}
