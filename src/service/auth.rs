//! Logging in: throttled per account and per client address (state in the database, so it
//! holds across instances), failures audited, HS256 tokens with `iss`, `aud` and `exp`.

use super::users::{verify_password, User};
use super::{Caller, Ctx};
use crate::audit::{diff, Changes, SYSTEM_STREAM};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::store::{self, write_tx, Db};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// A token handed out at login.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Token {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// A hash verified when the account does not exist, so that a wrong email costs as much time
/// as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| super::users::hash_password("tanggap-no-such-user").unwrap_or_default())
}

pub fn issue_token(cfg: &Config, user_id: i64, now_secs: i64) -> AppResult<Token> {
    let claims = Claims {
        sub: user_id.to_string(),
        iss: cfg.settings.auth.issuer.clone(),
        aud: cfg.settings.auth.audience.clone(),
        iat: now_secs,
        exp: now_secs + cfg.token_ttl_secs,
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(cfg.settings.auth.jwt_secret.expose().as_bytes()),
    )
    .map_err(|e| anyhow::anyhow!("cannot sign a token: {e}"))?;
    Ok(Token {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: cfg.token_ttl_secs,
    })
}

/// Checks a bearer token (HS256 only; `iss`, `aud`, `exp` required) and answers the user id.
pub fn check_token(cfg: &Config, token: &str) -> AppResult<i64> {
    let mut v = Validation::new(Algorithm::HS256);
    v.algorithms = vec![Algorithm::HS256];
    v.leeway = 5;
    v.set_issuer(&[&cfg.settings.auth.issuer]);
    v.set_audience(&[&cfg.settings.auth.audience]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<Claims>(
        token,
        &DecodingKey::from_secret(cfg.settings.auth.jwt_secret.expose().as_bytes()),
        &v,
    )
    .map_err(|e| AppError::Unauthorized(format!("the token is not valid: {e}")))?;
    data.claims
        .sub
        .parse()
        .map_err(|_| AppError::Unauthorized("the token names no user".into()))
}

/// Loads the active user behind a checked token.
pub fn caller(conn: &mut Db, user_id: i64) -> AppResult<Caller> {
    match store::users::find(conn, user_id)? {
        Some(row) if row.active => Ok(super::users::User::from_row(&row)?.into_caller()),
        _ => Err(AppError::Unauthorized(
            "the account is unknown or deactivated".into(),
        )),
    }
}

fn throttle_keys(email: &str, address: &str) -> (String, String) {
    (format!("account:{email}"), format!("address:{address}"))
}

/// Logs in with email and password from `address`; `ctx.actor` is the system.
pub fn login(
    conn: &mut Db,
    ctx: &Ctx,
    cfg: &Config,
    email: &str,
    password: &str,
    address: &str,
) -> AppResult<Token> {
    let email = email.trim().to_lowercase();
    let (account_key, address_key) = throttle_keys(&email, address);
    let window_us = cfg.login_window_secs * 1_000_000;
    let since = ctx.now - window_us;
    let auth = &cfg.settings.auth;

    let (acc_n, acc_oldest) = store::login::failures_since(conn, &account_key, since)?;
    let (addr_n, addr_oldest) = store::login::failures_since(conn, &address_key, since)?;
    let limited = [
        (acc_n >= i64::from(auth.login_attempts), acc_oldest),
        (
            addr_n >= i64::from(auth.login_attempts_per_address),
            addr_oldest,
        ),
    ];
    if let Some(oldest) = limited
        .iter()
        .filter(|(hit, _)| *hit)
        .filter_map(|(_, o)| *o)
        .max()
    {
        let retry_after_secs =
            u64::try_from(((oldest + window_us - ctx.now) / 1_000_000).max(1)).unwrap_or(1);
        write_tx(conn, |conn| {
            let mut changes = Changes::new();
            diff(&mut changes, "address", serde_json::Value::Null, address);
            ctx.record(
                conn,
                SYSTEM_STREAM,
                "auth.login_throttled",
                &format!("user:{email}"),
                changes,
            )
        })?;
        return Err(AppError::TooManyRequests {
            retry_after_secs,
            detail: "too many failed logins; wait before trying again".into(),
        });
    }

    let user = store::users::find_by_email(conn, &email)?;
    let hash = user
        .as_ref()
        .map_or(dummy_hash(), |u| u.password_hash.as_str());
    let password_ok = verify_password(password, hash);
    match user {
        Some(u) if password_ok && u.active => {
            // In a write transaction like every other write: on SQLite it then queues with
            // this process's other writers instead of sleeping in SQLite's busy handler.
            write_tx(conn, |conn| store::login::clear(conn, &account_key, since))?;
            let user = User::from_row(&u)?;
            issue_token(cfg, user.id, ctx.now / 1_000_000)
        }
        other => {
            let reason = match other {
                None => "unknown account",
                Some(u) if !u.active => "deactivated account",
                Some(_) => "wrong password",
            };
            write_tx(conn, |conn| {
                store::login::record(conn, &[&account_key, &address_key], ctx.now)?;
                let mut changes = Changes::new();
                diff(&mut changes, "address", serde_json::Value::Null, address);
                diff(&mut changes, "reason", serde_json::Value::Null, reason);
                ctx.record(
                    conn,
                    SYSTEM_STREAM,
                    "auth.login_failed",
                    &format!("user:{email}"),
                    changes,
                )
            })?;
            Err(AppError::Unauthorized("wrong email or password".into()))
        }
    }
}
