//! The work lists: the TRC's triage board, the unit's queue, the escalated issues and the
//! search — 50 at a time with a Next link, each with a mark of what it shows so that the page's
//! script reloads it when its issues change.

use super::pages::{chrome, error_page, lang, page, signed_in};
use super::view::{BoardPage, Card, ListPage, SearchPage, L};
use crate::domain::{Category, Channel};
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::issues::Issue;
use crate::service::sessions::Session;
use crate::service::{issues, Actor};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use sha2::{Digest, Sha256};

fn cards(state: &AppState, items: Vec<Issue>, l: L) -> Vec<Card> {
    items
        .into_iter()
        .map(|issue| {
            let due = issue
                .clocks
                .iter()
                .filter(|k| k.state == "running")
                .min_by(|a, b| a.due_at.cmp(&b.due_at))
                .map(|k| {
                    (
                        k.due_at.clone(),
                        super::view::local(&state.cfg.zone, &k.due_at, l),
                    )
                });
            Card {
                issue,
                due,
                similar: Vec::new(),
            }
        })
        .collect()
}

/// Where a page of a list starts: `setelah=KEY.ID`, from the previous page's link.
#[derive(Debug, Default, serde::Deserialize)]
pub struct After {
    setelah: Option<String>,
    /// Asked by the page's script: only the list's mark, to reload when it changed.
    tanda: Option<String>,
}

/// What a page of a list shows, in a few bytes: each issue's ref and version, and whether more
/// follow. The page's script compares it with the one the page was drawn with.
fn mark(items: &[Issue], next: Option<&str>) -> String {
    let mut h = Sha256::new();
    for i in items {
        h.update(i.reference.as_bytes());
        h.update(i.version.to_le_bytes());
    }
    h.update(next.unwrap_or("").as_bytes());
    hex::encode(&h.finalize()[..8])
}

/// The mark alone, for the script's poll.
fn mark_only(mark: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(mark.to_owned())
}

impl After {
    /// The place after which the page starts; a value that is no place is refused by name.
    fn key(&self) -> Result<Option<(i64, i64)>, AppError> {
        let Some(t) = self
            .setelah
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return Ok(None);
        };
        t.split_once('.')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .map(Some)
            .ok_or_else(|| {
                AppError::invalid(
                    "setelah",
                    "is not a place in this list: open the list's first page",
                )
            })
    }
}

/// At most `limit` of the listed issues (the use cases read one more to know), and where the
/// next page starts when more follow.
fn paged(listed: issues::list::Listed, limit: i64) -> (Vec<Issue>, Option<String>) {
    let n = usize::try_from(limit).unwrap_or(0);
    let issues::list::Listed { mut items, keys } = listed;
    let next = if items.len() > n && n > 0 {
        keys.get(n - 1).map(|(k, id)| format!("{k}.{id}"))
    } else {
        None
    };
    items.truncate(n);
    (items, next)
}

fn list(
    req: &HttpRequest,
    s: &Session,
    (title, hint): (&str, &str),
    (items, next): (Vec<Issue>, Option<String>),
    (state, polled): (&AppState, bool),
) -> HttpResponse {
    let mark = mark(&items, next.as_deref());
    if polled {
        return mark_only(&mark);
    }
    let l = lang(req, Some(s));
    let cards = &cards(state, items, l);
    let c = chrome(req, l, title, Some(s));
    let path = req.path();
    let next = next.map(|n| format!("{path}?setelah={n}"));
    page(
        StatusCode::OK,
        ListPage {
            c: &c,
            hint,
            cards,
            next: next.as_deref(),
            mark: &mark,
        }
        .render(),
    )
}

/// How many issues a page of the unit queue or the escalated list shows.
const LIST_PAGE: i64 = 50;

