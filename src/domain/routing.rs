//! Routing rules: the first enabled rule whose conditions all hold proposes the unit. Keywords
//! match whole words, case-insensitively, Unicode-aware (`#banjir`, `Banjir!` and `banjir,`
//! are the word `banjir`), in the title and the description. Pure.

use serde::Serialize;

/// How a rule's keywords combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeywordMode {
    Any,
    All,
}

/// A rule as the router sees it (empty lists match anything).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub categories: Vec<String>,
    pub channels: Vec<String>,
    pub districts: Vec<String>,
    pub keywords: Vec<String>,
    pub keyword_mode: KeywordMode,
    pub unit: String,
    pub unit_active: bool,
    pub auto_assign: bool,
}

/// What routing looks at.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub category: &'a str,
    pub channel: &'a str,
    pub district: Option<&'a str>,
    pub title: &'a str,
    pub description: &'a str,
}

/// One condition of one rule, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub condition: String,
    pub passed: bool,
    pub detail: String,
}

/// One rule, checked in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleTrace {
    pub rule: RuleRef,
    /// `matched`, `failed` or `disabled`.
    pub outcome: String,
    pub checks: Vec<Check>,
}

/// A rule's id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    pub id: i64,
    pub name: String,
}

/// Lower-cased words of a text: runs of letters and digits.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether the words of `keyword` (a word or a phrase) appear consecutively in `text_words`.
fn contains_phrase(text_words: &[String], keyword: &str) -> bool {
    let k = words(keyword);
    !k.is_empty() && text_words.windows(k.len()).any(|w| w == k.as_slice())
}

fn list_check(name: &str, allowed: &[String], value: Option<&str>) -> Check {
    if allowed.is_empty() {
        return Check {
            condition: name.into(),
            passed: true,
            detail: "any".into(),
        };
    }
    let v = value.unwrap_or("");
    let passed = allowed
        .iter()
        .any(|a| a.trim().to_lowercase() == v.trim().to_lowercase());
    Check {
        condition: name.into(),
        passed,
        detail: format!(
            "{} {} one of [{}]",
            if v.is_empty() { "(none)" } else { v },
            if passed { "is" } else { "is not" },
            allowed.join(", ")
        ),
    }
}

/// Checks one rule against a draft.
pub fn check(rule: &Rule, d: &Draft<'_>) -> Vec<Check> {
    let mut checks = vec![
        list_check("category", &rule.categories, Some(d.category)),
        list_check("channel", &rule.channels, Some(d.channel)),
        list_check("district", &rule.districts, d.district),
    ];
    if rule.keywords.is_empty() {
        checks.push(Check {
            condition: "keywords".into(),
            passed: true,
            detail: "any".into(),
        });
    } else {
        let mut text = words(d.title);
        text.extend(words(d.description));
        let found: Vec<&str> = rule
            .keywords
            .iter()
            .filter(|k| contains_phrase(&text, k))
            .map(String::as_str)
            .collect();
        let passed = match rule.keyword_mode {
            KeywordMode::Any => !found.is_empty(),
            KeywordMode::All => found.len() == rule.keywords.len(),
        };
        let missing: Vec<&str> = rule
            .keywords
            .iter()
            .map(String::as_str)
            .filter(|k| !found.contains(k))
            .collect();
        checks.push(Check {
            condition: "keywords".into(),
            passed,
            detail: format!(
                "{} of [{}]: found [{}], missing [{}]",
                if rule.keyword_mode == KeywordMode::Any {
                    "any"
                } else {
                    "all"
                },
                rule.keywords.join(", "),
                found.join(", "),
                missing.join(", ")
            ),
        });
    }
    if !rule.unit_active {
        checks.push(Check {
            condition: "unit".into(),
            passed: false,
            detail: format!("unit {} is deactivated", rule.unit),
        });
    }
    checks
}

/// Routes a draft through rules in order: the first enabled rule whose checks all pass, and
/// the trace of every rule looked at up to it.
pub fn route<'r>(rules: &'r [Rule], d: &Draft<'_>) -> (Option<&'r Rule>, Vec<RuleTrace>) {
    let mut trace = Vec::new();
    for r in rules {
        let rule = RuleRef {
            id: r.id,
            name: r.name.clone(),
        };
        if !r.enabled {
            trace.push(RuleTrace {
                rule,
                outcome: "disabled".into(),
                checks: vec![],
            });
            continue;
        }
        let checks = check(r, d);
        let ok = checks.iter().all(|c| c.passed);
        trace.push(RuleTrace {
            rule,
            outcome: if ok { "matched" } else { "failed" }.into(),
            checks,
        });
        if ok {
            return (Some(r), trace);
        }
    }
    (None, trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, keywords: &[&str], mode: KeywordMode) -> Rule {
        Rule {
            id,
            name: format!("rule {id}"),
            enabled: true,
            categories: vec![],
            channels: vec![],
            districts: vec![],
            keywords: keywords.iter().map(|s| (*s).to_owned()).collect(),
            keyword_mode: mode,
            unit: "BPBD".into(),
            unit_active: true,
            auto_assign: false,
        }
    }

    fn draft<'a>(title: &'a str, description: &'a str) -> Draft<'a> {
        Draft {
            category: "bencana",
            channel: "facebook",
            district: Some("Pulau Laut Utara"),
            title,
            description,
        }
    }

    #[test]
    fn whole_words_any_case_with_punctuation_and_hashtags() {
        let r = [rule(1, &["banjir"], KeywordMode::Any)];
        for t in [
            "BANJIR di Kelurahan Baru",
            "Air naik! #banjir",
            "banjir, tanah longsor",
            "(Banjir)",
        ] {
            assert!(route(&r, &draft(t, "")).0.is_some(), "{t}");
        }
        for t in ["banjirnya surut", "kebanjiran", "b-anjir"] {
            assert!(route(&r, &draft(t, "")).0.is_none(), "{t}");
        }
        assert!(
            route(&r, &draft("judul", "ada BANJIR bandang")).0.is_some(),
            "description too"
        );
    }

    #[test]
    fn unicode_words_and_phrases() {
        let r = [rule(1, &["jalan rusak", "Jembatan"], KeywordMode::All)];
        assert!(route(&r, &draft("Jalan RUSAK dekat jembatan", ""))
            .0
            .is_some());
        assert!(route(&r, &draft("Jalan sangat rusak dekat jembatan", ""))
            .0
            .is_none());
        let r = [rule(1, &["ĝis", "café"], KeywordMode::Any)];
        assert!(route(&r, &draft("Un CAFÉ!", "")).0.is_some());
    }

    #[test]
    fn first_enabled_match_wins_and_the_trace_says_why() {
        let mut a = rule(1, &["banjir"], KeywordMode::Any);
        a.enabled = false;
        let mut b = rule(2, &[], KeywordMode::Any);
        b.categories = vec!["kesehatan".into()];
        let mut c = rule(3, &["air"], KeywordMode::Any);
        c.districts = vec!["pulau laut utara".into()];
        let d = rule(4, &[], KeywordMode::Any);
        let rules = [a, b, c, d];
        let (hit, trace) = route(&rules, &draft("Banjir, air naik", ""));
        assert_eq!(hit.map(|r| r.id), Some(3));
        let outcomes: Vec<&str> = trace.iter().map(|t| t.outcome.as_str()).collect();
        assert_eq!(outcomes, ["disabled", "failed", "matched"]);
        assert!(trace[1]
            .checks
            .iter()
            .any(|c| c.condition == "category" && !c.passed));
    }
}
