//! Users: create (admin or CLI), read, change, deactivate, delete; passwords as Argon2id hashes.
//!
//! Long because: the use cases on users share the checks of name, role, unit and password and their
//! audit shape.

use super::{Caller, Ctx};
use crate::audit::{diff, Changes, SYSTEM_STREAM};
use crate::domain::{Email, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::users::{NewUser as NewUserRow, UserChanges, UserRow};
use crate::store::{self, write_tx, Db};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user as the API shows it (never the password).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The user's unit code; a PIC always has one.
    pub unit: Option<String>,
    pub active: bool,
}

impl User {
    pub fn from_row(r: &UserRow) -> AppResult<User> {
        Ok(User {
            id: r.id,
            email: r.email.clone(),
            name: r.name.clone(),
            role: Role::parse(&r.role)
                .ok_or_else(|| anyhow::anyhow!("user {} has unknown role {}", r.id, r.role))?,
            unit: r.unit.clone(),
            active: r.active,
        })
    }

    pub fn into_caller(self) -> Caller {
        Caller {
            id: self.id,
            email: self.email,
            name: self.name,
            role: self.role,
            unit: self.unit,
        }
    }
}

/// The body of `POST /users`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    #[schema(value_type = crate::domain::ids::Role)]
    pub role: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
    #[serde(default)]
    pub active: Option<bool>,
}

/// The body of `PATCH /users/{id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::ids::Role>)]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "crate::service::double_option")]
    #[schema(value_type = Option<String>)]
    pub unit: Option<Option<String>>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
}

const MIN_PASSWORD: usize = 10;

pub(crate) fn check_password(errors: &mut Vec<FieldError>, pw: &str) {
    check_new_password(errors, "password", pw);
}

/// A new password's length, reported on `field`.
pub fn check_new_password(errors: &mut Vec<FieldError>, field: &str, pw: &str) {
    let n = pw.chars().count();
    if !(MIN_PASSWORD..=256).contains(&n) {
        errors.push(FieldError::new(
            field,
            format!("must be {MIN_PASSWORD} to 256 characters long"),
        ));
    }
}

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(pw: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}").into())
}

/// Whether `pw` matches the stored hash.
pub fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

fn parse_role(errors: &mut Vec<FieldError>, text: &str) -> Option<Role> {
    let r = Role::parse(text.trim());
    if r.is_none() {
        errors.push(
            FieldError::new("role", format!("`{text}` is not a role")).with_valid(Role::names()),
        );
    }
    r
}

fn check_unit(
    conn: &mut Db,
    errors: &mut Vec<FieldError>,
    role: Option<Role>,
    unit: Option<&str>,
) -> AppResult<()> {
    match unit {
        Some(code) => match store::units::find(conn, code)? {
            None => errors.push(FieldError::new(
                "unit",
                format!("there is no unit `{code}`"),
            )),
            Some(u) if !u.active => errors.push(FieldError::new(
                "unit",
                format!("unit `{code}` is deactivated"),
            )),
            Some(_) => {}
        },
        None if role == Some(Role::Pic) => {
            errors.push(FieldError::new("unit", "a PIC must belong to a unit"));
        }
        None => {}
    }
    Ok(())
}

fn subject(email: &str) -> String {
    format!("user:{email}")
}

fn user_changes(before: Option<&User>, after: Option<&User>) -> Changes {
    let mut c = Changes::new();
    let field =
        |u: Option<&User>, f: fn(&User) -> serde_json::Value| u.map_or(serde_json::Value::Null, f);
    type Getter = fn(&User) -> serde_json::Value;
    let getters: [(&str, Getter); 5] = [
        ("email", |u| u.email.clone().into()),
        ("name", |u| u.name.clone().into()),
        ("role", |u| u.role.as_str().into()),
        ("unit", |u| u.unit.clone().into()),
        ("active", |u| u.active.into()),
    ];
    for (name, g) in getters {
        diff(&mut c, name, field(before, g), field(after, g));
    }
    c
}

/// Creates a user. The password is hashed before the transaction opens.
pub fn create(conn: &mut Db, ctx: &Ctx, input: NewUser) -> AppResult<User> {
    create_with_hash(conn, ctx, input, None)
}

