//! Signing in and out, and the language: the login form (its own CSRF cookie, as no session
//! exists yet), the login through the API's throttled steps, logout, and the language switch.

use super::pages::{chrome, error_page, lang, message, page, redirect, status_of, LANGUAGE};
use super::session::{self, check_csrf, cookie, local_path, set_cookie, LOGIN, SESSION};
use super::view::{LoginPage, PasswordPage};
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::sessions;
use crate::service::users::verify_password;
use crate::service::{auth, Actor};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Debug, serde::Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn login_form(
    req: HttpRequest,
    q: web::Query<Next>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let l = lang(&req, None);
    let token = sessions::random_token();
    let c = chrome(l, l.t("Masuk", "Sign in"), None);
    let next = local_path(q.next.as_deref());
    let mut res = page(
        StatusCode::OK,
        LoginPage {
            c: &c,
            next: &next,
            email: "",
            login_csrf: &token,
        }
        .render(),
    );
    if let Ok(v) = header::HeaderValue::from_str(&set_cookie(&state, LOGIN, &token, 3600)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    csrf: String,
    next: Option<String>,
    email: String,
    password: String,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let l = lang(&req, None);
    let refuse = |status: StatusCode, msg: &str, email: &str| {
        let mut c = chrome(l, l.t("Masuk", "Sign in"), None);
        c.notice = Some(msg.to_owned());
        c.error = true;
        let token = cookie(&req, LOGIN).unwrap_or_default();
        let next = local_path(form.next.as_deref());
        page(
            status,
            LoginPage {
                c: &c,
                next: &next,
                email,
                login_csrf: &token,
            }
            .render(),
        )
    };
    match cookie(&req, LOGIN) {
        Some(t) if sessions::same_secret(&t, &form.csrf) => {}
        _ => {
            return refuse(
                StatusCode::FORBIDDEN,
                l.t(
                    "Formulir kedaluwarsa: muat ulang halaman dan coba lagi.",
                    "The form has expired: reload the page and try again.",
                ),
                "",
            )
        }
    }
    if let Err(e) = auth::check_credentials(&form.email, &form.password) {
        return refuse(status_of(&e), &message(&e), "");
    }
    let secret = sessions::random_token();
    let ctx = state.ctx(&req, Actor::System);
    let row = sessions::new_row(&secret, l.code(), ctx.now);
    let address = state.client_address(&req);
    let (cfg, c, email) = (state.cfg.clone(), ctx.clone(), form.email.clone());
    let reservation = match state
        .db(move |conn| auth::reserve(conn, &c, &cfg, &email, &address))
        .await
    {
        Ok(r) => r,
        Err(e) => return refuse(status_of(&e), &message(&e), &form.email),
    };
    let (hash, password) = (reservation.hash.clone(), form.password.clone());
    let ok = state
        .hash_work(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let cfg = state.cfg.clone();
    let settled = state
        .db(move |conn| auth::settle_session(conn, &ctx, &cfg, &reservation, ok, &row))
        .await;
    if let Err(e) = settled {
        let msg = match e {
            AppError::Unauthenticated(_) => l
                .t("Email atau kata sandi salah.", "Wrong email or password.")
                .to_owned(),
            other => message(&other),
        };
        return refuse(StatusCode::UNAUTHORIZED, &msg, &form.email);
    }
    let mut res = redirect(&local_path(form.next.as_deref()));
    let max_age = state.cfg.console.session_max_secs;
    for v in [
        set_cookie(&state, SESSION, &secret, max_age),
        set_cookie(&state, LOGIN, "", 0),
    ] {
        if let Ok(v) = header::HeaderValue::from_str(&v) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let s = match session::current(&state, &req).await {
        Ok(Some(s)) => s,
        Ok(None) => return redirect("/masuk"),
        Err(e) => return error_page(&req, None, &e),
    };
    if let Err(e) = check_csrf(&s, form.csrf.as_deref()) {
        return error_page(&req, Some(&s), &e);
    }
    let id = s.id.clone();
    if let Err(e) = state.db(move |conn| sessions::close(conn, &id)).await {
        return error_page(&req, Some(&s), &e);
    }
    let mut res = redirect("/masuk");
    if let Ok(v) = header::HeaderValue::from_str(&set_cookie(&state, SESSION, "", 0)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Debug, serde::Deserialize)]
pub struct LanguageQuery {
    ke: Option<String>,
    kembali: Option<String>,
}

/// Switches the language (the session's, and a cookie for the pages before signing in).
pub async fn language(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<LanguageQuery>,
) -> HttpResponse {
    let code = if q.ke.as_deref() == Some("en") {
        "en"
    } else {
        "id"
    };
    if let Ok(Some(s)) = session::current(&state, &req).await {
        let id = s.id.clone();
        let _ = state
            .db(move |conn| sessions::set_language(conn, &id, code))
            .await;
    }
    let back = q.kembali.clone().or_else(|| {
        req.headers()
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| r.split_once("://").map(|(_, rest)| rest.to_owned()))
            .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
    });
    let mut res = redirect(&local_path(back.as_deref()));
    let cookie = format!("{LANGUAGE}={code}; Path=/; SameSite=Lax; Max-Age=31536000");
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The form to change one's own password.
pub async fn password_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let s = match super::pages::signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let l = lang(&req, Some(&s));
    let c = chrome(l, l.t("Ganti kata sandi", "Change your password"), Some(&s));
    page(StatusCode::OK, PasswordPage { c: &c }.render())
}

#[derive(Debug, serde::Deserialize)]
pub struct PasswordForm {
    csrf: Option<String>,
    current_password: String,
    new_password: String,
}

/// Changes one's own password through the API's steps (a wrong current password counts as a
/// failed login); every session and token of the user ends, this one too.
pub async fn password(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let s = match super::pages::signed_in(&state, &req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = form.into_inner();
    if let Err(e) = check_csrf(&s, form.csrf.as_deref()) {
        return error_page(&req, Some(&s), &e);
    }
    let l = lang(&req, Some(&s));
    let refuse = |e: &AppError| {
        let mut c = chrome(l, l.t("Ganti kata sandi", "Change your password"), Some(&s));
        c.notice = Some(message(e));
        c.error = true;
        page(status_of(e), PasswordPage { c: &c }.render())
    };
    let mut errors = Vec::new();
    crate::service::users::check_new_password(&mut errors, "new_password", &form.new_password);
    if form.current_password.len() > auth::MAX_PASSWORD {
        errors.push(crate::error::FieldError::new(
            "current_password",
            "is too long",
        ));
    }
    if !errors.is_empty() {
        return refuse(&AppError::Invalid(errors));
    }
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let address = state.client_address(&req);
    let (cfg, c, email) = (state.cfg.clone(), ctx.clone(), s.caller.email.clone());
    let reservation = match state
        .db(move |conn| auth::reserve(conn, &c, &cfg, &email, &address))
        .await
    {
        Ok(r) => r,
        Err(e) => return refuse(&e),
    };
    let (hash, current, new) = (
        reservation.hash.clone(),
        form.current_password,
        form.new_password,
    );
    let checked = state
        .hash_work(move || {
            let ok = verify_password(&current, &hash);
            (ok, ok.then(|| crate::service::users::hash_password(&new)))
        })
        .await;
    let (ok, new_hash) = match checked {
        Ok((ok, h)) => (ok, h.transpose()),
        Err(e) => return refuse(&e),
    };
    let new_hash = match new_hash {
        Ok(h) => h.unwrap_or_default(),
        Err(e) => return refuse(&e),
    };
    let cfg = state.cfg.clone();
    let changed = state
        .db(move |conn| {
            crate::service::users::change_own_password(
                conn,
                &ctx,
                &cfg,
                &reservation,
                ok,
                &new_hash,
            )
        })
        .await;
    match changed {
        Ok(_) => {
            let mut res = redirect("/masuk?next=/");
            if let Ok(v) = header::HeaderValue::from_str(&set_cookie(&state, SESSION, "", 0)) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => refuse(&e),
    }
}
