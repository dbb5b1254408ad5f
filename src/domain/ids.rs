//! Identifiers and small value types that can only be had by parsing.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A unit's code: `DINKES`, `PUSKESMAS_SEBATIK`, `KEC-01` (A–Z, 0–9, `_`, `-`; 2–40 long).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    pub const RULE: &'static str =
        "2 to 40 characters: upper-case letters A-Z, digits, '_' and '-', starting with a letter";

    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = (2..=40).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_uppercase())
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(UnitCode(text.to_owned()))
        } else {
            Err(format!("must be {}", Self::RULE))
        }
    }

    /// A code read back from the database, which took it only after [`UnitCode::parse`].
    pub fn stored(text: &str) -> Self {
        UnitCode(text.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address as used for logins and mail recipients: trimmed, lower-cased, one `@`,
/// no whitespace or control characters (so it can never inject a mail header).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim().to_lowercase();
        let valid = t.len() <= 254
            && !t
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c))
            && match t.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.is_empty()
                        && !domain.contains('@')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Email(t))
        } else {
            Err("must be an email address such as pic.dinkes@kotabarukab.go.id".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages units, users and routing rules; may take every TRC action.
    Admin,
    /// The rapid-response team: triages, routes, closes.
    Trc,
    /// Person in charge of information of a unit.
    Pic,
    /// Kepala SKPD, Asisten, Sekda, Bupati: reads its scope, receives escalations.
    Leader,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Trc, Role::Pic, Role::Leader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Trc => "trc",
            Role::Pic => "pic",
            Role::Leader => "leader",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn names() -> Vec<String> {
        Role::ALL.iter().map(|r| r.as_str().to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_codes() {
        assert!(UnitCode::parse("DINKES").is_ok());
        assert!(UnitCode::parse("PUSKESMAS_SEBATIK").is_ok());
        assert!(UnitCode::parse("KEC-01").is_ok());
        for bad in [
            "",
            "D",
            "dinkes",
            "1DINKES",
            "DIN KES",
            "DİNKES",
            &"A".repeat(41),
        ] {
            assert!(UnitCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_normalised_and_header_safe() {
        assert_eq!(
            Email::parse(" PIC@Example.go.id ").map(|e| e.0),
            Ok("pic@example.go.id".into())
        );
        for bad in [
            "",
            "a",
            "a@",
            "@b",
            "a@b@c",
            "a b@c.id",
            "a@c.id\r\nBcc: x@y.id",
            "a@.id",
            "<a@b.id>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
