//! The password steps every face shares (the API's token and password change, the console's
//! login and password form): the attempt is reserved — counted against the throttle — before
//! the password is checked, the check runs on the bounded hashing pool with no database turn
//! held, and the caller settles the outcome in a last turn.

use super::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::service::auth::{self, Reservation, Token};
use crate::service::users::{self, verify_password};
use crate::service::Ctx;

impl AppState {
    /// Reserves an attempt for `email` from `address` and checks `password`: the reservation
    /// to settle, and whether the password matched.
    pub async fn check_sign_in(
        &self,
        ctx: &Ctx,
        email: &str,
        address: String,
        password: String,
    ) -> AppResult<(Reservation, bool)> {
        let (cfg, c, email) = (self.cfg.clone(), ctx.clone(), email.to_owned());
        let reservation = self
            .db(move |conn| auth::reserve(conn, &c, &cfg, &email, &address))
            .await?;
        let hash = reservation.hash.clone();
        let ok = self
            .hash_work(move || verify_password(&password, &hash))
            .await?;
        Ok((reservation, ok))
    }

    /// Changes the caller's own password: both fields checked (each named), a wrong current
    /// password counted as a failed login; every token and session of the user ends, and the
    /// answer is a fresh token.
    pub async fn change_own_password(
        &self,
        ctx: Ctx,
        address: String,
        current: String,
        new: String,
    ) -> AppResult<Token> {
        let mut errors = Vec::new();
        if current.len() > auth::MAX_PASSWORD {
            errors.push(FieldError::new(
                "current_password",
                format!("must be at most {} bytes", auth::MAX_PASSWORD),
            ));
        }
        users::check_new_password(&mut errors, "new_password", &new);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let email = ctx
            .caller()
            .map(|c| c.email.clone())
            .ok_or_else(|| AppError::Unauthenticated("sign in first".into()))?;
        let (cfg, c) = (self.cfg.clone(), ctx.clone());
        let reservation = self
            .db(move |conn| auth::reserve(conn, &c, &cfg, &email, &address))
            .await?;
        let hash = reservation.hash.clone();
        let (ok, new_hash) = self
            .hash_work(move || {
                let ok = verify_password(&current, &hash);
                (ok, ok.then(|| users::hash_password(&new)))
            })
            .await?;
        let new_hash = new_hash.transpose()?.unwrap_or_default();
        let cfg = self.cfg.clone();
        self.db(move |conn| {
            users::change_own_password(conn, &ctx, &cfg, &reservation, ok, &new_hash)
        })
        .await
    }
}
