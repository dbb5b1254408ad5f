//! The unit tree and a unit's form.

#![allow(
    clippy::many_single_char_names,
    reason = "s, l, q, f: the session, the language, the query and the form, as in every console handler"
)]

use super::{admin, admin_post, framed, given, saved, Fields, Saved};
use crate::console::admin_view::{Tree, UnitForm, UnitsPage};
use crate::console::pages::{error_page, message, page, redirect, status_of};
use crate::console::view::L;
use crate::error::AppError;
use crate::runtime::AppState;
use crate::service::sessions::Session;
use crate::service::units::{self, NewUnit, Unit, UnitPatch};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[allow(
    clippy::too_many_arguments,
    reason = "the page's parts, each from the handler that knows it"
)]
fn units_page(
    req: &HttpRequest,
    s: &Session,
    l: L,
    all: &[Unit],
    form: &UnitForm,
    editing: Option<&str>,
    outcome: Option<(String, bool)>,
    status: StatusCode,
) -> HttpResponse {
    let c = framed(req, s, l, l.t("Unit kerja", "Work units"), outcome);
    page(
        status,
        UnitsPage {
            c: &c,
            tree: &Tree::of(all),
            units: all,
            f: form,
            editing,
        }
        .render(),
    )
}

/// The units as a tree, with the form for a new one.
pub async fn units_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<Saved>,
) -> HttpResponse {
    let (s, _, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.db(units::all).await {
        Ok(all) => units_page(
            &req,
            &s,
            l,
            &all,
            &UnitForm::new(),
            None,
            saved(l, &q),
            StatusCode::OK,
        ),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

/// The tree with one unit's form filled, to change it.
pub async fn unit_edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<Saved>,
) -> HttpResponse {
    let (s, _, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let code = path.into_inner();
    match state.db(units::all).await {
        Ok(all) => match all.iter().find(|u| u.code == code) {
            Some(u) => units_page(
                &req,
                &s,
                l,
                &all,
                &UnitForm::of(u),
                Some(&code),
                saved(l, &q),
                StatusCode::OK,
            ),
            None => error_page(
                &req,
                Some(&s),
                &AppError::NotFound(format!("no unit `{code}`")),
            ),
        },
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

fn unit_form(f: &Fields) -> UnitForm {
    UnitForm {
        code: f.get("code"),
        name: f.get("name"),
        parent: f.get("parent"),
        email: f.get("email"),
        head_name: f.get("head_name"),
        head_email: f.get("head_email"),
        active: f.checked("active"),
    }
}

/// Creates a unit (POST /admin/unit) or changes one (POST /admin/unit/{code}).
pub async fn unit_save(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: Option<web::Path<String>>,
    form: web::Form<Fields>,
) -> HttpResponse {
    let (s, ctx, l) = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let editing = path.map(web::Path::into_inner);
    let typed = unit_form(&form);
    let f = typed.clone();
    let target = editing.clone();
    let done = state
        .db(move |conn| match target {
            None => units::create(
                conn,
                &ctx,
                NewUnit {
                    code: f.code,
                    name: f.name,
                    parent: given(&f.parent),
                    email: given(&f.email),
                    head_name: given(&f.head_name),
                    head_email: given(&f.head_email),
                    active: Some(f.active),
                },
            ),
            Some(code) => units::update(
                conn,
                &ctx,
                &code,
                UnitPatch {
                    name: Some(f.name),
                    parent: Some(given(&f.parent)),
                    email: Some(given(&f.email)),
                    head_name: Some(given(&f.head_name)),
                    head_email: Some(given(&f.head_email)),
                    active: Some(f.active),
                },
            ),
        })
        .await;
    match done {
        Ok(u) => redirect(&format!("/admin/unit/{}?selesai=1", u.code)),
        Err(e) => {
            let all = state.db(units::all).await.unwrap_or_default();
            let outcome = Some((message(&e), true));
            units_page(
                &req,
                &s,
                l,
                &all,
                &typed,
                editing.as_deref(),
                outcome,
                status_of(&e),
            )
        }
    }
}
