//! Office calendars: open time between instants and due instants, in a deployment's time zone,
//! minus holidays. Pure: instants in, instants out; no clock, no I/O.
//!
//! Office hours are one half-open local interval per weekday (`07:30-16:00` is open at 07:30
//! and closed at 16:00). Local times are mapped to instants with the zone's rules; a wall time
//! that a daylight-saving change skips or repeats resolves the way most clocks do (the later
//! offset for a gap, the earlier for a fold).

pub mod holidays;

use super::SlaDuration;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;

/// Office hours of one weekday: minutes after local midnight, `open < close <= 1440`.
pub type DayHours = Option<(u16, u16)>;

/// A calendar: which local intervals count as open time.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub name: String,
    zone: TimeZone,
    /// The zone's offset from UTC where it no longer changes: from the instant given on
    /// (Indonesia's zones since the 1960s), local dates and instants are plain arithmetic,
    /// without a look at the zone's rules. `None` for zones that still change (daylight saving).
    fixed: Option<(Timestamp, Offset)>,
    /// Monday first. `always` has 00:00–24:00 every day.
    pub week: [DayHours; 7],
    pub holidays: BTreeSet<Date>,
}

/// How far ahead a computation may look before it gives up (a calendar with no open time).
const MAX_DAYS: i32 = 366 * 30;

/// The offset `zone` keeps from 1970 on, if it never changes after that (no transition and no
/// daylight-saving rule), with the instant it holds from.
fn fixed_offset(zone: &TimeZone) -> Option<(Timestamp, Offset)> {
    let since = Timestamp::UNIX_EPOCH;
    match zone.following(since).next() {
        Some(_) => None,
        None => Some((since, zone.to_offset(since))),
    }
}

impl Calendar {
    /// A calendar of `week`'s hours minus `holidays`, in `zone`.
    pub fn new(name: &str, zone: TimeZone, week: [DayHours; 7], holidays: BTreeSet<Date>) -> Self {
        Calendar {
            name: name.to_owned(),
            fixed: fixed_offset(&zone),
            zone,
            week,
            holidays,
        }
    }

    /// Open around the clock, every day.
    pub fn always(name: &str, zone: TimeZone) -> Self {
        Self::new(name, zone, [Some((0, 1440)); 7], BTreeSet::new())
    }

    /// The local instant of `date` at `minutes` after midnight (1440 = the next midnight).
    fn at(&self, date: Date, minutes: u16) -> Timestamp {
        let (d, m) = if minutes >= 1440 {
            (date.tomorrow().unwrap_or(date), minutes - 1440)
        } else {
            (date, minutes)
        };
        let time = Time::new(
            i8::try_from(m / 60).unwrap_or(0),
            i8::try_from(m % 60).unwrap_or(0),
            0,
            0,
        )
        .unwrap_or(Time::midnight());
        self.local_instant(DateTime::from_parts(d, time))
    }

