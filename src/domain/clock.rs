//! One SLA clock's life: started, paused and resumed (due extended by the open time paused),
//! retargeted, stopped in time (`met`) or late (`missed`), or cancelled. Pure.

use super::calendar::Calendar;
use super::{ClockKind, SlaDuration};
use jiff::Timestamp;

crate::domain::enums::text_enum!(
    /// A clock's stored state. A running clock past its due instant is shown as `missed`.
    ClockState {
        Running => "running",
        Paused => "paused",
        Met => "met",
        Missed => "missed",
        Cancelled => "cancelled",
    }
);

/// A clock as stored (instants in µs since the epoch). Its serde form (without the counted
/// time) is the copy an issue row keeps of its clocks (`store::clocks::snapshot`): the field
/// names are part of that stored format.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Clock {
    pub kind: ClockKind,
    pub state: ClockState,
    pub calendar: String,
    pub target: String,
    pub started_at: i64,
    pub due_at: i64,
    pub paused_at: Option<i64>,
    /// Open seconds spent on hold by earlier pauses.
    pub paused_seconds: i64,
    pub stopped_at: Option<i64>,
    /// Open seconds left when the clock stopped or paused (negative when late).
    pub frozen_remaining: Option<i64>,
    /// Whether the due instant passed while it counted.
    pub breached: bool,
    /// Open seconds it counted from start to stop, time on hold left out (stopped clocks).
    #[serde(skip)]
    pub elapsed_seconds: Option<i64>,
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// How a clock looks at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockReading {
    pub state: ClockState,
    pub breached: bool,
    pub remaining_seconds: Option<i64>,
    pub paused_seconds: i64,
}

impl Clock {
    /// A clock started at `now` with `target` on `cal`.
    pub fn start(kind: ClockKind, cal: &Calendar, target: SlaDuration, now: i64) -> Clock {
        Clock {
            kind,
            state: ClockState::Running,
            calendar: cal.name.clone(),
            target: target.to_string(),
            started_at: now,
            due_at: us(cal.due(ts(now), target)),
            paused_at: None,
            paused_seconds: 0,
            stopped_at: None,
            frozen_remaining: None,
            breached: false,
            elapsed_seconds: None,
        }
    }

    /// Running or paused: the clock still counts (or will again).
    pub fn is_live(&self) -> bool {
        matches!(self.state, ClockState::Running | ClockState::Paused)
    }

    /// Whether it counts right now.
    pub fn is_running(&self) -> bool {
        self.state == ClockState::Running
    }

    pub fn pause(&mut self, cal: &Calendar, now: i64) {
        if self.state == ClockState::Running {
            self.breached |= now >= self.due_at;
            self.frozen_remaining = Some(cal.open_seconds(ts(now), ts(self.due_at)));
            self.paused_at = Some(now);
            self.state = ClockState::Paused;
        }
    }

    /// Resumes a paused clock; the due instant moves by the open time spent on hold.
    pub fn resume(&mut self, cal: &Calendar, now: i64) {
        if let (ClockState::Paused, Some(p)) = (self.state, self.paused_at) {
            let held = cal.open_seconds(ts(p), ts(now)).max(0);
            self.paused_seconds += held;
            self.due_at = us(cal.add_open(ts(self.due_at), held));
            self.paused_at = None;
            self.frozen_remaining = None;
            self.state = ClockState::Running;
        }
    }

    /// Stops the clock: `met` when in time, `missed` when late (and it stays missed).
    pub fn stop(&mut self, cal: &Calendar, now: i64) {
        if !self.is_live() {
            return;
        }
        let counted_until = self.paused_at.unwrap_or(now);
        self.breached |= counted_until >= self.due_at;
        self.frozen_remaining = Some(cal.open_seconds(ts(counted_until), ts(self.due_at)));
        if let Some(p) = self.paused_at.take() {
            self.paused_seconds += cal.open_seconds(ts(p), ts(now)).max(0);
        }
        self.stopped_at = Some(now);
        self.elapsed_seconds = self.counted_seconds(cal);
        self.state = if self.breached {
            ClockState::Missed
        } else {
            ClockState::Met
        };
    }

    /// Open seconds a stopped clock counted: start to stop, time on hold left out (`None` for a
    /// clock not stopped). What reports take medians and percentiles of.
    pub fn counted_seconds(&self, cal: &Calendar) -> Option<i64> {
        let stopped = self.stopped_at?;
        Some((cal.open_seconds(ts(self.started_at), ts(stopped)) - self.paused_seconds).max(0))
    }

