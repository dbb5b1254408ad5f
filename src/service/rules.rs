//! Routing rules: admin-managed, ordered by position (1..n, no gaps), audited in the system
//! stream; and routing a draft issue through them.
//!
//! Long because: the use cases on rules share the checks of a rule's conditions and the reordering
//! of positions.

use super::issues::Check;
use super::Ctx;
use crate::audit::{diff, Changes, SYSTEM_STREAM};
use crate::domain::routing::{self, Draft, KeywordMode, Rule, RuleRef, RuleTrace};
use crate::domain::{Category, Channel, Role};
use crate::error::{AppError, AppResult};
use crate::store::rules::RuleRow;
use crate::store::{self, write_tx, Db};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a rule looks at; empty lists match anything.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default)]
    #[schema(value_type = Vec<crate::domain::enums::Category>)]
    pub categories: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::domain::enums::Channel>)]
    pub channels: Vec<String>,
    /// Kecamatan names, compared without regard to case.
    #[serde(default)]
    pub districts: Vec<String>,
    /// Words or phrases matched as whole words in title and description.
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "any_mode")]
    pub keyword_mode: KeywordMode,
}

fn any_mode() -> KeywordMode {
    KeywordMode::Any
}

impl Default for Conditions {
    fn default() -> Self {
        Conditions {
            categories: vec![],
            channels: vec![],
            districts: vec![],
            keywords: vec![],
            keyword_mode: KeywordMode::Any,
        }
    }
}

/// A routing rule.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RoutingRule {
    pub id: i64,
    pub name: String,
    /// 1 is checked first.
    pub position: i32,
    pub enabled: bool,
    pub conditions: Conditions,
    /// The unit it routes to.
    pub unit: String,
    /// Assign at once instead of proposing to the TRC.
    pub auto_assign: bool,
}

/// The body of `POST /routing-rules`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub name: String,
    /// Where to insert it (default: last).
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    pub conditions: Option<Conditions>,
    pub unit: String,
    pub auto_assign: Option<bool>,
}

/// The body of `PATCH /routing-rules/{id}`; `position` moves the rule, shifting the others.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePatch {
    pub name: Option<String>,
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    pub conditions: Option<Conditions>,
    pub unit: Option<String>,
    pub auto_assign: Option<bool>,
}

fn list_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn list_of(t: &str) -> Vec<String> {
    serde_json::from_str(t).unwrap_or_default()
}

impl RoutingRule {
    fn from_row(r: &RuleRow) -> RoutingRule {
        RoutingRule {
            id: r.id,
            name: r.name.clone(),
            position: r.position,
            enabled: r.enabled,
            conditions: Conditions {
                categories: list_of(&r.categories),
                channels: list_of(&r.channels),
                districts: list_of(&r.districts),
                keywords: list_of(&r.keywords),
                keyword_mode: if r.keyword_mode == "all" {
                    KeywordMode::All
                } else {
                    KeywordMode::Any
                },
            },
            unit: r.unit.clone(),
            auto_assign: r.auto_assign,
        }
    }
}

fn require(ctx: &Ctx, write: bool) -> AppResult<()> {
    match ctx.actor.role() {
        None | Some(Role::Admin) => Ok(()),
        Some(Role::Trc) if !write => Ok(()),
        _ => Err(AppError::Forbidden(if write {
            "only administrators change routing rules".into()
        } else {
            "routing rules are for the TRC and administrators".into()
        })),
    }
}

pub fn authorize(ctx: &Ctx, write: bool) -> AppResult<()> {
    require(ctx, write)
}

fn check_conditions(c: &mut Check, cond: &Conditions) -> Conditions {
    for (i, k) in cond.categories.iter().enumerate() {
        c.enumerated(
            &format!("conditions.categories.{i}"),
            k,
            Category::parse,
            Category::names,
        );
    }
    for (i, k) in cond.channels.iter().enumerate() {
        c.enumerated(
            &format!("conditions.channels.{i}"),
            k,
            Channel::parse,
            Channel::names,
        );
    }
    let districts: Vec<String> = cond
        .districts
        .iter()
        .enumerate()
        .map(|(i, d)| c.text(&format!("conditions.districts.{i}"), d, 100, true))
        .collect();
    if cond.keywords.len() > 50 {
        c.fail("conditions.keywords", "at most 50 keywords");
    }
    let keywords: Vec<String> = cond
        .keywords
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let t = c.text(&format!("conditions.keywords.{i}"), k, 100, true);
            if !t.is_empty() && routing::words(&t).is_empty() {
                c.fail(
                    &format!("conditions.keywords.{i}"),
                    "must contain a letter or digit",
                );
            }
            t
        })
        .collect();
    Conditions {
        categories: cond
            .categories
            .iter()
            .map(|s| s.trim().to_owned())
            .collect(),
        channels: cond.channels.iter().map(|s| s.trim().to_owned()).collect(),
        districts,
        keywords,
        keyword_mode: cond.keyword_mode,
    }
}

