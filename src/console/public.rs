//! The public side, without an account: the published clarifications (list with search, one
//! page each with schema.org `ClaimReview` for search engines, an Atom feed). Everything shown
//! comes from `service::public::PublicClarification` — the snapshot approval took — in Bahasa
//! Indonesia.

use super::pages::{error_page, page};
use crate::runtime::AppState;
use crate::service::public::{self, PublicClarification};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Local date and time in words: `6 Desember 2026, 14.05 WITA`.
pub(super) fn when(zone: &jiff::tz::TimeZone, us: i64) -> String {
    let Ok(t) = jiff::Timestamp::from_microsecond(us) else {
        return String::new();
    };
    let z = t.to_zoned(zone.clone());
    let month = MONTHS[usize::try_from(z.month() - 1).unwrap_or(0)];
    format!(
        "{} {month} {}, {:02}.{:02} {}",
        z.day(),
        z.year(),
        z.hour(),
        z.minute(),
        z.strftime("%Z")
    )
}

fn rfc3339(us: i64) -> String {
    crate::service::rfc3339(us)
}

/// A clarification as a page shows it.
pub(super) struct Shown {
    pub c: PublicClarification,
    pub when: String,
    /// The instant for machines (`<time datetime>`).
    pub iso: String,
    pub withdrawn_when: Option<String>,
}

impl Shown {
    pub(super) fn of(zone: &jiff::tz::TimeZone, c: PublicClarification) -> Shown {
        Shown {
            when: when(zone, c.published_at),
            iso: rfc3339(c.published_at),
            withdrawn_when: c.withdrawn_at.map(|w| when(zone, w)),
            c,
        }
    }

    /// The first lines of the text, for lists.
    pub fn summary(&self) -> String {
        let t: String = self.c.text.chars().take(280).collect();
        if t.len() < self.c.text.len() {
            format!("{t}…")
        } else {
            t
        }
    }
}

#[derive(Template)]
#[template(path = "console/public_list.html")]
struct ListPage<'a> {
    title: &'a str,
    q: &'a str,
    items: &'a [Shown],
    next: Option<String>,
}

impl ListPage<'_> {
    fn next_href(&self, cursor: &str) -> String {
        format!(
            "/klarifikasi?q={}&setelah={}",
            super::session::encode(self.q),
            super::session::encode(cursor)
        )
    }
}

#[derive(Template)]
#[template(path = "console/public_item.html")]
struct ItemPage<'a> {
    title: &'a str,
    s: &'a Shown,
    json_ld: Option<String>,
}

#[derive(Template)]
#[template(path = "console/feed.xml")]
struct Feed<'a> {
    base: &'a str,
    updated: String,
    entries: Vec<(&'a PublicClarification, String, String)>,
}

/// A public page: cached briefly by browsers and proxies (it holds only published data),
/// never framed, our own style only.
fn public_page(status: StatusCode, body: Result<String, askama::Error>) -> HttpResponse {
    let mut r = page(status, body);
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=60"),
    );
    r
}

#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    setelah: Option<String>,
}

/// `/klarifikasi`: published clarifications, newest first, searchable.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let ListQuery { q, setelah } = q.into_inner();
    let q: String = q.chars().take(200).collect();
    let q2 = q.clone();
    let found = state
        .db(move |conn| public::page(conn, &q2, setelah.as_deref(), 20))
        .await;
    let zone = state.cfg.sla.zone.clone();
    match found {
        Ok(p) => {
            let items: Vec<Shown> = p.items.into_iter().map(|c| Shown::of(&zone, c)).collect();
            public_page(
                StatusCode::OK,
                ListPage {
                    title: "Klarifikasi resmi",
                    q: &q,
                    items: &items,
                    next: p.next,
                }
                .render(),
            )
        }
        Err(e) => error_page(&req, None, &e),
    }
}

/// The JSON-LD of a verdict page (`ClaimReview`), safe inside a `<script>` element.
fn claim_review(base: &str, zone: &jiff::tz::TimeZone, c: &PublicClarification) -> Option<String> {
    let verdict = c.verdict?;
    let rating = crate::domain::clarification::verdict_rating(verdict)?;
    let v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": format!("{base}/klarifikasi/{}", c.public_id),
        "claimReviewed": c.claim.as_deref().unwrap_or(&c.title),
        "datePublished": jiff::Timestamp::from_microsecond(c.published_at)
            .ok()?
            .to_zoned(zone.clone())
            .date()
            .to_string(),
        "inLanguage": "id",
        "author": {"@type": "Organization", "name": c.unit.as_deref().unwrap_or("Tim Reaksi Cepat")},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": rating,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": crate::domain::clarification::verdict_label(verdict),
        },
    });
    // `<` written as \u003c: nothing in the data can close the script element.
    Some(v.to_string().replace('<', "\\u003c"))
}

/// `/klarifikasi/{id}`: one clarification (a withdrawn one says so, 410).
pub async fn item(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let id = path.into_inner();
    let found = state.db(move |conn| public::get(conn, &id)).await;
    match found {
        Ok(c) => {
            let json_ld = if c.withdrawn() {
                None
            } else {
                claim_review(&state.cfg.sla.public_base_url, &state.cfg.sla.zone, &c)
            };
            let status = if c.withdrawn() {
                StatusCode::GONE
            } else {
                StatusCode::OK
            };
            let s = Shown::of(&state.cfg.sla.zone, c);
            public_page(
                status,
                ItemPage {
                    title: &s.c.title,
                    s: &s,
                    json_ld,
                }
                .render(),
            )
        }
        Err(e) => error_page(&req, None, &e),
    }
}

/// `/klarifikasi/feed.atom`: the 50 newest published clarifications.
pub async fn feed(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let found = state.db(move |conn| public::page(conn, "", None, 50)).await;
    let items = match found {
        Ok(p) => p.items,
        Err(e) => return error_page(&req, None, &e),
    };
    let base = state.cfg.sla.public_base_url.clone();
    let updated = items
        .first()
        .map_or_else(|| rfc3339(0), |c| rfc3339(c.published_at));
    let feed = Feed {
        base: &base,
        updated,
        entries: items
            .iter()
            .map(|c| {
                // "[Hoaks] " before the title, unless the title already says it.
                let label = c
                    .verdict_label()
                    .filter(|v| !c.title.to_lowercase().contains(&v.to_lowercase()))
                    .map(|v| format!("[{v}] "))
                    .unwrap_or_default();
                (c, rfc3339(c.published_at), label)
            })
            .collect(),
    };
    match feed.render() {
        Ok(xml) => HttpResponse::Ok()
            .content_type("application/atom+xml; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(xml),
        Err(e) => {
            tracing::error!(error = %e, "the feed could not be rendered");
            HttpResponse::InternalServerError().finish()
        }
    }
}
