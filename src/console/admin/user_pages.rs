//! The users and a user's form.

#![allow(
    clippy::many_single_char_names,
    reason = "s, l, q, f: the session, the language, the query and the form, as in every console handler"
)]

use super::{admin, admin_post, framed, given, saved, Fields, Saved};
use crate::console::admin_view::{UserForm, UsersPage};
use crate::console::pages::{error_page, message, page, redirect, status_of};
use crate::console::view::L;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::runtime::AppState;
use crate::service::sessions::Session;
use crate::service::units::{self, Unit};
use crate::service::users::{self, NewUser, User, UserPatch};
use crate::service::Ctx;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[allow(
    clippy::too_many_arguments,
    reason = "the page's parts, each from the handler that knows it"
)]
fn users_page(
    req: &HttpRequest,
    s: &Session,
    l: L,
    loaded: &(Vec<User>, Vec<Unit>),
    form: &UserForm,
    editing: Option<i64>,
    outcome: Option<(String, bool)>,
    status: StatusCode,
) -> HttpResponse {
    let c = framed(req, s, l, l.t("Pengguna", "Users"), outcome);
    page(
        status,
        UsersPage {
            c: &c,
            users: &loaded.0,
            units: &loaded.1,
            roles: &Role::ALL,
            f: form,
            editing,
        }
        .render(),
    )
}

async fn load_users(state: &AppState, ctx: Ctx) -> AppResult<(Vec<User>, Vec<Unit>)> {
    state
        .db(move |conn| Ok((users::all(conn, &ctx)?, units::all(conn)?)))
        .await
}

pub async fn users_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<Saved>,
) -> HttpResponse {
    let (s, ctx, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match load_users(&state, ctx).await {
        Ok(loaded) => users_page(
            &req,
            &s,
            l,
            &loaded,
            &UserForm::new(),
            None,
            saved(l, &q),
            StatusCode::OK,
        ),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

pub async fn user_edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    q: web::Query<Saved>,
) -> HttpResponse {
    let (s, ctx, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = path.into_inner();
    match load_users(&state, ctx).await {
        Ok(loaded) => match loaded.0.iter().find(|u| u.id == id) {
            Some(u) => {
                let f = UserForm::of(u);
                users_page(
                    &req,
                    &s,
                    l,
                    &loaded,
                    &f,
                    Some(id),
                    saved(l, &q),
                    StatusCode::OK,
                )
            }
            None => error_page(&req, Some(&s), &AppError::NotFound(format!("no user {id}"))),
        },
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

/// Creates a user (POST /admin/pengguna) or changes one (POST /admin/pengguna/{id}): an empty
/// password field keeps the password.
pub async fn user_save(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: Option<web::Path<i64>>,
    form: web::Form<Fields>,
) -> HttpResponse {
    let (s, ctx, l) = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let editing = path.map(web::Path::into_inner);
    let typed = UserForm {
        email: form.get("email"),
        name: form.get("name"),
        role: form.get("role"),
        unit: form.get("unit"),
        active: form.checked("active"),
    };
    // The password is never shown again, not even after a refusal.
    let password = form.raw("password");
    let f = typed.clone();
    let c = ctx.clone();
    let done = state
        .db(move |conn| match editing {
            None => users::create(
                conn,
                &c,
                NewUser {
                    email: f.email,
                    name: f.name,
                    role: f.role,
                    unit: given(&f.unit),
                    password: password.unwrap_or_default(),
                    active: Some(f.active),
                },
            ),
            Some(id) => users::update(
                conn,
                &c,
                id,
                UserPatch {
                    name: Some(f.name),
                    role: Some(f.role),
                    unit: Some(given(&f.unit)),
                    active: Some(f.active),
                    password: password.filter(|p| !p.is_empty()),
                },
            ),
        })
        .await;
    match done {
        Ok(u) => redirect(&format!("/admin/pengguna/{}?selesai=1", u.id)),
        Err(e) => {
            let loaded = load_users(&state, ctx).await.unwrap_or_default();
            let outcome = Some((message(&e), true));
            users_page(
                &req,
                &s,
                l,
                &loaded,
                &typed,
                editing,
                outcome,
                status_of(&e),
            )
        }
    }
}
