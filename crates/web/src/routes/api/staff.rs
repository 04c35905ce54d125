//! Staff members (PRO) over the API. FREE tenants get 402 `plan_required`; making an 11th
//! person active gets 409 `staff_limit`. The rules are the owner pages' ones
//! (`routes::input`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_store::staff::{self, StaffMember};
use serde::Serialize;
use serde_json::Value;

use crate::auth::{ApiScope, RequirePlan, StaffGate};
use crate::routes::input::{self, Base, JsonInput, Refusal, StaffDraft};
use crate::{AppState, Error};

/// A staff member as the API shows it; `email` is null when there is none.
#[derive(Debug, Serialize)]
pub struct StaffJson {
    id: i64,
    name: String,
    email: Option<String>,
    phone: String,
    bio: String,
    /// Codes of the services they provide.
    services: Vec<String>,
    active: bool,
    display_order: i64,
    has_login: bool,
}

impl From<StaffMember> for StaffJson {
    fn from(m: StaffMember) -> Self {
        Self {
            id: m.id.get(),
            name: m.name,
            email: Some(m.email).filter(|e| !e.is_empty()),
            phone: m.phone,
            bio: m.bio,
            services: m.services,
            active: m.active,
            display_order: m.display_order,
            has_login: m.user_id.is_some(),
        }
    }
}

/// `GET /api/v1/{tenant}/staff`: everyone, inactive included, in display order.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<StaffGate>,
) -> Result<Json<serde_json::Value>, Error> {
    let list: Vec<StaffJson> =
        staff::list(&state.db, scope.tenant.id).await?.into_iter().map(Into::into).collect();
    Ok(Json(serde_json::json!({ "staff": list })))
}

/// `POST`: 201 with the staff member. `name` is required; `services` are service codes
/// (unknown ones: 422 `fields.services`); `active` defaults to true.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn create(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<StaffGate>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    let draft = StaffDraft::from_json(JsonInput::from_body(body)?);
    let plan = scope.tenant.effective_plan(state.clock.now());
    let fields = input::prepare_staff(&state.db, &scope.tenant, plan, &draft, Base::New)
        .await?
        .map_err(Refusal::into_error)?;
    let id = staff::insert(
        &state.db,
        scope.tenant.id,
        &fields,
        staff_limit(&state, &scope.tenant),
        state.clock.now_ts(),
    )
    .await?;
    let member = load(&state, &scope, &id.to_string()).await?;
    Ok((StatusCode::CREATED, Json(StaffJson::from(member))).into_response())
}

async fn load(state: &AppState, scope: &ApiScope, id: &str) -> Result<StaffMember, Error> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    staff::get(&state.db, scope.tenant.id, id).await?.ok_or(Error::NotFound)
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<StaffJson>, Error> {
    Ok(Json(load(&state, &scope, &id).await?.into()))
}

/// `PATCH`: any subset of the fields; `services`, when given, replaces the whole list.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn update(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<StaffJson>, Error> {
    let member = load(&state, &scope, &id).await?;
    let draft = StaffDraft::from_json(JsonInput::from_body(body)?);
    let plan = scope.tenant.effective_plan(state.clock.now());
    let fields = input::prepare_staff(&state.db, &scope.tenant, plan, &draft, Base::Patch(&member))
        .await?
        .map_err(Refusal::into_error)?;
    if !staff::update(
        &state.db,
        scope.tenant.id,
        member.id,
        &fields,
        staff_limit(&state, &scope.tenant),
        state.clock.now_ts(),
    )
    .await?
    {
        return Err(Error::NotFound);
    }
    Ok(Json(load(&state, &scope, &id).await?.into()))
}

/// `DELETE`: **204** when the staff member is gone; when bookings or holds refer to them,
/// they are deactivated instead and the answer is **200** with
/// `{"result":"deactivated","staff":{…,"active":false}}`.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn delete(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let member = load(&state, &scope, &id).await?;
    let now = state.clock.now_ts();
    let deleted =
        staff::delete(&state.db, scope.tenant.id, member.id, now).await?.ok_or(Error::NotFound)?;
    if deleted {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let member = load(&state, &scope, &id).await?;
    let body = serde_json::json!({ "result": "deactivated", "staff": StaffJson::from(member) });
    Ok(Json(body).into_response())
}

/// Active staff the tenant's plan allows right now.
fn staff_limit(state: &AppState, tenant: &portico_store::tenants::Tenant) -> usize {
    portico_domain::plans::max_active_staff(tenant.effective_plan(state.clock.now()))
}
