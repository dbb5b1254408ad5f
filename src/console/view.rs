//! What the console's templates show: the page chrome (language, user, CSRF token), the page
//! structs askama renders, and the words and local times they print.
//!
//! Long because: every console page's struct and the words they share live together.

use crate::domain::{Action, Category, Priority, Role};
use crate::service::issues::comments::{Comment, HistoryEvent};
use crate::service::issues::Issue;
use askama::Template;

/// The language of a page: `l.t("Masuk", "Sign in")` picks the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L {
    pub en: bool,
}

impl L {
    pub fn of(code: &str) -> L {
        L { en: code == "en" }
    }

    pub fn t<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        if self.en {
            en
        } else {
            id
        }
    }

    pub fn code(self) -> &'static str {
        if self.en {
            "en"
        } else {
            "id"
        }
    }
}

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub l: L,
    /// This page's path, for the language switch to come back to.
    pub here: String,
    pub title: String,
    /// The signed-in user's name and role, if any.
    pub user: Option<(String, Role)>,
    /// The signed-in user's email (empty without a session).
    pub email: String,
    pub csrf: String,
    /// A message at the top (a result, a refusal).
    pub notice: Option<String>,
    /// Whether the notice is a refusal.
    pub error: bool,
}

impl Chrome {
    pub fn is_pic(&self) -> bool {
        self.user.as_ref().is_some_and(|(_, r)| *r == Role::Pic)
    }

    /// Whether this person may file issues (PICs, the TRC, administrators).
    pub fn files(&self) -> bool {
        self.user.as_ref().is_some_and(|(_, r)| *r != Role::Leader)
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|(_, r)| *r == Role::Admin)
    }

    pub fn is_trc(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|(_, r)| matches!(r, Role::Trc | Role::Admin))
    }
}

#[derive(Template)]
#[template(path = "console/login.html")]
pub struct LoginPage<'a> {
    pub c: &'a Chrome,
    pub next: &'a str,
    pub email: &'a str,
    pub login_csrf: &'a str,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
pub struct DashboardPage<'a> {
    pub c: &'a Chrome,
    pub report: &'a crate::service::reports::Report,
    pub weeks: &'a [super::dashboard::Week],
    pub groups: &'static [crate::domain::enums::ReportGroup],
    pub csv: &'a str,
}

#[allow(
    clippy::unused_self,
    clippy::ref_option,
    reason = "methods, so that the template can call them with its fields' references"
)]
impl DashboardPage<'_> {
    /// A share as people read it: `87 %`, or a dash when there is nothing to count.
    pub fn pct(&self, v: &Option<f64>) -> String {
        v.map_or_else(|| "–".to_owned(), |p| format!("{p:.0} %"))
    }

    /// Open seconds as hours: `5,5 j`.
    pub fn hours(&self, v: &Option<i64>) -> String {
        #[allow(
            clippy::cast_precision_loss,
            reason = "seconds of a clock are far below 2^52"
        )]
        let h = |s: i64| s as f64 / 3600.0;
        v.map_or_else(|| "–".to_owned(), |s| format!("{:.1} h", h(s)))
    }

    /// A bar's length for a share, out of 300.
    pub fn bar(&self, v: &Option<f64>) -> i64 {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "a share times 3 fits an i64"
        )]
        let len = |p: f64| (p.clamp(0.0, 100.0) * 3.0).round() as i64;
        v.map_or(0, len)
    }

    /// A group's name: the unit's name with its code, or the key; "(none)" for none.
    pub fn name(&self, g: &crate::service::reports::Group) -> String {
        match (&g.label, &g.key) {
            (Some(l), Some(k)) => format!("{l} ({k})"),
            (None, Some(k)) => k.clone(),
            _ => self.c.l.t("(tanpa)", "(none)").to_owned(),
        }
    }

    /// The chart's height for `n` rows.
    pub fn height(&self, n: usize) -> usize {
        n * 24 + 8
    }
}

#[derive(Template)]
#[template(path = "console/password.html")]
pub struct PasswordPage<'a> {
    pub c: &'a Chrome,
}

#[derive(Template)]
#[template(path = "console/error.html")]
pub struct ErrorPage<'a> {
    pub c: &'a Chrome,
    pub message: &'a str,
}

