//! Holiday lists as the decree gives them (SKB 3 Menteri: national holidays and cuti bersama),
//! how far ahead each reaches, and what a calendar does on each day.

use super::Calendar;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// A named list of holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayList {
    pub name: String,
    /// Each date with its name, when the list gives one.
    pub days: BTreeMap<Date, Option<String>>,
    /// The last date the list speaks for: its `covers_until`, else the end of the latest year
    /// with any entry; `None` for an empty list (it promises nothing).
    pub covers_until: Option<Date>,
}

impl HolidayList {
    /// A list of `days`; `covers_until` as written, else the 31 December of its last year.
    pub fn new(
        name: &str,
        days: BTreeMap<Date, Option<String>>,
        covers_until: Option<Date>,
    ) -> Self {
        let end_of_last_year = days
            .keys()
            .next_back()
            .and_then(|d| Date::new(d.year(), 12, 31).ok());
        HolidayList {
            name: name.to_owned(),
            covers_until: covers_until.or(end_of_last_year),
            days,
        }
    }

    /// Days from `today` to the last covered date (negative once it has passed).
    pub fn days_remaining(&self, today: Date) -> Option<i64> {
        let end = self.covers_until?;
        today.until(end).ok().map(|span| i64::from(span.get_days()))
    }
}

/// A holiday list that runs out soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningOut {
    pub list: String,
    pub covers_until: Date,
    /// Days from today to `covers_until` (negative once it has passed).
    pub days_left: i64,
}

/// The lists among `lists` that reach fewer than `min_days` past `today`.
pub fn running_out<'a>(
    lists: impl IntoIterator<Item = &'a HolidayList>,
    today: Date,
    min_days: i64,
) -> Vec<RunningOut> {
    lists
        .into_iter()
        .filter_map(|l| {
            let covers_until = l.covers_until?;
            let days_left = l.days_remaining(today)?;
            (days_left < min_days).then(|| RunningOut {
                list: l.name.clone(),
                covers_until,
                days_left,
            })
        })
        .collect()
}

/// One day of a calendar, as `calendar show` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    /// Open hours (minutes after local midnight), `None` when closed.
    pub hours: Option<(u16, u16)>,
    /// The holidays of the day, by list: (list, name).
    pub holidays: Vec<(String, Option<String>)>,
    /// Lists of the calendar that do not reach this day: their holidays are unknown.
    pub beyond: Vec<String>,
}

/// What `calendar` does each day from `from` to `to` (inclusive), with its lists' names.
pub fn days(calendar: &Calendar, lists: &[&HolidayList], from: Date, to: Date) -> Vec<Day> {
    std::iter::successors(Some(from), |d| d.tomorrow().ok())
        .take_while(|d| *d <= to)
        .take(366 * 2)
        .map(|date| Day {
            date,
            hours: calendar.hours_of(date),
            holidays: lists
                .iter()
                .filter_map(|l| Some((l.name.clone(), l.days.get(&date)?.clone())))
                .collect(),
            beyond: lists
                .iter()
                .filter(|l| l.covers_until.is_some_and(|end| date > end))
                .map(|l| l.name.clone())
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn list(entries: &[(Date, &str)], covers: Option<Date>) -> HolidayList {
        HolidayList::new(
            "national",
            entries
                .iter()
                .map(|(d, n)| (*d, Some((*n).to_owned())))
                .collect(),
            covers,
        )
    }

    #[test]
    fn a_list_covers_its_last_year_unless_it_says_otherwise() {
        let l = list(
            &[
                (date(2026, 1, 1), "Tahun Baru"),
                (date(2027, 3, 10), "Idul Fitri"),
            ],
            None,
        );
        assert_eq!(l.covers_until, Some(date(2027, 12, 31)));
        assert_eq!(l.days_remaining(date(2027, 12, 1)), Some(30));
        assert_eq!(l.days_remaining(date(2028, 1, 2)), Some(-2));
        let said = list(&[(date(2027, 3, 10), "x")], Some(date(2028, 6, 30)));
        assert_eq!(said.covers_until, Some(date(2028, 6, 30)));
        assert_eq!(list(&[], None).covers_until, None);
    }

    #[test]
    fn only_lists_that_end_within_the_margin_are_running_out() {
        let soon = list(&[(date(2027, 5, 1), "x")], None);
        let far = HolidayList::new("kotabaru", BTreeMap::new(), Some(date(2030, 1, 1)));
        let empty = HolidayList::new("none", BTreeMap::new(), None);
        let r = running_out([&soon, &far, &empty], date(2027, 10, 10), 90);
        assert_eq!(
            r,
            [RunningOut {
                list: "national".into(),
                covers_until: date(2027, 12, 31),
                days_left: 82
            }]
        );
        assert!(running_out([&soon], date(2027, 10, 2), 90).is_empty());
    }

    #[test]
    fn days_name_holidays_and_the_days_no_list_reaches() {
        let l = list(&[(date(2027, 12, 25), "Hari Raya Natal")], None);
        let mut cal = Calendar::always("office", jiff::tz::TimeZone::UTC);
        cal.week = [
            Some((450, 960)),
            Some((450, 960)),
            Some((450, 960)),
            Some((450, 960)),
            Some((450, 990)),
            None,
            None,
        ];
        cal.holidays = l.days.keys().copied().collect();
        let d = days(&cal, &[&l], date(2027, 12, 24), date(2028, 1, 3));
        assert_eq!(d.len(), 11);
        assert_eq!(d[0].hours, Some((450, 990)), "a Friday");
        assert_eq!(d[1].hours, None);
        assert_eq!(
            d[1].holidays,
            [("national".to_owned(), Some("Hari Raya Natal".to_owned()))]
        );
        assert!(d[7].beyond.is_empty(), "31 December is covered");
        assert_eq!(d[8].beyond, ["national"], "1 January 2028 is not");
        assert_eq!(d[10].hours, Some((450, 960)), "a Monday");
    }
}
