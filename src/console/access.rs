//! Signing in and out, and the language: the login form (its own CSRF cookie, as no session
//! exists yet), the login through the API's throttled steps, logout, and the language switch.

use super::pages::{chrome, error_page, lang, message, page, redirect, status_of, LANGUAGE};
use super::session::{self, check_csrf, cookie, local_path, set_cookie, LOGIN, SESSION};
use super::view::{LoginPage, PasswordPage};
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::sessions;
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
    let c = chrome(&req, l, l.t("Masuk", "Sign in"), None);
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
        let mut c = chrome(&req, l, l.t("Masuk", "Sign in"), None);
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
    let (reservation, ok) = match state
        .check_sign_in(&ctx, &form.email, address, form.password.clone())
        .await
    {
        Ok(v) => v,
        Err(e) => return refuse(status_of(&e), &message(&e), &form.email),
    };
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
pub struct LanguageForm {
    csrf: Option<String>,
    ke: Option<String>,
    kembali: Option<String>,
}

/// Switches the language: the session's and its user's (kept for their next sessions), and a
/// cookie for the pages before signing in. Signed in, the form needs its CSRF token.
pub async fn language(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LanguageForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let code = if form.ke.as_deref() == Some("en") {
        "en"
    } else {
        "id"
    };
    match session::current(&state, &req).await {
        Ok(Some(s)) => {
            if let Err(e) = check_csrf(&s, form.csrf.as_deref()) {
                return error_page(&req, Some(&s), &e);
            }
            let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
            let session = s.clone();
            if let Err(e) = state
                .db(move |conn| sessions::set_language(conn, &ctx, &session, code))
                .await
            {
                return error_page(&req, Some(&s), &e);
            }
        }
        Ok(None) => {}
        Err(e) => return error_page(&req, None, &e),
    }
    let mut res = redirect(&local_path(form.kembali.as_deref()));
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
    let c = chrome(
        &req,
        l,
        l.t("Ganti kata sandi", "Change your password"),
        Some(&s),
    );
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
        let mut c = chrome(
            &req,
            l,
            l.t("Ganti kata sandi", "Change your password"),
            Some(&s),
        );
        c.notice = Some(message(e));
        c.error = true;
        page(status_of(e), PasswordPage { c: &c }.render())
    };
    let ctx = state.ctx(&req, Actor::User(s.caller.clone()));
    let address = state.client_address(&req);
    let changed = state
        .change_own_password(ctx, address, form.current_password, form.new_password)
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
