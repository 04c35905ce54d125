//! Small helpers shared by form handlers.

use axum::response::{IntoResponse, Redirect, Response};
use portico_domain::{TenantId, UserId};
use portico_store::audit;

use crate::auth::Viewer;
use crate::error::FieldErrors;
use crate::{AppState, Error};

/// 303 See Other to `to`: the answer to a successful form post.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A `next` parameter is followed only if it is a path on this site.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\'))
        .then(|| next.to_owned())
}

/// Collects field errors while validating a form.
#[derive(Debug, Default)]
pub struct Check {
    pub errors: FieldErrors,
}

impl Check {
    /// Keeps the value if `result` is Ok, records the message under `field` otherwise.
    pub fn field<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.entry(field.to_owned()).or_insert_with(|| error.to_string());
                None
            }
        }
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.entry(field.to_owned()).or_insert_with(|| message.into());
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

impl AppState {
    /// Writes an audit-log entry for `viewer`'s action.
    pub async fn audit(
        &self,
        viewer: &Viewer,
        tenant: Option<TenantId>,
        actor: Option<UserId>,
        action: &str,
        detail: impl Into<String>,
    ) -> Result<(), Error> {
        let entry =
            audit::Entry { tenant, actor, action, detail: detail.into(), ip: &viewer.ip_string() };
        audit::record(&self.db, &entry, self.clock.now_ts()).await?;
        Ok(())
    }

    /// Writes an audit-log entry for `viewer`'s action and the job it causes (e.g. the
    /// invitation email) in one transaction: the job exists if and only if the action does.
    pub async fn audit_with_job<J: portico_jobs::Job>(
        &self,
        viewer: &Viewer,
        tenant: Option<TenantId>,
        actor: Option<UserId>,
        action: &str,
        detail: impl Into<String>,
        job: &J,
    ) -> Result<(), Error> {
        let entry =
            audit::Entry { tenant, actor, action, detail: detail.into(), ip: &viewer.ip_string() };
        let now = self.clock.now_ts();
        let mut tx = self.db.begin().await?;
        audit::record_in(&mut tx, &entry, now).await?;
        portico_jobs::enqueue(&mut tx, job, now).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        Ok(())
    }
}
