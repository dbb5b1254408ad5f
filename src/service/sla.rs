//! Reading the SLA configuration: policies, calendars, ladders, and a due-time preview.

use super::Ctx;
use crate::config::Settings;
use crate::domain::{Category, ClockKind, Priority};
use crate::error::{AppError, AppResult, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// The clocks of one priority.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriorityPolicy {
    pub priority: Priority,
    pub calendar: String,
    pub triage: String,
    pub response: String,
    pub resolution: String,
}

/// A category's overrides (only the clocks it changes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryOverride {
    pub category: Category,
    pub calendar: Option<String>,
    pub triage: Option<String>,
    pub response: Option<String>,
    pub resolution: Option<String>,
}

/// The effective SLA policies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Policies {
    pub priorities: Vec<PriorityPolicy>,
    pub categories: Vec<CategoryOverride>,
}

pub fn policies(ctx: &Ctx) -> Policies {
    Policies {
        priorities: ctx
            .sla
            .priorities
            .iter()
            .map(|(p, pol)| PriorityPolicy {
                priority: *p,
                calendar: pol.calendar.clone(),
                triage: pol.triage.to_string(),
                response: pol.response.to_string(),
                resolution: pol.resolution.to_string(),
            })
            .collect(),
        categories: ctx
            .sla
            .categories
            .iter()
            .map(|(k, o)| CategoryOverride {
                category: *k,
                calendar: o.calendar.clone(),
                triage: o.triage.map(|d| d.to_string()),
                response: o.response.map(|d| d.to_string()),
                resolution: o.resolution.map(|d| d.to_string()),
            })
            .collect(),
    }
}

/// A calendar as configured.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarInfo {
    pub name: String,
    /// `always` or `office_hours`.
    pub kind: String,
    pub zone: String,
    /// Office hours per weekday (`mon` … `sun`).
    #[schema(value_type = Object)]
    pub hours: std::collections::BTreeMap<String, String>,
    /// Names of the holiday lists.
    pub holidays: Vec<String>,
    /// The holiday dates of those lists (YYYY-MM-DD).
    pub holiday_dates: Vec<String>,
}

pub fn calendars(ctx: &Ctx, settings: &Settings) -> Vec<CalendarInfo> {
    settings
        .calendars
        .iter()
        .map(|(name, c)| CalendarInfo {
            name: name.clone(),
            kind: c.kind.clone(),
            zone: settings.time.zone.clone(),
            hours: c.hours.clone(),
            holidays: c.holidays.clone(),
            holiday_dates: ctx
                .sla
                .calendars
                .get(name)
                .map(|cal| cal.holidays.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// One clock of a preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewClock {
    pub kind: ClockKind,
    /// The configured duration, e.g. `5wd`.
    pub target: String,
    pub calendar: String,
    pub due_at: String,
}

/// Due instants of clocks started at `start`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaPreview {
    pub priority: Priority,
    pub category: Option<Category>,
    /// The priority's calendar.
    pub calendar: String,
    pub start: String,
    pub clocks: Vec<PreviewClock>,
}

#[allow(
    clippy::too_many_lines,
    reason = "the preview walks each clock kind in turn, as the answer lists them"
)]
pub fn preview(
    ctx: &Ctx,
    priority: Option<&str>,
    category: Option<&str>,
    start: Option<&str>,
) -> AppResult<SlaPreview> {
    let mut errors = Vec::new();
    let priority = if let Some(p) = priority.map(str::trim) {
        let r = Priority::parse(p);
        if r.is_none() {
            errors.push(
                FieldError::new("priority", format!("`{p}` is not a priority"))
                    .with_valid(Priority::names()),
            );
        }
        r
    } else {
        errors.push(FieldError::new("priority", "is required").with_valid(Priority::names()));
        None
    };
    // An empty `category=` is refused like any other name that is not a category.
    let category = match category.map(str::trim) {
        Some(c) => {
            let r = Category::parse(c);
            if r.is_none() {
                errors.push(
                    FieldError::new("category", format!("`{c}` is not a category"))
                        .with_valid(Category::names()),
                );
            }
            r
        }
        None => None,
    };
    let start = match start.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            if let Ok(t) = s.parse::<jiff::Timestamp>() {
                Some(super::micros(t))
            } else {
                errors.push(FieldError::new(
                    "start",
                    format!("`{s}` is not an RFC 3339 instant such as 2026-03-17T15:00:00+08:00"),
                ));
                None
            }
        }
        None => Some(ctx.now),
    };
    let (Some(priority), Some(start)) = (priority, start) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    // Without a category, the priority's own policy (no override applies).
    let base_category = category.unwrap_or(Category::Lainnya);
    let mut clocks = Vec::new();
    for kind in [
        ClockKind::Triage,
        ClockKind::Response,
        ClockKind::Resolution,
    ] {
        let t = match category {
            Some(_) => ctx.sla.target(priority, base_category, kind),
            None => ctx
                .sla
                .priorities
                .get(&priority)
                .map(|p| crate::domain::sla::ClockTarget {
                    calendar: p.calendar.clone(),
                    target: match kind {
                        ClockKind::Triage => p.triage,
                        ClockKind::Response => p.response,
                        ClockKind::Resolution => p.resolution,
                    },
                }),
        };
        if let Some(t) = t {
            let cal = ctx.sla.calendar(&t.calendar);
            let due = cal.due(
                jiff::Timestamp::from_microsecond(start).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
                t.target,
            );
            clocks.push(PreviewClock {
                kind,
                target: t.target.to_string(),
                calendar: t.calendar,
                due_at: super::rfc3339(super::micros(due)),
            });
        }
    }
    Ok(SlaPreview {
        priority,
        category,
        calendar: ctx
            .sla
            .priorities
            .get(&priority)
            .map(|p| p.calendar.clone())
            .unwrap_or_default(),
        start: super::rfc3339(start),
        clocks,
    })
}
