//! Escalation ladder steps as configured: when a step fires and whom it notifies.

use super::duration::{DurationError, SlaDuration};

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

#[cfg(test)]
mod tests {
    use super::*;

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
