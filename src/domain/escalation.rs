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
}
