//! Checks every value of the settings and turns them into the parsed runtime configuration.
//!
//! Long because: one checker per section of config/default.toml, in its order, so that a key and
//! its check are found side by side.

use super::settings::{AuditSettings, EscalationSettings, MailSettings, Settings, StepSettings};
use crate::domain::escalation::{StepAt, GROUPS};
use crate::domain::size::parse_size;
use crate::domain::{Category, ClockKind, Email, Priority, SlaDuration};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The JWT secret shipped in `config/default.toml`; profile `production` refuses it.
pub const DEFAULT_JWT_SECRET: &str = "change-me-insecure-development-secret";

/// One problem in the configuration: where the value came from, its key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub source: String,
    pub key: String,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `{}`: {}", self.source, self.key, self.problem)
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The validated configuration: the settings as written plus their parsed values.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub profile: String,
    pub bind: SocketAddr,
    pub body_limit: usize,
    /// `[evidence]`: the largest file and the most per issue, in bytes.
    pub evidence: crate::service::issues::evidence::Limits,
    pub workers: usize,
    pub shutdown_timeout: Duration,
    pub backend: Backend,
    pub connect_timeout: Duration,
    /// `database.read_on_worker_ms` on PostgreSQL, unless 0: the triage page is read on the
    /// HTTP worker, each statement cut off after this long.
    pub read_on_worker: Option<Duration>,
    pub token_ttl_secs: i64,
    pub login_window_secs: i64,
    pub zone: jiff::tz::TimeZone,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Calendars and SLA policies, parsed.
    pub sla: std::sync::Arc<crate::domain::sla::SlaConfig>,
    /// The outbox's durations, parsed.
    pub mail: MailTimes,
    /// Where mail goes, parsed.
    pub mail_route: MailRoute,
    /// The console's sessions and links, parsed.
    pub console: ConsoleTimes,
    /// The file (or variable) each holiday list's last entry came from.
    pub holiday_origins: std::collections::BTreeMap<String, String>,
}

/// The console's sessions and links (`[console]`), parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleTimes {
    pub session_idle_secs: i64,
    pub session_max_secs: i64,
    pub link_ttl_secs: i64,
    /// Whether cookies carry `Secure`.
    pub secure_cookies: bool,
}

/// A holiday list that runs out soon, for an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayWarning {
    pub list: String,
    /// Where the list was written.
    pub source: String,
    pub covers_until: jiff::civil::Date,
    pub days_left: i64,
}

impl std::fmt::Display for HolidayWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let when = if self.days_left < 0 {
            format!("ran out {} days ago", -self.days_left)
        } else {
            format!("{} days left", self.days_left)
        };
        write!(
            f,
            "{}: holidays.{} covers dates until {} ({when}); later holidays count as working days. \
             Add the next year's national holidays and cuti bersama (SKB 3 Menteri) to the list in \
             an overlay, and restart",
            self.source, self.list, self.covers_until
        )
    }
}

impl Config {
    /// The holiday lists of the calendars that reach fewer than `time.holiday_warning_days`
    /// past `today` (the deployment's local date).
    pub fn holiday_warnings(&self, today: jiff::civil::Date) -> Vec<HolidayWarning> {
        self.sla
            .holidays_running_out(today, self.settings.time.holiday_warning_days)
            .into_iter()
            .map(|r| HolidayWarning {
                source: self
                    .holiday_origins
                    .get(&r.list)
                    .cloned()
                    .unwrap_or_else(|| "configuration".into()),
                list: r.list,
                covers_until: r.covers_until,
                days_left: r.days_left,
            })
            .collect()
    }
}

/// Where mail goes: the `mail.*` settings parsed once, so no worker parses them again.
#[derive(Debug, Clone)]
pub enum MailRoute {
    /// `.eml` files in this folder (`mail.transport = "file"`).
    File(std::path::PathBuf),
    /// An SMTP relay (`mail.transport = "smtp"`).
    Smtp {
        host: String,
        port: u16,
        security: SmtpSecurity,
        /// User name and password, when the relay wants them.
        credentials: Option<(String, super::settings::Secret)>,
    },
}

/// `mail.smtp.tls`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (`none`).
    None,
    /// Upgraded with STARTTLS (`starttls`).
    StartTls,
    /// TLS from the first byte (`tls`, port 465).
    Tls,
}

