use super::*;
use proptest::prelude::*;

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone")
}

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

/// The shipped office calendar: Mon–Thu 07:30–16:00, Fri 07:30–16:30, national holidays and
/// cuti bersama of 2026 and early 2027.
fn office(zone: &str) -> Calendar {
    let holidays = [
        "2026-01-01",
        "2026-01-16",
        "2026-02-16",
        "2026-02-17",
        "2026-03-18",
        "2026-03-19",
        "2026-03-20",
        "2026-03-21",
        "2026-03-22",
        "2026-03-23",
        "2026-03-24",
        "2026-04-03",
        "2026-04-05",
        "2026-05-01",
        "2026-05-14",
        "2026-05-15",
        "2026-05-27",
        "2026-05-28",
        "2026-05-31",
        "2026-06-01",
        "2026-06-16",
        "2026-08-17",
        "2026-08-25",
        "2026-12-24",
        "2026-12-25",
        "2027-01-01",
        "2027-01-05",
    ];
    Calendar::new(
        "office",
        tz(zone),
        [
            Some((450, 960)),
            Some((450, 960)),
            Some((450, 960)),
            Some((450, 960)),
            Some((450, 990)),
            None,
            None,
        ],
        holidays.iter().map(|d| date(d)).collect(),
    )
}

/// Local wall time in the calendar's zone.
fn at(cal: &Calendar, s: &str) -> Timestamp {
    let dt: DateTime = s.parse().expect("datetime");
    dt.to_zoned(cal.zone.clone()).expect("local").timestamp()
}

