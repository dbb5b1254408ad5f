//! Clarifications and partners, as plain rules: a clarification's states and the moves between
//! them (the TRC approves as the government's one voice), its public id, the words the public
//! pages use for verdicts, and which partners receive a published clarification.

use super::enums::text_enum;
use super::{Category, DisinformationType, Verdict};

text_enum!(
    /// Where a clarification stands: `proposed` for the TRC to decide, `returned` to its
    /// proposer with a reason, `published` (public, sent to partners), `withdrawn` afterwards.
    ClarificationState {
        Proposed => "proposed",
        Returned => "returned",
        Published => "published",
        Withdrawn => "withdrawn",
    }
);

text_enum!(
    /// What a clarification's step is: its proposer revises it, the TRC approves (publishes),
    /// returns or withdraws it.
    ClarificationAction {
        Revise => "revise",
        Approve => "approve",
        Return => "return",
        Withdraw => "withdraw",
    }
);

text_enum!(
    /// What kind of partner carries clarifications to people.
    PartnerKind {
        Media => "media",
        Kim => "kim",
        Creator => "creator",
        Agency => "agency",
    }
);

impl ClarificationState {
    /// The state an action leads to from here, or `None` when it is not allowed here.
    pub fn after(self, action: ClarificationAction) -> Option<ClarificationState> {
        use ClarificationAction as A;
        use ClarificationState as S;
        match (self, action) {
            (S::Proposed | S::Returned, A::Revise) => Some(S::Proposed),
            (S::Proposed, A::Approve) => Some(S::Published),
            (S::Proposed, A::Return) => Some(S::Returned),
            (S::Published, A::Withdraw) => Some(S::Withdrawn),
            _ => None,
        }
    }

    /// The actions allowed in this state, for a 409's `allowed_actions`.
    pub fn allowed(self) -> Vec<String> {
        ClarificationAction::ALL
            .iter()
            .filter(|a| self.after(**a).is_some())
            .map(|a| a.as_str().to_owned())
            .collect()
    }

    /// Whether it waits for a decision or a revision (one such per issue at a time).
    pub fn pending(self) -> bool {
        matches!(
            self,
            ClarificationState::Proposed | ClarificationState::Returned
        )
    }
}

/// The public id of a clarification published in `year`: `KLR-2026-000042`.
pub fn public_id(year: i16, id: i64) -> String {
    format!("KLR-{year}-{id:06}")
}

/// Whether `text` has the shape of a public id (so that anything else is a plain 404 without a
/// database read).
pub fn is_public_id(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 15
        && b.len() <= 20
        && text.starts_with("KLR-")
        && b[4..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'-'
        && b[9..].iter().all(u8::is_ascii_digit)
}

/// A verdict in the public's words (Bahasa Indonesia).
pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Unverified => "Belum terverifikasi",
        Verdict::Hoaks => "Hoaks",
        Verdict::Misleading => "Menyesatkan",
        Verdict::Benar => "Benar",
        Verdict::Satire => "Satire",
    }
}

/// A verdict's place on ClaimReview's scale (1 false … 5 true), for search engines; an
/// unverified claim has none.
pub fn verdict_rating(v: Verdict) -> Option<u8> {
    match v {
        Verdict::Unverified => None,
        Verdict::Hoaks => Some(1),
        Verdict::Misleading => Some(2),
        Verdict::Satire => Some(3),
        Verdict::Benar => Some(5),
    }
}

/// A kind of disinformation in the public's words (as Mafindo names them).
pub fn disinformation_label(t: DisinformationType) -> &'static str {
    match t {
        DisinformationType::Fabricated => "Konten palsu",
        DisinformationType::Manipulated => "Konten yang dimanipulasi",
        DisinformationType::Imposter => "Konten tiruan",
        DisinformationType::FalseContext => "Konteks keliru",
        DisinformationType::Misleading => "Konten menyesatkan",
        DisinformationType::FalseConnection => "Koneksi keliru",
        DisinformationType::Satire => "Satire atau parodi",
    }
}

/// A category in the public's words.
pub fn category_label(c: Category) -> &'static str {
    match c {
        Category::LayananPublik => "Layanan publik",
        Category::Infrastruktur => "Infrastruktur",
        Category::Kesehatan => "Kesehatan",
        Category::Pendidikan => "Pendidikan",
        Category::Bencana => "Bencana",
        Category::Sosial => "Sosial",
        Category::Ekonomi => "Ekonomi",
        Category::KeamananKetertiban => "Keamanan dan ketertiban",
        Category::HoaksDisinformasi => "Hoaks dan disinformasi",
        Category::Kepegawaian => "Kepegawaian",
        Category::Lainnya => "Lainnya",
    }
}

