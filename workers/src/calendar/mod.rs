//! Google Calendar jobs (PRO): [`sync`] makes Google match one booking; [`work`] backfills a
//! new connection and, periodically, refreshes busy times and repairs drift.
//!
//! [`Session`] is one connection's access to Google: it opens the sealed tokens, refreshes the
//! access token when it has expired or Google answers 401, and on `invalid_grant` disconnects
//! the connection at once and emails the person once (no retry storm).

pub mod sync;
pub mod work;

use std::time::Duration;

use portico_domain::Instant;
use portico_integrations::google::{Google, GoogleError};
use portico_store::calendar::{self, Connection};
use portico_store::sealed::{self, SecretKind};
use portico_store::{tenants, users};
use serde_json::json;

use crate::{Deps, JobError};

/// The access token is refreshed this long before Google's expiry.
const EXPIRY_MARGIN_SECS: i64 = 60;
/// The longest `Retry-After` honoured (a longer one is read as this).
const MAX_HOLD_SECS: u64 = 3600;

/// Why a calendar call did not happen.
#[derive(Debug)]
pub(crate) enum CallError {
    /// The connection is (now) disconnected: nothing more to do until the person reconnects.
    Disconnected,
    /// Google asked for no calls for this many more seconds (`Retry-After`): none was made.
    Held(u64),
    Google(GoogleError),
    Job(JobError),
}

impl From<GoogleError> for CallError {
    fn from(error: GoogleError) -> Self {
        Self::Google(error)
    }
}

impl From<anyhow::Error> for CallError {
    fn from(error: anyhow::Error) -> Self {
        Self::Job(JobError::Transient(error))
    }
}

/// What the calendar page says about a failure.
pub(crate) fn in_words(error: &GoogleError) -> String {
    match error {
        GoogleError::RateLimited { .. } => {
            "Google asked us to slow down; the sync will be retried shortly.".to_owned()
        }
        GoogleError::Unavailable { status, .. } => {
            format!("Google was unavailable (HTTP {status}); the sync will be retried shortly.")
        }
        GoogleError::Network(_) => {
            "Google could not be reached; the sync will be retried shortly.".to_owned()
        }
        GoogleError::Refused { message, .. } => format!("Google refused a change: {message}"),
        other => other.to_string(),
    }
}

/// One connection's authorized access to Google.
pub(crate) struct Session<'a> {
    pub deps: &'a Deps,
    pub google: &'a Google,
    pub connection: Connection,
    access: Option<String>,
}

impl<'a> Session<'a> {
    pub fn new(deps: &'a Deps, google: &'a Google, connection: Connection) -> Self {
        Self { deps, google, connection, access: None }
    }

    fn slot(&self, kind: SecretKind) -> sealed::Slot {
        calendar::token_slot(kind, self.connection.id)
    }

    /// A working access token: the sealed one while it is valid, else a fresh one.
    pub async fn access(&mut self) -> Result<String, CallError> {
        if let Some(token) = &self.access {
            return Ok(token.clone());
        }
        let now = self.deps.clock.now_ts();
        if self.connection.access_expires_at.unix() > now + EXPIRY_MARGIN_SECS {
            let slot = self.slot(SecretKind::GoogleAccessToken);
            let stored =
                sealed::get(&self.deps.db, &self.deps.keyring, self.connection.tenant_id, slot)
                    .await;
            if let Ok(Some(token)) = stored {
                self.access = Some(token.to_string());
                return Ok(token.to_string());
            }
        }
        self.refresh().await
    }

