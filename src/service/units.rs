//! Units: create, read, change, deactivate, delete; the hierarchy never forms a cycle.

use super::Ctx;
use crate::audit::{diff, Changes, SYSTEM_STREAM};
use crate::domain::{Email, UnitCode};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::units::UnitRow;
use crate::store::{self, write_tx, Db};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A unit as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Unit {
    /// Upper-case code, e.g. `DINKES`.
    pub code: String,
    pub name: String,
    /// The parent unit's code.
    pub parent: Option<String>,
    /// The unit's inbox.
    pub email: Option<String>,
    pub head_name: Option<String>,
    pub head_email: Option<String>,
    pub active: bool,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Self {
        Unit {
            code: r.code,
            name: r.name,
            parent: r.parent,
            email: r.email,
            head_name: r.head_name,
            head_email: r.head_email,
            active: r.active,
        }
    }
}

/// The body of `POST /units`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    /// Upper-case letters, digits, `_` and `-`, starting with a letter.
    #[schema(pattern = "^[A-Z][A-Z0-9_-]{1,39}$")]
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub head_name: Option<String>,
    #[serde(default)]
    pub head_email: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// The body of `PATCH /units/{code}` (merge-patch: absent keeps, null clears).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::service::double_option")]
    #[schema(value_type = Option<String>)]
    pub parent: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::service::double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::service::double_option")]
    #[schema(value_type = Option<String>)]
    pub head_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::service::double_option")]
    #[schema(value_type = Option<String>)]
    pub head_email: Option<Option<String>>,
    #[serde(default)]
    pub active: Option<bool>,
}

fn subject(code: &str) -> String {
    format!("unit:{code}")
}

fn clean_name(errors: &mut Vec<FieldError>, field: &str, name: &str) -> String {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 200 || n.contains(['\r', '\n']) {
        errors.push(FieldError::new(
            field,
            "must be 1 to 200 characters on one line",
        ));
    }
    n.to_owned()
}

fn clean_email(errors: &mut Vec<FieldError>, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    match Email::parse(v) {
        Ok(e) => Some(e.as_str().to_owned()),
        Err(m) => {
            errors.push(FieldError::new(field, m));
            None
        }
    }
}

fn clean_text(errors: &mut Vec<FieldError>, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    if v.chars().count() > 200 || v.contains(['\r', '\n']) {
        errors.push(FieldError::new(
            field,
            "must be at most 200 characters on one line",
        ));
    }
    Some(v.to_owned())
}

/// Checks that `parent` exists and that making it the parent of `code` forms no cycle.
fn check_parent(conn: &mut Db, code: &str, parent: &str) -> AppResult<Option<FieldError>> {
    if parent == code {
        return Ok(Some(FieldError::new(
            "parent",
            "a unit cannot be its own parent",
        )));
    }
    let mut cursor = Some(parent.to_owned());
    let mut hops = 0;
    while let Some(c) = cursor {
        match store::units::parent_of(conn, &c)? {
            None if c == parent => {
                return Ok(Some(FieldError::new(
                    "parent",
                    format!("there is no unit `{parent}`"),
                )))
            }
            None => break,
            Some(next) => {
                if next.as_deref() == Some(code) {
                    return Ok(Some(FieldError::new(
                        "parent",
                        format!("`{parent}` is inside `{code}`: the hierarchy would form a cycle"),
                    )));
                }
                cursor = next;
            }
        }
        hops += 1;
        if hops > 1000 {
            return Err(anyhow::anyhow!("unit hierarchy deeper than 1000 levels").into());
        }
    }
    Ok(None)
}

