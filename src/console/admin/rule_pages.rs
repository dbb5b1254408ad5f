//! The routing rules, a rule's form, and the preview of where a draft goes and why.

#![allow(
    clippy::many_single_char_names,
    reason = "s, l, q, f: the session, the language, the query and the form, as in every console handler"
)]

use super::{admin, admin_post, framed, split_list, Fields};
use crate::console::admin_view::{RuleForm, RulesPage};
use crate::console::pages::{error_page, message, page, redirect, status_of};
use crate::console::view::L;
use crate::domain::routing::KeywordMode;
use crate::domain::{Category, Channel};
use crate::error::{AppError, AppResult, FieldError};
use crate::runtime::AppState;
use crate::service::issues::check::LocationInput;
use crate::service::rules::{self, Conditions, DraftIssue, NewRule, RoutingRule, RulePatch};
use crate::service::sessions::Session;
use crate::service::units::{self, Unit};
use crate::service::Ctx;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

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
