//! Refusals that only the write itself can decide, under its lock.

/// Why a catalog write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Another service of the tenant has this code (a concurrent rename won).
    #[error("that code is taken")]
    CodeTaken,
    /// Saving would make more active staff than the plan allows (`0` = the limit).
    #[error("the staff limit of {0} is reached")]
    StaffLimit(usize),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for WriteError {
    fn from(error: sqlx::Error) -> Self {
        let unique = error.as_database_error().is_some_and(|e| e.is_unique_violation());
        if unique { Self::CodeTaken } else { Self::Other(error.into()) }
    }
}
