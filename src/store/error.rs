//! How the database's failures become the use cases' errors: a lost or unreachable database
//! is `Unavailable` (503, retry), everything else `Internal` with its chain. The only place
//! outside the SQL that knows diesel's and the pool's error types.

use crate::error::AppError;

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

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(format!("no database connection: {e}"))
    }
}
