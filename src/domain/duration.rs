//! Durations as written in configuration and SLA policies: `45s`, `30m`, `4h`, `2d`, `5wd`.

use std::fmt;

/// A duration of open time on some calendar.
///
/// `s`, `m`, `h` and `d` are fixed amounts of open time (`2d` is 48 open hours); `wd` counts
/// working days of the calendar (due at the same local clock time on the n-th following working
/// day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlaDuration {
    /// A fixed number of open seconds.
    Seconds(i64),
    /// A number of working days.
    WorkingDays(i64),
}

/// Why a duration text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a duration: {reason} (write e.g. 45s, 30m, 4h, 2d or 5wd)")]
pub struct DurationError {
    pub text: String,
    pub reason: &'static str,
}

/// Largest amount accepted in any unit: ten years of seconds keeps all arithmetic in i64.
const MAX_SECONDS: i64 = 10 * 366 * 24 * 3600;

impl SlaDuration {
    /// Parses `45s`, `30m`, `4h`, `2d` or `5wd`; the amount is a positive whole number.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let err = |reason| DurationError {
            text: text.to_owned(),
            reason,
        };
        let t = text.trim();
        let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(digits_end);
        if num.is_empty() {
            return Err(err("it must start with a whole number"));
        }
        let n: i64 = num.parse().map_err(|_| err("the number is too large"))?;
        if n <= 0 {
            return Err(err("the amount must be greater than zero"));
        }
        let per_unit = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "wd" => {
                return if n > 3660 {
                    Err(err("the amount is too large"))
                } else {
                    Ok(SlaDuration::WorkingDays(n))
                };
            }
            "" => return Err(err("a unit is missing")),
            _ => return Err(err("the unit must be s, m, h, d or wd")),
        };
        match n.checked_mul(per_unit) {
            Some(secs) if secs <= MAX_SECONDS => Ok(SlaDuration::Seconds(secs)),
            _ => Err(err("the amount is too large")),
        }
    }

    /// The length on the `always` calendar (every day a working day), in seconds. Used for
    /// settings such as token lifetimes, where no office calendar applies.
    pub fn always_seconds(self) -> i64 {
        match self {
            SlaDuration::Seconds(s) => s,
            SlaDuration::WorkingDays(d) => d * 86_400,
        }
    }

    /// The length as a `std::time::Duration` on the `always` calendar.
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.always_seconds().unsigned_abs())
    }
}

impl fmt::Display for SlaDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SlaDuration::WorkingDays(d) => write!(f, "{d}wd"),
            SlaDuration::Seconds(s) if s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            SlaDuration::Seconds(s) if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            SlaDuration::Seconds(s) if s % 60 == 0 => write!(f, "{}m", s / 60),
            SlaDuration::Seconds(s) => write!(f, "{s}s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_unit_of_the_spec() {
        assert_eq!(SlaDuration::parse("45s"), Ok(SlaDuration::Seconds(45)));
        assert_eq!(SlaDuration::parse("30m"), Ok(SlaDuration::Seconds(1800)));
        assert_eq!(SlaDuration::parse("4h"), Ok(SlaDuration::Seconds(14_400)));
        assert_eq!(SlaDuration::parse("2d"), Ok(SlaDuration::Seconds(172_800)));
        assert_eq!(SlaDuration::parse("5wd"), Ok(SlaDuration::WorkingDays(5)));
    }

    #[test]
    fn refuses_malformed_text_with_a_reason() {
        for bad in [
            "",
            "h",
            "4",
            "4x",
            "-4h",
            "0m",
            "4 h",
            "1.5h",
            "99999999999999999999s",
            "4hh",
        ] {
            let e = SlaDuration::parse(bad).expect_err(bad);
            assert_eq!(e.text, bad);
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(n in 1i64..100_000, unit in prop::sample::select(vec!["s", "m", "h", "d", "wd"])) {
            let text = format!("{n}{unit}");
            if let Ok(d) = SlaDuration::parse(&text) {
                prop_assert_eq!(SlaDuration::parse(&d.to_string()), Ok(d));
            }
        }
    }
}
