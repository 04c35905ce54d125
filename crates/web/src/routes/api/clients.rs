//! Clients over the API.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_store::clients::{self, Client, ClientFields};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::ApiScope;
use crate::routes::input::clients::{ClientDraft, prepare_client};
use crate::routes::input::{Base, JsonInput};
use crate::{AppState, Error};

#[derive(Debug, Serialize)]
pub struct ClientJson {
    id: i64,
    name: String,
    email: String,
    phone: String,
    address: String,
    notes: String,
    has_portal_login: bool,
    portal_login_disabled: bool,
    can_self_reschedule: bool,
}

impl From<Client> for ClientJson {
    fn from(c: Client) -> Self {
        Self {
            has_portal_login: c.user_id.is_some(),
            portal_login_disabled: c.login_disabled(),
            can_self_reschedule: c.can_self_reschedule != 0,
            id: c.id.get(),
            name: c.name,
            email: c.email,
            phone: c.phone,
            address: c.address,
            notes: c.notes,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
}

pub async fn index(
    State(state): State<AppState>,
    scope: ApiScope,
    Query(query): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, Error> {
    let list: Vec<ClientJson> = clients::search(&state.db, scope.tenant.id, &query.q, 1000)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(serde_json::json!({ "clients": list })))
}

pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<ClientJson>, Error> {
    let client = clients::get(&state.db, scope.tenant.id, id).await?.ok_or(Error::NotFound)?;
    Ok(Json(client.into()))
}

/// The fields to store from a JSON body, checked like the pages' form; an unknown key or a
/// value of the wrong type is a field error too.
fn prepare(
    body: Result<Json<Value>, JsonRejection>,
    base: Base<'_, Client>,
) -> Result<ClientFields, Error> {
    let mut input = JsonInput::from_body(body)?;
    let draft = ClientDraft {
        name: input.text("name"),
        email: input.text("email"),
        phone: input.text("phone"),
        address: input.text("address"),
        notes: input.text("notes"),
        can_self_reschedule: input.flag("can_self_reschedule"),
    };
    let mut errors = input.finish(&["id", "has_portal_login", "portal_login_disabled"]);
    match prepare_client(&draft, base) {
        Ok(fields) if errors.is_empty() => Ok(fields),
        Ok(_) => Err(Error::Unprocessable { fields: errors }),
        Err(invalid) => {
            // A type error on a field says more than the check of its emptied value.
            for (field, message) in invalid {
                errors.entry(field).or_insert(message);
            }
            Err(Error::Unprocessable { fields: errors })
        }
    }
}

/// `POST`: 201 with the new client (without a portal login), as on the owner's pages.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn create(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    let fields = prepare(body, Base::New)?;
    let mut tx = state.db.begin().await?;
    let id = clients::insert(&mut tx, scope.tenant.id, &fields, None, state.clock.now_ts()).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    let client =
        clients::get(&state.db, scope.tenant.id, id.get()).await?.ok_or(Error::NotFound)?;
    Ok((StatusCode::CREATED, Json(ClientJson::from(client))).into_response())
}

/// `PATCH`: any subset of the fields; the rest keep their values.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn update(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ClientJson>, Error> {
    let tenant = scope.tenant.id;
    let client = clients::get(&state.db, tenant, id).await?.ok_or(Error::NotFound)?;
    let fields = prepare(body, Base::Patch(&client))?;
    let now = state.clock.now_ts();
    if !clients::update(&state.db, tenant, client.id, &fields, now).await? {
        return Err(Error::NotFound);
    }
    let client = clients::get(&state.db, tenant, client.id.get()).await?.ok_or(Error::NotFound)?;
    Ok(Json(client.into()))
}