/// What a partner asked to receive, and its agreement's period (local dates, inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interests<'a> {
    pub active: bool,
    /// Districts (kecamatan) of interest; empty means all.
    pub districts: &'a [String],
    /// Categories of interest; empty means all.
    pub topics: &'a [String],
    pub agreement_from: Option<jiff::civil::Date>,
    pub agreement_to: Option<jiff::civil::Date>,
}

/// Whether a partner receives a clarification published `today` about `district` and
/// `category`: it is active, its agreement is in force (or it has none), and the clarification
/// is in its districts and topics. A clarification without a district (kabupaten-wide, or a
/// standalone text) reaches every district; one without a category, every topic.
pub fn receives(
    p: &Interests,
    today: jiff::civil::Date,
    district: Option<&str>,
    category: Option<&str>,
) -> bool {
    let in_force =
        p.agreement_from.is_none_or(|f| f <= today) && p.agreement_to.is_none_or(|t| today <= t);
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let district_ok = match district {
        Some(d) => p.districts.is_empty() || p.districts.iter().any(|x| same(x, d)),
        None => true,
    };
    let topic_ok = match category {
        Some(c) => p.topics.is_empty() || p.topics.iter().any(|x| x == c),
        None => true,
    };
    p.active && in_force && district_ok && topic_ok
}

/// The middle value of `values` (nearest rank, as the reports use), or `None` when empty.
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    // Nearest rank: the value at rank ⌈n/2⌉ (1-based).
    Some(values[values.len().div_ceil(2) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn moves_between_states() {
        use ClarificationAction as A;
        use ClarificationState as S;
        assert_eq!(S::Proposed.after(A::Approve), Some(S::Published));
        assert_eq!(S::Proposed.after(A::Return), Some(S::Returned));
        assert_eq!(S::Returned.after(A::Revise), Some(S::Proposed));
        // A returned text is revised before it can be approved; a published one only withdrawn.
        assert_eq!(S::Returned.after(A::Approve), None);
        assert_eq!(S::Published.after(A::Approve), None);
        assert_eq!(S::Published.after(A::Revise), None);
        assert_eq!(S::Published.after(A::Withdraw), Some(S::Withdrawn));
        assert!(S::Withdrawn.allowed().is_empty());
        assert_eq!(S::Proposed.allowed(), ["revise", "approve", "return"]);
    }

    #[test]
    fn public_ids() {
        assert_eq!(public_id(2026, 42), "KLR-2026-000042");
        assert!(is_public_id("KLR-2026-000042"));
        assert!(is_public_id(&public_id(2027, 12_345_678)));
        for bad in [
            "KLR-2026-",
            "KLR-26-000001",
            "klr-2026-000001",
            "KLR-2026-00000a",
            "x",
        ] {
            assert!(!is_public_id(bad), "{bad}");
        }
    }

    #[test]
    fn who_receives() {
        let d = |s: &str| s.to_owned();
        let districts = [d("Pulau Laut Utara")];
        let topics = [d("kesehatan"), d("hoaks_disinformasi")];
        let p = Interests {
            active: true,
            districts: &districts,
            topics: &topics,
            agreement_from: Some(date(2026, 1, 1)),
            agreement_to: Some(date(2026, 12, 31)),
        };
        let today = date(2026, 12, 6);
        assert!(receives(
            &p,
            today,
            Some("pulau laut utara"),
            Some("kesehatan")
        ));
        assert!(!receives(&p, today, Some("Sebuku"), Some("kesehatan")));
        assert!(!receives(
            &p,
            today,
            Some("Pulau Laut Utara"),
            Some("bencana")
        ));
        // Kabupaten-wide or standalone: every district and topic.
        assert!(receives(&p, today, None, None));
        // Agreement ended or not begun; partner inactive.
        assert!(!receives(&p, date(2027, 1, 1), None, None));
        assert!(!receives(&p, date(2025, 12, 31), None, None));
        assert!(!receives(
            &Interests {
                active: false,
                ..p.clone()
            },
            today,
            None,
            None
        ));
        // No filters, no agreement: everything.
        let all = Interests {
            active: true,
            districts: &[],
            topics: &[],
            agreement_from: None,
            agreement_to: None,
        };
        assert!(receives(&all, today, Some("Sebuku"), Some("bencana")));
    }

    #[test]
    fn medians_by_nearest_rank() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median(&mut [9, 1, 5]), Some(5));
    }
}
