//! The web console's sessions: opened by a login (through the same throttled, audited steps as
//! the API's), resumed from the cookie's secret — refused once idle or old, or when the user's
//! token version moved (a password or role change, "sign out everywhere") — and closed by
//! logout. The table holds the secret's SHA-256 only.

use super::Caller;
use crate::config::Config;
use crate::error::AppResult;
use crate::store::sessions::SessionRow;
use crate::store::{self, Db};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A resumed session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The stored id (SHA-256 of the secret).
    pub id: String,
    pub caller: Caller,
    pub csrf: String,
    /// `id` or `en`.
    pub language: String,
}

/// A fresh random token (32 bytes, URL-safe base64).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored id of a cookie's secret.
pub fn id_of(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A session row for a login about to be settled (user and version are filled by the login).
pub fn new_row(secret: &str, language: &str, now: i64) -> SessionRow {
    SessionRow {
        id: id_of(secret),
        user_id: 0,
        token_version: 0,
        csrf: random_token(),
        language: if language == "en" { "en" } else { "id" }.to_owned(),
        created_at: now,
        seen_at: now,
    }
}

/// How often a session's last use is written (not on every page).
const TOUCH_EVERY_US: i64 = 60 * 1_000_000;

/// The session of `secret` at `now`, if it is still good; an ended one is removed.
pub fn resume(conn: &mut Db, cfg: &Config, secret: &str, now: i64) -> AppResult<Option<Session>> {
    let id = id_of(secret);
    let Some((row, user)) = store::sessions::find_with_user(conn, &id)? else {
        return Ok(None);
    };
    let times = &cfg.console;
    let idle = now - row.seen_at > times.session_idle_secs * 1_000_000;
    let old = now - row.created_at > times.session_max_secs * 1_000_000;
    let caller = super::auth::caller_of_row(
        user,
        super::auth::TokenUser {
            id: row.user_id,
            version: row.token_version,
        },
    );
    let caller = match caller {
        Ok(c) if !idle && !old => c,
        _ => {
            store::sessions::delete(conn, &id)?;
            return Ok(None);
        }
    };
    if now - row.seen_at > TOUCH_EVERY_US {
        store::sessions::touch(conn, &id, now)?;
    }
    Ok(Some(Session {
        id,
        caller,
        csrf: row.csrf,
        language: row.language,
    }))
}

/// Ends a session (logout).
pub fn close(conn: &mut Db, id: &str) -> AppResult<()> {
    Ok(store::sessions::delete(conn, id)?)
}

/// Sets the language of a session and of its user (`id` or `en`): the user's next sessions, on
/// any device, open in it. A change of the user's choice is audited.
pub fn set_language(
    conn: &mut Db,
    ctx: &super::Ctx,
    session: &Session,
    language: &str,
) -> AppResult<()> {
    let language = if language == "en" { "en" } else { "id" };
    store::write_tx(conn, |conn| {
        store::sessions::set_language(conn, &session.id, language)?;
        let user = session.caller.id;
        let before = store::users::language(conn, user)?;
        if before.as_deref() != Some(language) {
            store::users::set_language(conn, user, language)?;
            let mut changes = crate::audit::Changes::new();
            crate::audit::diff(
                &mut changes,
                "language",
                before.map_or(serde_json::Value::Null, serde_json::Value::from),
                language,
            );
            ctx.record(
                conn,
                crate::audit::SYSTEM_STREAM,
                "user.language_changed",
                &format!("user:{}", session.caller.email),
                changes,
            )?;
        }
        Ok(())
    })
}

/// Whether two secrets are equal, in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
