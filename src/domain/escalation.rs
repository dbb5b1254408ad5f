//! Escalation ladder steps as configured: when a step fires and whom it notifies.

use super::calendar::Calendar;
use super::clock::Clock;
use super::duration::{DurationError, SlaDuration};
use super::{ClockKind, Priority};
use jiff::Timestamp;
use std::collections::BTreeMap;

/// When a step fires, relative to its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAt {
    /// A share of the clock's target, in percent (`75%`; above 100 allowed).
    Share(u32),
    /// Open time past the due instant, on the clock's calendar (`+2h`, `+1wd`).
    PastDue(SlaDuration),
}

impl StepAt {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if let Some(pct) = t.strip_suffix('%') {
            return match pct.parse::<u32>() {
                Ok(p) if (1..=1000).contains(&p) => Ok(StepAt::Share(p)),
                _ => Err(format!(
                    "`{text}` is not a share: write a whole percentage from 1% to 1000%, e.g. 75%"
                )),
            };
        }
        if let Some(d) = t.strip_prefix('+') {
            return SlaDuration::parse(d)
                .map(StepAt::PastDue)
                .map_err(|e: DurationError| format!("`{text}`: {}", e.reason));
        }
        Err(format!(
            "`{text}` is neither a share of the target (75%) nor an offset past due (+2h, +1wd)"
        ))
    }
}

/// The recipient groups a step may name besides literal addresses.
pub const GROUPS: &[&str] = &[
    "unit",
    "unit_head",
    "parent_unit_head",
    "trc",
    "trc_lead",
    "kominfo_head",
    "leaders",
];

/// One step of a ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: StepAt,
    /// Group names or literal addresses.
    pub notify: Vec<String>,
}

/// The ladder of one clock kind, with per-priority overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ladder {
    pub steps: Vec<Step>,
    pub by_priority: BTreeMap<Priority, Vec<Step>>,
}

/// Every ladder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ladders {
    pub by_kind: BTreeMap<ClockKind, Ladder>,
}

