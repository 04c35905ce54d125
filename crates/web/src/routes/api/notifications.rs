//! `/api/v1/{tenant}/settings/notifications` (reminders, SMS switch) and
//! `/api/v1/{tenant}/clients/{id}/preferences` (what a client hears of, by email and SMS).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use portico_domain::plans::{self, Feature};
use portico_store::clients;
use portico_store::notify::{self, Channel, ClientPrefs, Kind, Settings};
use serde_json::{Map, Value};

use crate::auth::ApiScope;
use crate::error::FieldErrors;
use crate::routes::input::notify::reminder_minutes;
use crate::{AppState, Error};

/// `GET`: the tenant's notification settings.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn settings_show(
    State(state): State<AppState>,
    scope: ApiScope,
) -> Result<Json<Settings>, Error> {
    Ok(Json(notify::prefs::settings(&state.db, scope.tenant.id).await?))
}

/// `PATCH`: `reminder_minutes_before` (1–43200, or null for none) and `sms_enabled` (turning
/// it on needs PRO: 402). Left-out fields keep their value; bad ones are a 422 naming them.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn settings_update(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Settings>, Error> {
    let mut map = object(body)?;
    let current = notify::prefs::settings(&state.db, scope.tenant.id).await?;
    let mut next = current;
    let mut errors = FieldErrors::new();
    match map.remove("reminder_minutes_before") {
        None => {}
        Some(Value::Null) => next.reminder_minutes_before = None,
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            match reminder_minutes(n.as_i64().unwrap_or_default()) {
                Ok(minutes) => next.reminder_minutes_before = Some(minutes),
                Err(message) => {
                    errors.insert("reminder_minutes_before".into(), message);
                }
            }
        }
        Some(_) => {
            errors.insert(
                "reminder_minutes_before".into(),
                "Enter a whole number of minutes, or null.".into(),
            );
        }
    }
    match map.remove("sms_enabled") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(on)) => next.sms_enabled = on,
        Some(_) => {
            errors.insert("sms_enabled".into(), "Use true or false.".into());
        }
    }
    for key in map.keys() {
        errors.insert(key.clone(), "Unknown field.".into());
    }
    if !errors.is_empty() {
        return Err(Error::Unprocessable { fields: errors });
    }
    let plan = scope.tenant.effective_plan(state.clock.now());
    if next.sms_enabled && !current.sms_enabled && !plans::allows(plan, Feature::SmsNotifications) {
        return Err(Error::PlanRequired(Feature::SmsNotifications));
    }
    if next != current {
        notify::prefs::set_settings(&state.db, scope.tenant.id, &next, state.clock.now_ts())
            .await?;
    }
    Ok(Json(next))
}

/// The body as a JSON object; anything else is a 400.
fn object(body: Result<Json<Value>, JsonRejection>) -> Result<Map<String, Value>, Error> {
    match crate::json::value(body)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::BadRequest {
            code: "bad_json",
            message: "The body must be a JSON object.".into(),
        }),
    }
}

/// `GET`: the client's choices (the defaults if they never chose).
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn prefs_show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<ClientPrefs>, Error> {
    let client = clients::get(&state.db, scope.tenant.id, id).await?;
    let client = client.ok_or(Error::NotFound)?;
    Ok(Json(notify::prefs::client(&state.db, scope.tenant.id, client.id).await?))
}

/// `PATCH`: any subset, e.g. `{"email":{"reminders":false}}`; the rest keep their value. A
/// value that is not a boolean or an unknown key is a 422 naming it (`email.reminder`).
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn prefs_update(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ClientPrefs>, Error> {
    let client = clients::get(&state.db, scope.tenant.id, id).await?;
    let client = client.ok_or(Error::NotFound)?;
    let map = object(body)?;
    let current = notify::prefs::client(&state.db, scope.tenant.id, client.id).await?;
    let mut next = current;
    let mut errors = FieldErrors::new();
    for (key, value) in map {
        let channel = match key.as_str() {
            "email" => &mut next.email,
            "sms" => &mut next.sms,
            _ => {
                errors.insert(key, "Unknown field.".into());
                continue;
            }
        };
        patch_channel(channel, &key, value, &mut errors);
    }
    if !errors.is_empty() {
        return Err(Error::Unprocessable { fields: errors });
    }
    if next != current {
        let now = state.clock.now_ts();
        notify::prefs::set_client(&state.db, scope.tenant.id, client.id, &next, now).await?;
    }
    Ok(Json(next))
}

/// Applies `{"changes": bool, "reminders": bool, "invoices": bool}` (any subset) to `channel`.
fn patch_channel(channel: &mut Channel, name: &str, value: Value, errors: &mut FieldErrors) {
    let Value::Object(map) = value else {
        errors.insert(name.to_owned(), "Use an object of true/false values.".into());
        return;
    };
    for (key, value) in map {
        let field = format!("{name}.{key}");
        match (Kind::parse(&key), value) {
            (Some(kind), Value::Bool(on)) => channel.set(kind, on),
            (Some(_), _) => {
                errors.insert(field, "Use true or false.".into());
            }
            (None, _) => {
                errors.insert(field, "Unknown field.".into());
            }
        }
    }
}
