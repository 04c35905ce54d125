//! The one error of the store, and the mapping of named constraints to conflicts.
//!
//! A write that breaks a unique or foreign-key constraint is only a conflict when the caller
//! says which constraint it expects ([`ResultExt::on_constraint`]); any other database error
//! stays [`StoreError::Other`] (a 500), so an unexpected violation is never mistaken for a
//! user's mistake. A stored value that no longer decodes is [`StoreError::Corrupt`], naming its
//! column, instead of a silent default.

use sqlx::error::{DatabaseError, ErrorKind};

/// Why a store call did not give its answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row the call works on does not exist (at this tenant).
    #[error("not found")]
    NotFound,
    /// The write broke the named constraint, e.g. a concurrent rename took the code first.
    #[error("the write conflicts with existing data ({constraint})")]
    Conflict { constraint: &'static str },
    /// Saving would make more active staff than the plan allows (`0` = the limit).
    #[error("the staff limit of {0} is reached")]
    StaffLimit(usize),
    /// A stored value that does not decode: `column` is `table.column`.
    #[error("corrupt value {value:?} in {column}")]
    Corrupt { column: &'static str, value: String },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Other(error.into())
    }
}

impl StoreError {
    /// A corrupt value of `column`.
    pub fn corrupt(column: &'static str, value: impl ToString) -> Self {
        Self::Corrupt { column, value: value.to_string() }
    }
}

/// The constraints the store maps to conflicts: their PostgreSQL names (the defaults
/// PostgreSQL gives, e.g. `<table>_<columns>_key`), and what SQLite says instead. SQLite
/// reports a unique violation as `UNIQUE constraint failed: services.tenant_id, services.code`
/// and a foreign-key violation without saying which, so each name maps to its columns.
pub mod constraints {
    /// A service code is unique per tenant.
    pub const SERVICE_CODE: &str = "services_tenant_id_code_key";
    /// A staff member's service link points at an existing service.
    pub const STAFF_SERVICE: &str = "staff_services_service_id_fkey";

    /// How SQLite identifies a constraint.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Sqlite {
        /// A unique index or primary key over these `table.column`s, in SQLite's order.
        Unique(&'static str),
        /// A foreign key: SQLite names neither it nor its table, so any foreign-key violation
        /// of the statement matches. Only map one per statement.
        ForeignKey,
    }

    /// Every mapped constraint (a test checks them against both schemas).
    pub const ALL: &[(&str, Sqlite)] = &[
        (SERVICE_CODE, Sqlite::Unique("services.tenant_id, services.code")),
        (STAFF_SERVICE, Sqlite::ForeignKey),
    ];

    /// SQLite's view of a mapped constraint.
    pub fn sqlite(name: &str) -> Option<Sqlite> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }
}

/// Whether `error` is a violation of the constraint called `name`, on either backend.
pub fn violates(error: &sqlx::Error, name: &str) -> bool {
    error.as_database_error().is_some_and(|e| database_error_violates(e, name))
}

fn database_error_violates(error: &dyn DatabaseError, name: &str) -> bool {
    if let Some(reported) = error.constraint() {
        // PostgreSQL names the constraint.
        return reported == name;
    }
    match (error.kind(), constraints::sqlite(name)) {
        (ErrorKind::UniqueViolation, Some(constraints::Sqlite::Unique(columns))) => error
            .message()
            .strip_prefix("UNIQUE constraint failed: ")
            .is_some_and(|failed| failed == columns),
        (ErrorKind::ForeignKeyViolation, Some(constraints::Sqlite::ForeignKey)) => true,
        _ => false,
    }
}

/// Maps the violation of one named constraint to the caller's error (realworld-axum-sqlx
/// style): `query.execute(..).await.on_constraint(SERVICE_CODE, |_| …)?`.
pub trait ResultExt<T> {
    /// If the error is a violation of `name`, `map` makes the answer; any other error becomes
    /// [`StoreError::Other`].
    fn on_constraint(
        self,
        name: &'static str,
        map: impl FnOnce(&dyn DatabaseError) -> StoreError,
    ) -> Result<T, StoreError>;

    /// [`on_constraint`](Self::on_constraint) with [`StoreError::Conflict`] naming it.
    fn conflict_on(self, name: &'static str) -> Result<T, StoreError>
    where
        Self: Sized,
    {
        self.on_constraint(name, |_| StoreError::Conflict { constraint: name })
    }
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_constraint(
        self,
        name: &'static str,
        map: impl FnOnce(&dyn DatabaseError) -> StoreError,
    ) -> Result<T, StoreError> {
        self.map_err(|error| match error.as_database_error() {
            Some(database) if database_error_violates(database, name) => map(database),
            _ => error.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_constraint_has_a_sqlite_identity() {
        for (name, _) in constraints::ALL {
            assert!(constraints::sqlite(name).is_some(), "{name}");
        }
        assert_eq!(constraints::sqlite("nope"), None);
    }

    #[test]
    fn corrupt_names_the_column_and_value() {
        let error = StoreError::corrupt("tenants.plan", "gold");
        assert_eq!(error.to_string(), "corrupt value \"gold\" in tenants.plan");
    }
}
