//! Weekly hours and time off over the API. Hours of the owner (the business) are on every
//! plan; a staff member's need PRO.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use portico_domain::StaffId;
use portico_domain::parse::{hhmm, parse_reason};
use portico_domain::plans::Feature;
use portico_store::hours::{self, HourRange, TimeOff};
use portico_store::staff;
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::{ApiScope, RequirePlan, StaffGate};
use crate::error::FieldErrors;
use crate::routes::input::hours::{RangeText, parse_week};
use crate::{AppState, Error};

/// An instant as RFC 3339 in UTC, to the second.
pub(super) fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Serialize)]
struct HourJson {
    weekday: i64,
    start: String,
    end: String,
}

impl From<HourRange> for HourJson {
    fn from(r: HourRange) -> Self {
        Self { weekday: r.weekday, start: hhmm(r.start_minute), end: hhmm(r.end_minute) }
    }
}

#[derive(Debug, Deserialize)]
struct HourInput {
    weekday: i64,
    start: String,
    end: String,
}

#[derive(Debug, Deserialize)]
struct HoursBody {
    hours: Vec<HourInput>,
}

async fn weekly_json(
    state: &AppState,
    tenant: &Tenant,
    staff: Option<i64>,
) -> Result<Json<Value>, Error> {
    let list: Vec<HourJson> =
        hours::weekly(&state.db, tenant.id, staff).await?.into_iter().map(Into::into).collect();
    Ok(Json(serde_json::json!({ "staff_id": staff, "hours": list })))
}

/// Validates and stores a whole week, answering with what was stored.
async fn replace(
    state: &AppState,
    tenant: &Tenant,
    staff: Option<i64>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, Error> {
    let body: HoursBody = crate::json::parse(body)?;
    let texts: Vec<RangeText<'_>> = body
        .hours
        .iter()
        .map(|h| RangeText { weekday: h.weekday, start: &h.start, end: &h.end })
        .collect();
    let ranges = parse_week(&texts).map_err(|problems| {
        let fields: FieldErrors = problems
            .into_iter()
            .map(|p| (format!("hours[{}].{}", p.index, p.field), p.message))
            .collect();
        Error::Unprocessable { fields }
    })?;
    hours::replace_weekly(&state.db, tenant.id, staff, &ranges).await?;
    weekly_json(state, tenant, staff).await
}

/// The staff member of the path, if they are the tenant's.
async fn staff_id(state: &AppState, tenant: &Tenant, id: i64) -> Result<i64, Error> {
    Ok(staff::get(&state.db, tenant.id, id).await?.ok_or(Error::NotFound)?.id.get())
}

pub async fn show(State(state): State<AppState>, scope: ApiScope) -> Result<Json<Value>, Error> {
    weekly_json(&state, &scope.tenant, None).await
}

pub async fn update(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, Error> {
    replace(&state, &scope.tenant, None, body).await
}

pub async fn staff_show(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<Value>, Error> {
    let id = staff_id(&state, &scope.tenant, id).await?;
    weekly_json(&state, &scope.tenant, Some(id)).await
}

pub async fn staff_update(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, Error> {
    let id = staff_id(&state, &scope.tenant, id).await?;
    replace(&state, &scope.tenant, Some(id), body).await
}

#[derive(Debug, Serialize)]
struct TimeOffJson {
    id: i64,
    staff_id: Option<i64>,
    start: String,
    end: String,
    reason: String,
}

impl From<TimeOff> for TimeOffJson {
    fn from(t: TimeOff) -> Self {
        Self {
            id: t.id.get(),
            staff_id: t.staff_id.map(StaffId::get),
            start: rfc3339(t.starts_at.unix()),
            end: rfc3339(t.ends_at.unix()),
            reason: t.reason,
        }
    }
}

#[derive(Debug, Deserialize)]
struct TimeOffBody {
    #[serde(default)]
    staff_id: Option<i64>,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

fn instant(field: &str, text: Option<&str>, errors: &mut FieldErrors) -> Option<DateTime<Utc>> {
    let message = match text.map(DateTime::parse_from_rfc3339) {
        Some(Ok(instant)) => return Some(instant.with_timezone(&Utc)),
        Some(Err(_)) => "Use an RFC 3339 date-time, e.g. 2026-12-24T09:00:00Z.",
        None => "This field is required.",
    };
    errors.insert(field.to_owned(), message.to_owned());
    None
}

/// Upcoming time off (not yet over) of everyone at the tenant.
pub async fn time_off_index(
    State(state): State<AppState>,
    scope: ApiScope,
) -> Result<Json<Value>, Error> {
    let now = state.clock.now_ts();
    let list: Vec<TimeOffJson> = hours::upcoming_time_off(&state.db, scope.tenant.id, now)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(serde_json::json!({ "time_off": list })))
}

/// Adds time off for the owner (`staff_id` null or left out) or a staff member (PRO).
pub async fn time_off_create(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    let body: TimeOffBody = crate::json::parse(body)?;
    let tenant = &scope.tenant;
    if let Some(id) = body.staff_id {
        if !portico_domain::plans::allows(tenant.effective_plan(state.clock.now()), Feature::Staff)
        {
            return Err(Error::PlanRequired(Feature::Staff));
        }
        staff_id(&state, tenant, id).await?;
    }
    let mut errors = FieldErrors::new();
    let start = instant("start", body.start.as_deref(), &mut errors);
    let end = instant("end", body.end.as_deref(), &mut errors);
    let reason = match parse_reason(body.reason.as_deref().unwrap_or_default()) {
        Ok(reason) => Some(reason),
        Err(message) => {
            errors.insert("reason".to_owned(), message);
            None
        }
    };
    if let (Some(start), Some(end)) = (start, end)
        && let Err((field, message)) =
            portico_domain::policy::time_off_span(start, end, state.clock.now())
    {
        errors.insert(field.to_owned(), message.to_owned());
    }
    let (Some(start), Some(end), Some(reason), true) = (start, end, reason, errors.is_empty())
    else {
        return Err(Error::Unprocessable { fields: errors });
    };
    let entry = hours::add_time_off(
        &state.db,
        tenant.id,
        body.staff_id,
        start.timestamp(),
        end.timestamp(),
        &reason,
        state.clock.now_ts(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(TimeOffJson::from(entry))).into_response())
}

pub async fn time_off_delete(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<StatusCode, Error> {
    let entry =
        hours::get_time_off(&state.db, scope.tenant.id, id).await?.ok_or(Error::NotFound)?;
    if hours::delete_time_off(&state.db, scope.tenant.id, entry.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}