    pub fn cancel(&mut self, now: i64) {
        if self.is_live() {
            self.paused_at = None;
            self.frozen_remaining = None;
            self.stopped_at = Some(now);
            self.state = ClockState::Cancelled;
        }
    }

    /// New target (and calendar) after a priority or category change: due recomputed from the
    /// clock's start, plus the open time already spent on hold.
    pub fn retarget(&mut self, cal: &Calendar, target: SlaDuration, now: i64) {
        if !self.is_live() {
            return;
        }
        self.calendar.clone_from(&cal.name);
        self.target = target.to_string();
        let due = cal.due(ts(self.started_at), target);
        self.due_at = us(cal.add_open(due, self.paused_seconds));
        if let Some(p) = self.paused_at {
            self.frozen_remaining = Some(cal.open_seconds(ts(p), ts(self.due_at)));
        }
        let _ = now;
    }

    /// The clock as seen at `now`: a running clock past due reads `missed` and breached.
    pub fn read(&self, cal: &Calendar, now: i64) -> ClockReading {
        match self.state {
            ClockState::Running => {
                let late = now >= self.due_at;
                ClockReading {
                    state: if late {
                        ClockState::Missed
                    } else {
                        ClockState::Running
                    },
                    breached: self.breached || late,
                    remaining_seconds: Some(cal.open_seconds(ts(now), ts(self.due_at))),
                    paused_seconds: self.paused_seconds,
                }
            }
            ClockState::Paused => ClockReading {
                state: ClockState::Paused,
                breached: self.breached,
                remaining_seconds: self.frozen_remaining,
                paused_seconds: self.paused_seconds
                    + self
                        .paused_at
                        .map_or(0, |p| cal.open_seconds(ts(p), ts(now)).max(0)),
            },
            ClockState::Met | ClockState::Missed => ClockReading {
                state: self.state,
                breached: self.breached,
                remaining_seconds: self.frozen_remaining,
                paused_seconds: self.paused_seconds,
            },
            ClockState::Cancelled => ClockReading {
                state: ClockState::Cancelled,
                breached: self.breached,
                remaining_seconds: None,
                paused_seconds: self.paused_seconds,
            },
        }
    }
}

/// What happened to an issue, as far as its clocks care (spec section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockEvent {
    /// A lifecycle action was taken.
    Action(super::Action),
    /// Priority or category changed: due instants are recomputed from each clock's start.
    Retarget,
}

/// What an event does to one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockEffect {
    /// Nothing.
    Keep,
    /// Stopped: met or missed, by its due instant.
    Stop,
    /// Ended without a verdict (the work moved elsewhere).
    Cancel,
    /// Paused (on hold).
    Pause,
    /// Running again after a pause, its due instant moved by the open time paused.
    Resume,
    /// Its due instant recomputed for the new priority or category.
    Retarget,
}

impl ClockEvent {
    /// What the event does to a clock of `kind`, running (`live`) or not. Every action is
    /// named (no catch-all arm), so a new action must say what it does to the clocks.
    pub fn effect_on(self, kind: ClockKind, live: bool) -> ClockEffect {
        use super::Action as A;
        use ClockKind::{Resolution, Response, Triage};
        let effect = match self {
            ClockEvent::Action(A::Triage) if kind == Triage => ClockEffect::Stop,
            ClockEvent::Action(A::Reassign | A::Return) if kind != Triage => ClockEffect::Cancel,
            ClockEvent::Action(A::Respond) if kind == Response => ClockEffect::Stop,
            ClockEvent::Action(A::Resolve) if matches!(kind, Response | Resolution) => {
                ClockEffect::Stop
            }
            ClockEvent::Action(A::Hold) => return ClockEffect::Pause,
            ClockEvent::Action(A::Resume) => return ClockEffect::Resume,
            ClockEvent::Action(A::Reject | A::Merge) if kind == Triage && live => {
                return ClockEffect::Stop;
            }
            ClockEvent::Action(A::Reject | A::Merge) => return ClockEffect::Cancel,
            ClockEvent::Retarget => ClockEffect::Retarget,
            ClockEvent::Action(
                A::Triage
                | A::Reassign
                | A::Return
                | A::Respond
                | A::Resolve
                | A::Reopen
                | A::Close,
            ) => ClockEffect::Keep,
        };
        // Stopping, cancelling and retargeting concern running clocks only; pausing, resuming
        // and ending a merged or rejected issue's clocks apply to each (above).
        if live {
            effect
        } else {
            ClockEffect::Keep
        }
    }