/// A card of the triage board.
#[derive(Debug, Clone)]
pub struct Card {
    pub issue: Issue,
    /// Issues that look like it, found when it was filed (the triage board shows them).
    pub similar: Vec<crate::service::issues::similar::Suggestion>,
    /// The running triage clock's due instant (RFC 3339) and as shown.
    pub due: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/board.html")]
pub struct BoardPage<'a> {
    pub c: &'a Chrome,
    pub cards: &'a [Card],
    /// The next page's address, when more follow.
    pub next: Option<&'a str>,
    /// What the page shows, in a few bytes: the script reloads when the server's differs.
    pub mark: &'a str,
}

impl BoardPage<'_> {
    /// A score as people read it: `87 %`.
    #[allow(
        clippy::unused_self,
        clippy::trivially_copy_pass_by_ref,
        reason = "a method, so that the template can call it with its loop's references"
    )]
    pub fn percent(&self, score: &f64) -> String {
        format!("{:.0} %", score * 100.0)
    }
}

#[derive(Template)]
#[template(path = "console/list.html")]
pub struct ListPage<'a> {
    pub c: &'a Chrome,
    pub hint: &'a str,
    pub cards: &'a [Card],
    /// The next page's address, when more follow.
    pub next: Option<&'a str>,
    /// What the page shows, in a few bytes: the script reloads when the server's differs.
    pub mark: &'a str,
}

#[derive(Template)]
#[template(path = "console/search.html")]
pub struct SearchPage<'a> {
    pub c: &'a Chrome,
    pub cards: &'a [Card],
    /// The filters as given (kept in the form).
    pub filters: &'a std::collections::BTreeMap<String, String>,
    pub statuses: &'static [crate::domain::Status],
    pub categories: &'static [Category],
    pub channels: &'static [crate::domain::Channel],
    /// The next page's address (the same filters), when more follow.
    pub next: Option<&'a str>,
}

impl SearchPage<'_> {
    /// A filter's value, empty when not given.
    pub fn v(&self, key: &str) -> &str {
        self.filters.get(key).map_or("", String::as_str)
    }
}

/// The filing form's values, as typed (shown again when the form comes back with errors).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct FilingForm {
    pub csrf: String,
    /// The form's idempotency key: a second send of the same form files nothing new.
    pub key: String,
    pub step: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub channel: String,
    pub source_urls: String,
    pub screenshot_urls: String,
    pub reach: String,
    pub district: String,
    pub village: String,
    pub tags: String,
    pub restricted: Option<String>,
}

#[derive(Template)]
#[template(path = "console/file.html")]
pub struct FilePage<'a> {
    pub c: &'a Chrome,
    pub f: &'a FilingForm,
    pub errors: &'a [String],
    pub proposal: Option<&'a crate::service::rules::Preview>,
    pub categories: &'static [Category],
    pub channels: &'static [crate::domain::Channel],
}

#[derive(Template)]
#[template(path = "console/issue.html")]
pub struct IssuePage<'a> {
    pub c: &'a Chrome,
    pub issue: &'a Issue,
    pub comments: &'a [Comment],
    pub history: &'a [HistoryEvent],
    pub actions: &'a [Action],
    pub units: &'a [(String, String)],
    /// Opened from an email's link: read-only, with a way to log in.
    pub read_only: bool,
    pub zone: &'a jiff::tz::TimeZone,
    /// The words searched for a merge target, and what they found.
    pub merge_words: &'a str,
    pub merge_found: Option<&'a [Issue]>,
    pub evidence: &'a [crate::service::issues::evidence::EvidenceFile],
    pub may_add_evidence: bool,
    pub clarifications: &'a [crate::service::clarifications::Clarification],
    pub may_propose: bool,
}

