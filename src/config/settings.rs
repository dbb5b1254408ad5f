//! The typed shape of the configuration, one struct per section of `config/default.toml`.

use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A value never printed or logged in clear.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"********\""
        })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { "********" })
    }
}

/// A database URL whose password is masked when printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    /// The URL with any password replaced by `********`.
    pub fn masked(&self) -> String {
        let url = &self.0;
        let Some(scheme_end) = url.find("://") else {
            return url.clone();
        };
        let rest = &url[scheme_end + 3..];
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => format!(
                "{}{}:********{}",
                &url[..scheme_end + 3],
                &authority[..colon],
                &rest[at..]
            ),
            _ => url.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.masked())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub demo: DemoSettings,
    pub time: TimeSettings,
    pub log: LogSettings,
    pub mail: MailSettings,
    pub holidays: BTreeMap<String, HolidayList>,
    pub calendars: BTreeMap<String, CalendarSettings>,
    pub sla: SlaSettings,
    pub escalation: EscalationSettings,
    pub audit: AuditSettings,
    #[serde(default)]
    pub console: ConsoleSettings,
    #[serde(default)]
    pub similar: SimilarSettings,
    #[serde(default)]
    pub evidence: EvidenceSettings,
}

/// Evidence files kept with issues.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvidenceSettings {
    /// The largest file (after a picture's metadata is stripped), e.g. "10MiB".
    pub max_file: String,
    /// The most evidence one issue carries, e.g. "50MiB".
    pub max_per_issue: String,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        EvidenceSettings {
            max_file: "10MiB".into(),
            max_per_issue: "50MiB".into(),
        }
    }
}

/// Finding the same issue filed twice.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimilarSettings {
    /// Words in nearly every report of this region (its own name): not compared.
    pub common_words: Vec<String>,
}

/// The web console: its sessions and the links in emails.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// A session unused this long ends.
    pub session_idle: String,
    /// A session ends this long after its login, used or not.
    pub session_max: String,
    /// `auto` (Secure cookies when server.public_base_url is https://), `always` or `never`.
    pub secure_cookies: String,
    /// How long a link in an email opens its issue without a password.
    pub link_ttl: String,
    /// How long a partner's link to a clarification lets it acknowledge and report reshares.
    pub partner_link_ttl: String,
    /// Requests for clarification the public form takes from one client address per hour.
    pub public_requests_per_hour: u32,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            session_idle: "8h".into(),
            session_max: "3d".into(),
            secure_cookies: "auto".into(),
            link_ttl: "72h".into(),
            partner_link_ttl: "30d".into(),
            public_requests_per_hour: 5,
        }
    }
}

/// The audit trail's key: links are HMAC-SHA-256 under it, so that someone holding only the
/// database cannot rewrite or add events unnoticed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// The secret (from the environment: TANGGAP__AUDIT__KEY); empty: plain SHA-256 links.
    pub key: Secret,
    /// The key's name, stored in every link it makes (rotate by giving a new id and key and
    /// moving the old pair to `previous_keys`).
    pub key_id: String,
    /// Earlier keys by id, kept to verify the events they linked.
    #[serde(default)]
    pub previous_keys: BTreeMap<String, Secret>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub public_base_url: String,
    pub request_body_limit: String,
    pub workers: usize,
    pub trusted_proxies: Vec<String>,
    pub shutdown_timeout: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    pub connect_timeout: String,
    pub read_on_worker_ms: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: Secret,
    pub token_ttl: String,
    pub issuer: String,
    pub audience: String,
    pub login_attempts: u32,
    pub login_attempts_per_address: u32,
    /// Failed logins on one account from every address within the window after which only
    /// addresses it signed in from lately are still let try.
    pub login_attempts_per_account: u32,
    pub login_window: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub seed: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSettings {
    pub zone: String,
    /// Warn when a calendar's holiday list reaches fewer days ahead than this.
    #[serde(default = "default_holiday_warning_days")]
    pub holiday_warning_days: i64,
}

fn default_holiday_warning_days() -> i64 {
    90
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: String,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: String,
    pub file_dir: String,
    pub from: String,
    pub language: String,
    pub retry_base: String,
    pub give_up_after: String,
    pub lease: String,
    pub smtp: SmtpSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: String,
    pub username: String,
    pub password: Secret,
    pub timeout: String,
}

/// A holiday list: plain dates, or dates with their names.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum HolidayList {
    Dates(Vec<String>),
    Named(BTreeMap<String, String>),
}

/// The key of a named list that says how far it reaches (not a holiday).
pub const COVERS_UNTIL: &str = "covers_until";

impl HolidayList {
    /// The dates of the list, as written.
    pub fn dates(&self) -> Vec<&str> {
        match self {
            HolidayList::Dates(d) => d.iter().map(String::as_str).collect(),
            HolidayList::Named(m) => m
                .keys()
                .map(String::as_str)
                .filter(|k| *k != COVERS_UNTIL)
                .collect(),
        }
    }

    /// The dates with their names, as written.
    pub fn named_dates(&self) -> Vec<(&str, Option<&str>)> {
        match self {
            HolidayList::Dates(d) => d.iter().map(|d| (d.as_str(), None)).collect(),
            HolidayList::Named(m) => m
                .iter()
                .filter(|(k, _)| *k != COVERS_UNTIL)
                .map(|(k, v)| (k.as_str(), Some(v.as_str())))
                .collect(),
        }
    }

    /// The list's `covers_until`, as written (named lists only).
    pub fn covers_until(&self) -> Option<&str> {
        match self {
            HolidayList::Dates(_) => None,
            HolidayList::Named(m) => m.get(COVERS_UNTIL).map(String::as_str),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettings {
    pub kind: String,
    #[serde(default)]
    pub hours: BTreeMap<String, String>,
    #[serde(default)]
    pub holidays: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    pub priority: BTreeMap<String, SlaPolicySettings>,
    #[serde(default)]
    pub category: BTreeMap<String, SlaOverrideSettings>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicySettings {
    pub calendar: String,
    pub triage: String,
    pub response: String,
    pub resolution: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlaOverrideSettings {
    pub calendar: Option<String>,
    pub triage: Option<String>,
    pub response: Option<String>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationSettings {
    pub groups: EscalationGroups,
    pub triage: LadderSettings,
    pub response: LadderSettings,
    pub resolution: LadderSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationGroups {
    pub trc: String,
    pub trc_lead: String,
    pub kominfo_head: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LadderSettings {
    pub steps: Vec<StepSettings>,
    #[serde(default)]
    pub priority: BTreeMap<String, LadderOverrideSettings>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LadderOverrideSettings {
    pub steps: Vec<StepSettings>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepSettings {
    pub at: String,
    pub notify: Vec<String>,
}
