//! Google Calendar (PRO) over the API: each person's connection state, read-only (connecting
//! needs the person's browser at Google). FREE gets 402.

use axum::Json;
use axum::extract::State;
use portico_domain::Instant;
use portico_store::calendar;
use portico_store::tenants;
use serde::Serialize;

use crate::auth::{ApiScope, CalendarGate, RequirePlan};
use crate::{AppState, Error};

#[derive(Debug, Serialize)]
struct PersonJson {
    user_id: i64,
    name: String,
    email: String,
    /// `not_connected`, `connected` or `disconnected` (Google revoked the grant).
    status: &'static str,
    google_account: Option<String>,
    calendar_id: Option<String>,
    sync_enabled: bool,
    last_synced_at: Option<i64>,
    last_error: Option<String>,
    backfill_done: i64,
    backfill_total: i64,
}

/// `GET /api/v1/{tenant}/calendar`.
pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<CalendarGate>,
) -> Result<Json<serde_json::Value>, Error> {
    let connections = calendar::list(&state.db, scope.tenant.id).await?;
    let people: Vec<PersonJson> = tenants::members(&state.db, scope.tenant.id)
        .await?
        .into_iter()
        .map(|m| {
            let c = connections.iter().find(|c| c.user_id == m.user_id);
            PersonJson {
                user_id: m.user_id.get(),
                name: m.name,
                email: m.email,
                status: match c {
                    None => "not_connected",
                    Some(c) if c.is_connected() => "connected",
                    Some(_) => "disconnected",
                },
                google_account: c.map(|c| c.google_account.clone()),
                calendar_id: c.map(|c| c.calendar_id.clone()),
                sync_enabled: c.is_some_and(|c| c.sync_enabled != 0),
                last_synced_at: c.and_then(|c| c.last_synced_at).map(Instant::unix),
                last_error: c.and_then(|c| c.last_error.clone()),
                backfill_done: c.map_or(0, |c| c.backfill_done),
                backfill_total: c.map_or(0, |c| c.backfill_total),
            }
        })
        .collect();
    Ok(Json(serde_json::json!({
        "configured": state.google.is_some(),
        "contact_details": calendar::contact_details(&state.db, scope.tenant.id).await?,
        "people": people,
    })))
}