/// The outbox's durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailTimes {
    /// How long a worker holds a claimed message (`mail.lease`).
    pub lease: Duration,
    /// The longest one delivery may take (`mail.smtp.timeout`; the file transport too).
    pub send_timeout: Duration,
    /// First retry delay (`mail.retry_base`).
    pub retry_base: Duration,
    /// Undelivered this long after it was queued, a message is dead (`mail.give_up_after`).
    pub give_up_after: Duration,
}

struct Checker<'a> {
    origin: &'a dyn Fn(&str) -> String,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    fn fail(&mut self, key: &str, problem: impl Into<String>) {
        self.errors.push(ConfigError {
            source: (self.origin)(key),
            key: key.to_owned(),
            problem: problem.into(),
        });
    }

    fn duration(&mut self, key: &str, text: &str) -> Option<SlaDuration> {
        match SlaDuration::parse(text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.fail(key, e.to_string());
                None
            }
        }
    }

    fn one_of(&mut self, key: &str, value: &str, valid: &[&str]) {
        if !valid.contains(&value) {
            self.fail(
                key,
                format!("`{value}` is not one of: {}", valid.join(", ")),
            );
        }
    }
}

impl Config {
    /// Validates `settings`; `origin` names the file or variable a key's value came from.
    #[allow(
        clippy::too_many_lines,
        reason = "one pass over the keys of the configuration, in the order of config/default.toml"
    )]
    pub fn validate(
        settings: Settings,
        profile: &str,
        origin: &dyn Fn(&str) -> String,
    ) -> Result<Config, Vec<ConfigError>> {
        let mut c = Checker {
            origin,
            errors: Vec::new(),
        };
        let s = &settings;

        let bind = s.server.bind.parse::<SocketAddr>().map_err(|_| {
            format!(
                "`{}` is not an address and port such as 127.0.0.1:8080",
                s.server.bind
            )
        });
        let bind = match bind {
            Ok(b) => Some(b),
            Err(p) => {
                c.fail("server.bind", p);
                None
            }
        };
        let url = &s.server.public_base_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
            c.fail(
                "server.public_base_url",
                format!("`{url}` must be an http:// or https:// address"),
            );
        }
        let body_limit = match parse_size(&s.server.request_body_limit) {
            Ok(v) => v,
            Err(p) => {
                c.fail("server.request_body_limit", p);
                0
            }
        };
        let mut size_of = |key: &str, v: &str| match parse_size(v) {
            Ok(n) if n > 0 => n as u64,
            Ok(_) => {
                c.fail(key, "must be more than 0");
                0
            }
            Err(p) => {
                c.fail(key, p);
                0
            }
        };
        let evidence = crate::service::issues::evidence::Limits {
            file: size_of("evidence.max_file", &s.evidence.max_file),
            issue: size_of("evidence.max_per_issue", &s.evidence.max_per_issue),
        };
        let workers = match s.server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
            n if n <= 64 => n,
            n => {
                c.fail("server.workers", format!("{n} is more than 64"));
                1
            }
        };
        let mut trusted_proxies = Vec::new();
        for (i, p) in s.server.trusted_proxies.iter().enumerate() {
            match p.parse() {
                Ok(ip) => trusted_proxies.push(ip),
                Err(_) => c.fail(
                    &format!("server.trusted_proxies.{i}"),
                    format!("`{p}` is not an IP address"),
                ),
            }
        }
        let shutdown = c.duration("server.shutdown_timeout", &s.server.shutdown_timeout);

        let db_url = &s.database.url.0;
        let backend = if db_url.starts_with("sqlite://") && db_url.len() > "sqlite://".len() {
            Some(Backend::Sqlite)
        } else if db_url.starts_with("postgres://") || db_url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            c.fail(
                "database.url",
                format!(
                    "`{}` must start with sqlite:// (a file) or postgres:// (a server)",
                    s.database.url.masked()
                ),
            );
            None
        };
        if !(1..=200).contains(&s.database.pool_size) {
            c.fail("database.pool_size", "must be from 1 to 200");
        }
        let connect_timeout = c.duration("database.connect_timeout", &s.database.connect_timeout);
        if s.database.read_on_worker_ms > 5000 {
            c.fail(
                "database.read_on_worker_ms",
                "must be from 0 (off) to 5000 milliseconds",
            );
        }
        let read_on_worker = (backend == Some(Backend::Postgres)
            && s.database.read_on_worker_ms > 0)
            .then(|| Duration::from_millis(u64::from(s.database.read_on_worker_ms)));

        let exposed = bind.is_some_and(|b| !b.ip().is_loopback()) || !is_loopback_url(url);
        check_secret(&mut c, s.auth.jwt_secret.expose(), profile, exposed);
        check_audit(&mut c, &s.audit, exposed);
        if exposed && s.demo.seed {
            c.fail(
                "demo.seed",
                "demo data (with its published passwords) is refused when the service is reachable \
                 from other machines (server.bind or server.public_base_url is not a loopback \
                 address): set [demo] seed = false",
            );
        }
        let ttl = c.duration("auth.token_ttl", &s.auth.token_ttl);
        let window = c.duration("auth.login_window", &s.auth.login_window);
        if s.auth.issuer.trim().is_empty() {
            c.fail("auth.issuer", "must not be empty");
        }
        if s.auth.audience.trim().is_empty() {
            c.fail("auth.audience", "must not be empty");
        }
        if s.auth.login_attempts == 0 {
            c.fail("auth.login_attempts", "must be at least 1");
        }
        if s.auth.login_attempts_per_address == 0 {
            c.fail("auth.login_attempts_per_address", "must be at least 1");
        }
        if s.auth.login_attempts_per_account < s.auth.login_attempts {
            c.fail(
                "auth.login_attempts_per_account",
                "must be at least auth.login_attempts",
            );
        }

        let zone = if let Ok(z) = jiff::tz::TimeZone::get(&s.time.zone) {
            Some(z)
        } else {
            c.fail(
                "time.zone",
                format!(
                    "`{}` is not an IANA time zone (e.g. Asia/Makassar, Asia/Jakarta, Asia/Jayapura)",
                    s.time.zone
                ),
            );
            None
        };
        c.one_of("log.format", &s.log.format, &["text", "json"]);
        if tracing_subscriber::EnvFilter::try_new(&s.log.level).is_err() {
            c.fail(
                "log.level",
                format!(
                    "`{}` is not a log filter (e.g. info, debug, tanggap=debug)",
                    s.log.level
                ),
            );
        }

        let mail = check_mail(&mut c, &s.mail);
        let console = check_console(&mut c, s);
        check_calendars(&mut c, s);
        check_sla(&mut c, s);
        check_escalation(&mut c, &s.escalation);

        match (
            bind,
            shutdown,
            backend,
            connect_timeout,
            ttl,
            window,
            zone,
            mail,
            console,
        ) {
            (
                Some(bind),
                Some(shutdown),
                Some(backend),
                Some(ct),
                Some(ttl),
                Some(window),
                Some(zone),
                Some(mail),
                Some(console),
            ) if c.errors.is_empty() => Ok(Config {
                console,
                holiday_origins: s
                    .holidays
                    .iter()
                    .map(|(name, l)| {
                        let key = match l.dates().into_iter().max() {
                            Some(last) if matches!(l, super::settings::HolidayList::Named(_)) => {
                                format!("holidays.{name}.{last}")
                            }
                            _ => format!("holidays.{name}"),
                        };
                        (name.clone(), origin(&key))
                    })
                    .collect(),
                mail: mail.0,
                mail_route: mail.1,
                sla: std::sync::Arc::new(build_sla(&settings, &zone)),
                profile: profile.to_owned(),
                bind,
                body_limit,
                evidence,
                workers,
                shutdown_timeout: shutdown.to_std(),
                backend,
                connect_timeout: ct.to_std(),
                read_on_worker,
                token_ttl_secs: ttl.always_seconds(),
                login_window_secs: window.always_seconds(),
                zone,
                trusted_proxies,
                settings,
            }),
            _ => Err(c.errors),
        }
    }

    /// The effective configuration as TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(&self.settings)
            .unwrap_or_else(|e| format!("# cannot print the configuration: {e}\n"))
    }
}

