//! Logging in: throttled per account and per client address (state in the database, so it
//! holds across instances), failures audited, HS256 tokens with `iss`, `aud` and `exp`.

use super::{Caller, Ctx};
use crate::audit::{diff, Changes, SYSTEM_STREAM};
use crate::config::Config;
use crate::error::{AppError, AppResult, FieldError};
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
    /// The user's token version when the token was signed: a password or role change and
    /// "sign out everywhere" raise it, which ends every token signed before. (Tokens from
    /// before versions existed read as 0.)
    #[serde(default)]
    pub ver: i32,
}

/// Who a checked token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenUser {
    pub id: i64,
    pub version: i32,
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

pub fn issue_token(cfg: &Config, user: TokenUser, now_secs: i64) -> AppResult<Token> {
    let claims = Claims {
        sub: user.id.to_string(),
        iss: cfg.settings.auth.issuer.clone(),
        aud: cfg.settings.auth.audience.clone(),
        iat: now_secs,
        exp: now_secs + cfg.token_ttl_secs,
        ver: user.version,
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

/// Checks a bearer token (HS256 only; `iss`, `aud`, `exp` required) and answers its user.
pub fn check_token(cfg: &Config, token: &str) -> AppResult<TokenUser> {
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
    .map_err(|e| AppError::Unauthenticated(format!("the token is not valid: {e}")))?;
    let id = data
        .claims
        .sub
        .parse()
        .map_err(|_| AppError::Unauthenticated("the token names no user".into()))?;
    Ok(TokenUser {
        id,
        version: data.claims.ver,
    })
}

/// Loads the active user behind a checked token, refusing a token its user has ended (by a
/// password or role change, or by signing out everywhere).
pub fn caller(conn: &mut Db, user: TokenUser) -> AppResult<Caller> {
    caller_of_row(store::users::find(conn, user.id)?, user)
}

/// The caller behind a checked token given its user's row as read (`None`: no such user).
pub fn caller_of_row(row: Option<store::users::UserRow>, user: TokenUser) -> AppResult<Caller> {
    match row {
        Some(row) if row.active && row.token_version == user.version => {
            Ok(super::users::User::from_row(&row)?.into_caller())
        }
        Some(row) if row.active => Err(AppError::Unauthenticated(
            "this token was ended by a password change or a sign-out: log in again".into(),
        )),
        _ => Err(AppError::Unauthenticated(
            "the account is unknown or deactivated".into(),
        )),
    }
}

/// The longest login email (RFC 5321's path limit) and password accepted; longer ones answer
/// 422 before anything is written.
pub const MAX_EMAIL: usize = 254;
pub const MAX_PASSWORD: usize = 1024;

/// How long a client network an account signed in from stays "known" to it.
const KNOWN_FOR_US: i64 = 30 * 86_400 * 1_000_000;

/// Logins refused by the throttle since start, in aggregate (`/metrics`); only the first of
/// each key in each window is audited.
pub static THROTTLED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The network a client address is throttled by: the address itself for IPv4, its /64 for
/// IPv6 (one subscriber usually holds a whole /64).
pub fn client_network(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                v4.to_string()
            } else {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        }
        Ok(v4) => v4.to_string(),
        Err(_) => address.chars().take(64).collect(),
    }
}

