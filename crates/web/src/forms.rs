//! Small helpers shared by form handlers.

use std::fmt::Display;
use std::str::FromStr;

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

/// `#[serde(default, deserialize_with = "crate::forms::empty_as_none")]` on an optional field
/// of a form or query: an empty (or blank) value is `None`, as when the field is left out. A
/// "who" picker's "Any available" choice sends `staff=`, which a plain `Option<i64>` refuses.
pub fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text: Option<String> = serde::Deserialize::deserialize(deserializer)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
    }
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Picker {
        #[serde(default, deserialize_with = "super::empty_as_none")]
        staff: Option<i64>,
    }

    fn read(query: &str) -> Result<Option<i64>, serde_urlencoded::de::Error> {
        serde_urlencoded::from_str::<Picker>(query).map(|p| p.staff)
    }

    #[test]
    fn an_empty_choice_means_any() {
        assert_eq!(read("staff=").unwrap(), None);
        assert_eq!(read("staff=+").unwrap(), None);
        assert_eq!(read("").unwrap(), None);
        assert_eq!(read("staff=7").unwrap(), Some(7));
        assert!(read("staff=seven").is_err());
    }
}