/// The shortest JWT secret accepted when the service is reachable from other machines: 32
/// bytes, the HMAC-SHA-256 key size.
pub const MIN_EXPOSED_SECRET: usize = 32;

/// Whether `url`'s host is a loopback address or `localhost`.
fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `secret` is the shipped default or a placeholder from an example file.
fn is_placeholder_secret(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    secret == DEFAULT_JWT_SECRET
        || [
            "change-me",
            "changeme",
            "change_me",
            "replace-me",
            "example",
            "placeholder",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

/// The JWT secret: never a placeholder, never the default in profile production, and when the
/// service is reachable from other machines at least 32 bytes that are not one character
/// repeated. Whoever knows the secret can sign an admin's token.
fn check_secret(c: &mut Checker<'_>, secret: &str, profile: &str, exposed: bool) {
    let key = "auth.jwt_secret";
    if secret.len() < 16 {
        c.fail(key, "must be at least 16 characters long");
    }
    if secret == DEFAULT_JWT_SECRET {
        if profile == "production" || exposed {
            c.fail(
                key,
                "the default secret is refused in profile production and whenever server.bind \
                 or server.public_base_url is not a loopback address: anyone can sign tokens \
                 with it; set TANGGAP__AUTH__JWT_SECRET (e.g. `openssl rand -base64 48`)",
            );
        }
    } else if is_placeholder_secret(secret) {
        c.fail(
            key,
            "is a placeholder from an example file: set TANGGAP__AUTH__JWT_SECRET to a random \
             value (e.g. `openssl rand -base64 48`)",
        );
    }
    if exposed && secret != DEFAULT_JWT_SECRET {
        let distinct = secret
            .bytes()
            .collect::<std::collections::HashSet<_>>()
            .len();
        if secret.len() < MIN_EXPOSED_SECRET || distinct < 8 {
            c.fail(
                key,
                format!(
                    "must be at least {MIN_EXPOSED_SECRET} random bytes when server.bind or \
                     server.public_base_url is not a loopback address (this one has {} bytes, \
                     {distinct} distinct); e.g. `openssl rand -base64 48`",
                    secret.len()
                ),
            );
        }
    }
}

fn check_mail(c: &mut Checker<'_>, m: &MailSettings) -> Option<(MailTimes, MailRoute)> {
    c.one_of("mail.transport", &m.transport, &["file", "smtp"]);
    c.one_of("mail.language", &m.language, &["id", "en"]);
    if m.file_dir.trim().is_empty() {
        c.fail("mail.file_dir", "must name a folder");
    }
    let addr = m
        .from
        .rsplit_once('<')
        .map_or(m.from.as_str(), |(_, a)| a.trim_end_matches('>'));
    if Email::parse(addr).is_err() || m.from.contains(['\r', '\n']) {
        c.fail(
            "mail.from",
            format!(
                "`{}` is not an address such as \"Tanggap <tanggap@kotabarukab.go.id>\"",
                m.from
            ),
        );
    }
    let retry_base = c.duration("mail.retry_base", &m.retry_base);
    let give_up_after = c.duration("mail.give_up_after", &m.give_up_after);
    let lease = c.duration("mail.lease", &m.lease);
    c.one_of("mail.smtp.tls", &m.smtp.tls, &["starttls", "tls", "none"]);
    let timeout = c.duration("mail.smtp.timeout", &m.smtp.timeout);
    if m.transport == "smtp" && m.smtp.host.trim().is_empty() {
        c.fail(
            "mail.smtp.host",
            "must name the mail server when transport is smtp",
        );
    }
    if m.transport == "smtp"
        && m.smtp.tls == "none"
        && !m.smtp.username.is_empty()
        && !is_loopback_host(&m.smtp.host)
    {
        c.fail(
            "mail.smtp.tls",
            format!(
                "`none` would send mail.smtp.username and its password in clear text to {}: \
                 use starttls or tls (plain SMTP with credentials only to a relay on loopback)",
                m.smtp.host
            ),
        );
    }
    let (lease, timeout, retry_base, give_up_after) =
        (lease?, timeout?, retry_base?, give_up_after?);
    let (lease, send_timeout) = (lease.to_std(), timeout.to_std());
    if send_timeout.is_zero() || lease < send_timeout * 2 {
        c.fail(
            "mail.lease",
            format!(
                "{} cannot cover one delivery of up to mail.smtp.timeout ({}) and the recording \
                 of its outcome: mail.lease must be at least twice mail.smtp.timeout, or a slow \
                 relay makes another worker send the same message again",
                m.lease, m.smtp.timeout
            ),
        );
    }
    let route = mail_route(m);
    Some((
        MailTimes {
            lease,
            send_timeout,
            retry_base: retry_base.to_std(),
            give_up_after: give_up_after.to_std(),
        },
        route,
    ))
}

/// Where mail goes, from settings `check_mail` found valid.
fn mail_route(m: &MailSettings) -> MailRoute {
    if m.transport == "file" {
        MailRoute::File(std::path::PathBuf::from(&m.file_dir))
    } else {
        MailRoute::Smtp {
            host: m.smtp.host.trim().to_owned(),
            port: m.smtp.port,
            security: match m.smtp.tls.as_str() {
                "tls" => SmtpSecurity::Tls,
                "starttls" => SmtpSecurity::StartTls,
                _ => SmtpSecurity::None,
            },
            credentials: (!m.smtp.username.is_empty())
                .then(|| (m.smtp.username.clone(), m.smtp.password.clone())),
        }
    }
}

/// Whether `host` is `localhost` or a loopback address.
fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

const WEEKDAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses `07:30-16:00` into minutes after midnight, start before end.
pub fn parse_hours(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("`{text}` is not a range of office hours such as 07:30-16:00");
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let minutes = |t: &str| -> Option<u16> {
        let (h, m) = t.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && (h < 24 || m == 0)).then_some(h * 60 + m)
    };
    match (minutes(a), minutes(b)) {
        (Some(s), Some(e)) if s < e => Ok((s, e)),
        (Some(_), Some(_)) => Err(format!("`{text}`: the office must open before it closes")),
        _ => Err(bad()),
    }
}

fn check_console(c: &mut Checker<'_>, s: &Settings) -> Option<ConsoleTimes> {
    let k = &s.console;
    let idle = c.duration("console.session_idle", &k.session_idle);
    let max = c.duration("console.session_max", &k.session_max);
    let link = c.duration("console.link_ttl", &k.link_ttl);
    let partner = c.duration("console.partner_link_ttl", &k.partner_link_ttl);
    c.one_of(
        "console.secure_cookies",
        &k.secure_cookies,
        &["auto", "always", "never"],
    );
    let (idle, max, link) = (
        idle?.always_seconds(),
        max?.always_seconds(),
        link?.always_seconds(),
    );
    if idle < 60 {
        c.fail("console.session_idle", "must be at least 1m");
    }
    if max < idle {
        c.fail(
            "console.session_max",
            "must be at least console.session_idle",
        );
    }
    if !(60..=30 * 86_400).contains(&link) {
        c.fail("console.link_ttl", "must be from 1m to 30d");
    }
    if !(1..=1_000).contains(&k.public_requests_per_hour) {
        c.fail("console.public_requests_per_hour", "must be from 1 to 1000");
    }
    if !(3_600..=90 * 86_400).contains(&partner?.always_seconds()) {
        c.fail("console.partner_link_ttl", "must be from 1h to 90d");
    }
    let secure = match k.secure_cookies.as_str() {
        "always" => true,
        "never" => false,
        _ => s.server.public_base_url.starts_with("https://"),
    };
    Some(ConsoleTimes {
        session_idle_secs: idle,
        session_max_secs: max,
        link_ttl_secs: link,
        secure_cookies: secure,
    })
}

fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    (text.len() == 10).then(|| text.parse().ok()).flatten()
}