impl Ladders {
    /// The steps of a clock kind for an issue of `priority`.
    pub fn steps(&self, kind: ClockKind, priority: Priority) -> &[Step] {
        self.by_kind.get(&kind).map_or(&[], |l| {
            l.by_priority.get(&priority).unwrap_or(&l.steps).as_slice()
        })
    }
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The instant a step comes due for a clock: a share of the clock's target in counted open
/// time (time on hold does not count), or an offset past the due instant on its calendar.
pub fn step_instant(cal: &Calendar, clock: &Clock, at: StepAt) -> i64 {
    match at {
        StepAt::Share(100) => clock.due_at,
        StepAt::Share(pct) => {
            let span =
                cal.open_seconds(ts(clock.started_at), ts(clock.due_at)) - clock.paused_seconds;
            let offset = span.max(0) * i64::from(pct) / 100;
            cal.add_open(ts(clock.started_at), offset + clock.paused_seconds)
                .as_microsecond()
                .max(clock.started_at)
        }
        StepAt::PastDue(d) => cal.due(ts(clock.due_at), d).as_microsecond(),
    }
}

/// When a running clock next needs attention: its next step, or its breach at the due
/// instant, whichever comes first. `None` for clocks that do not count.
pub fn next_event(cal: &Calendar, clock: &Clock, steps: &[Step], fired: usize) -> Option<i64> {
    if !clock.is_running() {
        return None;
    }
    let breach = (!clock.breached).then_some(clock.due_at);
    let step = steps.get(fired).map(|s| step_instant(cal, clock, s.at));
    match (breach, step) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whom a step's `notify` entry stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient<'a> {
    /// The assigned unit's mailbox.
    Unit,
    /// The assigned unit's head.
    UnitHead,
    /// The head of the assigned unit's parent.
    ParentUnitHead,
    /// A configured group address (`trc`, `trc_lead`, `kominfo_head`).
    Group(&'a str),
    /// The active leaders whose scope holds the assigned unit.
    Leaders,
    /// An address written in the ladder.
    Address(&'a str),
}

impl<'a> Recipient<'a> {
    pub fn of(entry: &'a str) -> Self {
        match entry {
            "unit" => Recipient::Unit,
            "unit_head" => Recipient::UnitHead,
            "parent_unit_head" => Recipient::ParentUnitHead,
            "trc" | "trc_lead" | "kominfo_head" => Recipient::Group(entry),
            "leaders" => Recipient::Leaders,
            address => Recipient::Address(address),
        }
    }
}

/// What the timer does on a due clock, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerEvent {
    /// The clock passed its due instant.
    Breached { due_at: i64 },
    /// A step fired: its number (1 for the ladder's first) and its index in the ladder.
    Step { number: i32, index: usize },
}

/// The timer's step on one clock at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerStep {
    pub events: Vec<TimerEvent>,
    /// Whether the clock is now marked breached.
    pub breached: bool,
    /// Steps fired on the clock, these included.
    pub fired: i32,
    /// When the timer needs the clock next.
    pub next_event_at: Option<i64>,
}

/// Fires what is due on a clock at `now`, having fired `fired` of its `steps`: the breach at
/// the due instant and every step whose instant has come, in time order (at equal instants the
/// breach first, so a 100 % step follows it). A clock that does not count fires nothing.
pub fn advance(cal: &Calendar, clock: &Clock, steps: &[Step], fired: i32, now: i64) -> TimerStep {
    let mut clock = clock.clone();
    let mut fired = fired;
    let mut events = Vec::new();
    while clock.is_running() {
        let breach_at = (!clock.breached).then_some(clock.due_at);
        let index = usize::try_from(fired).unwrap_or(0);
        let step_at = steps.get(index).map(|s| step_instant(cal, &clock, s.at));
        if let Some(due_at) = breach_at.filter(|b| *b <= now && step_at.is_none_or(|s| *b <= s)) {
            clock.breached = true;
            events.push(TimerEvent::Breached { due_at });
            continue;
        }
        if step_at.is_none_or(|at| at > now) {
            break;
        }
        fired += 1;
        events.push(TimerEvent::Step {
            number: fired,
            index,
        });
    }
    TimerStep {
        next_event_at: next_event(cal, &clock, steps, usize::try_from(fired).unwrap_or(0)),
        events,
        breached: clock.breached,
        fired,
    }
}

/// The longest an instance's escalation timer sleeps without looking at the database (µs): it
/// is woken earlier only for an instant that may fall before it looks again on its own.
pub const TIMER_SWEEP_US: i64 = 30_000_000;

/// Whether a change at `now` that armed a clock's next instant at `instant` must wake the
/// timers of every instance (a `NOTIFY`). Every timer looks at the database again within
/// [`TIMER_SWEEP_US`] of the change being visible, so an instant later than that needs no
/// wake-up; twice the sweep leaves room for a commit that comes seconds after `now`. Filings
/// and triage arm instants minutes or hours away: they wake nobody, and their commits are not
/// serialised behind PostgreSQL's notification queue.
pub fn wakes_timers(now: i64, instant: i64) -> bool {
    instant < now.saturating_add(2 * TIMER_SWEEP_US)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_instants_before_the_sweep_wake_the_timers() {
        let now = 1_796_000_000_000_000;
        // Due now, past or within two sweeps: woken (a timer may not look again in time).
        assert!(wakes_timers(now, now - 1));
        assert!(wakes_timers(now, now));
        assert!(wakes_timers(now, now + 2_000_000));
        assert!(wakes_timers(now, now + 2 * TIMER_SWEEP_US - 1));
        // Later: every timer looks again on its own before the instant.
        assert!(!wakes_timers(now, now + 2 * TIMER_SWEEP_US));
        assert!(!wakes_timers(now, now + 30 * 60_000_000));
        assert!(!wakes_timers(now, i64::MAX));
        assert!(wakes_timers(i64::MAX, i64::MAX - 1));
    }

    #[test]
    fn step_instants() {
        let cal = Calendar::always("always", jiff::tz::TimeZone::UTC);
        let h = 3_600_000_000;
        let mut c = Clock::start(ClockKind::Response, &cal, SlaDuration::Seconds(4 * 3600), 0);
        assert_eq!(step_instant(&cal, &c, StepAt::Share(75)), 3 * h);
        assert_eq!(step_instant(&cal, &c, StepAt::Share(100)), 4 * h);
        assert_eq!(step_instant(&cal, &c, StepAt::Share(150)), 6 * h);
        assert_eq!(
            step_instant(&cal, &c, StepAt::PastDue(SlaDuration::Seconds(7200))),
            6 * h
        );
        c.pause(&cal, h);
        c.resume(&cal, 2 * h);
        assert_eq!(
            step_instant(&cal, &c, StepAt::Share(75)),
            4 * h,
            "time on hold does not count"
        );
        let steps = vec![Step {
            at: StepAt::Share(75),
            notify: vec!["unit".into()],
        }];
        assert_eq!(next_event(&cal, &c, &steps, 0), Some(4 * h));
        assert_eq!(
            next_event(&cal, &c, &steps, 1),
            Some(5 * h),
            "then the breach"
        );
        c.breached = true;
        assert_eq!(next_event(&cal, &c, &steps, 1), None);
        c.stop(&cal, 6 * h);
        assert_eq!(next_event(&cal, &c, &steps, 0), None);
    }

    #[test]
    fn steps() {
        assert_eq!(StepAt::parse("75%"), Ok(StepAt::Share(75)));
        assert_eq!(StepAt::parse("150%"), Ok(StepAt::Share(150)));
        assert_eq!(
            StepAt::parse("+2h"),
            Ok(StepAt::PastDue(SlaDuration::Seconds(7200)))
        );
        assert_eq!(
            StepAt::parse("+1wd"),
            Ok(StepAt::PastDue(SlaDuration::WorkingDays(1)))
        );
        for bad in ["75", "0%", "x%", "+", "+2x", "2h"] {
            assert!(StepAt::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_timer_fires_in_time_order_with_the_breach_before_a_step_at_the_same_instant() {
        let cal = Calendar::always("always", jiff::tz::TimeZone::UTC);
        let h = 3_600_000_000;
        let c = Clock::start(ClockKind::Response, &cal, SlaDuration::Seconds(4 * 3600), 0);
        let step = |at| Step {
            at,
            notify: vec!["unit".into()],
        };
        let steps = [
            step(StepAt::Share(50)),
            step(StepAt::Share(100)),
            step(StepAt::PastDue(SlaDuration::Seconds(3600))),
        ];
        // Before the first step: nothing, next at 2 h.
        let t = advance(&cal, &c, &steps, 0, h);
        assert_eq!((t.events.len(), t.next_event_at), (0, Some(2 * h)));
        // At 4 h 30: the 50 % step, the breach, then the 100 % step; the +1h step is next.
        let t = advance(&cal, &c, &steps, 0, 4 * h + h / 2);
        assert_eq!(
            t.events,
            [
                TimerEvent::Step {
                    number: 1,
                    index: 0
                },
                TimerEvent::Breached { due_at: 4 * h },
                TimerEvent::Step {
                    number: 2,
                    index: 1
                },
            ]
        );
        assert!(t.breached);
        assert_eq!((t.fired, t.next_event_at), (2, Some(5 * h)));
        // Fired once more later, a breach is not marked twice.
        let mut breached = c.clone();
        breached.breached = true;
        let t = advance(&cal, &breached, &steps, 2, 6 * h);
        assert_eq!(
            t.events,
            [TimerEvent::Step {
                number: 3,
                index: 2
            }]
        );
        assert_eq!(t.next_event_at, None);
        // A stopped clock fires nothing.
        let mut stopped = c;
        stopped.stop(&cal, h);
        assert!(advance(&cal, &stopped, &steps, 0, 9 * h).events.is_empty());
    }

    #[test]
    fn recipients() {
        assert_eq!(Recipient::of("unit_head"), Recipient::UnitHead);
        assert_eq!(Recipient::of("trc"), Recipient::Group("trc"));
        assert_eq!(Recipient::of("leaders"), Recipient::Leaders);
        assert_eq!(
            Recipient::of("bupati@kotabarukab.go.id"),
            Recipient::Address("bupati@kotabarukab.go.id")
        );
        for g in GROUPS {
            assert!(!matches!(Recipient::of(g), Recipient::Address(_)), "{g}");
        }
    }
}
