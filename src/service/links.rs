//! Links in emails: one per recipient and issue, signed with a key derived from the server's
//! secret, expiring after `[console] link_ttl`. A link opens its issue read-only without a
//! password; acting needs a login. A changed, expired or other issue's link is refused; a
//! restricted issue opens only for a recipient who is a user allowed to see it. Each use is
//! audited on the issue.

use super::issues::{self, Issue};
use super::{Actor, Caller, Ctx};
use crate::audit::{diff, Changes};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::{self, write_tx, Db};
use base64::Engine as _;
use hmac::Mac as _;

type Hmac = hmac::Hmac<sha2::Sha256>;

fn mac(key: &[u8; 32], reference: &str, recipient: &str, expires: i64) -> Hmac {
    // The key is 32 bytes: new_from_slice cannot fail for HMAC.
    let mut m = <Hmac as hmac::Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(format!("{reference}\n{recipient}\n{expires}").as_bytes());
    m
}

/// The path and query of the link to `reference` for `recipient`, made at `now` (µs).
pub fn path(ctx: &Ctx, reference: &str, recipient: &str) -> String {
    let links = &ctx.sla.links;
    let expires = ctx.now / 1_000_000 + links.ttl_secs;
    let recipient = recipient.trim().to_lowercase();
    let sig = mac(&links.key, reference, &recipient, expires)
        .finalize()
        .into_bytes();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "/tautan/{reference}?u={}&s={expires}&t={}",
        b64.encode(recipient.as_bytes()),
        b64.encode(sig)
    )
}

/// The full link (`server.public_base_url` first).
pub fn url(ctx: &Ctx, reference: &str, recipient: &str) -> String {
    format!(
        "{}{}",
        ctx.sla.public_base_url,
        path(ctx, reference, recipient)
    )
}

/// A link's query, as received.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LinkQuery {
    /// The recipient (URL-safe base64 of the address).
    pub u: Option<String>,
    /// Expiry (Unix seconds).
    pub s: Option<String>,
    /// The signature (URL-safe base64).
    pub t: Option<String>,
}

/// Why a link is refused (each a plain 403 page; the reason is logged and audited only as
/// "refused").
const REFUSED: &str =
    "this link is not valid: it may have been changed, or it belongs to another issue";

/// Checks a link and answers its recipient.
fn check(ctx: &Ctx, reference: &str, q: &LinkQuery) -> AppResult<String> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let refused = || AppError::Forbidden(REFUSED.into());
    let recipient =
        q.u.as_deref()
            .and_then(|u| b64.decode(u).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(refused)?;
    let expires: i64 =
        q.s.as_deref()
            .and_then(|s| s.parse().ok())
            .ok_or_else(refused)?;
    let sig =
        q.t.as_deref()
            .and_then(|t| b64.decode(t).ok())
            .ok_or_else(refused)?;
    mac(&ctx.sla.links.key, reference, &recipient, expires)
        .verify_slice(&sig)
        .map_err(|_| refused())?;
    if expires < ctx.now / 1_000_000 {
        return Err(AppError::Forbidden(
            "this link has expired: log in to open the issue".into(),
        ));
    }
    Ok(recipient)
}

/// Opens the issue of a link read-only, as its recipient sees it, and audits the use.
pub fn open(conn: &mut Db, ctx: &Ctx, reference: &str, q: &LinkQuery) -> AppResult<Issue> {
    let recipient = check(ctx, reference, q)?;
    write_tx(conn, |conn| {
        let row = store::issues::find_by_ref(conn, reference, false)?
            .ok_or_else(|| AppError::NotFound(format!("no issue {reference}")))?;
        // A user among the recipients sees as that user; an address that is no user's (a unit's
        // mailbox) sees a normal issue, never a restricted one.
        let user = store::users::find_by_email(conn, &recipient)?.filter(|u| u.active);
        let caller = match user {
            Some(u) => super::users::User::from_row(&u)?.into_caller(),
            None => Caller {
                id: 0,
                email: recipient.clone(),
                name: recipient.clone(),
                role: Role::Pic,
                unit: None,
            },
        };
        let restricted = issues::facts(&row).sensitivity == crate::domain::Sensitivity::Restricted;
        let viewer = issues::viewer(conn, &caller)?;
        if restricted && (caller.id == 0 || !viewer.can_see(&issues::facts(&row))) {
            return Err(AppError::Forbidden(
                "this issue is restricted: log in as a user who may see it".into(),
            ));
        }
        let mut changes = Changes::new();
        diff(
            &mut changes,
            "recipient",
            serde_json::Value::Null,
            &recipient,
        );
        ctx.record(
            conn,
            &issues::stream(reference),
            "issue.link_opened",
            &format!("issue:{reference}"),
            changes,
        )?;
        let as_recipient = Ctx {
            actor: Actor::User(caller),
            ..ctx.clone()
        };
        issues::view(conn, &as_recipient, row)
    })
}