fn check_calendars(c: &mut Checker<'_>, s: &Settings) {
    if !(0..=3650).contains(&s.time.holiday_warning_days) {
        c.fail("time.holiday_warning_days", "must be from 0 to 3650 days");
    }
    for (name, list) in &s.holidays {
        for date in list.dates() {
            if parse_date(date).is_none() {
                c.fail(
                    &format!("holidays.{name}"),
                    format!("`{date}` is not a date written YYYY-MM-DD"),
                );
            }
        }
        let Some(covers) = list.covers_until() else {
            continue;
        };
        let key = format!("holidays.{name}.{}", super::settings::COVERS_UNTIL);
        let last = list.dates().into_iter().filter_map(parse_date).max();
        match parse_date(covers) {
            None => c.fail(&key, format!("`{covers}` is not a date written YYYY-MM-DD")),
            Some(end) if last.is_some_and(|l| end < l) => c.fail(
                &key,
                format!(
                    "`{covers}` is before the list's last holiday, {}",
                    last.map(|l| l.to_string()).unwrap_or_default()
                ),
            ),
            Some(_) => {}
        }
    }
    for required in ["always", "office"] {
        if !s.calendars.contains_key(required) {
            c.fail(&format!("calendars.{required}"), "this calendar must exist");
        }
    }
    for (name, cal) in &s.calendars {
        let key = format!("calendars.{name}");
        match cal.kind.as_str() {
            "always" => {
                if !cal.hours.is_empty() {
                    c.fail(
                        &format!("{key}.hours"),
                        "an always calendar has no office hours",
                    );
                }
            }
            "office_hours" => {
                if cal.hours.is_empty() {
                    c.fail(
                        &format!("{key}.hours"),
                        "an office_hours calendar needs hours for at least one weekday",
                    );
                }
                for (day, hours) in &cal.hours {
                    if !WEEKDAYS.contains(&day.as_str()) {
                        c.fail(
                            &format!("{key}.hours.{day}"),
                            format!("`{day}` is not a weekday: use {}", WEEKDAYS.join(", ")),
                        );
                    } else if let Err(p) = parse_hours(hours) {
                        c.fail(&format!("{key}.hours.{day}"), p);
                    }
                }
            }
            other => c.fail(
                &format!("{key}.kind"),
                format!("`{other}` is not one of: always, office_hours"),
            ),
        }
        for h in &cal.holidays {
            if !s.holidays.contains_key(h) {
                let known: Vec<&str> = s.holidays.keys().map(String::as_str).collect();
                c.fail(
                    &format!("{key}.holidays"),
                    format!("no holiday list `{h}`; lists defined: {}", known.join(", ")),
                );
            }
        }
    }
}

