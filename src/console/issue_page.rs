//! An issue's page: everything the API shows of it, the actions this person may take (each
//! with the version the page showed), the merge action's search, internal notes, and the
//! read-only page an email's signed link opens.

use super::pages::{chrome, error_page, lang, message, page, redirect, signed_in, status_of};
use super::session::{self, check_csrf, local_path};
use super::view::IssuePage;
use crate::domain::Action;
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::sessions::Session;
use crate::service::{issues, links, Actor};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use std::collections::BTreeMap;

#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    selesai: Option<String>,
    baru: Option<String>,
    /// `0` when the filing form's evidence files could not be kept.
    bukti: Option<String>,
    /// Words to find the issue to merge this one into.
    gabung: Option<String>,
}

/// The issue a merge could go into: found by words among what this person sees, this one left
/// out (the merge itself decides whether a target is allowed, as in the API).
async fn merge_candidates(
    state: &AppState,
    req: &HttpRequest,
    s: &Session,
    reference: &str,
    words: &str,
) -> Result<Vec<issues::Issue>, AppError> {
    let ctx = state.ctx(req, Actor::User(s.caller.clone()));
    let zone = state.cfg.zone.clone();
    let params = BTreeMap::from([("q".to_owned(), words.to_owned())]);
    let found = state
        .db(move |conn| issues::list::list(conn, &ctx, &zone, &params, 11, None))
        .await?;
    Ok(found
        .items
        .into_iter()
        .filter(|i| i.reference != reference)
        .take(10)
        .collect())
}

/// What the merge action's search found: the words and the issues.
type MergeSearch = Option<(String, Vec<issues::Issue>)>;

#[allow(
    clippy::too_many_arguments,
    reason = "the page's parts, each from the handler that knows it"
)]
fn render_issue(
    state: &AppState,
    req: &HttpRequest,
    s: Option<&Session>,
    p: &issues::page::IssuePage,
    notice: Option<(String, bool)>,
    read_only: bool,
    merge: &MergeSearch,
    status: StatusCode,
) -> HttpResponse {
    let l = lang(req, s);
    let mut c = chrome(req, l, &p.issue.reference, s);
    if let Some((n, error)) = notice {
        c.notice = Some(n);
        c.error = error;
    }
    page(
        status,
        IssuePage {
            c: &c,
            issue: &p.issue,
            comments: &p.comments,
            history: &p.history,
            actions: if read_only { &[] } else { &p.actions },
            units: &p.units,
            read_only,
            zone: &state.cfg.zone,
            merge_words: merge.as_ref().map_or("", |m| m.0.as_str()),
            merge_found: merge.as_ref().map(|m| m.1.as_slice()),
            evidence: &p.evidence,
            may_add_evidence: p.may_add_evidence && !read_only,
            clarifications: &p.clarifications,
            may_propose: p.may_propose && !read_only,
        }
        .render(),
    )
}

async fn load_page(
    state: &AppState,
    req: &HttpRequest,
    s: &Session,
    reference: String,
) -> Result<issues::page::IssuePage, AppError> {
    let ctx = state.ctx(req, Actor::User(s.caller.clone()));
    state
        .db(move |conn| issues::page::page(conn, &ctx, &reference))
        .await
}

