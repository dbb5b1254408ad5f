//! A citizen's request for clarification, without an account: a question or a suspicious link
//! and an optional contact, checked by a sum the form asks (signed, so that it needs no state
//! and no third-party service), limited per client address, filed as a new issue from the
//! `publik` channel for the TRC's triage (never assigned by a rule), and answered with a
//! tracking code. The code shows the request's status and the published clarifications of
//! its issue — nothing else of it.

use super::issues::check::Check;
use super::{Actor, Caller, Ctx};
use crate::audit::{diff, Changes, SYSTEM_STREAM};
use crate::domain::citizen;
use crate::domain::{Role, Status};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::schema::citizen_requests;
use crate::store::{self, write_tx, Db};
use diesel::prelude::*;
use hmac::Mac as _;
use sha2::Digest as _;

/// The account citizens' requests are filed under: never a login (no password matches `!`,
/// and it is inactive); its address is undeliverable, so no notice is ever mailed to it.
pub const PUBLIC_ACCOUNT: &str = "warga@publik.invalid";

/// How soon after the form is shown it may be sent, and how late (seconds).
const MIN_FILL_SECS: i64 = 3;
const MAX_FILL_SECS: i64 = 2 * 3600;
/// The window the per-address limit counts in (µs).
const WINDOW_US: i64 = 3600 * 1_000_000;

type Hmac = hmac::Hmac<sha2::Sha256>;

fn keyed(ctx: &Ctx, what: &str) -> Hmac {
    // HMAC takes keys of any length.
    let mut m =
        <Hmac as hmac::Mac>::new_from_slice(&ctx.sla.links.key).unwrap_or_else(|_| unreachable!());
    m.update(what.as_bytes());
    m
}

/// The hidden fields of a new form: a seed for the sum, when it was made, and their signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken {
    pub seed: u32,
    pub made: i64,
    pub sig: String,
}

impl FormToken {
    /// The sum the form asks: `(a, b)`.
    pub fn sum(&self) -> (u32, u32) {
        citizen::sum_of(self.seed)
    }
}

/// A new form's token.
pub fn form_token(ctx: &Ctx) -> FormToken {
    let seed = rand::random::<u32>();
    let made = ctx.now / 1_000_000;
    let sig = hex::encode(
        keyed(ctx, &format!("citizen-form\n{seed}\n{made}"))
            .finalize()
            .into_bytes(),
    );
    FormToken { seed, made, sig }
}

/// What the form sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CitizenRequest {
    #[serde(default)]
    pub pertanyaan: String,
    #[serde(default)]
    pub tautan: String,
    #[serde(default)]
    pub kontak: String,
    #[serde(default)]
    pub jawaban: String,
    #[serde(default)]
    pub benih: String,
    #[serde(default)]
    pub dibuat: String,
    #[serde(default)]
    pub tanda: String,
    /// Left empty by people; filled by scripts that fill every field.
    #[serde(default)]
    pub situs: String,
}

fn challenge_ok(ctx: &Ctx, r: &CitizenRequest) -> bool {
    let (Ok(seed), Ok(made), Ok(sig)) = (
        r.benih.parse::<u32>(),
        r.dibuat.parse::<i64>(),
        hex::decode(r.tanda.trim()),
    ) else {
        return false;
    };
    let signed = keyed(ctx, &format!("citizen-form\n{seed}\n{made}"))
        .verify_slice(&sig)
        .is_ok();
    signed
        && r.situs.trim().is_empty()
        && citizen::challenge_passes(
            seed,
            &r.jawaban,
            made,
            ctx.now / 1_000_000,
            MIN_FILL_SECS,
            MAX_FILL_SECS,
        )
}

/// The keyed hash an address is kept as.
fn address_hash(ctx: &Ctx, address: &str) -> String {
    hex::encode(
        keyed(ctx, &format!("citizen-address\n{address}"))
            .finalize()
            .into_bytes(),
    )
}

fn code_hash(code: &str) -> String {
    hex::encode(sha2::Sha256::digest(code.as_bytes()))
}