fn check_calendar_ref(c: &mut Checker<'_>, s: &Settings, key: &str, name: &str) {
    if !s.calendars.contains_key(name) {
        let known: Vec<&str> = s.calendars.keys().map(String::as_str).collect();
        c.fail(
            key,
            format!(
                "no calendar `{name}`; calendars defined: {}",
                known.join(", ")
            ),
        );
    }
}

fn check_sla(c: &mut Checker<'_>, s: &Settings) {
    for p in Priority::ALL {
        if !s.sla.priority.contains_key(p.as_str()) {
            c.fail(
                &format!("sla.priority.{p}"),
                "a policy is required for every priority",
            );
        }
    }
    for (name, pol) in &s.sla.priority {
        let key = format!("sla.priority.{name}");
        if Priority::parse(name).is_none() {
            c.fail(
                &key,
                format!(
                    "`{name}` is not a priority: use {}",
                    Priority::names().join(", ")
                ),
            );
            continue;
        }
        check_calendar_ref(c, s, &format!("{key}.calendar"), &pol.calendar);
        c.duration(&format!("{key}.triage"), &pol.triage);
        c.duration(&format!("{key}.response"), &pol.response);
        c.duration(&format!("{key}.resolution"), &pol.resolution);
    }
    for (name, ov) in &s.sla.category {
        let key = format!("sla.category.{name}");
        if Category::parse(name).is_none() {
            c.fail(
                &key,
                format!(
                    "`{name}` is not a category: use {}",
                    Category::names().join(", ")
                ),
            );
            continue;
        }
        if let Some(cal) = &ov.calendar {
            check_calendar_ref(c, s, &format!("{key}.calendar"), cal);
        }
        for (kind, v) in [
            ("triage", &ov.triage),
            ("response", &ov.response),
            ("resolution", &ov.resolution),
        ] {
            if let Some(v) = v {
                c.duration(&format!("{key}.{kind}"), v);
            }
        }
    }
}

