//! The team (PRO) over the API.

use axum::Json;
use axum::extract::State;
use portico_store::tenants;
use serde::Serialize;

use crate::auth::{ApiScope, RequirePlan, StaffGate};
use crate::{AppState, Error};

#[derive(Debug, Serialize)]
struct MemberJson {
    user_id: i64,
    name: String,
    email: String,
    role: String,
}

pub async fn index(
    State(state): State<AppState>,
    scope: ApiScope,
    _: RequirePlan<StaffGate>,
) -> Result<Json<serde_json::Value>, Error> {
    let members: Vec<MemberJson> = tenants::members(&state.db, scope.tenant.id)
        .await?
        .into_iter()
        .map(|m| MemberJson {
            user_id: m.user_id.get(),
            name: m.name,
            email: m.email,
            role: m.role,
        })
        .collect();
    Ok(Json(serde_json::json!({ "members": members })))
}
