//! Filing: the form made for a phone, the proposed unit shown before sending, and a second send
//! of the same form filing nothing new.

use super::pages::{chrome, error_page, lang, message, page, redirect, signed_in, status_of};
use super::session::check_csrf;
use super::view::{FilePage, FilingForm, L};
use crate::domain::{Category, Channel};
use crate::error::AppError;
use crate::runtime::{uploads, AppState};
use crate::service::issues::evidence::Upload;
use crate::service::issues::file::{Answer, Idempotency, NewIssue};
use crate::service::rules::{DraftIssue, Preview};
use crate::service::sessions::Session;
use crate::service::{issues, rules, Actor};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn render(
    req: &HttpRequest,
    s: &Session,
    f: &FilingForm,
    errors: &[String],
    proposal: Option<&Preview>,
    status: StatusCode,
) -> HttpResponse {
    let l = lang(req, Some(s));
    let c = chrome(req, l, l.t("Laporkan isu", "Report an issue"), Some(s));
    page(
        status,
        FilePage {
            c: &c,
            f,
            errors,
            proposal,
            categories: Category::ALL,
            channels: Channel::ALL,
        }
        .render(),
    )
}

/// The empty form, with its own idempotency key.
pub async fn form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = FilingForm {
        key: crate::service::sessions::random_token(),
        ..FilingForm::default()
    };
    render(&req, &s, &f, &[], None, StatusCode::OK)
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Value::String(l.to_owned()))
        .collect()
}

fn opt(text: &str) -> Value {
    let t = text.trim();
    if t.is_empty() {
        Value::Null
    } else {
        Value::String(t.to_owned())
    }
}

/// The API's filing body of the form, or the form's own errors (a reach that is no number).
fn body_of(f: &FilingForm, l: L) -> Result<Value, Vec<String>> {
    let reach = match f.reach.trim() {
        "" => Value::Null,
        r => match r.parse::<u64>() {
            Ok(n) => json!(n),
            Err(_) => {
                return Err(vec![format!(
                    "evidence.reach: {}",
                    l.t(
                        "tulis angka bulat, mis. 12000",
                        "write a whole number, e.g. 12000"
                    )
                )])
            }
        },
    };
    let tags: Vec<Value> = f
        .tags
        .split([',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| Value::String(t.to_owned()))
        .collect();
    Ok(json!({
        "title": f.title,
        "description": f.description,
        "category": f.category,
        "channel": f.channel,
        "source_urls": lines(&f.source_urls),
        "evidence": {"screenshot_urls": lines(&f.screenshot_urls), "reach": reach},
        "location": {"district": opt(&f.district), "village": opt(&f.village)},
        "tags": tags,
        "sensitivity": if f.restricted.is_some() { "restricted" } else { "normal" },
    }))
}

/// Each field's refusal, for the form.
fn field_errors(e: &AppError) -> Vec<String> {
    match e {
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect(),
        other => vec![message(other)],
    }
}

/// The form's text fields besides `csrf`.
const FIELDS: &[&str] = &[
    "key",
    "step",
    "title",
    "description",
    "category",
    "channel",
    "source_urls",
    "screenshot_urls",
    "reach",
    "district",
    "village",
    "tags",
    "restricted",
];

/// The form as sent: URL-encoded, or multipart with evidence files (field `file`).
async fn read_form(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(FilingForm, Vec<Upload>), AppError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if content_type.is_some_and(|t| t.starts_with("multipart/form-data")) {
        let (files, fields) =
            uploads::read(content_type, payload, state.cfg.evidence, FIELDS).await?;
        let f = serde_json::to_value(&fields)
            .and_then(serde_json::from_value)
            .map_err(|e| AppError::Malformed(format!("the form cannot be read: {e}")))?;
        Ok((f, files))
    } else {
        let f = uploads::read_urlencoded(payload, state.cfg.body_limit as u64).await?;
        Ok((f, Vec::new()))
    }
}

/// Checks the proposed unit (`step=check`) or files the issue (`step=send`) with the evidence
/// files the form carries: a file that would be refused refuses the form before anything is
/// filed; a form sent again (the same key) files nothing and keeps no file twice.
#[allow(
    clippy::too_many_lines,
    reason = "the form's two steps and the evidence that comes with the second, in order"
)]
pub async fn send(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let s = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (f, files) = match read_form(&state, &req, payload).await {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    if let Err(e) = check_csrf(&s, Some(&f.csrf)) {
        return error_page(&req, Some(&s), &e);
    }
    let l = lang(&req, Some(&s));
    let body = match body_of(&f, l) {
        Ok(b) => b,
        Err(errors) => {
            return render(
                &req,
                &s,
                &f,
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let limits = state.cfg.evidence;
    if let Err(e) = issues::evidence::check(&files, limits) {
        return render(&req, &s, &f, &field_errors(&e), None, status_of(&e));
    }
    if f.step == "check" {
        let draft = DraftIssue {
            title: f.title.clone(),
            description: f.description.clone(),
            category: f.category.clone(),
            channel: f.channel.clone(),
            location: serde_json::from_value(body["location"].clone()).ok(),
        };
        return match state
            .db(move |conn| rules::proposal(conn, &ctx, draft))
            .await
        {
            Ok(p) => {
                // A file input cannot be filled again by the page: say so.
                let again = (!files.is_empty()).then(|| {
                    l.t(
                        "Berkas bukti belum disimpan: pilih lagi sebelum mengirim.",
                        "The evidence files are not kept yet: choose them again before sending.",
                    )
                    .to_owned()
                });
                render(&req, &s, &f, again.as_slice(), Some(&p), StatusCode::OK)
            }
            Err(e) => render(&req, &s, &f, &field_errors(&e), None, status_of(&e)),
        };
    }
    let input: NewIssue = match serde_json::from_value(body.clone()) {
        Ok(i) => i,
        Err(e) => {
            let errors = vec![e.to_string()];
            return render(
                &req,
                &s,
                &f,
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let idem = (!f.key.is_empty()).then(|| Idempotency {
        key: f.key.clone(),
        body_hash: hex::encode(Sha256::digest(body.to_string().as_bytes())),
    });
    let reference_ctx = ctx.clone();
    let filed = state
        .db(move |conn| issues::file::file(conn, &ctx, input, idem))
        .await;
    match filed {
        Ok(filed) => {
            let first = matches!(filed.answer, Answer::New(_));
            if first && !files.is_empty() {
                let r = filed.reference.clone();
                let kept = state
                    .db(move |conn| issues::evidence::add(conn, &reference_ctx, &r, files, limits))
                    .await;
                if let Err(e) = kept {
                    // Filed, but its files not kept (checked before; the issue's total, or the
                    // database): the issue page says so, where they can be added again.
                    tracing::warn!(reference = %filed.reference, error = %e, "evidence of a filing form not kept");
                    return redirect(&format!("/isu/{}?baru=1&bukti=0", filed.reference));
                }
            }
            state.wake_timers();
            if filed.mailed {
                state.wake_outbox();
            }
            if let Answer::Replayed(_) = filed.answer {
                tracing::info!(reference = %filed.reference, "a filing form was sent again: answered the first filing");
            }
            redirect(&format!("/isu/{}?baru=1", filed.reference))
        }
        Err(e) => render(&req, &s, &f, &field_errors(&e), None, status_of(&e)),
    }
}