fn check_steps(c: &mut Checker<'_>, key: &str, steps: &[StepSettings]) {
    for (i, step) in steps.iter().enumerate() {
        let k = format!("{key}.steps.{i}");
        if let Err(p) = StepAt::parse(&step.at) {
            c.fail(&format!("{k}.at"), p);
        }
        if step.notify.is_empty() {
            c.fail(&format!("{k}.notify"), "a step must notify someone");
        }
        for r in &step.notify {
            if !GROUPS.contains(&r.as_str()) && (!r.contains('@') || Email::parse(r).is_err()) {
                c.fail(
                    &format!("{k}.notify"),
                    format!(
                        "`{r}` is neither an email address nor a group: {}",
                        GROUPS.join(", ")
                    ),
                );
            }
        }
    }
}

fn check_escalation(c: &mut Checker<'_>, e: &EscalationSettings) {
    for (k, v) in [
        ("trc", &e.groups.trc),
        ("trc_lead", &e.groups.trc_lead),
        ("kominfo_head", &e.groups.kominfo_head),
    ] {
        if Email::parse(v).is_err() {
            c.fail(
                &format!("escalation.groups.{k}"),
                format!("`{v}` is not an email address"),
            );
        }
    }
    for (kind, ladder) in [
        (ClockKind::Triage, &e.triage),
        (ClockKind::Response, &e.response),
        (ClockKind::Resolution, &e.resolution),
    ] {
        let key = format!("escalation.{kind}");
        check_steps(c, &key, &ladder.steps);
        for (p, ov) in &ladder.priority {
            let pk = format!("{key}.priority.{p}");
            if Priority::parse(p).is_none() {
                c.fail(
                    &pk,
                    format!(
                        "`{p}` is not a priority: use {}",
                        Priority::names().join(", ")
                    ),
                );
            }
            check_steps(c, &pk, &ov.steps);
        }
    }
}