fn utc(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

#[test]
fn friday_afternoons_run_into_monday() {
    let c = office("Asia/Makassar");
    // 1.5 h left on Friday (closes 16:30), 2.5 h on Monday from 07:30.
    assert_eq!(
        c.add_open(at(&c, "2026-11-27T15:00"), 4 * 3600),
        at(&c, "2026-11-30T10:00")
    );
    assert_eq!(
        c.add_open(at(&c, "2026-11-27T15:00"), 4 * 3600),
        utc("2026-11-30T02:00:00Z")
    );
}

#[test]
fn closing_time_is_exact() {
    let c = office("Asia/Makassar");
    // Running out exactly at 16:00 is due at 16:00, not at the next opening.
    assert_eq!(
        c.add_open(at(&c, "2026-11-30T12:00"), 4 * 3600),
        at(&c, "2026-11-30T16:00")
    );
    // Starting at 16:00 starts at the next opening (the interval is half-open).
    assert!(!c.is_open(at(&c, "2026-11-30T16:00")));
    assert!(c.is_open(at(&c, "2026-11-30T07:30")));
    assert_eq!(
        c.add_open(at(&c, "2026-11-30T16:00"), 4 * 3600),
        at(&c, "2026-12-01T11:30")
    );
    assert_eq!(
        c.add_open(at(&c, "2026-11-30T15:59"), 60),
        at(&c, "2026-11-30T16:00")
    );
}

#[test]
fn nyepi_and_idul_fitri_2026() {
    let c = office("Asia/Makassar");
    // Tue 17 March 15:00: one hour that day, then Nyepi, cuti bersama and Idul Fitri close the
    // office until Wednesday 25 March.
    assert_eq!(
        c.add_open(at(&c, "2026-03-17T15:00"), 4 * 3600),
        at(&c, "2026-03-25T10:30")
    );
    assert_eq!(
        c.add_working_days(at(&c, "2026-03-17T10:00"), 1),
        at(&c, "2026-03-25T10:00")
    );
    assert_eq!(
        c.open_seconds(at(&c, "2026-03-17T15:00"), at(&c, "2026-03-25T10:30")),
        4 * 3600
    );
}

#[test]
fn weekends_and_starts_inside_holidays() {
    let c = office("Asia/Makassar");
    assert_eq!(
        c.add_open(at(&c, "2026-11-28T10:00"), 30 * 60),
        at(&c, "2026-11-30T08:00")
    );
    // From Christmas Eve (cuti bersama): counted from Monday 28 Dec 07:30; 1 Jan and
    // 5 Jan 2027 (Isra Mikraj) are holidays, so the fifth working day is 6 Jan.
    assert_eq!(
        c.add_working_days(at(&c, "2026-12-24T09:00"), 5),
        at(&c, "2027-01-06T07:30")
    );
}

#[test]
fn working_days_keep_the_clock_time_or_stop_at_closing() {
    let c = office("Asia/Makassar");
    assert_eq!(
        c.add_working_days(at(&c, "2026-11-30T10:15"), 1),
        at(&c, "2026-12-01T10:15")
    );
    assert_eq!(
        c.add_working_days(at(&c, "2026-11-30T10:15"), 5),
        at(&c, "2026-12-07T10:15")
    );
    // Friday 16:15 is open; the next working day (Monday) has closed by 16:15.
    assert_eq!(
        c.add_working_days(at(&c, "2026-12-04T16:15"), 1),
        at(&c, "2026-12-07T16:00")
    );
    // Started after closing: counted from the next opening.
    assert_eq!(
        c.add_working_days(at(&c, "2026-12-01T18:00"), 1),
        at(&c, "2026-12-03T07:30")
    );
}

#[test]
fn pause_over_a_night_and_a_weekend() {
    let c = office("Asia/Makassar");
    let due = at(&c, "2026-11-27T16:00");
    let paused = c.open_seconds(at(&c, "2026-11-27T15:00"), at(&c, "2026-11-30T08:00"));
    assert_eq!(
        paused,
        2 * 3600,
        "Friday 15:00–16:30 and Monday 07:30–08:00"
    );
    assert_eq!(c.add_open(due, paused), at(&c, "2026-11-30T09:00"));
}

#[test]
fn wib_and_wit() {
    let jkt = office("Asia/Jakarta");
    let jpr = office("Asia/Jayapura");
    assert_eq!(
        jkt.add_open(at(&jkt, "2026-11-30T12:00"), 4 * 3600),
        utc("2026-11-30T09:00:00Z")
    );
    assert_eq!(
        jpr.add_open(at(&jpr, "2026-11-30T12:00"), 4 * 3600),
        utc("2026-11-30T07:00:00Z")
    );
}

#[test]
fn daylight_saving_time() {
    let c = Calendar::always("always", tz("Europe/Berlin"));
    // 29 March 2026 has 23 hours in Berlin: a day of open time is 24 real hours, a working day
    // is the same wall-clock time the next day.
    let start = at(&c, "2026-03-28T12:00");
    assert_eq!(c.add_open(start, 86_400), utc("2026-03-29T11:00:00Z"));
    assert_eq!(c.add_working_days(start, 1), utc("2026-03-29T10:00:00Z"));
    assert_eq!(
        c.open_seconds(at(&c, "2026-03-29T00:00"), at(&c, "2026-03-30T00:00")),
        23 * 3600
    );
}

// ----- property tests against a deliberately simple reference -----

const ZONES: &[&str] = &[
    "Asia/Makassar",
    "Asia/Jakarta",
    "Asia/Jayapura",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
];

/// Open by the wall clock: the local minute lies in the weekday's hours and the date is no holiday.
fn open_by_wall_clock(c: &Calendar, t: Timestamp) -> bool {
    let z = t.to_zoned(c.zone.clone());
    if c.holidays.contains(&z.date()) {
        return false;
    }
    let idx = usize::try_from(z.weekday().to_monday_zero_offset()).unwrap_or(0);
    let m = u16::try_from(i32::from(z.hour()) * 60 + i32::from(z.minute())).unwrap_or(0);
    c.week[idx].is_some_and(|(o, cl)| o <= m && m < cl)
}

fn minute(t: Timestamp) -> Timestamp {
    t + SignedDuration::from_mins(1)
}

fn reference_add(c: &Calendar, start: Timestamp, minutes: i64) -> Timestamp {
    let (mut t, mut left) = (start, minutes);
    loop {
        if open_by_wall_clock(c, t) {
            left -= 1;
            t = minute(t);
            if left == 0 {
                return t;
            }
        } else {
            t = minute(t);
        }
    }
}

fn reference_open(c: &Calendar, from: Timestamp, to: Timestamp) -> i64 {
    let (mut t, mut n) = (from, 0);
    while t < to {
        if open_by_wall_clock(c, t) {
            n += 60;
        }
        t = minute(t);
    }
    n
}

#[allow(
    clippy::many_single_char_names,
    reason = "a reference model written as plainly as the rule it checks"
)]
fn reference_working_days(c: &Calendar, start: Timestamp, n: i64) -> Timestamp {
    let mut s = start;
    while !open_by_wall_clock(c, s) {
        s = minute(s);
    }
    let local = s.to_zoned(c.zone.clone());
    let mut d = local.date();
    let mut count = 0;
    while count < n {
        d = d.tomorrow().expect("date");
        let idx = usize::try_from(d.weekday().to_monday_zero_offset()).unwrap_or(0);
        if c.week[idx].is_some() && !c.holidays.contains(&d) {
            count += 1;
        }
    }
    let idx = usize::try_from(d.weekday().to_monday_zero_offset()).unwrap_or(0);
    let (o, cl) = c.week[idx].expect("working day");
    let m = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute()))
        .unwrap_or(0)
        .clamp(o, cl);
    let dt = if m == 1440 {
        d.tomorrow().expect("date").at(0, 0, 0, 0)
    } else {
        d.at(
            i8::try_from(m / 60).unwrap_or(0),
            i8::try_from(m % 60).unwrap_or(0),
            0,
            0,
        )
    };
    dt.to_zoned(c.zone.clone()).expect("local").timestamp()
}

