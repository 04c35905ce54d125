//! Clients over the API.

use axum::Json;
use axum::extract::{Path, Query, State};
use portico_domain::ClientId;
use portico_store::clients::{self, Client};
use serde::{Deserialize, Serialize};

use crate::auth::ApiScope;
use crate::{AppState, Error};

#[derive(Debug, Serialize)]
pub struct ClientJson {
    id: i64,
    name: String,
    email: String,
    phone: String,
    address: String,
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
            id: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            address: c.address,
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
    let client =
        clients::get(&state.db, scope.tenant.id, ClientId(id)).await?.ok_or(Error::NotFound)?;
    Ok(Json(client.into()))
}
