//! The error every service function returns. The domain and services speak in these kinds;
//! `http::problem` is the only place that maps them to HTTP statuses and problem types, and
//! the CLI prints them. Infrastructure failures travel as `Internal` with an `anyhow` chain.

/// One invalid field of a request body or query.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, dotted for nested keys (`location.lat`).
    pub field: String,
    pub message: String,
    /// The accepted values, where there is such a list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid: Option<Vec<String>>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
            valid: None,
        }
    }

    pub fn with_valid(mut self, valid: Vec<String>) -> Self {
        self.valid = Some(valid);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        allowed_actions: Option<Vec<String>>,
    },
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("invalid values")]
    Validation(Vec<FieldError>),
    #[error("too many requests; retry after {retry_after_secs}s")]
    TooManyRequests {
        retry_after_secs: u64,
        detail: String,
    },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn conflict(detail: impl Into<String>) -> Self {
        AppError::Conflict {
            detail: detail.into(),
            allowed_actions: None,
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                AppError::Unavailable(format!(
                    "the database connection closed: {}",
                    info.message()
                ))
            }
            Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
                AppError::Unavailable(format!("the database is unreachable: {}", info.message()))
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<r2d2_error::PoolError> for AppError {
    fn from(e: r2d2_error::PoolError) -> Self {
        AppError::Unavailable(format!("no database connection: {e}"))
    }
}

/// The pool's error type, named once here.
pub mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}