fn rule_changes(before: Option<&RoutingRule>, after: Option<&RoutingRule>) -> Changes {
    let mut ch = Changes::new();
    let field = |r: Option<&RoutingRule>, f: &str| -> serde_json::Value {
        r.and_then(|r| serde_json::to_value(r).ok())
            .map_or(serde_json::Value::Null, |v| v[f].clone())
    };
    for f in [
        "name",
        "position",
        "enabled",
        "conditions",
        "unit",
        "auto_assign",
    ] {
        diff(&mut ch, f, field(before, f), field(after, f));
    }
    ch
}

/// Renumbers positions 1..n in the given order, writing only those that moved.
fn renumber(conn: &mut Db, order: &[RuleRow]) -> AppResult<()> {
    for (i, r) in order.iter().enumerate() {
        let p = i32::try_from(i + 1).unwrap_or(i32::MAX);
        if r.position != p {
            store::rules::set_position(conn, r.id, p)?;
        }
    }
    Ok(())
}

fn place(order: &mut Vec<RuleRow>, row: RuleRow, position: Option<i32>) {
    let idx = position
        .and_then(|p| usize::try_from(p.max(1) - 1).ok())
        .unwrap_or(order.len())
        .min(order.len());
    order.insert(idx, row);
}

pub fn list(conn: &mut Db, ctx: &Ctx) -> AppResult<Vec<RoutingRule>> {
    require(ctx, false)?;
    Ok(store::rules::all(conn)?
        .iter()
        .map(RoutingRule::from_row)
        .collect())
}

