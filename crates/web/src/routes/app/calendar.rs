//! Google Calendar (PRO): each person connects their own calendar. The page shows, per
//! person, the Google account, target calendar, sync on/off, last sync, last error in words
//! and backfill progress; connect starts OAuth (PKCE S256, a single-use state bound to this
//! session), disconnect revokes at Google and deletes the tokens.

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use portico_domain::Instant;
use portico_integrations::google::{Pkce, random_state};
use portico_jobs::CalendarWork;
use portico_store::calendar::{self, Connection};
use portico_store::sealed::{self, SecretKind};
use portico_store::{audit, tenants};
use serde::{Deserialize, Serialize};

use crate::auth::{CalendarGate, OwnerScope, RequirePlan, TenantScope};
use crate::chrome::{Chrome, flash};
use crate::csrf::session_error;
use crate::error::field_error;
use crate::forms::see_other;
use crate::routes::oauth::{PENDING, Pending, redirect_uri};
use crate::{AppState, Error};

/// How long a started connection may take at Google.
const PENDING_SECS: i64 = 600;

#[derive(Serialize)]
struct CalendarChoice {
    id: String,
    summary: String,
    selected: bool,
}

#[derive(Serialize)]
struct PersonView {
    name: String,
    email: String,
    connected: bool,
    disconnected: bool,
    account: String,
    calendar: String,
    sync_enabled: bool,
    last_synced_at: Option<i64>,
    last_error: Option<String>,
    backfill_done: i64,
    backfill_total: i64,
}

#[derive(Serialize)]
struct CalendarPage {
    chrome: Chrome,
    timezone: String,
    configured: bool,
    me: PersonView,
    calendars: Vec<CalendarChoice>,
    /// The owner sees every team member's connection.
    team: Vec<PersonView>,
    /// The owner's choice: the client's email and phone in event descriptions.
    contact_details: bool,
    owner: bool,
}

#[derive(Deserialize)]
struct StoredCalendar {
    id: String,
    #[serde(default)]
    summary: String,
}

fn stored_calendars(connection: &Connection) -> Vec<StoredCalendar> {
    serde_json::from_str(&connection.calendars).unwrap_or_default()
}

fn person(name: String, email: String, connection: Option<&Connection>) -> PersonView {
    PersonView {
        name,
        email,
        connected: connection.is_some_and(Connection::is_connected),
        disconnected: connection.is_some_and(|c| !c.is_connected()),
        account: connection.map(|c| c.google_account.clone()).unwrap_or_default(),
        calendar: connection.map(|c| c.calendar_id.clone()).unwrap_or_default(),
        sync_enabled: connection.is_some_and(|c| c.sync_enabled != 0),
        last_synced_at: connection.and_then(|c| c.last_synced_at).map(Instant::unix),
        last_error: connection.and_then(|c| c.last_error.clone()),
        backfill_done: connection.map_or(0, |c| c.backfill_done),
        backfill_total: connection.map_or(0, |c| c.backfill_total),
    }
}

