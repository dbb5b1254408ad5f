//! The citizen's pages, without an account: the "minta klarifikasi" form and the tracking
//! page. The new code reaches the tracking page in a short-lived cookie (never in a URL, so
//! never in a log or a shared link), and a reload does not send the form again.

use super::pages::page;
use super::session::cookie;
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::citizen::{self, CitizenRequest, FormToken, Tracked};
use crate::service::Actor;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// The cookie that carries a new tracking code to the page that shows it once.
const NEW_CODE: &str = "tanggap_kode_baru";

#[derive(Template)]
#[template(path = "console/citizen_form.html")]
struct FormPage<'a> {
    title: &'a str,
    token: FormToken,
    error: Option<String>,
    question: &'a str,
    link: &'a str,
    contact: &'a str,
}

#[derive(Template)]
#[template(path = "console/citizen_track.html")]
struct TrackPage<'a> {
    title: &'a str,
    new_code: Option<String>,
    error: Option<String>,
    typed: &'a str,
    tracked: Option<Tracked>,
    received: String,
}

fn form_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    error: Option<String>,
    sent: &CitizenRequest,
) -> HttpResponse {
    let ctx = state.ctx(req, Actor::System);
    page(
        status,
        FormPage {
            title: "Minta klarifikasi",
            token: citizen::form_token(&ctx),
            error,
            question: &sent.pertanyaan,
            link: &sent.tautan,
            contact: &sent.kontak,
        }
        .render(),
    )
}

/// `GET /klarifikasi/minta`.
pub async fn form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    form_page(
        &state,
        &req,
        StatusCode::OK,
        None,
        &CitizenRequest::default(),
    )
}

/// What went wrong, for the form (the fields' messages are written for citizens).
fn words(e: &AppError) -> String {
    match e {
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| match f.field.as_str() {
                "pertanyaan" => format!("Pertanyaan: {}", in_bahasa(&f.message)),
                "tautan" | "tautan.0" => "Tautan harus diawali http:// atau https://".to_owned(),
                "kontak" => format!("Kontak: {}", in_bahasa(&f.message)),
                _ => f.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => super::pages::message(other),
    }
}

fn in_bahasa(message: &str) -> String {
    if message.starts_with("must not be empty") {
        "wajib diisi".into()
    } else if message.starts_with("must be at most") {
        "terlalu panjang".into()
    } else if message.starts_with("contains control") || message.starts_with("must be one line") {
        "berisi karakter yang tidak diizinkan".into()
    } else {
        message.to_owned()
    }
}

/// `POST /klarifikasi/minta`: files the request, then shows the code on the tracking page.
pub async fn send(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CitizenRequest>,
) -> HttpResponse {
    let sent = form.into_inner();
    let ctx = state.ctx(&req, Actor::System);
    let address = state.client_address(&req);
    let limit = state.cfg.settings.console.public_requests_per_hour;
    let r = sent.clone();
    let asked = state
        .db(move |conn| citizen::ask(conn, &ctx, &address, limit, &r))
        .await;
    match asked {
        Ok(code) => {
            state.wake_workers();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/klarifikasi/lacak"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((
                    header::SET_COOKIE,
                    format!(
                        "{}; Path=/klarifikasi/lacak",
                        super::session::set_cookie(&state, NEW_CODE, &code, 600)
                            .replace("; Path=/", "")
                    ),
                ))
                .finish()
        }
        Err(e) => {
            let status = super::pages::status_of(&e);
            let mut r = form_page(&state, &req, status, Some(words(&e)), &sent);
            if let AppError::Throttled {
                retry_after_secs, ..
            } = e
            {
                if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            r
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct TrackQuery {
    #[serde(default)]
    kode: String,
}

/// `GET /klarifikasi/lacak?kode=`: the status and the published answers of a request.
pub async fn track(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<TrackQuery>,
) -> HttpResponse {
    let new_code =
        cookie(&req, NEW_CODE).filter(|c| crate::domain::citizen::read_code(c).is_some());
    let typed = if q.kode.trim().is_empty() {
        new_code.clone().unwrap_or_default()
    } else {
        q.kode.chars().take(40).collect()
    };
    let (tracked, error, status) = if typed.is_empty() {
        (None, None, StatusCode::OK)
    } else {
        let t = typed.clone();
        match state.db(move |conn| citizen::track(conn, &t)).await {
            Ok(t) => (Some(t), None, StatusCode::OK),
            Err(e) => (
                None,
                Some(super::pages::message(&e)),
                super::pages::status_of(&e),
            ),
        }
    };
    let received = tracked
        .as_ref()
        .map(|t| super::public::when(&state.cfg.sla.zone, t.received_at))
        .unwrap_or_default();
    let mut r = page(
        status,
        TrackPage {
            title: "Lacak permintaan klarifikasi",
            new_code: new_code.clone(),
            error,
            typed: &typed,
            tracked,
            received,
        }
        .render(),
    );
    if new_code.is_some() {
        // Shown once.
        if let Ok(v) = header::HeaderValue::from_str(&format!(
            "{NEW_CODE}=; Path=/klarifikasi/lacak; HttpOnly; SameSite=Lax; Max-Age=0"
        )) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}