    fn local_instant(&self, dt: DateTime) -> Timestamp {
        if let Some((since, offset)) = self.fixed {
            if let Ok(t) = offset.to_timestamp(dt) {
                if t >= since {
                    return t;
                }
            }
        }
        self.zone
            .to_ambiguous_timestamp(dt)
            .compatible()
            .unwrap_or_else(|_| {
                dt.to_zoned(TimeZone::UTC)
                    .map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp())
            })
    }

    fn local_date(&self, t: Timestamp) -> Date {
        match self.fixed {
            Some((since, offset)) if t >= since => offset.to_datetime(t).date(),
            _ => t.to_zoned(self.zone.clone()).date(),
        }
    }

    /// Whether `date` is a working day: it has office hours and is no holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.hours_of(date).is_some()
    }

    /// The open hours of `date` (minutes after local midnight): its weekday's, unless it is a
    /// holiday.
    pub fn hours_of(&self, date: Date) -> DayHours {
        if self.holidays.contains(&date) {
            return None;
        }
        let idx = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
        self.week.get(idx).copied().flatten()
    }

    /// The open interval of `date` as instants, if it is a working day.
    pub fn interval(&self, date: Date) -> Option<(Timestamp, Timestamp)> {
        self.hours_of(date)
            .map(|(o, c)| (self.at(date, o), self.at(date, c)))
            .filter(|(a, b)| a < b)
    }

    /// Whether the office is open at `t`.
    pub fn is_open(&self, t: Timestamp) -> bool {
        let d = self.local_date(t);
        [d.yesterday().ok(), Some(d)]
            .into_iter()
            .flatten()
            .filter_map(|d| self.interval(d))
            .any(|(a, b)| a <= t && t < b)
    }

    /// Intervals from the one containing or following `from`'s local date on.
    fn intervals_from(&self, from: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let start = self
            .local_date(from)
            .yesterday()
            .unwrap_or(self.local_date(from));
        std::iter::successors(Some(start), |d| d.tomorrow().ok())
            .take(MAX_DAYS as usize)
            .filter_map(move |d| self.interval(d))
    }

    /// Whether every instant is open time: whole days every day and no holidays (the `always`
    /// kind). Its days follow each other without a gap in any zone, so open time is plain
    /// elapsed time and needs no look at the days.
    fn around_the_clock(&self) -> bool {
        self.holidays.is_empty() && self.week.iter().all(|d| *d == Some((0, 1440)))
    }

    /// The first open instant at or after `t`.
    pub fn next_opening(&self, t: Timestamp) -> Timestamp {
        if self.around_the_clock() {
            return t;
        }
        self.intervals_from(t)
            .find(|(_, b)| *b > t)
            .map_or(t, |(a, _)| a.max(t))
    }

    /// The instant when `seconds` of open time have passed from `start`. Open time that runs
    /// out exactly at closing is due at closing.
    pub fn add_open(&self, start: Timestamp, seconds: i64) -> Timestamp {
        if seconds <= 0 {
            return start;
        }
        if self.around_the_clock() {
            if let Ok(due) = start.checked_add(SignedDuration::from_secs(seconds)) {
                return due;
            }
        }
        self.add_open_day_by_day(start, seconds)
    }

    /// [`Calendar::add_open`] one day's interval after the other (`seconds > 0`).
    fn add_open_day_by_day(&self, start: Timestamp, seconds: i64) -> Timestamp {
        let mut left = SignedDuration::from_secs(seconds);
        for (a, b) in self.intervals_from(start) {
            if b <= start {
                continue;
            }
            let s = a.max(start);
            let avail = b.duration_since(s);
            if left <= avail {
                return s.checked_add(left).unwrap_or(b);
            }
            left -= avail;
        }
        far_future(start)
    }

    /// Open time in `[from, to)`, in seconds; negative when `to` is before `from`. The whole
    /// days between the first and the last count by [`Calendar::whole_days`] (whole weeks at
    /// once; arithmetic in zones without offset changes): a queue page reads the clocks of
    /// fifty issues, most of them days late.
    pub fn open_seconds(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to < from {
            return -self.open_seconds(to, from);
        }
        if self.around_the_clock() {
            return to.duration_since(from).as_secs();
        }
        let (first, last) = (self.local_date(from), self.local_date(to));
        match (first.tomorrow(), last.since(first).map(|s| s.get_days())) {
            (Ok(inner), Ok(days)) if days > 1 => {
                // [from, midnight after `from`) + whole days up to `to`'s date + that day.
                let (a, b) = (self.at(inner, 0), self.at(last, 0));
                self.open_seconds_day_by_day(from, a)
                    + self.whole_days(inner, last)
                    + self.open_seconds_day_by_day(b, to)
            }
            _ => self.open_seconds_day_by_day(from, to),
        }
    }

    /// Open seconds of a weekday's hours (holidays aside), from the week's table.
    fn weekday_seconds(&self, date: Date) -> i64 {
        let idx = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
        self.week
            .get(idx)
            .copied()
            .flatten()
            .map_or(0, |(o, c)| i64::from(c - o) * 60)
    }

    /// Open seconds of the whole local days `[from, to)`. Without a change of UTC offset in
    /// between (Indonesia has none) this is arithmetic: whole weeks, the days left over, minus
    /// the holidays' hours. Otherwise a week without holidays and without a net offset change
    /// holds every weekday's hours once, and other weeks go day by day.
    fn whole_days(&self, from: Date, to: Date) -> i64 {
        let week: i64 = self
            .week
            .iter()
            .flatten()
            .map(|(o, c)| i64::from(c - o) * 60)
            .sum();
        let (start, end) = (self.at(from, 0), self.at(to, 0));
        let fixed_offset = self.fixed.is_some_and(|(since, _)| start >= since)
            || self
                .zone
                .following(start)
                .next()
                .is_none_or(|t| t.timestamp() >= end);
        if let (true, Ok(span)) = (fixed_offset, to.since(from)) {
            let days = i64::from(span.get_days());
            let mut total = days / 7 * week;
            let mut day = from
                .checked_add(jiff::Span::new().days(days / 7 * 7))
                .unwrap_or(to);
            while day < to {
                total += self.weekday_seconds(day);
                day = match day.tomorrow() {
                    Ok(d) => d,
                    Err(_) => break,
                };
            }
            return total
                - self
                    .holidays
                    .range(from..to)
                    .map(|h| self.weekday_seconds(*h))
                    .sum::<i64>();
        }
        let mut total = 0;
        let mut day = from;
        while day < to {
            let next_week = day.checked_add(jiff::Span::new().days(7)).unwrap_or(to);
            let plain_week = next_week <= to
                && self.holidays.range(day..next_week).next().is_none()
                && self.at(next_week, 0).duration_since(self.at(day, 0))
                    == SignedDuration::from_hours(7 * 24);
            if plain_week {
                total += week;
                day = next_week;
                continue;
            }
            if let Some((a, b)) = self.interval(day) {
                total += b.duration_since(a).as_secs();
            }
            day = match day.tomorrow() {
                Ok(d) => d,
                Err(_) => break,
            };
        }
        total
    }

    /// Open time in `[from, to)` (`from <= to`), one day's interval after the other.
    fn open_seconds_day_by_day(&self, from: Timestamp, to: Timestamp) -> i64 {
        let mut total = SignedDuration::ZERO;
        for (a, b) in self.intervals_from(from) {
            if a >= to {
                break;
            }
            let (s, e) = (a.max(from), b.min(to));
            if s < e {
                total += e.duration_since(s);
            }
        }
        total.as_secs()
    }

    /// Due instant of `n` working days from `start`: the same local clock time on the n-th
    /// following working day, or that day's closing (opening) when the time falls after
    /// (before) its office hours. A start outside office hours counts from the next opening.
    pub fn add_working_days(&self, start: Timestamp, n: i64) -> Timestamp {
        let s = self.next_opening(start);
        let local = s.to_zoned(self.zone.clone());
        let clock = local.time();
        let mut day = local.date();
        let mut counted = 0;
        for _ in 0..MAX_DAYS {
            if counted >= n {
                break;
            }
            day = match day.tomorrow() {
                Ok(d) => d,
                Err(_) => return far_future(start),
            };
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        if counted < n {
            return far_future(start);
        }
        match self.interval(day) {
            Some((a, b)) => self
                .local_instant(DateTime::from_parts(day, clock))
                .clamp(a, b),
            None => far_future(start),
        }
    }

    /// The due instant of a duration started at `start`.
    pub fn due(&self, start: Timestamp, d: SlaDuration) -> Timestamp {
        match d {
            SlaDuration::Seconds(s) => self.add_open(start, s),
            SlaDuration::WorkingDays(n) => self.add_working_days(start, n),
        }
    }
}

fn far_future(t: Timestamp) -> Timestamp {
    t.checked_add(SignedDuration::from_hours(24 * 366 * 100))
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests;
