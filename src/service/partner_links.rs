//! A partner's personal link to a published clarification: signed for that partner and
//! clarification, expiring after `[console] partner_link_ttl`, it opens the partner's page
//! without an account, where the partner acknowledges the clarification and reports where it
//! republished it. A changed, expired or other partner's link is refused; every use is audited
//! on the clarification's issue stream.

use super::issues::check::Check;
use super::Ctx;
use crate::audit::{diff, Changes};
use crate::error::{AppError, AppResult};
use crate::store::{self, write_tx, Db};
use base64::Engine as _;
use hmac::Mac as _;
use serde::Deserialize;

type Hmac = hmac::Hmac<sha2::Sha256>;

/// The partner links' own key, derived from the email links' key (a link of one kind is never
/// valid as the other).
fn mac(ctx: &Ctx, public_id: &str, partner: i64, expires: i64) -> Hmac {
    // Keys of any length are accepted by HMAC.
    let mut m =
        <Hmac as hmac::Mac>::new_from_slice(&ctx.sla.links.key).unwrap_or_else(|_| unreachable!());
    m.update(format!("partner-link\n{public_id}\n{partner}\n{expires}").as_bytes());
    m
}

/// The path and query of a partner's personal link to a clarification.
pub fn path(ctx: &Ctx, public_id: &str, partner: i64, expires: i64) -> String {
    let sig = mac(ctx, public_id, partner, expires)
        .finalize()
        .into_bytes();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "/mitra/{public_id}?p={partner}&s={expires}&t={}",
        b64.encode(sig)
    )
}

/// A partner link's query, as received (also the hidden fields of its forms).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PartnerLink {
    pub p: Option<String>,
    pub s: Option<String>,
    pub t: Option<String>,
}

/// Partners read Bahasa Indonesia: "this link is not valid: it may have been changed, or it
/// belongs to another clarification".
const REFUSED: &str = "tautan ini tidak valid: mungkin telah diubah, atau milik klarifikasi lain";

/// Checks a link; answers the partner's id.
fn check(ctx: &Ctx, public_id: &str, q: &PartnerLink) -> AppResult<i64> {
    let refused = || AppError::Forbidden(REFUSED.into());
    let partner: i64 =
        q.p.as_deref()
            .and_then(|p| p.parse().ok())
            .ok_or_else(refused)?;
    let expires: i64 =
        q.s.as_deref()
            .and_then(|s| s.parse().ok())
            .ok_or_else(refused)?;
    let sig =
        q.t.as_deref()
            .and_then(|t| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(t)
                    .ok()
            })
            .ok_or_else(refused)?;
    mac(ctx, public_id, partner, expires)
        .verify_slice(&sig)
        .map_err(|_| refused())?;
    if expires < ctx.now / 1_000_000 {
        return Err(AppError::Forbidden(
            "tautan ini sudah kedaluwarsa: mintalah tautan baru kepada Tim Reaksi Cepat".into(),
        ));
    }
    Ok(partner)
}

/// What a partner's page shows.
#[derive(Debug, Clone)]
pub struct PartnerPage {
    pub partner: String,
    pub clarification: super::public::PublicClarification,
    pub acknowledged_at: Option<i64>,
    pub reshares: Vec<(String, Option<i64>)>,
}

/// What a partner does on its page.
#[derive(Debug, Clone)]
pub enum PartnerStep {
    /// Opens the page.
    Open,
    /// "Received": acknowledges the clarification.
    Acknowledge,
    /// Reports where it was republished, and its reach.
    Reshare { url: String, reach: Option<String> },
}

/// A partner's use of its link, audited on the clarification's issue stream.
pub fn step(
    conn: &mut Db,
    ctx: &Ctx,
    public_id: &str,
    q: &PartnerLink,
    step: PartnerStep,
) -> AppResult<PartnerPage> {
    let partner_id = check(ctx, public_id, q)?;
    write_tx(conn, |conn| {
        let refused = || AppError::Forbidden(REFUSED.into());
        let clar = store::clarifications::published(conn, public_id)?.ok_or_else(refused)?;
        let partner = store::partners::find(conn, partner_id)?.ok_or_else(refused)?;
        let delivery = store::partners::delivery(conn, clar.id, partner_id)?.ok_or_else(refused)?;
        let mut ch = Changes::new();
        diff(&mut ch, "partner", serde_json::Value::Null, &partner.name);
        let action = match &step {
            PartnerStep::Open => "partner.link_opened",
            PartnerStep::Acknowledge => {
                if store::partners::acknowledge(conn, delivery.id, ctx.now)? {
                    diff(&mut ch, "acknowledged", false, true);
                }
                "partner.acknowledged"
            }
            PartnerStep::Reshare { url, reach } => {
                let mut c = Check::new();
                let url = c.urls("url", std::slice::from_ref(url), 1);
                let reach = match reach.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                    None => None,
                    Some(r) => match r.replace(['.', ','], "").parse::<i64>() {
                        Ok(n) if (0..=1_000_000_000).contains(&n) => Some(n),
                        _ => {
                            c.fail("reach", "must be a whole number from 0 to 1,000,000,000");
                            None
                        }
                    },
                };
                if url.is_empty() && c.errors.is_empty() {
                    c.fail("url", "must not be empty");
                }
                c.done()?;
                let kept = store::partners::reshares(conn, delivery.id)?;
                let known = kept.iter().any(|r| r.url == url[0]);
                if kept.len() >= 50 && !known {
                    return Err(AppError::Invalid(vec![crate::error::FieldError::new(
                        "url",
                        "at most 50 places per clarification",
                    )]));
                }
                store::partners::add_reshare(conn, delivery.id, &url[0], reach, ctx.now)?;
                store::partners::acknowledge(conn, delivery.id, ctx.now)?;
                diff(
                    &mut ch,
                    "reshare",
                    serde_json::Value::Null,
                    serde_json::json!({"url": url[0], "reach": reach}),
                );
                "partner.reshare_reported"
            }
        };
        let reference = store::outbox::issue_ref(conn, clar.issue_id)?.unwrap_or_default();
        ctx.record(
            conn,
            &super::issues::stream(&reference),
            action,
            &format!("clarification:{}", clar.id),
            ch,
        )?;
        let delivery = store::partners::delivery(conn, clar.id, partner_id)?.ok_or_else(refused)?;
        let reshares = store::partners::reshares(conn, delivery.id)?
            .into_iter()
            .map(|r| (r.url, r.reach))
            .collect();
        Ok(PartnerPage {
            partner: partner.name,
            clarification: super::public::PublicClarification::from_row(&clar),
            acknowledged_at: delivery.acknowledged_at,
            reshares,
        })
    })
}