/// An issue's page (with the merge action's search when `gabung` is given).
#[allow(
    clippy::many_single_char_names,
    reason = "s, l, q, p, w: the session, language, query, page and words, as in every handler here"
)]
pub async fn issue(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<Done>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match load_page(&state, &req, &s, path.into_inner()).await {
        Ok(p) => {
            let l = lang(&req, Some(&s));
            let notice = q.selesai.as_deref().and_then(Action::parse).map(|a| {
                (
                    format!(
                        "{}: {}",
                        super::view::action_label(a, l),
                        l.t("tersimpan", "saved")
                    ),
                    false,
                )
            });
            let filed = q.baru.is_some().then(|| {
                let sent = l.t("Laporan terkirim.", "The report was sent.");
                (sent.to_owned(), false)
            });
            let lost = q.bukti.is_some().then(|| {
                let text = l.t(
                    "Laporan terkirim, tetapi berkas bukti tidak tersimpan: unggah lagi di bawah.",
                    "The report was sent, but its evidence files were not kept: upload them again below.",
                );
                (text.to_owned(), true)
            });
            let notice = lost.or(notice).or(filed);
            let words = q.gabung.as_deref().map(str::trim).filter(|w| !w.is_empty());
            let merge = match words {
                Some(w) => match merge_candidates(&state, &req, &s, &p.issue.reference, w).await {
                    Ok(found) => Some((w.to_owned(), found)),
                    Err(e) => return error_page(&req, Some(&s), &e),
                },
                None => None,
            };
            render_issue(
                &state,
                &req,
                Some(&s),
                &p,
                notice,
                false,
                &merge,
                StatusCode::OK,
            )
        }
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

/// An action from the issue page or the board: the form's fields become the action's body; the
/// version the page showed is the `If-Match`, so a change made meanwhile is refused, never
/// overwritten.
#[allow(
    clippy::many_single_char_names,
    reason = "s, l: the session and the language, as in every handler here"
)]
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<BTreeMap<String, String>>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = form.into_inner();
    if let Err(e) = check_csrf(&s, form.get("csrf").map(String::as_str)) {
        return error_page(&req, Some(&s), &e);
    }
    let reference = path.into_inner();
    let l = lang(&req, Some(&s));
    let Some(action) = form.get("action").and_then(|a| Action::parse(a)) else {
        return error_page(
            &req,
            Some(&s),
            &AppError::invalid("action", "is not an action"),
        );
    };
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let mut body = serde_json::Map::new();
    for f in issues::actions::fields_of(action) {
        if let Some(v) = form.get(*f).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            body.insert((*f).to_owned(), serde_json::Value::String(v.to_owned()));
        }
    }
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let r = reference.clone();
    let done = state
        .db(move |conn| {
            issues::actions::act(
                conn,
                &ctx,
                &r,
                action,
                version,
                &serde_json::Value::Object(body),
            )
        })
        .await;
    match done {
        Ok(_) => {
            state.wake_timers();
            state.wake_outbox();
            let back = match form.get("back") {
                Some(b) => local_path(Some(b)),
                None => format!("/isu/{reference}?selesai={action}"),
            };
            redirect(&back)
        }
        Err(e) => {
            let (status, msg) = match &e {
                AppError::StaleVersion(_) => (
                    StatusCode::CONFLICT,
                    l.t(
                        "Isu ini telah diubah orang lain sejak Anda membukanya: periksa keadaannya sekarang dan ulangi bila masih perlu.",
                        "This issue was changed by someone else since you opened it: check it as it is now and try again if still needed.",
                    )
                    .to_owned(),
                ),
                other => (status_of(other), message(other)),
            };
            match load_page(&state, &req, &s, reference).await {
                Ok(p) => render_issue(
                    &state,
                    &req,
                    Some(&s),
                    &p,
                    Some((msg, true)),
                    false,
                    &None,
                    status,
                ),
                Err(_) => error_page(&req, Some(&s), &e),
            }
        }
    }
}

/// A link from an email: the issue, read-only, without a password.
pub async fn link(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<links::LinkQuery>,
) -> HttpResponse {
    let s = session::current(&state, &req).await.ok().flatten();
    let reference = path.into_inner();
    let ctx = state.ctx(&req, Actor::System);
    let query = q.into_inner();
    let r = reference.clone();
    let opened = state
        .db(move |conn| {
            let issue = links::open(conn, &ctx, &r, &query)?;
            let history = Vec::new();
            Ok(issues::page::IssuePage {
                issue,
                comments: Vec::new(),
                history,
                actions: Vec::new(),
                units: Vec::new(),
                evidence: Vec::new(),
                may_add_evidence: false,
                clarifications: Vec::new(),
                may_propose: false,
            })
        })
        .await;
    match opened {
        Ok(p) => render_issue(
            &state,
            &req,
            s.as_ref(),
            &p,
            None,
            true,
            &None,
            StatusCode::OK,
        ),
        Err(e) => error_page(&req, s.as_ref(), &e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct NoteForm {
    csrf: Option<String>,
    body: String,
}

/// An internal note on the issue (anyone who sees it may add one; audited as the API's).
pub async fn note(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<NoteForm>,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = form.into_inner();
    if let Err(e) = check_csrf(&s, form.csrf.as_deref()) {
        return error_page(&req, Some(&s), &e);
    }
    let reference = path.into_inner();
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let target = reference.clone();
    let input = issues::comments::NewComment {
        body: form.body,
        kind: None,
    };
    match state
        .db(move |conn| issues::comments::add(conn, &ctx, &target, input))
        .await
    {
        Ok(_) => redirect(&format!("/isu/{reference}")),
        Err(e) => match load_page(&state, &req, &s, reference).await {
            Ok(p) => {
                let notice = Some((message(&e), true));
                render_issue(
                    &state,
                    &req,
                    Some(&s),
                    &p,
                    notice,
                    false,
                    &None,
                    status_of(&e),
                )
            }
            Err(_) => error_page(&req, Some(&s), &e),
        },
    }
}