/// The parsed calendars and policies of valid settings.
#[allow(
    clippy::too_many_lines,
    reason = "one pass over the keys of the configuration, in the order of config/default.toml"
)]
fn build_sla(s: &Settings, zone: &jiff::tz::TimeZone) -> crate::domain::sla::SlaConfig {
    use crate::domain::calendar::holidays::HolidayList;
    use crate::domain::calendar::Calendar;
    use crate::domain::sla::{Override, Policy, SlaConfig};
    let holiday_lists = s
        .holidays
        .iter()
        .map(|(name, l)| {
            let days = l
                .named_dates()
                .into_iter()
                .filter_map(|(d, n)| Some((parse_date(d)?, n.map(str::to_owned))))
                .collect();
            let covers = l.covers_until().and_then(parse_date);
            (name.clone(), HolidayList::new(name, days, covers))
        })
        .collect();
    let calendar_lists = s
        .calendars
        .iter()
        .map(|(name, c)| (name.clone(), c.holidays.clone()))
        .collect();
    let calendars = s
        .calendars
        .iter()
        .map(|(name, c)| {
            let mut cal = Calendar::always(name, zone.clone());
            if c.kind == "office_hours" {
                for (i, day) in WEEKDAYS.iter().enumerate() {
                    if let Some(slot) = cal.week.get_mut(i) {
                        *slot = c.hours.get(*day).and_then(|h| parse_hours(h).ok());
                    }
                }
            }
            cal.holidays = c
                .holidays
                .iter()
                .filter_map(|h| s.holidays.get(h))
                .flat_map(|l| {
                    l.dates()
                        .into_iter()
                        .filter_map(|d| d.parse().ok())
                        .collect::<Vec<_>>()
                })
                .collect();
            (name.clone(), cal)
        })
        .collect();
    let dur = |t: &str| SlaDuration::parse(t).unwrap_or(SlaDuration::Seconds(3600));
    let priorities = s
        .sla
        .priority
        .iter()
        .filter_map(|(p, pol)| {
            Some((
                Priority::parse(p)?,
                Policy {
                    calendar: pol.calendar.clone(),
                    triage: dur(&pol.triage),
                    response: dur(&pol.response),
                    resolution: dur(&pol.resolution),
                },
            ))
        })
        .collect();
    let categories = s
        .sla
        .category
        .iter()
        .filter_map(|(k, o)| {
            Some((
                Category::parse(k)?,
                Override {
                    calendar: o.calendar.clone(),
                    triage: o.triage.as_deref().map(dur),
                    response: o.response.as_deref().map(dur),
                    resolution: o.resolution.as_deref().map(dur),
                },
            ))
        })
        .collect();
    let steps = |v: &[StepSettings]| -> Vec<crate::domain::escalation::Step> {
        v.iter()
            .filter_map(|st| {
                Some(crate::domain::escalation::Step {
                    at: StepAt::parse(&st.at).ok()?,
                    notify: st.notify.iter().map(|n| n.trim().to_lowercase()).collect(),
                })
            })
            .collect()
    };
    let mut ladders = crate::domain::escalation::Ladders::default();
    for (kind, l) in [
        (ClockKind::Triage, &s.escalation.triage),
        (ClockKind::Response, &s.escalation.response),
        (ClockKind::Resolution, &s.escalation.resolution),
    ] {
        ladders.by_kind.insert(
            kind,
            crate::domain::escalation::Ladder {
                steps: steps(&l.steps),
                by_priority: l
                    .priority
                    .iter()
                    .filter_map(|(p, o)| Some((Priority::parse(p)?, steps(&o.steps))))
                    .collect(),
            },
        );
    }
    let groups = [
        ("trc", &s.escalation.groups.trc),
        ("trc_lead", &s.escalation.groups.trc_lead),
        ("kominfo_head", &s.escalation.groups.kominfo_head),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.trim().to_lowercase()))
    .collect();
    SlaConfig {
        zone: zone.clone(),
        calendars,
        holiday_lists,
        calendar_lists,
        priorities,
        categories,
        ladders,
        groups,
        public_base_url: s.server.public_base_url.trim_end_matches('/').to_owned(),
        language: s.mail.language.clone(),
        mail_from: s.mail.from.clone(),
        common_words: s
            .similar
            .common_words
            .iter()
            .flat_map(|w| crate::domain::similar::words(w))
            .collect(),
        audit_keys: std::sync::Arc::new(audit_keys(&s.audit)),
        links: crate::domain::sla::LinkKey {
            key: link_key(s.auth.jwt_secret.expose()),
            ttl_secs: SlaDuration::parse(&s.console.link_ttl)
                .map_or(72 * 3600, SlaDuration::always_seconds),
            partner_ttl_secs: SlaDuration::parse(&s.console.partner_link_ttl)
                .map_or(30 * 86_400, SlaDuration::always_seconds),
        },
    }
}

