//! Request helpers: the signed-in caller, JSON bodies parsed after the access checks, the
//! client's address, and cursor pagination.

use super::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::service::auth::TokenUser;
use crate::service::{Actor, Caller, Ctx};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// The user of a valid bearer token (`Authorization: Bearer …`), checked without reading
/// the database.
fn bearer(req: &HttpRequest) -> AppResult<TokenUser> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| anyhow::anyhow!("application state missing"))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            AppError::Unauthenticated("send a bearer token from POST /api/v1/auth/token".into())
        })?;
    crate::service::auth::check_token(&state.cfg, token)
}

/// The first query parameter given more than once, if any (`?limit=5&limit=`): such a query is
/// refused (422), never read as whichever value came last.
pub fn repeated_param(req: &HttpRequest) -> Option<String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    pairs
        .into_iter()
        .map(|(k, _)| k)
        .find(|k| !seen.insert(k.clone()))
}

/// Refuses a query that repeats a parameter (see [`repeated_param`]).
pub fn no_repeats(req: &HttpRequest) -> AppResult<()> {
    match repeated_param(req) {
        Some(k) => Err(AppError::invalid(
            k,
            "is given more than once: give it once (several values are comma-separated)",
        )),
        None => Ok(()),
    }
}

/// A list filtered by `state` (comma-separated) with `limit` and `cursor`: refuses any other
/// parameter; answers the limit, the position after the cursor, and the states.
pub fn state_page(q: &BTreeMap<String, String>) -> AppResult<(i64, Option<i64>, Vec<String>)> {
    if let Some(k) = q
        .keys()
        .find(|k| !["state", "limit", "cursor"].contains(&k.as_str()))
    {
        return Err(AppError::invalid(k.clone(), "is not a filter of this list"));
    }
    let (limit, before) = PageQuery {
        limit: q.get("limit").cloned(),
        cursor: q.get("cursor").cloned(),
    }
    .parse::<i64>()?;
    let states = q
        .get("state")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok((limit, before, states))
}

/// The caller behind a valid bearer token, loaded fresh (a deactivated user is refused at once).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Caller);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let checked = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let user_id = checked?;
            let state = state.ok_or_else(|| anyhow::anyhow!("application state missing"))?;
            let caller = state
                .db(move |conn| crate::service::auth::caller(conn, user_id))
                .await?;
            Ok(CurrentUser(caller))
        })
    }
}

/// The user of a valid bearer token, not loaded yet: [`AppState::db_json_as`] loads the caller
/// (refusing a deactivated one) in the same database task as the use case — one turn at the
/// database instead of two, for the lists and queues.
#[derive(Debug, Clone, Copy)]
pub struct Bearer(TokenUser);

impl FromRequest for Bearer {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(bearer(req).map(Bearer))
    }
}

impl AppState {
    /// Runs `f` as the bearer's user, loaded in the same database task, and writes its answer
    /// as JSON there (see [`AppState::db_json`]).
    pub async fn db_json_as<T, F>(
        &self,
        req: &HttpRequest,
        who: Bearer,
        f: F,
    ) -> AppResult<web::Bytes>
    where
        T: Serialize,
        F: FnOnce(&mut crate::store::Db, &Ctx) -> AppResult<T> + Send + 'static,
    {
        self.db_as(req, who, move |conn, ctx| super::json_body(&f(conn, ctx)?))
            .await
    }

    /// Runs `f` as the bearer's user, loaded in the same database task, and answers what it
    /// made (a body written by the use case itself).
    pub async fn db_as<T, F>(&self, req: &HttpRequest, who: Bearer, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::store::Db, &Ctx) -> AppResult<T> + Send + 'static,
    {
        self.db_for(req, who, move |conn, ctx, user| {
            ctx.actor = Actor::User(crate::service::auth::caller(conn, user)?);
            f(conn, ctx)
        })
        .await
    }

    /// Runs `f` with the bearer's checked token and a context whose actor `f` sets once it has
    /// read and checked the token's user itself (in the same statement as what it reads, see
    /// `store::with_user`).
    pub async fn db_for<T, F>(&self, req: &HttpRequest, who: Bearer, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::store::Db, &mut Ctx, TokenUser) -> AppResult<T> + Send + 'static,
    {
        let mut ctx = self.ctx(req, Actor::System);
        self.db(move |conn| f(conn, &mut ctx, who.0)).await
    }