/// The PIC's unit queue: the unit's open issues, most urgent first.
pub async fn unit_queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    at: web::Query<After>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let l = lang(&req, Some(&s));
    let Some(unit) = s.caller.unit.clone() else {
        let e = AppError::NotFound(
            l.t(
                "Akun Anda tidak terikat pada unit.",
                "Your account belongs to no unit.",
            )
            .into(),
        );
        return error_page(&req, Some(&s), &e);
    };
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let code = unit.clone();
    let after = match at.key() {
        Ok(a) => a,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    match state
        .db(move |conn| issues::list::unit_queue(conn, &ctx, &code, LIST_PAGE, after))
        .await
    {
        Ok(listed) => {
            let title = format!("{} {unit}", l.t("Antrean unit", "Unit queue"));
            let hint = l.t(
                "Isu terbuka unit Anda, paling mendesak di atas.",
                "Your unit's open issues, most urgent first.",
            );
            let polled = at.tanda.is_some();
            list(
                &req,
                &s,
                (&title, hint),
                paged(listed, LIST_PAGE),
                (&state, polled),
            )
        }
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

/// The escalated issues this person may see, most urgent first (the leaders' start).
pub async fn escalated(
    state: web::Data<AppState>,
    req: HttpRequest,
    at: web::Query<After>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let l = lang(&req, Some(&s));
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let after = match at.key() {
        Ok(a) => a,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    match state
        .db(move |conn| issues::list::escalated_queue(conn, &ctx, LIST_PAGE, after))
        .await
    {
        Ok(listed) => {
            let title = l.t("Isu tereskalasi", "Escalated issues");
            let hint = l.t(
                "Isu terbuka yang melewati tahap eskalasi, dalam lingkup Anda.",
                "Open issues past an escalation step, within your scope.",
            );
            let polled = at.tanda.is_some();
            list(
                &req,
                &s,
                (title, hint),
                paged(listed, LIST_PAGE),
                (&state, polled),
            )
        }
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

/// How many cards the board shows: the most urgent fifty (a phone shows a few at a time; the
/// API pages through the rest).
const BOARD: i64 = 50;

/// The TRC's triage board: the triage queue, most urgent first; a card whose issue a rule
/// proposes a unit for triages there in one tap, the others open the issue page.
pub async fn board(
    state: web::Data<AppState>,
    req: HttpRequest,
    at: web::Query<After>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let after = match at.key() {
        Ok(a) => a,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    // The script's poll needs only the mark, not the suggestions.
    let polled = at.tanda.is_some();
    let loaded = state
        .db(move |conn| {
            let listed = issues::list::triage_queue(conn, &ctx, BOARD, after)?;
            let ids: Vec<i64> = listed.keys.iter().map(|(_, id)| *id).collect();
            let kept = if polled {
                std::collections::BTreeMap::new()
            } else {
                issues::similar::kept(conn, &ctx, &ids)?
            };
            Ok((listed, ids, kept))
        })
        .await;
    let (items, next, ids, mut kept) = match loaded {
        Ok((listed, ids, kept)) => {
            let (items, next) = paged(listed, BOARD);
            (items, next, ids, kept)
        }
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    let mark = mark(&items, next.as_deref());
    if polled {
        return mark_only(&mark);
    }
    let next = next.map(|n| format!("/triase?setelah={n}"));
    let l = lang(&req, Some(&s));
    let mut cards = cards(&state, items, l);
    for (card, id) in cards.iter_mut().zip(ids) {
        card.similar = kept.remove(&id).unwrap_or_default();
    }
    let c = chrome(&req, l, l.t("Papan triase", "Triage board"), Some(&s));
    page(
        StatusCode::OK,
        BoardPage {
            c: &c,
            cards: &cards,
            next: next.as_deref(),
            mark: &mark,
        }
        .render(),
    )
}

/// The filters a search may use (the API's list filters).
const FILTERS: &[&str] = &[
    "q",
    "status",
    "category",
    "channel",
    "assigned_unit",
    "district",
    "created_from",
    "created_to",
];

/// Finds issues (the API's list, newest first): words, status, category, channel, unit,
/// district, filing dates; only what this person may see.
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<std::collections::BTreeMap<String, String>>,
) -> HttpResponse {
    let session = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let query = query.into_inner();
    let at = After {
        setelah: query.get("setelah").cloned(),
        tanda: None,
    };
    let filters: std::collections::BTreeMap<String, String> = query
        .into_iter()
        .filter(|(k, v)| FILTERS.contains(&k.as_str()) && !v.trim().is_empty())
        .collect();
    let after = match at.key() {
        Ok(a) => a,
        Err(e) => return error_page(&req, Some(&session), &e),
    };
    let ctx = state.ctx(&req, Actor::User(session.caller.clone()));
    let (zone, asked) = (state.cfg.zone.clone(), filters.clone());
    let found = state
        .db(move |conn| issues::list::list(conn, &ctx, &zone, &asked, LIST_PAGE, after))
        .await;
    let (items, next) = match found {
        Ok(listed) => paged(listed, LIST_PAGE),
        Err(e) => return error_page(&req, Some(&session), &e),
    };
    // The next page keeps the filters.
    let next = next.map(|n| {
        let mut q: Vec<String> = filters
            .iter()
            .map(|(k, v)| format!("{k}={}", super::session::encode(v)))
            .collect();
        q.push(format!("setelah={n}"));
        format!("/cari?{}", q.join("&"))
    });
    let l = lang(&req, Some(&session));
    let cards = cards(&state, items, l);
    let c = chrome(&req, l, l.t("Cari isu", "Find issues"), Some(&session));
    let found = SearchPage {
        c: &c,
        cards: &cards,
        filters: &filters,
        statuses: crate::domain::Status::ALL,
        categories: Category::ALL,
        channels: Channel::ALL,
        next: next.as_deref(),
    };
    page(StatusCode::OK, found.render())
}