/// The key email links are signed with: derived from the server's secret, for this use only.
fn link_key(secret: &str) -> [u8; 32] {
    use hmac::Mac as _;
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return [0; 32];
    };
    mac.update(b"tanggap: links in emails, v1");
    mac.finalize().into_bytes().into()
}

/// The audit keys of the settings (checked by [`check_audit`]).
fn audit_keys(a: &AuditSettings) -> crate::audit::Keys {
    let previous: Vec<(&str, &str)> = a
        .previous_keys
        .iter()
        .map(|(id, k)| (id.as_str(), k.expose()))
        .collect();
    let current = (!a.key.expose().is_empty()).then(|| (a.key_id.as_str(), a.key.expose()));
    crate::audit::Keys::new(current, &previous)
}

/// The audit key: required when the service is reachable from other machines; 32 bytes at
/// least, not a placeholder; ids short names without `:` (the link's separator).
fn check_audit(c: &mut Checker<'_>, a: &AuditSettings, exposed: bool) {
    let id_ok = |id: &str| {
        (1..=32).contains(&id.len())
            && id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    };
    let key_ok = |c: &mut Checker<'_>, key: &str, name: &str| {
        if key.len() < MIN_EXPOSED_SECRET || is_placeholder_secret(key) {
            c.fail(
                name,
                format!(
                    "must be at least {MIN_EXPOSED_SECRET} random bytes, not a placeholder \
                     (e.g. `openssl rand -base64 48`)"
                ),
            );
        }
    };
    let key = a.key.expose();
    if key.is_empty() {
        if exposed {
            c.fail(
                "audit.key",
                "is required when server.bind or server.public_base_url is not a loopback \
                 address: without it, whoever holds the database can rewrite the audit trail \
                 unnoticed; set TANGGAP__AUDIT__KEY (e.g. `openssl rand -base64 48`)",
            );
        }
    } else {
        key_ok(c, key, "audit.key");
    }
    if !id_ok(&a.key_id) {
        c.fail(
            "audit.key_id",
            format!("`{}` must be 1 to 32 letters, digits, `-` or `_`", a.key_id),
        );
    }
    for (id, k) in &a.previous_keys {
        let name = format!("audit.previous_keys.{id}");
        if !id_ok(id) {
            c.fail(&name, "the id must be 1 to 32 letters, digits, `-` or `_`");
        }
        if id == &a.key_id && !key.is_empty() {
            c.fail(
                &name,
                "is the current audit.key_id: give the new key a new id",
            );
        }
        key_ok(c, k.expose(), &name);
    }
}