/// `GET /app/{tenant}/calendar`.
pub async fn show(
    State(state): State<AppState>,
    scope: TenantScope,
    _: RequirePlan<CalendarGate>,
) -> Result<Response, Error> {
    let connections = calendar::list(&state.db, scope.id()).await?;
    let mine = connections.iter().find(|c| c.user_id == scope.user.id);
    let calendars = mine
        .map(|c| {
            stored_calendars(c)
                .into_iter()
                .map(|s| CalendarChoice {
                    selected: s.id == c.calendar_id,
                    id: s.id,
                    summary: s.summary,
                })
                .collect()
        })
        .unwrap_or_default();
    let team = if scope.role == portico_domain::accounts::Role::Owner {
        tenants::members(&state.db, scope.id())
            .await?
            .into_iter()
            .filter(|m| m.user_id != scope.user.id)
            .map(|m| {
                let connection = connections.iter().find(|c| c.user_id == m.user_id);
                person(m.name, m.email, connection)
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = CalendarPage {
        chrome: Chrome::app(&scope, &state).await?,
        timezone: scope.tenant.timezone.name().to_owned(),
        configured: state.google.is_some(),
        me: person(scope.user.name.clone(), scope.user.email.clone(), mine),
        calendars,
        team,
        contact_details: calendar::contact_details(&state.db, scope.id()).await?,
        owner: scope.role == portico_domain::accounts::Role::Owner,
    };
    Ok(state.templates.page("app/calendar.html", &page))
}

/// `GET /app/{tenant}/calendar/connect`: 303 to Google's consent page.
pub async fn connect(
    State(state): State<AppState>,
    scope: TenantScope,
    _: RequirePlan<CalendarGate>,
) -> Result<Response, Error> {
    let Some(google) = state.google.as_ref() else {
        return Err(Error::Conflict {
            code: "google_not_configured",
            message: "The operator of this Portico has not configured Google.".into(),
        });
    };
    let pkce = Pkce::new();
    let pending = Pending {
        state: random_state(),
        verifier: pkce.verifier.clone(),
        tenant_id: scope.id().get(),
        user_id: scope.user.id.get(),
        expires_at: state.clock.now_ts() + PENDING_SECS,
    };
    let url = google
        .authorize_url(&redirect_uri(&state), &pending.state, &pkce)
        .map_err(|e| Error::Internal(e.into()))?;
    scope.viewer.session.insert(PENDING, &pending).await.map_err(session_error)?;
    Ok(see_other(url.as_str()))
}

#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    calendar_id: String,
    #[serde(default)]
    sync: Option<String>,
}

/// `POST /app/{tenant}/calendar`: the target calendar (one of the person's list) and sync
/// on/off. A change queues a backfill that moves the events where they now belong.
pub async fn update(
    State(state): State<AppState>,
    scope: TenantScope,
    _: RequirePlan<CalendarGate>,
    Form(form): Form<PreferencesForm>,
) -> Result<Response, Error> {
    let connection = calendar::for_user(&state.db, scope.id(), scope.user.id)
        .await?
        .filter(Connection::is_connected)
        .ok_or_else(|| field_error("calendar_id", "Connect Google Calendar first."))?;
    let chosen = form.calendar_id.trim();
    if !stored_calendars(&connection).iter().any(|c| c.id == chosen) {
        return Err(field_error("calendar_id", "Choose one of your Google calendars."));
    }
    let sync = form.sync.is_some();
    let now = state.clock.now_ts();
    calendar::set_preferences(&state.db, scope.id(), connection.id, chosen, sync, now).await?;
    if sync {
        let job = CalendarWork::Backfill {
            tenant_id: scope.id().get(),
            connection_id: connection.id.get(),
        };
        let detail = format!("calendar {chosen}, sync on");
        let (tenant, user) = (Some(scope.id()), Some(scope.user.id));
        state.audit_with_job(&scope.viewer, tenant, user, "calendar.updated", detail, &job).await?;
    } else {
        let (tenant, user) = (Some(scope.id()), Some(scope.user.id));
        state.audit(&scope.viewer, tenant, user, "calendar.updated", "sync off").await?;
    }
    flash(&scope.viewer.session, "info", "Calendar settings saved.").await?;
    Ok(see_other(&format!("/app/{}/calendar", scope.tenant.slug)))
}

#[derive(Debug, Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    contact_details: Option<String>,
}

/// `POST /app/{tenant}/calendar/details` (owner): whether events carry the client's email and
/// phone. Every connected calendar's events are rewritten to match (a backfill each, queued in
/// the change's transaction).
pub async fn details(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<CalendarGate>,
    Form(form): Form<DetailsForm>,
) -> Result<Response, Error> {
    let on = form.contact_details.is_some();
    let now = state.clock.now_ts();
    let mut tx = state.db.begin_write().await?;
    let connections = calendar::set_contact_details(&mut tx, scope.id(), on, now).await?;
    for connection_id in connections {
        let job = CalendarWork::Backfill {
            tenant_id: scope.id().get(),
            connection_id: connection_id.get(),
        };
        portico_jobs::enqueue(&mut tx, &job, now).await?;
    }
    let detail = if on { "client contact details in events" } else { "no contact details" };
    let entry = audit::Entry {
        tenant: Some(scope.id()),
        actor: Some(scope.user.id),
        action: "calendar.details",
        detail: detail.to_owned(),
        ip: &scope.viewer.ip_string(),
    };
    audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    flash(&scope.viewer.session, "info", "Calendar settings saved.").await?;
    Ok(see_other(&format!("/app/{}/calendar", scope.tenant.slug)))
}

/// `POST /app/{tenant}/calendar/disconnect`: revokes the grant at Google, deletes the tokens
/// and the connection (events already in Google stay there).
pub async fn disconnect(
    State(state): State<AppState>,
    scope: TenantScope,
    _: RequirePlan<CalendarGate>,
) -> Result<Response, Error> {
    let back = see_other(&format!("/app/{}/calendar", scope.tenant.slug));
    let Some(connection) = calendar::for_user(&state.db, scope.id(), scope.user.id).await? else {
        return Ok(back);
    };
    let slot = calendar::token_slot(SecretKind::GoogleRefreshToken, connection.id);
    let token = sealed::get(&state.db, &state.keyring, scope.id(), slot).await.ok().flatten();
    let mut revoked = true;
    if let (Some(google), Some(token)) = (state.google.as_ref(), token)
        && let Err(error) = google.revoke(&token).await
    {
        tracing::warn!(error = %error, "could not revoke the Google grant");
        revoked = false;
    }
    let mut tx = portico_store::versions::begin(&state.db, scope.id()).await?;
    for kind in [SecretKind::GoogleRefreshToken, SecretKind::GoogleAccessToken] {
        sealed::delete(&mut tx, scope.id(), calendar::token_slot(kind, connection.id)).await?;
    }
    calendar::delete(&mut tx, scope.id(), connection.id).await?;
    tx.commit().await?;
    let (tenant, user) = (Some(scope.id()), Some(scope.user.id));
    let detail = connection.google_account.clone();
    state.audit(&scope.viewer, tenant, user, "calendar.disconnected", detail).await?;
    let text = if revoked {
        "Google Calendar disconnected."
    } else {
        "Google Calendar disconnected here, but Google could not be reached to revoke the \
         access: remove Portico under Security → Third-party access in your Google account."
    };
    flash(&scope.viewer.session, "info", text).await?;
    Ok(back)
}

/// Whether the person's calendar was disconnected by Google (for the dashboard banner).
pub async fn lost(state: &AppState, scope: &TenantScope) -> Result<bool, Error> {
    let connection = calendar::for_user(&state.db, scope.id(), scope.user.id).await?;
    Ok(connection.is_some_and(|c| !c.is_connected()))
}
