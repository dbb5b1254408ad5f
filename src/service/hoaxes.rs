//! The report's hoax section: for the hoaxes of a period, how fast the first public answer
//! came from the filing (the detection), against the hoax category's target, and what the
//! verdicts found (verdicts and disinformation types).

use crate::store;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The hoaxes of the period (category `hoaks_disinformasi`, neither merged into another nor
/// rejected): how fast the first public answer came, in wall-clock time from filing (the
/// detection), and what the verdicts found.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct HoaxFigures {
    pub filed: i64,
    /// With a public response (from `respond` or a `public_response` comment).
    pub responded: i64,
    /// Responded within the hoax category's response target when it runs on the 24×7 calendar
    /// (the Saber Hoaks three hours by default); null when it runs on another calendar.
    pub within_target: Option<i64>,
    /// That target in seconds.
    pub target_seconds: Option<i64>,
    /// Detection → first public response, over those responded (nearest rank).
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    /// With a clarification the TRC approved and published.
    pub clarified: i64,
    /// Detection → published clarification, over those clarified (nearest rank).
    pub median_seconds_to_clarification: Option<i64>,
    pub p90_seconds_to_clarification: Option<i64>,
    /// Issues per verdict (`none`: no verdict yet).
    pub verdicts: BTreeMap<String, i64>,
    /// Issues per disinformation type (`none`: not named).
    pub disinformation_types: BTreeMap<String, i64>,
}

/// The hoax figures of `rows`, with the category's response target in wall-clock seconds when
/// it has one.
pub fn figures(rows: &[store::reports::HoaxRow], target: Option<i64>) -> HoaxFigures {
    let mut t = crate::domain::report_days::HoaxTally::default();
    for r in rows {
        t.add_hoax(&crate::domain::report_days::HoaxFact {
            verdict: r.verdict.clone(),
            kind: r.kind.clone(),
            responded: r.seconds,
            clarified: r.clarified_seconds,
        });
    }
    figures_of(t, target)
}

/// The hoax figures of a tally of hoaxes (see [`figures`]).
pub fn figures_of(t: crate::domain::report_days::HoaxTally, target: Option<i64>) -> HoaxFigures {
    let mut times = t.responded;
    times.sort_unstable();
    let n = i64::try_from(times.len()).unwrap_or(i64::MAX);
    let at = |p: i64| rank_of(&times, p);
    let mut clarified = t.clarified;
    clarified.sort_unstable();
    HoaxFigures {
        filed: t.filed,
        responded: n,
        within_target: target
            .map(|t| i64::try_from(times.iter().filter(|s| **s <= t).count()).unwrap_or(i64::MAX)),
        target_seconds: target,
        median_seconds: (n > 0).then(|| at(50)).flatten(),
        p90_seconds: (n > 0).then(|| at(90)).flatten(),
        clarified: i64::try_from(clarified.len()).unwrap_or(i64::MAX),
        median_seconds_to_clarification: rank_of(&clarified, 50),
        p90_seconds_to_clarification: rank_of(&clarified, 90),
        verdicts: t.verdicts,
        disinformation_types: t.kinds,
    }
}

/// The value at nearest rank `p` (percent) of sorted `times`; `None` when empty.
fn rank_of(times: &[i64], p: i64) -> Option<i64> {
    let n = i64::try_from(times.len()).ok().filter(|n| *n > 0)?;
    let rank = store::reports::nearest_rank(n, p);
    usize::try_from(rank - 1)
        .ok()
        .and_then(|i| times.get(i).copied())
}
