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

    #[must_use]
    pub fn with_valid(mut self, valid: Vec<String>) -> Self {
        self.valid = Some(valid);
        self
    }
}

/// Why a change conflicts with what is stored (all answer 409, each with its own problem type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A unit code or a user's email that is already taken.
    AlreadyExists,
    /// A unit or user that others refer to: deactivate instead of deleting.
    InUse,
    /// The change would leave no active administrator.
    LastAdmin,
    /// The same `Idempotency-Key` is being served right now.
    InProgress,
    /// What the change was based on changed meanwhile (e.g. a password).
    ChangedMeanwhile,
}

impl Conflict {
    /// Its stable name: the last part of its problem type.
    pub fn name(self) -> &'static str {
        match self {
            Conflict::AlreadyExists => "already-exists",
            Conflict::InUse => "in-use",
            Conflict::LastAdmin => "last-admin",
            Conflict::InProgress => "in-progress",
            Conflict::ChangedMeanwhile => "changed-meanwhile",
        }
    }
}

/// What went wrong, by cause. Adapters decide how to say it (HTTP: a status and a problem type
/// each, docs/API.md; the CLI: a message and exit code).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request could not be read at all (malformed JSON or header).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// No valid credentials.
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such thing, or one the caller may not see.
    #[error("not found: {0}")]
    NotFound(String),
    /// The thing's state does not allow the change; `allowed_actions` lists what it does allow.
    #[error("wrong state: {detail}")]
    WrongState {
        detail: String,
        allowed_actions: Option<Vec<String>>,
    },
    /// The change conflicts with what is stored.
    #[error("conflict ({}): {detail}", cause.name())]
    Conflict { cause: Conflict, detail: String },
    /// The caller's version (`If-Match`) is not the current one.
    #[error("stale version: {0}")]
    StaleVersion(String),
    /// A body (or a file in it) larger than a configured limit, named in the detail.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A body that is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// Fields with invalid values, each named with its valid values.
    #[error("invalid values")]
    Invalid(Vec<FieldError>),
    /// Too many attempts; try again after the given time.
    #[error("throttled; retry after {retry_after_secs}s")]
    Throttled {
        retry_after_secs: u64,
        detail: String,
    },
    /// The database is away.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an infrastructure failure, with its chain.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn conflict(cause: Conflict, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            cause,
            detail: detail.into(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}