    /// Exchanges the refresh token for a new access token and seals it.
    async fn refresh(&mut self) -> Result<String, CallError> {
        let tenant = self.connection.tenant_id;
        let slot = self.slot(SecretKind::GoogleRefreshToken);
        let refresh = match sealed::get(&self.deps.db, &self.deps.keyring, tenant, slot).await {
            Ok(Some(token)) => token,
            Ok(None) => return Err(self.lose("Portico holds no token for this calendar.").await),
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "calendar token does not open");
                return Err(self.lose("The stored Google token could not be opened.").await);
            }
        };
        match self.google.refresh(&refresh).await {
            Ok(tokens) => {
                let now = self.deps.clock.now_ts();
                let expires = now + tokens.expires_in;
                let expires_at = Instant::from_unix(expires)
                    .ok_or_else(|| anyhow::anyhow!("token expiry {expires} is no date"))?;
                let mut tx = self.deps.db.begin_write().await?;
                let slot = self.slot(SecretKind::GoogleAccessToken);
                sealed::put(&mut tx, &self.deps.keyring, tenant, slot, &tokens.access_token, now)
                    .await?;
                calendar::set_access_expiry(&mut tx, tenant, self.connection.id, expires).await?;
                tx.commit().await.map_err(anyhow::Error::from)?;
                self.connection.access_expires_at = expires_at;
                self.access = Some(tokens.access_token.clone());
                Ok(tokens.access_token)
            }
            Err(GoogleError::InvalidGrant(_)) => Err(self
                .lose("Google access was revoked or has expired. Reconnect to resume the sync.")
                .await),
            Err(error) => Err(CallError::Google(error)),
        }
    }

    /// Runs `call` with a valid access token; on 401 refreshes once and tries again. While
    /// Google's `Retry-After` runs, calls nobody.
    pub async fn call<T, F, Fut>(&mut self, call: F) -> Result<T, CallError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, GoogleError>>,
    {
        let now = self.deps.clock.now_ts();
        if let Some(until) =
            self.connection.hold_until.map(Instant::unix).filter(|until| *until > now)
        {
            return Err(CallError::Held(until.abs_diff(now)));
        }
        let token = self.access().await?;
        match call(token).await {
            Err(GoogleError::Unauthorized) => {
                self.access = None;
                let token = self.refresh().await?;
                Ok(call(token).await?)
            }
            other => Ok(other?),
        }
    }

    /// The grant is gone: disconnect now (tokens deleted), tell the person once.
    async fn lose(&self, reason: &str) -> CallError {
        match disconnect_and_notify(self.deps, &self.connection, reason).await {
            Ok(()) => CallError::Disconnected,
            Err(error) => CallError::Job(error),
        }
    }
}

/// Marks the connection disconnected with `reason`, deletes its tokens, and emails the person
/// once (claimed in the connection row, given back if sending fails so a retry sends it).
pub(crate) async fn disconnect_and_notify(
    deps: &Deps,
    connection: &Connection,
    reason: &str,
) -> Result<(), JobError> {
    let (tenant_id, id) = (connection.tenant_id, connection.id);
    let now = deps.clock.now_ts();
    let mut tx = portico_store::versions::begin(&deps.db, tenant_id).await?;
    calendar::disconnect(&mut tx, tenant_id, id, reason, now).await?;
    for kind in [SecretKind::GoogleRefreshToken, SecretKind::GoogleAccessToken] {
        sealed::delete(&mut tx, tenant_id, calendar::token_slot(kind, id)).await?;
    }
    tx.commit().await?;
    tracing::warn!(tenant = %tenant_id, connection = id.get(), reason, "calendar disconnected");

    if !calendar::claim_disconnect_notice(&deps.db, tenant_id, id, now).await? {
        return Ok(());
    }
    let sent = async {
        let tenant = tenants::by_id(&deps.db, tenant_id.get()).await?;
        let user = users::by_id(&deps.db, connection.user_id.get()).await?;
        let (Some(tenant), Some(user)) = (tenant, user) else { return Ok(()) };
        let context = json!({
            "name": user.name,
            "tenant": tenant.name,
            "account": connection.google_account,
            "reason": reason,
            "link": deps.absolute(&format!("/app/{}/calendar", tenant.slug)),
        });
        let mail = deps.render_email("calendar_disconnected", &user.email, &context)?;
        deps.mailer.send(&mail).await?;
        Ok::<(), JobError>(())
    }
    .await;
    if sent.is_err() {
        calendar::release_disconnect_notice(&deps.db, tenant_id, id).await?;
    }
    sent
}

/// Turns a failed call into the job's outcome, recording the error where the page shows it.
pub(crate) async fn settle(
    deps: &Deps,
    connection: &Connection,
    error: CallError,
) -> Result<(), JobError> {
    let (tenant, id) = (connection.tenant_id, connection.id);
    match error {
        CallError::Disconnected => Ok(()),
        CallError::Job(error) => Err(error),
        CallError::Held(secs) => Err(JobError::RetryAfter(
            Duration::from_secs(secs),
            anyhow::anyhow!("Google asked for no calls for {secs} more seconds"),
        )),
        CallError::Google(error) => {
            calendar::record_error(&deps.db, tenant, id, &in_words(&error)).await?;
            if let Some(wait) = error.retry_after() {
                let secs = wait.as_secs().clamp(1, MAX_HOLD_SECS);
                let until = deps.clock.now_ts().saturating_add_unsigned(secs);
                calendar::hold(&deps.db, tenant, id, until).await?;
                Err(JobError::RetryAfter(Duration::from_secs(secs), error.into()))
            } else if error.is_transient() {
                Err(JobError::Transient(error.into()))
            } else {
                Err(JobError::Permanent(error.into()))
            }
        }
    }
}