    /// [`AppState::db_for`] for a short read (the triage page: one statement bounded by an
    /// index and a limit): on the HTTP worker's own thread when it can be (see
    /// [`AppState::db_read`]).
    pub async fn db_read_for<T, F>(&self, req: &HttpRequest, who: Bearer, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::store::Db, &mut Ctx, TokenUser) -> AppResult<T>
            + Clone
            + Send
            + 'static,
    {
        let ctx = self.ctx(req, Actor::System);
        self.db_read(move |conn| {
            let mut ctx = ctx;
            f(conn, &mut ctx, who.0)
        })
        .await
    }

    /// The context of a use case run by `actor` for this request.
    pub fn ctx(&self, req: &HttpRequest, actor: Actor) -> Ctx {
        let ids = req
            .extensions()
            .get::<super::request_id::RequestId>()
            .cloned();
        Ctx {
            actor,
            now: crate::service::micros(self.clock.now()),
            request_id: ids.as_ref().map(|r| r.server.clone()),
            client_request_id: ids.and_then(|r| r.client),
            sla: self.cfg.sla.clone(),
        }
    }

    /// The context of a use case run by the signed-in caller.
    pub fn user_ctx(&self, req: &HttpRequest, user: &CurrentUser) -> Ctx {
        self.ctx(req, Actor::User(user.0.clone()))
    }

    /// The client's address: the peer, or the nearest address in `X-Forwarded-For` not of a
    /// trusted proxy when the peer is one.
    pub fn client_address(&self, req: &HttpRequest) -> String {
        let peer = req.peer_addr().map(|a| a.ip());
        let trusted = |ip: &std::net::IpAddr| self.cfg.trusted_proxies.contains(ip);
        match peer {
            Some(p) if trusted(&p) => req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.rsplit(',')
                        .filter_map(|s| s.trim().parse::<std::net::IpAddr>().ok())
                        .find(|ip| !trusted(ip))
                })
                .unwrap_or(p)
                .to_string(),
            Some(p) => p.to_string(),
            None => "unknown".to_owned(),
        }
    }
}

/// The backticked name in a serde message ("missing field `code`").
fn quoted_name(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg.get(start..)?.find('`')?;
    msg.get(start..start + len).map(str::to_owned)
}

/// Parses a JSON body: 415 unless the content type is JSON, 400 when it is not JSON at all,
/// 422 naming the field when it has the wrong shape.
pub fn json_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> AppResult<T> {
    let ct = req.content_type().to_ascii_lowercase();
    if ct != "application/json" && ct != "application/merge-patch+json" {
        return Err(AppError::NotJson(format!(
            "send the body as application/json (got `{}`)",
            if ct.is_empty() { "nothing" } else { &ct }
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::Malformed(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(AppError::invalid(
            "(body)",
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        let name = quoted_name(&msg);
        // serde names an unknown field in the path itself, a missing one only in the message.
        let field = match (path.as_str(), msg.starts_with("missing field")) {
            ("." | "", _) => name.clone().unwrap_or_else(|| "(body)".into()),
            (p, true) => name.map_or_else(|| p.to_owned(), |n| format!("{p}.{n}")),
            (p, false) => p.to_owned(),
        };
        let message = if msg.starts_with("unknown field") {
            "is not a field of this request".to_owned()
        } else if msg.starts_with("missing field") {
            "is required".to_owned()
        } else {
            msg.split(" at line").next().unwrap_or(&msg).to_owned()
        };
        AppError::Invalid(vec![FieldError::new(field, message)])
    })
}

/// `limit` and `cursor` of a list request.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (default 50, also when empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl PageQuery {
    /// The limit (validated) and the decoded cursor position.
    pub fn parse<K: DeserializeOwned>(&self) -> AppResult<(i64, Option<K>)> {
        let limit = match self.limit.as_deref() {
            None | Some("") => crate::store::limit::DEFAULT_PAGE,
            Some(t) => match t.parse::<i64>() {
                Ok(n) if (1..=200).contains(&n) => n,
                _ => {
                    return Err(AppError::Invalid(vec![FieldError::new(
                        "limit",
                        format!("`{t}` is not a whole number from 1 to 200"),
                    )]))
                }
            },
        };
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .ok_or_else(|| {
                        AppError::invalid("cursor", "is not a cursor from a previous page")
                    })?,
            ),
        };
        Ok((limit, after))
    }
}

/// The cursor of a page that ends at `key`.
pub fn cursor<K: Serialize>(key: &K) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Builds a page from up to `limit + 1` fetched items.
pub fn page<T, K: Serialize>(mut items: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| cursor(&key(last)))
    } else {
        None
    };
    Page { items, next_cursor }
}