impl IssuePage<'_> {
    /// A size in bytes as people read it: `820 KB`, `3.4 MB`.
    #[allow(
        clippy::trivially_copy_pass_by_ref,
        clippy::unused_self,
        clippy::cast_precision_loss,
        reason = "askama passes arguments by reference; sizes far below 2^52"
    )]
    pub fn size(&self, bytes: &i64) -> String {
        let b = *bytes as f64;
        if b < 1_000_000.0 {
            format!("{:.0} KB", (b / 1000.0).ceil())
        } else {
            format!("{:.1} MB", b / 1_000_000.0)
        }
    }

    /// An instant (RFC 3339) in local time, as people read it.
    pub fn local(&self, at: &str) -> String {
        local(self.zone, at, self.c.l)
    }

    /// A clarification's state in words.
    pub fn clarification_state(&self, state: &str) -> &'static str {
        clarification_state(state, self.c.l)
    }

    /// The text a proposal starts from: the issue's clarification, else its latest public
    /// response.
    pub fn suggested_text(&self) -> String {
        if let Some(c) = &self.issue.clarification {
            return c.text.clone();
        }
        self.comments
            .iter()
            .rev()
            .find(|m| m.kind == "public_response")
            .map(|m| m.body.clone())
            .unwrap_or_default()
    }

    /// Whether this person may revise a waiting clarification (its proposer or the TRC).
    pub fn may_revise(&self, k: &crate::service::clarifications::Clarification) -> bool {
        let waiting = k.state == "proposed" || k.state == "returned";
        // A restricted issue's text for the public is the TRC's alone.
        let restricted = self.issue.sensitivity == crate::domain::Sensitivity::Restricted;
        waiting
            && !self.read_only
            && (self.c.is_trc() || (self.c.email == k.proposed_by && !restricted))
    }

    /// An action's name on its button.
    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "the template passes its loop's references"
    )]
    pub fn label(&self, a: &Action) -> &'static str {
        action_label(*a, self.c.l)
    }

    /// Whether `a` is the action the page opens first: what this person most likely came to
    /// do (triage, respond, resolve, resume, close), else the only one.
    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "the template passes its loop's references"
    )]
    pub fn is_primary(&self, a: &Action) -> bool {
        let preferred = [
            Action::Triage,
            Action::Respond,
            Action::Resolve,
            Action::Resume,
            Action::Close,
        ];
        let primary = preferred
            .into_iter()
            .find(|p| self.actions.contains(p))
            .or_else(|| (self.actions.len() == 1).then(|| self.actions[0]));
        primary == Some(*a)
    }

    /// Whether `action` takes field `f`.
    #[allow(
        clippy::unused_self,
        clippy::trivially_copy_pass_by_ref,
        reason = "a method, so that the template can call it with its loop's references"
    )]
    pub fn takes(&self, action: &Action, f: &str) -> bool {
        crate::service::issues::actions::fields_of(*action).contains(&f)
    }
}

#[allow(
    clippy::unused_self,
    reason = "methods, so that the template can call them"
)]
impl IssuePage<'_> {
    pub fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }

    pub fn categories(&self) -> &'static [Category] {
        Category::ALL
    }
}

const MONTHS_ID: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
];

/// `at` (RFC 3339) in `zone`: `7 Des 2026 09.30 WITA`, `7 Dec 2026 09:30 WITA`.
pub fn local(zone: &jiff::tz::TimeZone, at: &str, l: L) -> String {
    let Ok(t) = at.parse::<jiff::Timestamp>() else {
        return at.to_owned();
    };
    let z = t.to_zoned(zone.clone());
    let abbr = z.strftime("%Z").to_string();
    if l.en {
        format!("{} {abbr}", z.strftime("%-d %b %Y %H:%M"))
    } else {
        let month = usize::try_from(z.month() - 1).unwrap_or(0);
        format!(
            "{} {} {} {:02}.{:02} {abbr}",
            z.day(),
            MONTHS_ID.get(month).unwrap_or(&""),
            z.year(),
            z.hour(),
            z.minute()
        )
    }
}

/// An action's name on a button.
/// A clarification's state in words.
pub fn clarification_state(state: &str, l: L) -> &'static str {
    match state {
        "proposed" => l.t(
            "Diajukan, menunggu keputusan TRC",
            "Proposed, waiting for the TRC",
        ),
        "returned" => l.t("Dikembalikan untuk diperbaiki", "Returned for revision"),
        "published" => l.t("Diterbitkan", "Published"),
        "withdrawn" => l.t("Ditarik", "Withdrawn"),
        _ => "",
    }
}

pub fn action_label(a: Action, l: L) -> &'static str {
    match a {
        Action::Triage => l.t("Triase", "Triage"),
        Action::Reassign => l.t("Alihkan", "Reassign"),
        Action::Return => l.t("Bukan kewenangan", "Not ours (return)"),
        Action::Respond => l.t("Tanggapi", "Respond"),
        Action::Hold => l.t("Tunda", "Hold"),
        Action::Resume => l.t("Lanjutkan", "Resume"),
        Action::Resolve => l.t("Selesaikan", "Resolve"),
        Action::Reopen => l.t("Buka kembali", "Reopen"),
        Action::Close => l.t("Tutup", "Close"),
        Action::Reject => l.t("Tolak", "Reject"),
        Action::Merge => l.t("Gabungkan", "Merge"),
    }
}