fn recent(conn: &mut Db, hash: &str, since: i64) -> AppResult<i64> {
    Ok(citizen_requests::table
        .filter(citizen_requests::address_hash.eq(hash))
        .filter(citizen_requests::created_at.ge(since))
        .count()
        .get_result(conn)?)
}

/// Whether a form (by its signature) was sent already.
fn used(conn: &mut Db, sig: &str) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        citizen_requests::table.filter(citizen_requests::form_sig.eq(sig)),
    ))
    .get_result(conn)?)
}

fn sent_before() -> AppError {
    AppError::Conflict {
        cause: crate::error::Conflict::AlreadyExists,
        detail: "formulir ini sudah terkirim: kode pelacakannya sudah diberikan; untuk pertanyaan lain, buka formulir baru".into(),
    }
}

fn throttled(limit: u32) -> AppError {
    AppError::Throttled {
        retry_after_secs: 3600,
        detail: format!(
            "sudah {limit} permintaan dari alamat ini dalam satu jam terakhir: coba lagi nanti"
        ),
    }
}

/// The account requests are filed under, made (and audited) the first time.
fn public_account(conn: &mut Db, ctx: &Ctx) -> AppResult<Caller> {
    if let Some(u) = store::users::find_by_email(conn, PUBLIC_ACCOUNT)? {
        return Ok(as_caller(u));
    }
    let made = write_tx(conn, |conn| {
        let row = store::users::insert(
            conn,
            &store::users::NewUser {
                email: PUBLIC_ACCOUNT,
                name: "Warga (formulir minta klarifikasi)",
                role: Role::Trc.as_str(),
                unit: None,
                password_hash: "!",
                active: false,
                created_at: ctx.now,
                updated_at: ctx.now,
            },
        )?;
        let mut ch = Changes::new();
        diff(&mut ch, "email", serde_json::Value::Null, PUBLIC_ACCOUNT);
        diff(&mut ch, "active", serde_json::Value::Null, false);
        ctx.record(
            conn,
            SYSTEM_STREAM,
            "user.created",
            &format!("user:{}", row.id),
            ch,
        )?;
        Ok::<_, AppError>(row)
    });
    match made {
        Ok(row) => Ok(as_caller(row)),
        // Another request made it meanwhile.
        Err(_) => store::users::find_by_email(conn, PUBLIC_ACCOUNT)?
            .map(as_caller)
            .ok_or_else(|| anyhow::anyhow!("the public account could not be made").into()),
    }
}

fn as_caller(u: store::users::UserRow) -> Caller {
    Caller {
        id: u.id,
        email: u.email,
        name: u.name,
        role: Role::Trc,
        unit: None,
    }
}

/// The issue a request becomes: a hoax question from the `publik` channel, for triage.
fn issue_of(
    question: &str,
    links: Vec<String>,
    contact: Option<&str>,
) -> super::issues::file::NewIssue {
    let title: String = {
        let first = question.lines().next().unwrap_or_default().trim();
        let t: String = first.chars().take(120).collect();
        if t.len() < first.len() {
            format!("{t}…")
        } else {
            t
        }
    };
    let mut description =
        format!("Permintaan klarifikasi dari warga (formulir publik):\n\n{question}");
    if let Some(k) = contact {
        description = format!("{description}\n\nKontak warga (bukan untuk publik): {k}");
    }
    super::issues::file::NewIssue {
        title,
        description,
        category: crate::domain::Category::HoaksDisinformasi.as_str().into(),
        channel: crate::domain::Channel::Publik.as_str().into(),
        source_urls: links,
        priority: None,
        sensitivity: None,
        evidence: None,
        location: None,
        lapor_id: None,
        tags: vec!["minta-klarifikasi".into()],
        verdict: None,
        disinformation_type: None,
    }
}

