//! Services over the API, addressed by their code. The rules are the owner pages' ones
//! (`routes::input`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_store::catalog::{self, LocationKind, Mode, Service};
use serde::Serialize;
use serde_json::Value;

use crate::auth::ApiScope;
use crate::routes::input::{self, Base, JsonInput, Refusal, ServiceDraft};
use crate::{AppState, Error};

/// A service as the API shows it.
#[derive(Debug, Serialize)]
pub struct ServiceJson {
    code: String,
    name: String,
    description: String,
    duration_minutes: u32,
    buffer_before_minutes: u32,
    buffer_after_minutes: u32,
    price_minor: i64,
    currency: String,
    mode: Mode,
    active: bool,
    display_order: i64,
    location_kind: LocationKind,
    meeting_url: String,
    /// Payment required to book.
    prepay: bool,
}

impl From<Service> for ServiceJson {
    fn from(s: Service) -> Self {
        Self {
            code: s.code,
            name: s.name,
            description: s.description,
            duration_minutes: s.duration_minutes,
            buffer_before_minutes: s.buffer_before_minutes,
            buffer_after_minutes: s.buffer_after_minutes,
            price_minor: s.price_minor,
            currency: s.currency,
            mode: s.mode,
            active: s.active,
            display_order: s.display_order,
            location_kind: s.location_kind,
            meeting_url: s.meeting_url,
            prepay: s.prepay,
        }
    }
}

/// `GET /api/v1/{tenant}/services`: every service, inactive ones included, in display order.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(
    State(state): State<AppState>,
    scope: ApiScope,
) -> Result<Json<serde_json::Value>, Error> {
    let list: Vec<ServiceJson> = catalog::list(&state.db, scope.tenant.id, false)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(serde_json::json!({ "services": list })))
}

/// `POST`: 201 with the service. Left out: `duration_minutes` takes the code's default
/// duration (422 if there is none), buffers and price 0, `currency` the tenant's, `mode`
/// `slot`, `active` true, `display_order` after the last. 409 `code_taken`.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn create(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    let draft = ServiceDraft::from_json(JsonInput::from_body(body)?);
    let fields = input::prepare_service(&state.db, &scope.tenant, &draft, Base::New)
        .await?
        .map_err(Refusal::into_error)?;
    let service = catalog::insert(&state.db, scope.tenant.id, &fields, state.clock.now_ts())
        .await?
        .ok_or_else(|| Refusal::CodeTaken.into_error())?;
    Ok((StatusCode::CREATED, Json(ServiceJson::from(service))).into_response())
}

async fn load(state: &AppState, scope: &ApiScope, code: &str) -> Result<Service, Error> {
    catalog::by_code(&state.db, scope.tenant.id, code).await?.ok_or(Error::NotFound)
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, code)): Path<(String, String)>,
) -> Result<Json<ServiceJson>, Error> {
    Ok(Json(load(&state, &scope, &code).await?.into()))
}

/// `PATCH`: any subset of the fields; the rest keep their values. Changing `code` moves the
/// service to the new address.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn update(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, code)): Path<(String, String)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ServiceJson>, Error> {
    let service = load(&state, &scope, &code).await?;
    let draft = ServiceDraft::from_json(JsonInput::from_body(body)?);
    let fields = input::prepare_service(&state.db, &scope.tenant, &draft, Base::Patch(&service))
        .await?
        .map_err(Refusal::into_error)?;
    let now = state.clock.now_ts();
    let updated = catalog::update(&state.db, scope.tenant.id, &service.code, &fields, now)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(updated.into()))
}

/// `DELETE`: **204** when the service is gone; when bookings or holds refer to it, it is
/// deactivated instead and the answer is **200** with
/// `{"result":"deactivated","service":{…,"active":false}}`.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn delete(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, Error> {
    let service = load(&state, &scope, &code).await?;
    let now = state.clock.now_ts();
    let deleted = catalog::delete(&state.db, scope.tenant.id, &service.code, now)
        .await?
        .ok_or(Error::NotFound)?;
    if deleted {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let service = load(&state, &scope, &service.code).await?;
    let body =
        serde_json::json!({ "result": "deactivated", "service": ServiceJson::from(service) });
    Ok(Json(body).into_response())
}
