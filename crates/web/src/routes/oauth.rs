//! `GET /oauth/google/callback`: Google sends the person back here with `code` and `state`.
//! The state must be the one this session started (single use: it is removed on the first
//! answer, whatever it is), for the same login, and still fresh; then the code is exchanged
//! with the PKCE verifier kept server-side in the session, and the tokens are sealed.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use portico_domain::plans::{Feature, allows};
use portico_integrations::google::GoogleError;
use portico_jobs::CalendarWork;
use portico_store::calendar;
use portico_store::sealed::{self, SecretKind};
use portico_store::{audit, tenants};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Viewer;
use crate::chrome::flash;
use crate::csrf::session_error;
use crate::forms::see_other;
use crate::{AppState, Error};

/// Session key of the connection in progress.
pub(crate) const PENDING: &str = "google_oauth";

/// A connection in progress, kept in the session (never sent to the browser).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub state: String,
    pub verifier: String,
    pub tenant_id: i64,
    pub user_id: i64,
    pub expires_at: i64,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/oauth/google/callback", get(callback))
}

/// `{public_url}/oauth/google/callback`, as registered with Google.
pub(crate) fn redirect_uri(state: &AppState) -> String {
    format!("{}/oauth/google/callback", state.config.public_url.as_str().trim_end_matches('/'))
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: Option<String>,
}

fn refused() -> Error {
    Error::BadRequest {
        code: "oauth_state",
        message: "This Google sign-in answer is not for this session, or was already used. \
                  Start again from the calendar page."
            .into(),
    }
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn callback(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, Error> {
    let user = viewer.require_user()?.clone();
    let pending: Option<Pending> = viewer.session.remove(PENDING).await.map_err(session_error)?;
    let now = state.clock.now_ts();
    let pending = pending
        .filter(|p| {
            same(&p.state, &query.state) && p.user_id == user.id.get() && p.expires_at > now
        })
        .ok_or_else(refused)?;
    let tenant = tenants::by_id(&state.db, pending.tenant_id)
        .await?
        .filter(|t| allows(t.effective_plan(state.clock.now()), Feature::GoogleCalendar))
        .ok_or(Error::NotFound)?;
    tenants::role_of(&state.db, tenant.id, user.id).await?.ok_or(Error::NotFound)?;
    let page = format!("/app/{}/calendar", tenant.slug);
    let google = state.google.as_ref().ok_or(Error::NotFound)?;
    if query.error.is_some() || query.code.is_empty() {
        flash(
            &viewer.session,
            "error",
            "Google Calendar was not connected: access was not granted.",
        )
        .await?;
        return Ok(see_other(&page));
    }

    let failed = |error: GoogleError| {
        tracing::warn!(error = %error, "Google Calendar connection failed");
        Error::BadRequest {
            code: "google_refused",
            message: "Google did not complete the connection. Please try again.".into(),
        }
    };
    let tokens = google
        .exchange_code(&query.code, &pending.verifier, &redirect_uri(&state))
        .await
        .map_err(failed)?;
    let refresh = tokens.refresh_token.clone().ok_or_else(|| Error::BadRequest {
        code: "google_refused",
        message: "Google sent no offline access. Please try again.".into(),
    })?;
    let list = google.calendar_list(&tokens.access_token).await.map_err(failed)?;
    let account = list.iter().find(|c| c.primary).map(|c| c.id.clone()).unwrap_or_default();
    let calendars: Vec<_> = list
        .iter()
        .filter(|c| matches!(c.access_role.as_str(), "owner" | "writer"))
        .map(|c| json!({ "id": if c.primary { "primary" } else { c.id.as_str() }, "summary": c.summary }))
        .collect();
    let calendars = serde_json::to_string(&calendars).map_err(anyhow::Error::from)?;

    let mut tx = portico_store::versions::begin(&state.db, tenant.id).await?;
    let id = calendar::connect(&mut tx, tenant.id, user.id, &account, &calendars, now).await?;
    let ring = &state.keyring;
    let slot = calendar::token_slot(SecretKind::GoogleRefreshToken, id);
    sealed::put(&mut tx, ring, tenant.id, slot, &refresh, now).await?;
    let slot = calendar::token_slot(SecretKind::GoogleAccessToken, id);
    sealed::put(&mut tx, ring, tenant.id, slot, &tokens.access_token, now).await?;
    calendar::set_access_expiry(&mut tx, tenant.id, id, now + tokens.expires_in).await?;
    let job = CalendarWork::Backfill { tenant_id: tenant.id.get(), connection_id: id.get() };
    portico_jobs::enqueue(&mut tx, &job, now).await?;
    let entry = audit::Entry {
        tenant: Some(tenant.id),
        actor: Some(user.id),
        action: "calendar.connected",
        detail: account.clone(),
        ip: &viewer.ip_string(),
    };
    audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await?;
    flash(&viewer.session, "info", format!("Google Calendar connected ({account}).")).await?;
    Ok(see_other(&page))
}