pub fn get(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<RoutingRule> {
    require(ctx, false)?;
    store::rules::find(conn, id)?
        .map(|r| RoutingRule::from_row(&r))
        .ok_or_else(|| AppError::NotFound(format!("no routing rule {id}")))
}

pub fn create(conn: &mut Db, ctx: &Ctx, input: NewRule) -> AppResult<RoutingRule> {
    require(ctx, true)?;
    write_tx(conn, |conn| {
        let mut c = Check::new();
        let name = c.text("name", &input.name, 100, true);
        let cond = check_conditions(&mut c, &input.conditions.clone().unwrap_or_default());
        let unit = super::issues::active_unit(conn, &mut c, "unit", &input.unit)?;
        c.done()?;
        let row = RuleRow {
            id: 0,
            name,
            position: 0,
            enabled: input.enabled.unwrap_or(true),
            categories: list_json(&cond.categories),
            channels: list_json(&cond.channels),
            districts: list_json(&cond.districts),
            keywords: list_json(&cond.keywords),
            keyword_mode: if cond.keyword_mode == KeywordMode::All {
                "all"
            } else {
                "any"
            }
            .into(),
            unit: unit.unwrap_or_default(),
            auto_assign: input.auto_assign.unwrap_or(false),
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        let mut order = store::rules::all(conn)?;
        let id = store::rules::insert(conn, &row)?;
        place(&mut order, RuleRow { id, ..row }, input.position);
        renumber(conn, &order)?;
        let rule = store::rules::find(conn, id)?
            .map(|r| RoutingRule::from_row(&r))
            .ok_or_else(|| anyhow::anyhow!("rule {id} vanished"))?;
        ctx.record(
            conn,
            SYSTEM_STREAM,
            "routing_rule.created",
            &format!("routing_rule:{id}"),
            rule_changes(None, Some(&rule)),
        )?;
        Ok(rule)
    })
}

pub fn update(conn: &mut Db, ctx: &Ctx, id: i64, patch: RulePatch) -> AppResult<RoutingRule> {
    require(ctx, true)?;
    write_tx(conn, |conn| {
        let row = store::rules::find(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no routing rule {id}")))?;
        let before = RoutingRule::from_row(&row);
        let mut c = Check::new();
        let mut next = row.clone();
        if let Some(n) = &patch.name {
            next.name = c.text("name", n, 100, true);
        }
        if let Some(cond) = &patch.conditions {
            let cond = check_conditions(&mut c, cond);
            next.categories = list_json(&cond.categories);
            next.channels = list_json(&cond.channels);
            next.districts = list_json(&cond.districts);
            next.keywords = list_json(&cond.keywords);
            next.keyword_mode = if cond.keyword_mode == KeywordMode::All {
                "all"
            } else {
                "any"
            }
            .into();
        }
        if let Some(u) = &patch.unit {
            if let Some(code) = super::issues::active_unit(conn, &mut c, "unit", u)? {
                next.unit = code;
            }
        }
        if let Some(e) = patch.enabled {
            next.enabled = e;
        }
        if let Some(a) = patch.auto_assign {
            next.auto_assign = a;
        }
        if patch.position.is_some_and(|p| p < 1) {
            c.fail("position", "positions start at 1");
        }
        c.done()?;
        next.updated_at = ctx.now;
        store::rules::update(conn, &next)?;
        if let Some(p) = patch.position {
            let mut order: Vec<RuleRow> = store::rules::all(conn)?
                .into_iter()
                .filter(|r| r.id != id)
                .collect();
            place(&mut order, next.clone(), Some(p));
            renumber(conn, &order)?;
        }
        let after = get(conn, ctx, id)?;
        let changes = rule_changes(Some(&before), Some(&after));
        if !changes.is_empty() {
            ctx.record(
                conn,
                SYSTEM_STREAM,
                "routing_rule.updated",
                &format!("routing_rule:{id}"),
                changes,
            )?;
        }
        Ok(after)
    })
}

pub fn delete(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<()> {
    require(ctx, true)?;
    write_tx(conn, |conn| {
        let row = store::rules::find(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no routing rule {id}")))?;
        store::rules::delete(conn, id)?;
        let order = store::rules::all(conn)?;
        renumber(conn, &order)?;
        let before = RoutingRule::from_row(&row);
        ctx.record(
            conn,
            SYSTEM_STREAM,
            "routing_rule.deleted",
            &format!("routing_rule:{id}"),
            rule_changes(Some(&before), None),
        )
    })
}

/// The rules as the router sees them, in order.
pub fn load_rules(conn: &mut Db) -> AppResult<Vec<Rule>> {
    Ok(store::rules::all_with_unit_state(conn)?
        .iter()
        .map(|(r, unit_active)| {
            let v = RoutingRule::from_row(r);
            Rule {
                id: v.id,
                name: v.name,
                enabled: v.enabled,
                categories: v.conditions.categories,
                channels: v.conditions.channels,
                districts: v.conditions.districts,
                keywords: v.conditions.keywords,
                keyword_mode: v.conditions.keyword_mode,
                unit_active: unit_active.unwrap_or(false),
                unit: v.unit,
                auto_assign: v.auto_assign,
            }
        })
        .collect())
}

/// A draft issue for the preview.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DraftIssue {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[schema(value_type = crate::domain::enums::Category)]
    pub category: String,
    #[schema(value_type = crate::domain::enums::Channel)]
    pub channel: String,
    #[serde(default)]
    pub location: Option<super::issues::check::LocationInput>,
}

/// Which rule would route a draft, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub rule: Option<RuleRef>,
    pub unit: Option<String>,
    pub auto_assign: bool,
    /// Every rule looked at, in order, with each condition's result.
    pub explanation: Vec<RuleTrace>,
}

pub fn preview(conn: &mut Db, ctx: &Ctx, draft: DraftIssue) -> AppResult<Preview> {
    require(ctx, false)?;
    route_draft(conn, &draft)
}

/// Where a filing would go, for whoever may file (a PIC sees the proposal before sending,
/// not the rule set's explanation, which is the TRC's).
pub fn proposal(conn: &mut Db, ctx: &Ctx, draft: DraftIssue) -> AppResult<Preview> {
    super::issues::file::authorize(ctx)?;
    let mut p = route_draft(conn, &draft)?;
    if !matches!(ctx.actor.role(), None | Some(Role::Admin | Role::Trc)) {
        p.explanation.clear();
    }
    Ok(p)
}

fn route_draft(conn: &mut Db, draft: &DraftIssue) -> AppResult<Preview> {
    let mut c = Check::new();
    c.enumerated(
        "category",
        &draft.category,
        Category::parse,
        Category::names,
    );
    c.enumerated("channel", &draft.channel, Channel::parse, Channel::names);
    c.done()?;
    let rules = load_rules(conn)?;
    let district = draft.location.as_ref().and_then(|l| l.district.clone());
    let (hit, explanation) = routing::route(
        &rules,
        &Draft {
            category: draft.category.trim(),
            channel: draft.channel.trim(),
            district: district.as_deref(),
            title: &draft.title,
            description: &draft.description,
        },
    );
    Ok(Preview {
        rule: hit.map(|r| RuleRef {
            id: r.id,
            name: r.name.clone(),
        }),
        unit: hit.map(|r| r.unit.clone()),
        auto_assign: hit.is_some_and(|r| r.auto_assign),
        explanation,
    })
}
