//! The checks every use case on issues shares: text, enumerations, URLs, tags, instants,
//! evidence and location, units. Each failure is collected with its field, so one answer
//! names every field that is wrong.

use super::Location;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::{self, Db};
use serde::Deserialize;
use utoipa::ToSchema;

/// Evidence as filed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceInput {
    #[serde(default)]
    pub screenshot_urls: Vec<String>,
    #[serde(default)]
    pub archive_urls: Vec<String>,
    pub reach: Option<i64>,
    /// RFC 3339.
    pub posted_at: Option<String>,
}

/// Location as filed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub district: Option<String>,
    pub village: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Validated evidence and location, shared with edits.
pub fn check_evidence(
    c: &mut Check,
    e: &EvidenceInput,
) -> (Vec<String>, Vec<String>, Option<i64>, Option<i64>) {
    let shots = c.urls("evidence.screenshot_urls", &e.screenshot_urls, 20);
    let archives = c.urls("evidence.archive_urls", &e.archive_urls, 20);
    if e.reach.is_some_and(|r| r < 0) {
        c.fail("evidence.reach", "must not be negative");
    }
    let posted = e
        .posted_at
        .as_deref()
        .and_then(|p| c.instant("evidence.posted_at", p));
    (shots, archives, e.reach, posted)
}

pub fn check_location(c: &mut Check, l: &LocationInput) -> Location {
    let district = c.opt_text("location.district", l.district.as_deref(), 100);
    let village = c.opt_text("location.village", l.village.as_deref(), 100);
    if let Some(lat) = l.lat {
        if !(-90.0..=90.0).contains(&lat) {
            c.fail("location.lat", "must be a latitude from -90 to 90");
        }
    }
    if let Some(lon) = l.lon {
        if !(-180.0..=180.0).contains(&lon) {
            c.fail("location.lon", "must be a longitude from -180 to 180");
        }
    }
    if l.lat.is_some() != l.lon.is_some() {
        c.fail(
            if l.lat.is_some() {
                "location.lon"
            } else {
                "location.lat"
            },
            "give latitude and longitude together",
        );
    }
    Location {
        district,
        village,
        lat: l.lat,
        lon: l.lon,
    }
}

/// Collects field errors while a request's values are checked.
#[derive(Debug, Default)]
pub struct Check {
    pub errors: Vec<FieldError>,
}

impl Check {
    pub fn new() -> Self {
        Check { errors: Vec::new() }
    }

    pub fn fail(&mut self, field: &str, msg: impl Into<String>) {
        self.errors.push(FieldError::new(field, msg));
    }

    pub fn done(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }

    /// Trimmed text of 1..=max characters; `one_line` refuses line breaks.
    pub fn text(&mut self, field: &str, v: &str, max: usize, one_line: bool) -> String {
        let t = v.trim().to_owned();
        let n = t.chars().count();
        if n == 0 {
            self.fail(field, "must not be empty");
        } else if n > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if t
            .chars()
            .any(|c| c.is_control() && !(!one_line && (c == '\n' || c == '\r' || c == '\t')))
        {
            self.fail(
                field,
                if one_line {
                    "must be one line of text"
                } else {
                    "contains control characters"
                },
            );
        }
        t
    }

    pub fn opt_text(&mut self, field: &str, v: Option<&str>, max: usize) -> Option<String> {
        let v = v.map(str::trim).filter(|s| !s.is_empty())?;
        Some(self.text(field, v, max, true))
    }

    pub fn enumerated<T>(
        &mut self,
        field: &str,
        v: &str,
        parse: fn(&str) -> Option<T>,
        names: fn() -> Vec<String>,
    ) -> Option<T> {
        let r = parse(v.trim());
        if r.is_none() {
            self.errors.push(
                FieldError::new(field, format!("`{v}` is not one of the accepted values"))
                    .with_valid(names()),
            );
        }
        r
    }

    /// http(s) URLs, at most `max` of them.
    pub fn urls(&mut self, field: &str, v: &[String], max: usize) -> Vec<String> {
        if v.len() > max {
            self.fail(field, format!("at most {max} URLs"));
        }
        let mut out = Vec::new();
        for (i, u) in v.iter().enumerate() {
            let u = u.trim();
            if is_http_url(u) {
                if !out.iter().any(|o: &String| o == u) {
                    out.push(u.to_owned());
                }
            } else {
                self.fail(
                    &format!("{field}.{i}"),
                    format!("`{u}` is not an http:// or https:// URL"),
                );
            }
        }
        out
    }

    /// Tags: lower-cased, without `#`, letters, digits, `-` and `_`, 1–50 long, at most 20.
    pub fn tags(&mut self, field: &str, v: &[String]) -> Vec<String> {
        if v.len() > 20 {
            self.fail(field, "at most 20 tags");
        }
        let mut out: Vec<String> = Vec::new();
        for (i, t) in v.iter().enumerate() {
            let t = t.trim().trim_start_matches('#').to_lowercase();
            let ok = (1..=50).contains(&t.chars().count())
                && t.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if !ok {
                self.fail(
                    &format!("{field}.{i}"),
                    "a tag is 1 to 50 letters, digits, '-' or '_'",
                );
            } else if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    pub fn instant(&mut self, field: &str, v: &str) -> Option<i64> {
        if let Ok(t) = v.trim().parse::<jiff::Timestamp>() {
            Some(crate::service::micros(t))
        } else {
            self.fail(
                field,
                format!("`{v}` is not an RFC 3339 instant such as 2026-03-02T08:15:00+08:00"),
            );
            None
        }
    }
}

/// Whether `u` is an absolute http(s) URL with a host and no spaces.
pub fn is_http_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or("");
            u.len() <= 2000
                && !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_alphanumeric() || ".-:[]_".contains(c))
                && !u.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// Checks a unit code names an active unit.
pub fn active_unit(
    conn: &mut Db,
    check: &mut Check,
    field: &str,
    code: &str,
) -> AppResult<Option<String>> {
    match store::units::find(conn, code.trim())? {
        Some(u) if u.active => Ok(Some(u.code)),
        Some(_) => {
            check.fail(field, format!("unit `{code}` is deactivated"));
            Ok(None)
        }
        None => {
            check.fail(field, format!("there is no unit `{code}`"));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_http_url;

    #[test]
    fn urls() {
        for ok in [
            "https://facebook.com/kotabaru/posts/1",
            "http://x.id",
            "https://t.co/a?b=c#d",
            "https://[::1]:8080/x",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "ftp://x.id",
            "https://",
            "javascript:alert(1)",
            "https://a b.id",
            "//x.id",
            "https:///path",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}
