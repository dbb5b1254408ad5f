//! The administrators' pages: the units as a tree, the users, the routing rules with the
//! preview of where a draft would go and why, the outbox's dead letters with retry, and the
//! audit trail's verification. Each reads and writes through the API's use case, which checks
//! that the caller is an administrator; a refused form comes back with what was typed.
//!
//! Long because: five admin pages share one form reader and one way to come back with errors;
//! split, each part would repeat them.

#![allow(
    clippy::many_single_char_names,
    reason = "s, l, q, f: the session, the language, the query and the form, as in every console handler"
)]

use super::admin_view::{
    AuditPage, OutboxPage, RuleForm, RulesPage, Tree, UnitForm, UnitsPage, UserForm, UsersPage,
};
use super::pages::{chrome, error_page, lang, message, page, redirect, signed_in, status_of};
use super::session::check_csrf;
use super::view::{Chrome, L};
use crate::domain::routing::KeywordMode;
use crate::domain::{Category, Channel, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::runtime::AppState;
use crate::service::issues::check::LocationInput;
use crate::service::rules::{self, Conditions, DraftIssue, NewRule, RoutingRule, RulePatch};
use crate::service::sessions::Session;
use crate::service::units::{self, NewUnit, Unit, UnitPatch};
use crate::service::users::{self, NewUser, User, UserPatch};
use crate::service::{audit, notifications, Actor, Ctx};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// A posted form's fields, repeated names kept (a rule's categories are checkboxes).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty when absent.
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every non-empty value of `name`.
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// The first value of `name` as sent (a password keeps its spaces).
    fn raw(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// `Some(value)`, or `None` for an empty field.
fn given(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

/// A comma- or line-separated list as typed.
fn split_list(v: &str) -> Vec<String> {
    v.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The signed-in administrator's session and context, or the refusal to show.
async fn admin(state: &AppState, req: &HttpRequest) -> Result<(Session, Ctx, L), HttpResponse> {
    let s = signed_in(state, req).await?;
    let ctx = state.ctx(req, Actor::User(s.caller.clone()));
    if let Err(e) = ctx.require_admin() {
        return Err(error_page(req, Some(&s), &e));
    }
    let l = lang(req, Some(&s));
    Ok((s, ctx, l))
}

/// The session of a posted admin form whose CSRF token is good.
async fn admin_post(
    state: &AppState,
    req: &HttpRequest,
    form: &Fields,
) -> Result<(Session, Ctx, L), HttpResponse> {
    let (s, ctx, l) = admin(state, req).await?;
    let sent = form.get("csrf");
    if let Err(e) = check_csrf(&s, Some(&sent)) {
        return Err(error_page(req, Some(&s), &e));
    }
    Ok((s, ctx, l))
}

/// A page's chrome with the result of the last form (`?selesai=`) or a refusal.
fn framed(
    req: &HttpRequest,
    s: &Session,
    l: L,
    title: &str,
    outcome: Option<(String, bool)>,
) -> Chrome {
    let mut c = chrome(req, l, title, Some(s));
    if let Some((n, error)) = outcome {
        c.notice = Some(n);
        c.error = error;
    }
    c
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Saved {
    selesai: Option<String>,
}

fn saved(l: L, q: &Saved) -> Option<(String, bool)> {
    q.selesai
        .as_ref()
        .map(|_| (l.t("Tersimpan.", "Saved.").to_owned(), false))
}

pub async fn home() -> HttpResponse {
    redirect("/admin/unit")
}

// ---- units ----

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

// ---- users ----

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

// ---- routing rules ----

#[derive(Debug, Default, serde::Deserialize)]
pub struct RulesQuery {
    selesai: Option<String>,
    /// The draft to preview: title, description, category, channel, district.
    uji_judul: Option<String>,
    uji_uraian: Option<String>,
    uji_kategori: Option<String>,
    uji_kanal: Option<String>,
    uji_kecamatan: Option<String>,
}

impl RulesQuery {
    fn draft(&self) -> Option<DraftIssue> {
        let category = self.uji_kategori.clone().filter(|v| !v.is_empty())?;
        let channel = self.uji_kanal.clone().filter(|v| !v.is_empty())?;
        let district = self.uji_kecamatan.clone().filter(|v| !v.trim().is_empty());
        let location = district.map(|d| LocationInput {
            district: Some(d),
            ..LocationInput::default()
        });
        Some(DraftIssue {
            title: self.uji_judul.clone().unwrap_or_default(),
            description: self.uji_uraian.clone().unwrap_or_default(),
            category,
            channel,
            location,
        })
    }
}

struct RulesView {
    rules: Vec<RoutingRule>,
    units: Vec<Unit>,
    preview: Option<Result<rules::Preview, String>>,
}

/// The rules, the units and the preview of `draft` (a refused draft is a message on the page).
async fn load_rules(state: &AppState, ctx: Ctx, draft: Option<DraftIssue>) -> AppResult<RulesView> {
    state
        .db(move |conn| {
            let preview = draft.map(|d| rules::preview(conn, &ctx, d).map_err(|e| message(&e)));
            Ok(RulesView {
                rules: rules::list(conn, &ctx)?,
                units: units::all(conn)?,
                preview,
            })
        })
        .await
}

#[allow(
    clippy::too_many_arguments,
    reason = "the page's parts, each from the handler that knows it"
)]
fn rules_page(
    req: &HttpRequest,
    s: &Session,
    l: L,
    v: &RulesView,
    form: &RuleForm,
    editing: Option<i64>,
    q: &RulesQuery,
    outcome: Option<(String, bool)>,
    status: StatusCode,
) -> HttpResponse {
    let c = framed(req, s, l, l.t("Aturan penerusan", "Routing rules"), outcome);
    let draft = [
        q.uji_judul.clone().unwrap_or_default(),
        q.uji_uraian.clone().unwrap_or_default(),
        q.uji_kategori.clone().unwrap_or_default(),
        q.uji_kanal.clone().unwrap_or_default(),
        q.uji_kecamatan.clone().unwrap_or_default(),
    ];
    page(
        status,
        RulesPage {
            c: &c,
            rules: &v.rules,
            units: &v.units,
            f: form,
            editing,
            categories: Category::ALL,
            channels: Channel::ALL,
            draft: &draft,
            preview: v.preview.as_ref(),
        }
        .render(),
    )
}

pub async fn rules_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<RulesQuery>,
) -> HttpResponse {
    rules_show(state, req, None, q.into_inner()).await
}

pub async fn rule_edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    q: web::Query<RulesQuery>,
) -> HttpResponse {
    rules_show(state, req, Some(path.into_inner()), q.into_inner()).await
}

async fn rules_show(
    state: web::Data<AppState>,
    req: HttpRequest,
    editing: Option<i64>,
    q: RulesQuery,
) -> HttpResponse {
    let (s, ctx, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let draft = q.draft();
    let v = match load_rules(&state, ctx, draft).await {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    let form = match editing {
        None => RuleForm::new(),
        Some(id) => {
            let Some(r) = v.rules.iter().find(|r| r.id == id) else {
                let e = AppError::NotFound(format!("no routing rule {id}"));
                return error_page(&req, Some(&s), &e);
            };
            RuleForm::of(r)
        }
    };
    let outcome = q
        .selesai
        .as_ref()
        .map(|_| (l.t("Tersimpan.", "Saved.").to_owned(), false));
    rules_page(&req, &s, l, &v, &form, editing, &q, outcome, StatusCode::OK)
}

fn rule_form(f: &Fields) -> RuleForm {
    RuleForm {
        name: f.get("name"),
        position: f.get("position"),
        enabled: f.checked("enabled"),
        categories: f.all("categories"),
        channels: f.all("channels"),
        districts: f.get("districts"),
        keywords: f.get("keywords"),
        keyword_mode: f.get("keyword_mode"),
        unit: f.get("unit"),
        auto_assign: f.checked("auto_assign"),
    }
}

/// The position and conditions as typed: an empty position is none; a position that is not a
/// number and an unknown keyword mode are refused together, each named.
fn placed_conditions(f: &RuleForm) -> AppResult<(Option<i32>, Conditions)> {
    let mut errors = Vec::new();
    let position = if f.position.is_empty() {
        None
    } else {
        let p = f.position.parse::<i32>().ok();
        if p.is_none() {
            errors.push(FieldError::new("position", "must be a whole number from 1"));
        }
        p
    };
    let keyword_mode = match f.keyword_mode.as_str() {
        "" | "any" => KeywordMode::Any,
        "all" => KeywordMode::All,
        other => {
            errors.push(
                FieldError::new("keyword_mode", format!("`{other}` is not a keyword mode"))
                    .with_valid(vec!["any".into(), "all".into()]),
            );
            KeywordMode::Any
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let conditions = Conditions {
        categories: f.categories.clone(),
        channels: f.channels.clone(),
        districts: split_list(&f.districts),
        keywords: split_list(&f.keywords),
        keyword_mode,
    };
    Ok((position, conditions))
}

/// Creates a rule (POST /admin/aturan) or changes one (POST /admin/aturan/{id}).
pub async fn rule_save(
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
    let typed = rule_form(&form);
    let f = typed.clone();
    let c = ctx.clone();
    let done = state
        .db(move |conn| {
            let (position, conditions) = placed_conditions(&f)?;
            match editing {
                None => rules::create(
                    conn,
                    &c,
                    NewRule {
                        name: f.name,
                        position,
                        enabled: Some(f.enabled),
                        conditions: Some(conditions),
                        unit: f.unit,
                        auto_assign: Some(f.auto_assign),
                    },
                ),
                Some(id) => rules::update(
                    conn,
                    &c,
                    id,
                    RulePatch {
                        name: Some(f.name),
                        position,
                        enabled: Some(f.enabled),
                        conditions: Some(conditions),
                        unit: Some(f.unit),
                        auto_assign: Some(f.auto_assign),
                    },
                ),
            }
        })
        .await;
    match done {
        Ok(r) => redirect(&format!("/admin/aturan/{}?selesai=1", r.id)),
        Err(e) => {
            let v = load_rules(&state, ctx, None).await.unwrap_or(RulesView {
                rules: Vec::new(),
                units: Vec::new(),
                preview: None,
            });
            let outcome = Some((message(&e), true));
            let q = RulesQuery::default();
            rules_page(&req, &s, l, &v, &typed, editing, &q, outcome, status_of(&e))
        }
    }
}

/// Deletes a rule (the ones after it move up).
pub async fn rule_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    form: web::Form<Fields>,
) -> HttpResponse {
    let (s, ctx, _) = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = path.into_inner();
    match state.db(move |conn| rules::delete(conn, &ctx, id)).await {
        Ok(()) => redirect("/admin/aturan?selesai=1"),
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

// ---- the outbox ----

#[derive(Debug, Default, serde::Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    sebelum: Option<i64>,
    selesai: Option<String>,
}

/// How many notifications a page of the outbox shows.
const OUTBOX_PAGE: i64 = 50;

/// The outbox by state, newest first, dead letters by default, with retry for each.
pub async fn outbox(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<OutboxQuery>,
) -> HttpResponse {
    let (s, ctx, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let status = q
        .status
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "dead".to_owned());
    let (st, before) = (status.clone(), q.sebelum);
    let listed = state
        .db(move |conn| notifications::list(conn, &ctx, &[st], before, OUTBOX_PAGE + 1))
        .await;
    let mut items = match listed {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(&s), &e),
    };
    let more = usize::try_from(OUTBOX_PAGE).is_ok_and(|n| items.len() > n);
    items.truncate(usize::try_from(OUTBOX_PAGE).unwrap_or(50));
    let next = if more {
        items
            .last()
            .map(|n| format!("/admin/kotak-keluar?status={status}&sebelum={}", n.id))
    } else {
        None
    };
    let outcome = q.selesai.as_ref().map(|_| {
        let m = l.t(
            "Dijadwalkan ulang: dikirim pada putaran berikutnya.",
            "Queued again: it is sent in the next round.",
        );
        (m.to_owned(), false)
    });
    let c = framed(&req, &s, l, l.t("Kotak keluar", "Outbox"), outcome);
    page(
        StatusCode::OK,
        OutboxPage {
            c: &c,
            items: &items,
            status: &status,
            states: notifications::STATES,
            next: next.as_deref(),
            zone: &state.cfg.zone,
        }
        .render(),
    )
}

/// Sends a dead letter again.
pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    form: web::Form<Fields>,
) -> HttpResponse {
    let (s, ctx, _) = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = path.into_inner();
    match state
        .db(move |conn| notifications::retry(conn, &ctx, id))
        .await
    {
        Ok(_) => {
            state.wake_outbox();
            redirect("/admin/kotak-keluar?status=dead&selesai=1")
        }
        Err(e) => error_page(&req, Some(&s), &e),
    }
}

// ---- the audit trail ----

#[derive(Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    periksa: Option<String>,
}

/// The audit trail's verification, run when asked (it reads every event).
pub async fn audit_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<AuditQuery>,
) -> HttpResponse {
    let (s, _, l) = match admin(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let report = if q.periksa.is_some() {
        let keys = state.cfg.sla.audit_keys.clone();
        match state.db(move |conn| audit::verify(conn, &keys)).await {
            Ok(r) => Some(r),
            Err(e) => return error_page(&req, Some(&s), &e),
        }
    } else {
        None
    };
    let c = framed(&req, &s, l, l.t("Jejak audit", "Audit trail"), None);
    page(
        StatusCode::OK,
        AuditPage {
            c: &c,
            report: report.as_ref(),
        }
        .render(),
    )
}