/// Creates a user whose password's Argon2id hash is already known (`None`: hash it now). The
/// demo data uses it so that seeding hashes nothing (each hash takes 19 MiB for a moment, which
/// the allocator keeps).
pub(crate) fn create_with_hash(
    conn: &mut Db,
    ctx: &Ctx,
    input: NewUser,
    known_hash: Option<&str>,
) -> AppResult<User> {
    ctx.require_admin()?;
    let mut errors = Vec::new();
    let email = match Email::parse(&input.email) {
        Ok(e) => e.as_str().to_owned(),
        Err(m) => {
            errors.push(FieldError::new("email", m));
            input.email.clone()
        }
    };
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['\r', '\n']) {
        errors.push(FieldError::new(
            "name",
            "must be 1 to 200 characters on one line",
        ));
    }
    let role = parse_role(&mut errors, &input.role);
    check_password(&mut errors, &input.password);
    let unit = input
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    let hash = match (errors.is_empty(), known_hash) {
        (true, Some(h)) => h.to_owned(),
        (true, None) => hash_password(&input.password)?,
        (false, _) => String::new(),
    };
    write_tx(conn, |conn| {
        check_unit(conn, &mut errors, role, unit.as_deref())?;
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let role = role.ok_or_else(|| anyhow::anyhow!("role checked above"))?;
        if store::users::find_by_email(conn, &email)?.is_some() {
            return Err(AppError::conflict(
                crate::error::Conflict::AlreadyExists,
                format!("a user with email `{email}` already exists"),
            ));
        }
        let row = store::users::insert(
            conn,
            &NewUserRow {
                email: &email,
                name: &name,
                role: role.as_str(),
                unit: unit.as_deref(),
                password_hash: &hash,
                active: input.active.unwrap_or(true),
                created_at: ctx.now,
                updated_at: ctx.now,
            },
        )?;
        let user = User::from_row(&row)?;
        ctx.record(
            conn,
            SYSTEM_STREAM,
            "user.created",
            &subject(&email),
            user_changes(None, Some(&user)),
        )?;
        Ok(user)
    })
}

pub fn get(conn: &mut Db, id: i64) -> AppResult<User> {
    let row =
        store::users::find(conn, id)?.ok_or_else(|| AppError::NotFound(format!("no user {id}")))?;
    User::from_row(&row)
}

pub fn list(conn: &mut Db, ctx: &Ctx, after: Option<i64>, limit: i64) -> AppResult<Vec<User>> {
    ctx.require_admin()?;
    store::users::list(conn, after, limit)?
        .iter()
        .map(User::from_row)
        .collect()
}