pub fn create(conn: &mut Db, ctx: &Ctx, input: NewUnit) -> AppResult<Unit> {
    ctx.require_admin()?;
    let mut errors = Vec::new();
    let code = match UnitCode::parse(input.code.trim()) {
        Ok(c) => c.as_str().to_owned(),
        Err(m) => {
            errors.push(FieldError::new("code", m));
            input.code.clone()
        }
    };
    let row = UnitRow {
        code: code.clone(),
        name: clean_name(&mut errors, "name", &input.name),
        parent: input
            .parent
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        email: clean_email(&mut errors, "email", input.email.as_deref()),
        head_name: clean_text(&mut errors, "head_name", input.head_name.as_deref()),
        head_email: clean_email(&mut errors, "head_email", input.head_email.as_deref()),
        active: input.active.unwrap_or(true),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    write_tx(conn, |conn| {
        if let Some(parent) = &row.parent {
            errors.extend(check_parent(conn, &code, parent)?);
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if store::units::find(conn, &code)?.is_some() {
            return Err(AppError::conflict(
                crate::error::Conflict::AlreadyExists,
                format!("a unit with code `{code}` already exists"),
            ));
        }
        store::units::insert(conn, &row)?;
        let mut changes = Changes::new();
        let unit = Unit::from(row.clone());
        for (k, v) in serde_json::to_value(&unit)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
        {
            diff(&mut changes, &k, serde_json::Value::Null, v);
        }
        ctx.record(
            conn,
            SYSTEM_STREAM,
            "unit.created",
            &subject(&code),
            changes,
        )?;
        Ok(unit)
    })
}

pub fn get(conn: &mut Db, code: &str) -> AppResult<Unit> {
    store::units::find(conn, code)?
        .map(Unit::from)
        .ok_or_else(|| AppError::NotFound(format!("no unit `{code}`")))
}

pub fn list(conn: &mut Db, after: Option<&str>, limit: i64) -> AppResult<Vec<Unit>> {
    Ok(store::units::list(conn, after, limit)?
        .into_iter()
        .map(Unit::from)
        .collect())
}

/// Fails with 404 when the unit does not exist, else 403 unless the caller is an admin.
/// Every unit, by code (a kabupaten has tens to a few hundred): for trees and choices.
pub fn all(conn: &mut Db) -> AppResult<Vec<Unit>> {
    let mut out: Vec<Unit> = Vec::new();
    loop {
        let after = out.last().map(|u| u.code.clone());
        let page = list(conn, after.as_deref(), 500)?;
        let done = page.len() < 500;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

pub fn authorize_change(conn: &mut Db, ctx: &Ctx, code: &str) -> AppResult<()> {
    get(conn, code)?;
    ctx.require_admin()
}

pub fn update(conn: &mut Db, ctx: &Ctx, code: &str, patch: UnitPatch) -> AppResult<Unit> {
    write_tx(conn, |conn| {
        let before = store::units::find(conn, code)?
            .ok_or_else(|| AppError::NotFound(format!("no unit `{code}`")))?;
        ctx.require_admin()?;
        let mut errors = Vec::new();
        let mut row = before.clone();
        if let Some(name) = &patch.name {
            row.name = clean_name(&mut errors, "name", name);
        }
        if let Some(parent) = patch.parent {
            row.parent = parent
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty());
            if let Some(p) = &row.parent {
                errors.extend(check_parent(conn, code, p)?);
            }
        }
        if let Some(v) = patch.email {
            row.email = clean_email(&mut errors, "email", v.as_deref());
        }
        if let Some(v) = patch.head_name {
            row.head_name = clean_text(&mut errors, "head_name", v.as_deref());
        }
        if let Some(v) = patch.head_email {
            row.head_email = clean_email(&mut errors, "head_email", v.as_deref());
        }
        if let Some(a) = patch.active {
            row.active = a;
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let (old, new) = (Unit::from(before), Unit::from(row.clone()));
        let mut changes = Changes::new();
        diff(&mut changes, "name", &old.name, &new.name);
        diff(&mut changes, "parent", &old.parent, &new.parent);
        diff(&mut changes, "email", &old.email, &new.email);
        diff(&mut changes, "head_name", &old.head_name, &new.head_name);
        diff(&mut changes, "head_email", &old.head_email, &new.head_email);
        diff(&mut changes, "active", old.active, new.active);
        if !changes.is_empty() {
            row.updated_at = ctx.now;
            store::units::update(conn, &row)?;
            let action = match changes.get("active") {
                Some(c) if c.after == serde_json::Value::Bool(false) => "unit.deactivated",
                _ => "unit.updated",
            };
            ctx.record(conn, SYSTEM_STREAM, action, &subject(code), changes)?;
        }
        Ok(new)
    })
}

pub fn delete(conn: &mut Db, ctx: &Ctx, code: &str) -> AppResult<()> {
    ctx.require_admin()?;
    write_tx(conn, |conn| {
        let before = store::units::find(conn, code)?
            .ok_or_else(|| AppError::NotFound(format!("no unit `{code}`")))?;
        let refs = store::units::references(conn, code)?;
        if !refs.is_empty() {
            let list: Vec<String> = refs.iter().map(|(what, n)| format!("{n} {what}")).collect();
            return Err(AppError::conflict(
                crate::error::Conflict::InUse,
                format!(
                "unit `{code}` is referenced by {}; deactivate it with PATCH {{\"active\": false}} instead",
                list.join(", ")
            )));
        }
        store::units::delete(conn, code)?;
        let mut changes = Changes::new();
        diff(&mut changes, "name", &before.name, serde_json::Value::Null);
        ctx.record(conn, SYSTEM_STREAM, "unit.deleted", &subject(code), changes)
    })
}