    /// The clocks the event starts.
    pub fn starts(self) -> &'static [ClockKind] {
        use super::Action as A;
        match self {
            ClockEvent::Action(A::Triage | A::Reassign) => {
                &[ClockKind::Response, ClockKind::Resolution]
            }
            ClockEvent::Action(A::Return) => &[ClockKind::Triage],
            ClockEvent::Action(A::Reopen) => &[ClockKind::Resolution],
            ClockEvent::Action(
                A::Respond | A::Hold | A::Resume | A::Resolve | A::Close | A::Reject | A::Merge,
            )
            | ClockEvent::Retarget => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Calendar;
    use proptest::prelude::*;

    #[test]
    fn each_event_says_what_it_does_to_each_clock() {
        use crate::domain::Action;
        use ClockEffect::{Cancel, Keep, Pause, Resume, Retarget, Stop};
        use ClockKind::{Resolution, Response, Triage};
        let e = |a: Action, k: ClockKind, live: bool| ClockEvent::Action(a).effect_on(k, live);
        // Spec section 5: triage stops the triage clock and starts response and resolution.
        assert_eq!(e(Action::Triage, Triage, true), Stop);
        assert_eq!(e(Action::Triage, Response, true), Keep);
        assert_eq!(
            ClockEvent::Action(Action::Triage).starts(),
            &[Response, Resolution]
        );
        // Reassigning or returning ends the unit's clocks without a verdict.
        assert_eq!(e(Action::Reassign, Response, true), Cancel);
        assert_eq!(e(Action::Return, Resolution, true), Cancel);
        assert_eq!(ClockEvent::Action(Action::Return).starts(), &[Triage]);
        // Answering stops the response clock; resolving stops both unit clocks.
        assert_eq!(e(Action::Respond, Response, true), Stop);
        assert_eq!(e(Action::Respond, Resolution, true), Keep);
        assert_eq!(e(Action::Resolve, Resolution, true), Stop);
        // Hold and resume reach every clock (each knows whether it runs).
        assert_eq!(e(Action::Hold, Triage, false), Pause);
        assert_eq!(e(Action::Resume, Resolution, false), Resume);
        // A merged or rejected issue: its running triage clock stops, everything else ends.
        assert_eq!(e(Action::Merge, Triage, true), Stop);
        assert_eq!(e(Action::Reject, Triage, false), Cancel);
        assert_eq!(e(Action::Merge, Response, true), Cancel);
        // Clocks that no longer run are left alone by the rest.
        assert_eq!(e(Action::Triage, Triage, false), Keep);
        assert_eq!(ClockEvent::Retarget.effect_on(Response, true), Retarget);
        assert_eq!(ClockEvent::Retarget.effect_on(Response, false), Keep);
        // Closing and reopening touch no running clock; reopening starts a resolution clock.
        for k in [Triage, Response, Resolution] {
            assert_eq!(e(Action::Close, k, true), Keep);
            assert_eq!(e(Action::Reopen, k, true), Keep);
        }
        assert_eq!(ClockEvent::Action(Action::Reopen).starts(), &[Resolution]);
    }

    const H: i64 = 3_600_000_000;

    fn cal() -> Calendar {
        Calendar::always("always", jiff::tz::TimeZone::UTC)
    }

    #[test]
    fn met_missed_and_missed_stays_missed() {
        let c = cal();
        let mut a = Clock::start(ClockKind::Response, &c, SlaDuration::Seconds(7200), 0);
        assert_eq!(a.due_at, 2 * H);
        a.stop(&c, H);
        assert_eq!(
            (a.state, a.breached, a.frozen_remaining),
            (ClockState::Met, false, Some(3600))
        );
        let mut b = Clock::start(ClockKind::Response, &c, SlaDuration::Seconds(7200), 0);
        assert_eq!(b.read(&c, 3 * H).state, ClockState::Missed);
        assert_eq!(b.read(&c, 3 * H).remaining_seconds, Some(-3600));
        b.stop(&c, 3 * H);
        assert_eq!(
            (b.state, b.breached, b.stopped_at, b.elapsed_seconds),
            (ClockState::Missed, true, Some(3 * H), Some(3 * 3600))
        );
    }

    #[test]
    fn elapsed_time_counts_office_hours_only_and_leaves_holds_out() {
        // Mon–Fri 08:00–16:00 UTC: filed Friday 15:00, put on hold Friday 15:30, resumed Monday
        // 08:30 and stopped Monday 09:00 — 30 min before the hold, 30 after, the hold left out.
        let c = Calendar::new(
            "office",
            jiff::tz::TimeZone::UTC,
            [
                Some((480, 960)),
                Some((480, 960)),
                Some((480, 960)),
                Some((480, 960)),
                Some((480, 960)),
                None,
                None,
            ],
            std::collections::BTreeSet::default(),
        );
        let at = |d: i8, h: i8, m: i8| {
            jiff::civil::date(2026, 3, d)
                .at(h, m, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp()
                .as_microsecond()
        };
        let mut k = Clock::start(
            ClockKind::Resolution,
            &c,
            SlaDuration::Seconds(8 * 3600),
            at(6, 15, 0),
        );
        k.pause(&c, at(6, 15, 30));
        k.resume(&c, at(9, 8, 30));
        k.stop(&c, at(9, 9, 0));
        assert_eq!(k.state, ClockState::Met);
        assert_eq!(
            k.paused_seconds, 3600,
            "15:30–16:00 Friday and 08:00–08:30 Monday"
        );
        assert_eq!(k.elapsed_seconds, Some(3600));
    }

    #[test]
    fn hold_and_resume_extend_the_due_instant() {
        let c = cal();
        let mut k = Clock::start(ClockKind::Resolution, &c, SlaDuration::Seconds(4 * 3600), 0);
        k.pause(&c, H);
        assert_eq!(
            k.read(&c, 2 * H).remaining_seconds,
            Some(3 * 3600),
            "frozen while paused"
        );
        assert_eq!(k.read(&c, 2 * H).paused_seconds, 3600);
        k.resume(&c, 3 * H);
        assert_eq!(k.due_at, 6 * H);
        assert_eq!(k.paused_seconds, 2 * 3600);
        k.retarget(&c, SlaDuration::Seconds(3600), 3 * H);
        assert_eq!(k.due_at, 3 * H, "from the start, plus the time on hold");
        k.cancel(4 * H);
        assert_eq!(k.read(&c, 5 * H).remaining_seconds, None);
    }

    proptest! {
        #[test]
        fn any_sequence_keeps_the_laws(ops in prop::collection::vec((0u8..5, 1i64..10_000), 1..20)) {
            let c = cal();
            let mut k = Clock::start(ClockKind::Response, &c, SlaDuration::Seconds(3 * 3600), 0);
            let mut now = 0;
            let mut target = 3 * 3600;
            for (op, dt) in ops {
                now += dt * 1_000_000;
                let before = k.clone();
                match op {
                    0 => k.pause(&c, now),
                    1 => k.resume(&c, now),
                    2 => k.stop(&c, now),
                    3 => k.cancel(now),
                    _ => {
                        if k.is_live() { target = dt; }
                        k.retarget(&c, SlaDuration::Seconds(dt), now);
                    }
                }
                if before.is_live() && matches!(k.state, ClockState::Met | ClockState::Missed) {
                    // On an always-open calendar the counted time is the wall time minus holds,
                    // and a clock is met exactly when it counted less than its target.
                    let elapsed = k.elapsed_seconds.expect("a stopped clock knows its time");
                    prop_assert_eq!(elapsed, (now - k.started_at) / 1_000_000 - k.paused_seconds);
                    if k.state == ClockState::Met { prop_assert!(elapsed < target); }
                }
                if !matches!(k.state, ClockState::Met | ClockState::Missed) {
                    prop_assert_eq!(k.elapsed_seconds, None);
                }
                prop_assert!(k.due_at >= k.started_at);
                if !before.is_live() { prop_assert_eq!(&k, &before, "stopped clocks never change"); }
                if before.state == ClockState::Missed { prop_assert_eq!(k.state, ClockState::Missed); }
                if k.state == ClockState::Met { prop_assert!(k.stopped_at.is_some_and(|s| s < k.due_at || k.paused_at.is_some()) || !k.breached); }
            }
        }
    }
}