/// 404 when the user does not exist, else 403 unless the caller is an admin.
/// Every user, by id (admin).
pub fn all(conn: &mut Db, ctx: &Ctx) -> AppResult<Vec<User>> {
    let mut out: Vec<User> = Vec::new();
    loop {
        let after = out.last().map(|u| u.id);
        let page = list(conn, ctx, after, 500)?;
        let done = page.len() < 500;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

pub fn authorize_change(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<()> {
    ctx.require_admin()?;
    get(conn, id).map(drop)
}

fn active_admins(conn: &mut Db) -> AppResult<usize> {
    Ok(store::users::active_with_role(conn, Role::Admin.as_str())?.len())
}

/// The user after `patch`'s fields, each checked (errors into `errors`).
fn patched(
    conn: &mut Db,
    errors: &mut Vec<FieldError>,
    before: &User,
    patch: &UserPatch,
) -> AppResult<User> {
    let mut after = before.clone();
    if let Some(name) = &patch.name {
        name.trim().clone_into(&mut after.name);
        if after.name.is_empty()
            || after.name.chars().count() > 200
            || after.name.contains(['\r', '\n'])
        {
            errors.push(FieldError::new(
                "name",
                "must be 1 to 200 characters on one line",
            ));
        }
    }
    if let Some(role) = patch.role.as_deref().and_then(|r| parse_role(errors, r)) {
        after.role = role;
    }
    if let Some(unit) = &patch.unit {
        after.unit = unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
    }
    if let Some(a) = patch.active {
        after.active = a;
    }
    if patch.unit.is_some() || patch.role.is_some() {
        check_unit(conn, errors, Some(after.role), after.unit.as_deref())?;
    }
    Ok(after)
}

/// Changes a user (admin): 422 for a wrong field, 409 when the last active administrator
/// would be lost; a new password or role ends the tokens signed before it.
pub fn update(conn: &mut Db, ctx: &Ctx, id: i64, patch: UserPatch) -> AppResult<User> {
    ctx.require_admin()?;
    let mut errors = Vec::new();
    if let Some(pw) = &patch.password {
        check_password(&mut errors, pw);
    }
    let new_hash = match &patch.password {
        Some(pw) if errors.is_empty() => Some(hash_password(pw)?),
        _ => None,
    };
    write_tx(conn, |conn| {
        let row = store::users::find(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no user {id}")))?;
        let before = User::from_row(&row)?;
        let after = patched(conn, &mut errors, &before, &patch)?;
        if !errors.is_empty() {
            return Err(AppError::Invalid(std::mem::take(&mut errors)));
        }
        let loses_admin = before.role == Role::Admin
            && before.active
            && (after.role != Role::Admin || !after.active);
        if loses_admin && active_admins(conn)? <= 1 {
            return Err(AppError::conflict(
                crate::error::Conflict::LastAdmin,
                "this is the last active administrator: make another user admin first",
            ));
        }
        let mut changes = user_changes(Some(&before), Some(&after));
        if new_hash.is_some() {
            diff(&mut changes, "password", "(previous)", "(changed)");
        }
        if changes.is_empty() {
            return Ok(after);
        }
        let fresh_tokens = new_hash.is_some() || after.role != before.role;
        store::users::update(
            conn,
            id,
            &UserChanges {
                name: after.name.clone(),
                role: after.role.as_str().to_owned(),
                unit: after.unit.clone(),
                password_hash: new_hash.clone().unwrap_or(row.password_hash.clone()),
                active: after.active,
                updated_at: ctx.now,
                token_version: row.token_version + i32::from(fresh_tokens),
            },
        )?;
        let action = if before.active && !after.active {
            "user.deactivated"
        } else {
            "user.updated"
        };
        ctx.record(
            conn,
            SYSTEM_STREAM,
            action,
            &subject(&before.email),
            changes,
        )?;
        Ok(after)
    })
}

/// Ends every token of user `id`: the caller's own (any user), or anyone's (admin).
pub fn end_sessions(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<()> {
    let me = ctx.caller().is_some_and(|c| c.id == id);
    if !me {
        ctx.require_admin()?;
    }
    write_tx(conn, |conn| {
        let row = store::users::find(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no user {id}")))?;
        store::users::end_tokens(conn, id, ctx.now)?;
        let mut changes = Changes::new();
        diff(
            &mut changes,
            "token_version",
            row.token_version,
            row.token_version + 1,
        );
        ctx.record(
            conn,
            SYSTEM_STREAM,
            "user.signed_out_everywhere",
            &subject(&row.email),
            changes,
        )
    })
}

/// The caller changes their own password: `current_ok` is the check of the current password
/// against the reservation's hash (made off the database turn, throttled as a login);
/// `new_hash` the new one's hash. Ends every token signed before; answers a fresh one.
pub fn change_own_password(
    conn: &mut Db,
    ctx: &Ctx,
    cfg: &crate::config::Config,
    reservation: &super::auth::Reservation,
    current_ok: bool,
    new_hash: &str,
) -> AppResult<super::auth::Token> {
    let me = ctx
        .caller()
        .ok_or_else(|| AppError::Unauthenticated("sign in first".into()))?
        .clone();
    if !current_ok {
        write_tx(conn, |conn| {
            super::auth::failed(
                conn,
                ctx,
                reservation,
                "user.password_change_failed",
                "wrong current password",
            )
        })?;
        return Err(AppError::Invalid(vec![FieldError::new(
            "current_password",
            "is not your current password",
        )]));
    }
    let version = write_tx(conn, |conn| {
        super::auth::release(conn, ctx, cfg, reservation)?;
        if !store::users::set_password(conn, me.id, &reservation.hash, new_hash, ctx.now)? {
            return Err(AppError::conflict(
                crate::error::Conflict::ChangedMeanwhile,
                "the password changed meanwhile: sign in again",
            ));
        }
        let row = store::users::find(conn, me.id)?
            .ok_or_else(|| AppError::NotFound("no such user".into()))?;
        let mut changes = Changes::new();
        diff(&mut changes, "password", "(previous)", "(changed)");
        ctx.record(
            conn,
            SYSTEM_STREAM,
            "user.password_changed",
            &subject(&me.email),
            changes,
        )?;
        Ok(row.token_version)
    })?;
    super::auth::issue_token(
        cfg,
        super::auth::TokenUser { id: me.id, version },
        ctx.now / 1_000_000,
    )
}

pub fn delete(conn: &mut Db, ctx: &Ctx, id: i64) -> AppResult<()> {
    ctx.require_admin()?;
    write_tx(conn, |conn| {
        let row = store::users::find(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("no user {id}")))?;
        if store::users::has_acted(conn, &row.email)? {
            return Err(AppError::conflict(
                crate::error::Conflict::InUse,
                format!(
                "user {} appears in the audit trail; deactivate it with PATCH {{\"active\": false}} instead",
                row.email
            )));
        }
        let user = User::from_row(&row)?;
        if user.role == Role::Admin && user.active && active_admins(conn)? <= 1 {
            return Err(AppError::conflict(
                crate::error::Conflict::LastAdmin,
                "this is the last active administrator",
            ));
        }
        store::users::delete(conn, id)?;
        ctx.record(
            conn,
            SYSTEM_STREAM,
            "user.deleted",
            &subject(&row.email),
            user_changes(Some(&user), None),
        )
    })
}