/// Refuses credentials too long to be real, naming the field (before any write).
pub fn check_credentials(email: &str, password: &str) -> AppResult<()> {
    let mut errors = Vec::new();
    if email.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "email",
            "must not contain control characters",
        ));
    } else if email.len() > MAX_EMAIL {
        errors.push(FieldError::new(
            "email",
            format!("must be at most {MAX_EMAIL} bytes"),
        ));
    }
    if password.len() > MAX_PASSWORD {
        errors.push(FieldError::new(
            "password",
            format!("must be at most {MAX_PASSWORD} bytes"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// One login attempt, counted as a failure from the moment it is reserved: a crash or a
/// concurrent flood can never evaluate more guesses than the throttle allows.
#[derive(Debug, Clone)]
pub struct Reservation {
    email: String,
    network: String,
    address: String,
    pair_key: String,
    /// The reserved failure rows, removed again when the attempt succeeds.
    ids: Vec<i64>,
    /// The account, when it exists: (id, active, token version).
    user: Option<(i64, bool, i32)>,
    /// The hash to check the password against (a dummy one for an unknown account, so a
    /// wrong email costs the same time as a wrong password).
    pub hash: String,
}

/// The throttle's keys: the account from this network, the network, the account.
fn keys(email: &str, network: &str) -> [String; 3] {
    [
        format!("pair:{email}|{network}"),
        format!("address:{network}"),
        format!("account:{email}"),
    ]
}

/// First step of a login from `address`: refuses with 429 when the throttle says so,
/// otherwise reserves the attempt (as a failure, atomically with the count) and answers what
/// to check the password against. `ctx.actor` is the system.
///
/// Limits (each over `auth.login_window`): `login_attempts` failures per account and client
/// network; `login_attempts_per_address` per client network; `login_attempts_per_account` per
/// account from everywhere, past which only networks the account signed in from in the last
/// 30 days may still try — so a guessing attack from elsewhere cannot lock out the TRC
/// during an incident, and is itself stopped.
#[allow(
    clippy::too_many_lines,
    reason = "the sign-in's steps (reserve, hash off the database, settle) read best in order in one place"
)]
pub fn reserve(
    conn: &mut Db,
    ctx: &Ctx,
    cfg: &Config,
    email: &str,
    address: &str,
) -> AppResult<Reservation> {
    let email = email.trim().to_lowercase();
    let network = client_network(address);
    let [pair_key, address_key, account_key] = keys(&email, &network);
    let window_us = cfg.login_window_secs * 1_000_000;
    let since = ctx.now - window_us;
    let auth = &cfg.settings.auth;
    let reserved = write_tx(
        conn,
        |conn| -> AppResult<Result<Reservation, (i64, String)>> {
            store::login::lock(conn, &[&pair_key, &address_key, &account_key])?;
            let (pair_n, pair_oldest) = store::login::failures_since(conn, &pair_key, since)?;
            let (addr_n, addr_oldest) = store::login::failures_since(conn, &address_key, since)?;
            let (acc_n, acc_oldest) = store::login::failures_since(conn, &account_key, since)?;
            let account_flooded = acc_n >= i64::from(auth.login_attempts_per_account)
                && !store::login::known(conn, &email, &network, ctx.now - KNOWN_FOR_US)?;
            let hit = [
                (
                    pair_n >= i64::from(auth.login_attempts),
                    pair_oldest,
                    &pair_key,
                ),
                (
                    addr_n >= i64::from(auth.login_attempts_per_address),
                    addr_oldest,
                    &address_key,
                ),
                (account_flooded, acc_oldest, &account_key),
            ]
            .into_iter()
            .filter(|(hit, _, _)| *hit)
            .filter_map(|(_, oldest, key)| oldest.map(|o| (o, key.clone())))
            .max();
            if let Some((oldest, key)) = hit {
                // One audit event per throttled key and window; the rest are counted in /metrics.
                let marker = format!("throttled:{key}");
                if store::login::failures_since(conn, &marker, since)?.0 == 0 {
                    store::login::record(conn, &[&marker], ctx.now)?;
                    let mut changes = Changes::new();
                    diff(&mut changes, "address", serde_json::Value::Null, address);
                    diff(
                        &mut changes,
                        "throttled_by",
                        serde_json::Value::Null,
                        key.split(':').next().unwrap_or(""),
                    );
                    ctx.record(
                        conn,
                        SYSTEM_STREAM,
                        "auth.login_throttled",
                        &format!("user:{email}"),
                        changes,
                    )?;
                }
                return Ok(Err((oldest, key)));
            }
            let ids =
                store::login::record(conn, &[&pair_key, &address_key, &account_key], ctx.now)?;
            let user = store::users::find_by_email(conn, &email)?;
            Ok(Ok(Reservation {
                email: email.clone(),
                network: network.clone(),
                address: address.to_owned(),
                pair_key: pair_key.clone(),
                ids,
                hash: user
                    .as_ref()
                    .map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone()),
                user: user.map(|u| (u.id, u.active, u.token_version)),
            }))
        },
    )?;
    match reserved {
        Ok(r) => Ok(r),
        Err((oldest, _)) => {
            THROTTLED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let retry_after_secs =
                u64::try_from(((oldest + window_us - ctx.now) / 1_000_000).max(1)).unwrap_or(1);
            Err(AppError::Throttled {
                retry_after_secs,
                detail: "too many failed logins; wait before trying again".into(),
            })
        }
    }
}

/// Last step of a login: with the password checked (`password_ok`, computed off the database
/// turn), either answers a token — the reservation released, the network remembered — or
/// keeps the reservation as the failure and audits it.
pub fn settle(
    conn: &mut Db,
    ctx: &Ctx,
    cfg: &Config,
    r: &Reservation,
    password_ok: bool,
) -> AppResult<Token> {
    match r.user {
        Some((id, true, version)) if password_ok => {
            write_tx(conn, |conn| release(conn, ctx, cfg, r))?;
            issue_token(cfg, TokenUser { id, version }, ctx.now / 1_000_000)
        }
        other => {
            let reason = match other {
                None => "unknown account",
                Some((_, false, _)) => "deactivated account",
                Some(_) => "wrong password",
            };
            write_tx(conn, |conn| {
                failed(conn, ctx, r, "auth.login_failed", reason)
            })?;
            Err(AppError::Unauthenticated("wrong email or password".into()))
        }
    }
}

/// Last step of a console login: like [`settle`], but the success opens a console session
/// (`secret_hash`: the SHA-256 of the cookie's secret) instead of answering a token.
pub fn settle_session(
    conn: &mut Db,
    ctx: &Ctx,
    cfg: &Config,
    r: &Reservation,
    password_ok: bool,
    session: &store::sessions::SessionRow,
) -> AppResult<()> {
    match r.user {
        Some((id, true, version)) if password_ok => write_tx(conn, |conn| {
            release(conn, ctx, cfg, r)?;
            let mut row = session.clone();
            row.user_id = id;
            row.token_version = version;
            if let Some(chosen) = store::users::language(conn, id)? {
                row.language = chosen;
            }
            store::sessions::insert(conn, &row)?;
            Ok(())
        }),
        _ => {
            settle(conn, ctx, cfg, r, false)?;
            Err(AppError::Unauthenticated("wrong email or password".into()))
        }
    }
}

/// A reserved attempt that succeeded: it no longer counts, the account's failures from this
/// network are forgotten, and the network is remembered as the account's.
pub fn release(conn: &mut Db, ctx: &Ctx, cfg: &Config, r: &Reservation) -> AppResult<()> {
    let since = ctx.now - cfg.login_window_secs * 1_000_000;
    store::login::remove(conn, &r.ids)?;
    store::login::clear(conn, &r.pair_key, since)?;
    store::login::remember(conn, &r.email, &r.network, ctx.now, ctx.now - KNOWN_FOR_US)?;
    Ok(())
}

/// A reserved attempt that failed: the reservation stays as the failure; audited as `action`.
pub fn failed(
    conn: &mut Db,
    ctx: &Ctx,
    r: &Reservation,
    action: &str,
    reason: &str,
) -> AppResult<()> {
    let mut changes = Changes::new();
    diff(
        &mut changes,
        "address",
        serde_json::Value::Null,
        r.address.as_str(),
    );
    diff(&mut changes, "reason", serde_json::Value::Null, reason);
    ctx.record(
        conn,
        SYSTEM_STREAM,
        action,
        &format!("user:{}", r.email),
        changes,
    )
}
