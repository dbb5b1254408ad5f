//! SLA policies: the target and calendar of each clock, by priority with per-category
//! overrides, and the calendars they count on.

use super::calendar::Calendar;
use super::{Category, ClockKind, Priority, SlaDuration};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The target of one clock and the calendar it counts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockTarget {
    pub calendar: String,
    pub target: SlaDuration,
}

/// The three clocks of a priority.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub calendar: String,
    pub triage: SlaDuration,
    pub response: SlaDuration,
    pub resolution: SlaDuration,
}

/// A category's overrides: only the clocks given; `calendar` applies to those.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Override {
    pub calendar: Option<String>,
    pub triage: Option<SlaDuration>,
    pub response: Option<SlaDuration>,
    pub resolution: Option<SlaDuration>,
}

/// Everything the clocks and their escalations need: the zone, the calendars, the policies,
/// the ladders and their recipient groups, and what emails show.
#[derive(Debug, Clone)]
pub struct SlaConfig {
    pub zone: jiff::tz::TimeZone,
    pub calendars: BTreeMap<String, Calendar>,
    /// Every holiday list, by name.
    pub holiday_lists: BTreeMap<String, super::calendar::holidays::HolidayList>,
    /// The holiday lists each calendar names, by calendar.
    pub calendar_lists: BTreeMap<String, Vec<String>>,
    pub priorities: BTreeMap<Priority, Policy>,
    pub categories: BTreeMap<Category, Override>,
    pub ladders: super::escalation::Ladders,
    /// `trc`, `trc_lead`, `kominfo_head` addresses.
    pub groups: BTreeMap<String, String>,
    /// Links in emails start with this.
    pub public_base_url: String,
    /// `id` or `en`.
    pub language: String,
    /// The sender of every email.
    pub mail_from: String,
    /// Words in nearly every report of this region (`[similar] common_words`, as comparable
    /// words): similar issues do not compare them.
    pub common_words: Vec<String>,
    /// The key email links are signed with, and how long they open their issue.
    pub links: LinkKey,
    /// The audit keys events are linked with (`[audit]`).
    pub audit_keys: std::sync::Arc<crate::audit::Keys>,
}

/// The key of the links in emails (derived from the server's secret) and their lifetime.
#[derive(Clone)]
pub struct LinkKey {
    pub key: [u8; 32],
    pub ttl_secs: i64,
    /// How long a partner's link to a clarification works.
    pub partner_ttl_secs: i64,
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LinkKey {{ key: (secret), ttl_secs: {} }}",
            self.ttl_secs
        )
    }
}

impl SlaConfig {
    /// The target of `kind` for an issue of `priority` and `category`.
    pub fn target(
        &self,
        priority: Priority,
        category: Category,
        kind: ClockKind,
    ) -> Option<ClockTarget> {
        let p = self.priorities.get(&priority)?;
        let base = match kind {
            ClockKind::Triage => p.triage,
            ClockKind::Response => p.response,
            ClockKind::Resolution => p.resolution,
        };
        let ov = self.categories.get(&category);
        let over = ov.and_then(|o| match kind {
            ClockKind::Triage => o.triage,
            ClockKind::Response => o.response,
            ClockKind::Resolution => o.resolution,
        });
        Some(match over {
            Some(t) => ClockTarget {
                calendar: ov
                    .and_then(|o| o.calendar.clone())
                    .unwrap_or_else(|| p.calendar.clone()),
                target: t,
            },
            None => ClockTarget {
                calendar: p.calendar.clone(),
                target: base,
            },
        })
    }

    /// The holiday lists `calendar` names.
    pub fn lists_of(&self, calendar: &str) -> Vec<&super::calendar::holidays::HolidayList> {
        self.calendar_lists
            .get(calendar)
            .into_iter()
            .flatten()
            .filter_map(|l| self.holiday_lists.get(l))
            .collect()
    }

    /// The lists some calendar names that reach fewer than `min_days` past `today`.
    pub fn holidays_running_out(
        &self,
        today: jiff::civil::Date,
        min_days: i64,
    ) -> Vec<super::calendar::holidays::RunningOut> {
        let used: std::collections::BTreeSet<&String> =
            self.calendar_lists.values().flatten().collect();
        super::calendar::holidays::running_out(
            self.holiday_lists
                .iter()
                .filter(|(name, _)| used.contains(name))
                .map(|(_, l)| l),
            today,
            min_days,
        )
    }

    /// A calendar by name, borrowed (it holds the holiday list, and every clock shown on a page
    /// reads one); an unknown name (never after validation) counts on `always`.
    pub fn calendar(&self, name: &str) -> Cow<'_, Calendar> {
        match self.calendars.get(name) {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Owned(Calendar::always("always", self.zone.clone())),
        }
    }
}