/// Files a citizen's request from `address`; answers its tracking code.
pub fn ask(
    conn: &mut Db,
    ctx: &Ctx,
    address: &str,
    limit: u32,
    r: &CitizenRequest,
) -> AppResult<String> {
    let mut c = Check::new();
    if !challenge_ok(ctx, r) {
        c.errors.push(FieldError::new(
            "jawaban",
            "jawaban penjumlahan salah, atau formulir sudah terlalu lama dibuka: coba lagi",
        ));
    }
    let question = c.text("pertanyaan", &r.pertanyaan, 2_000, false);
    if !question.is_empty() && question.chars().count() < 10 {
        c.fail("pertanyaan", "tulis sedikitnya 10 huruf");
    }
    let link = r.tautan.trim();
    let links = if link.is_empty() {
        Vec::new()
    } else {
        c.urls("tautan", &[link.to_owned()], 1)
    };
    let contact = c.opt_text("kontak", Some(&r.kontak), 200);
    c.done()?;
    let hash = address_hash(ctx, address);
    if recent(conn, &hash, ctx.now - WINDOW_US)? >= i64::from(limit) {
        return Err(throttled(limit));
    }
    let caller = public_account(conn, ctx)?;
    let as_public = Ctx {
        actor: Actor::User(caller),
        ..ctx.clone()
    };
    let input = issue_of(&question, links, contact.as_deref());
    let code = citizen::tracking_code(&rand::random::<[u8; 12]>());
    let code_key = code_hash(&code);
    let now = ctx.now;
    let sig = r.tanda.trim().to_lowercase();
    if used(conn, &sig)? {
        return Err(sent_before());
    }
    let then = |conn: &mut Db, issue_id: i64| -> AppResult<()> {
        // Counted again under a lock: two requests at once from one address cannot both pass.
        store::login::lock(conn, &[&format!("citizen:{hash}")])?;
        if recent(conn, &hash, now - WINDOW_US)? >= i64::from(limit) {
            return Err(throttled(limit));
        }
        if used(conn, &sig)? {
            return Err(sent_before());
        }
        diesel::insert_into(citizen_requests::table)
            .values((
                citizen_requests::code_hash.eq(&code_key),
                citizen_requests::issue_id.eq(issue_id),
                citizen_requests::address_hash.eq(&hash),
                citizen_requests::form_sig.eq(&sig),
                citizen_requests::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    };
    super::issues::file::file_then(conn, &as_public, input, None, &then)?;
    Ok(code)
}

/// What a tracking code shows.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub status: &'static str,
    /// When the request was received (µs).
    pub received_at: i64,
    /// The published clarifications of its issue (or of the issue it was merged into).
    pub answers: Vec<super::public::PublicClarification>,
}

/// The status of the request with `code` (404 for any code that is not one).
pub fn track(conn: &mut Db, typed: &str) -> AppResult<Tracked> {
    let missing = || AppError::NotFound("kode pelacakan tidak dikenal: periksa kembali".into());
    let code = citizen::read_code(typed).ok_or_else(missing)?;
    let (issue_id, received_at): (i64, i64) = citizen_requests::table
        .filter(citizen_requests::code_hash.eq(code_hash(&code)))
        .select((citizen_requests::issue_id, citizen_requests::created_at))
        .first(conn)
        .optional()?
        .ok_or_else(missing)?;
    let reference = store::outbox::issue_ref(conn, issue_id)?.ok_or_else(missing)?;
    let mut row = store::issues::find_by_ref(conn, &reference, false)?.ok_or_else(missing)?;
    let mut ids = vec![row.id];
    let first = Status::parse(&row.status).unwrap_or(Status::New);
    // A merged request follows the issue it was merged into (merges are short chains).
    for _ in 0..8 {
        let Some(into) = row.duplicate_of.clone() else {
            break;
        };
        match store::issues::find_by_ref(conn, &into, false)? {
            Some(r) => {
                ids.push(r.id);
                row = r;
            }
            None => break,
        }
    }
    let now = Status::parse(&row.status).unwrap_or(Status::New);
    let status = if first == Status::Duplicate {
        match now {
            Status::Resolved | Status::Closed => citizen::status_words(now),
            _ => citizen::status_words(Status::Duplicate),
        }
    } else {
        citizen::status_words(now)
    };
    let answers = store::clarifications::published_of_issues(conn, &ids)?
        .iter()
        .map(super::public::PublicClarification::from_row)
        .collect();
    Ok(Tracked {
        status,
        received_at,
        answers,
    })
}