fn any_calendar() -> impl Strategy<Value = Calendar> {
    // Office hours start at 05:00 or later, clear of the night-time daylight-saving changes
    // where wall-clock minutes and instants part ways; `always` days are whole days.
    let day = prop_oneof![
        1 => Just(None),
        3 => (300u16..720, 60u16..600).prop_map(|(o, len)| Some((o, (o + len).min(1440)))),
        1 => Just(Some((0u16, 1440u16))),
    ];
    (
        prop::sample::select(ZONES.to_vec()),
        prop::array::uniform7(day),
        prop::collection::btree_set(0i32..120, 0..12),
    )
        .prop_filter("at least one open weekday", |(_, week, _)| {
            week.iter().any(Option::is_some)
        })
        .prop_map(|(zone, week, offsets)| {
            let holidays = offsets
                .into_iter()
                .filter_map(|o| {
                    date("2026-03-01")
                        .checked_add(jiff::Span::new().days(i64::from(o)))
                        .ok()
                })
                .collect();
            Calendar::new("random", tz(zone), week, holidays)
        })
}

fn any_start() -> impl Strategy<Value = Timestamp> {
    // Whole minutes from March to June 2026, across daylight-saving changes and Idul Fitri.
    (0i64..(120 * 24 * 60)).prop_map(|m| utc("2026-03-01T00:00:00Z") + SignedDuration::from_mins(m))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn add_open_equals_the_minute_by_minute_reference(c in any_calendar(), start in any_start(), minutes in 1i64..900) {
        prop_assert_eq!(c.add_open(start, minutes * 60), reference_add(&c, start, minutes));
    }

    #[test]
    fn open_seconds_equals_the_reference(c in any_calendar(), a in any_start(), span in 0i64..(6 * 24 * 60)) {
        let b = a + SignedDuration::from_mins(span);
        prop_assert_eq!(c.open_seconds(a, b), reference_open(&c, a, b));
        prop_assert_eq!(c.open_seconds(b, a), -reference_open(&c, a, b));
    }

    #[test]
    fn long_spans_count_like_day_by_day(c in any_calendar(), a in any_start(), days in 0i64..1200, mins in 0i64..1440) {
        let b = a + SignedDuration::from_hours(days * 24) + SignedDuration::from_mins(mins);
        prop_assert_eq!(c.open_seconds(a, b), c.open_seconds_day_by_day(a, b));
        prop_assert_eq!(c.open_seconds(b, a), -c.open_seconds_day_by_day(a, b));
    }

    #[test]
    fn around_the_clock_is_elapsed_time(zone in prop::sample::select(ZONES.to_vec()), a in any_start(), micros in 0i64..(40 * 86_400 * 1_000_000), seconds in 1i64..(40 * 86_400)) {
        let c = Calendar::always("always", tz(zone));
        let b = a + SignedDuration::from_micros(micros);
        prop_assert_eq!(c.open_seconds(a, b), c.open_seconds_day_by_day(a, b));
        prop_assert_eq!(c.open_seconds(b, a), -c.open_seconds_day_by_day(a, b));
        prop_assert_eq!(c.add_open(b, seconds), c.add_open_day_by_day(b, seconds));
        prop_assert_eq!(c.next_opening(b), b);
    }

    #[test]
    fn fixed_offsets_read_as_the_zone_rules(zone in prop::sample::select(ZONES.to_vec()), t in any_start(), micros in 0i64..(3 * 365 * 86_400 * 1_000_000)) {
        let c = Calendar::always("always", tz(zone));
        let t = t + SignedDuration::from_micros(micros);
        let dt = t.to_zoned(tz(zone)).datetime();
        prop_assert_eq!(c.local_date(t), dt.date());
        prop_assert_eq!(c.local_instant(dt), dt.to_zoned(tz(zone)).expect("local").timestamp());
        prop_assert_eq!(c.fixed.is_some(), zone.starts_with("Asia/"), "Indonesia's zones no longer change, the others do");
    }

    #[test]
    fn working_days_equal_the_reference(c in any_calendar(), start in any_start(), n in 1i64..8) {
        prop_assert_eq!(c.add_working_days(start, n), reference_working_days(&c, start, n));
    }

    #[test]
    fn due_laws(c in any_calendar(), start in any_start(), a in 1i64..3000, b in 1i64..3000) {
        let due = c.add_open(start, a * 60);
        prop_assert!(due > start);
        prop_assert!(c.add_open(start, (a + b) * 60) > due, "monotonic in the duration");
        prop_assert_eq!(c.open_seconds(start, due), a * 60, "exactly the open time asked for");
        prop_assert_eq!(c.add_open(due, b * 60), c.add_open(start, (a + b) * 60), "a pause extends by exactly the paused open time");
    }
}
