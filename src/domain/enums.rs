//! The closed vocabularies of the domain, stored and served as their snake_case names.

macro_rules! text_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The type's doc comment, for the API's description of it.
            pub const DESCRIPTION: &'static str = concat!($($doc),*);

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Every accepted name, for error messages.
            pub fn names() -> Vec<String> {
                Self::ALL.iter().map(|v| v.as_str().to_owned()).collect()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// What an issue is about.
    Category {
        LayananPublik => "layanan_publik",
        Infrastruktur => "infrastruktur",
        Kesehatan => "kesehatan",
        Pendidikan => "pendidikan",
        Bencana => "bencana",
        Sosial => "sosial",
        Ekonomi => "ekonomi",
        KeamananKetertiban => "keamanan_ketertiban",
        HoaksDisinformasi => "hoaks_disinformasi",
        Kepegawaian => "kepegawaian",
        Lainnya => "lainnya",
    }
);

text_enum!(
    /// Where an issue was seen (`publik`: a citizen's request through the public form).
    Channel {
        Facebook => "facebook",
        Instagram => "instagram",
        Tiktok => "tiktok",
        X => "x",
        Youtube => "youtube",
        Whatsapp => "whatsapp",
        MediaOnline => "media_online",
        MediaCetak => "media_cetak",
        Lapor => "lapor",
        Kim => "kim",
        Langsung => "langsung",
        Publik => "publik",
        Lainnya => "lainnya",
    }
);

text_enum!(
    /// How urgent an issue is; picks the SLA policy.
    Priority {
        Critical => "critical",
        High => "high",
        Medium => "medium",
        Low => "low",
    }
);

text_enum!(
    /// A hoax verdict.
    Verdict {
        Unverified => "unverified",
        Hoaks => "hoaks",
        Misleading => "misleading",
        Benar => "benar",
        Satire => "satire",
    }
);

text_enum!(
    /// The kind of false or misleading content a hoax verdict found (after Wardle's seven types
    /// of mis- and disinformation, as Mafindo and the fact-checkers of cekfakta.com use them).
    DisinformationType {
        Fabricated => "fabricated",
        Manipulated => "manipulated",
        Imposter => "imposter",
        FalseContext => "false_context",
        Misleading => "misleading",
        FalseConnection => "false_connection",
        Satire => "satire",
    }
);

text_enum!(
    /// Who may see an issue.
    Sensitivity {
        Normal => "normal",
        Restricted => "restricted",
    }
);

text_enum!(
    /// How a report groups its figures.
    ReportGroup {
        Unit => "unit",
        Category => "category",
        Priority => "priority",
        Channel => "channel",
        District => "district",
    }
);

text_enum!(
    /// The SLA clocks an issue runs.
    ClockKind {
        Triage => "triage",
        Response => "response",
        Resolution => "resolution",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Category::ALL.len(), 11);
        assert_eq!(Channel::ALL.len(), 13);
        assert_eq!(Priority::parse("urgent"), None);
    }
}
