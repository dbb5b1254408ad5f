//! The console's cookies (written and read here, without a cookie crate) and its CSRF checks.

use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::sessions::{self, Session};
use actix_web::HttpRequest;

/// The session cookie: the secret whose SHA-256 names the session.
pub const SESSION: &str = "tanggap_sesi";
/// The login form's CSRF cookie (double submit: the form carries the same value).
pub const LOGIN: &str = "tanggap_masuk";

/// The value of cookie `name` in the request.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, for the whole site; `Secure` when configured;
/// `max_age` seconds (0 removes it).
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.cfg.console.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The request's session, if its cookie names one still good.
pub async fn current(state: &AppState, req: &HttpRequest) -> Result<Option<Session>, AppError> {
    let Some(secret) = cookie(req, SESSION) else {
        return Ok(None);
    };
    let cfg = state.cfg.clone();
    let now = crate::service::micros(state.clock.now());
    state
        .db(move |conn| sessions::resume(conn, &cfg, &secret, now))
        .await
}

/// Refuses a form whose CSRF token is not the session's.
pub fn check_csrf(session: &Session, sent: Option<&str>) -> Result<(), AppError> {
    let en = session.language == "en";
    match sent {
        Some(t) if sessions::same_secret(t, &session.csrf) => Ok(()),
        _ => Err(AppError::Forbidden(
            if en {
                "this form has expired or did not come from this page: reload the page and try again"
            } else {
                "formulir ini kedaluwarsa atau tidak berasal dari halaman ini: muat ulang halaman dan coba lagi"
            }
            .into(),
        )),
    }
}

/// A path to go back to after logging in: this site's own paths only.
/// Browsers drop tabs and line breaks from a URL and read `\` as `/`, so `/\t/evil.example`
/// would become `//evil.example`, another site: any control character, space or backslash
/// makes the path the start page.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Percent-encodes a path for a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_this_sites_paths_come_back_after_login() {
        for ok in ["/", "/triase", "/isu/ISU-2026-000001?selesai=triage"] {
            assert_eq!(local_path(Some(ok)), ok);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
