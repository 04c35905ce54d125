//! `/api/v1/{tenant}/…`: the provider API, authenticated with a bearer token of the tenant.
//! Errors are `{"error":{"code","message","fields"}}`.

mod clients;
mod team;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/{tenant}/clients", get(clients::index))
        .route("/api/v1/{tenant}/clients/{id}", get(clients::show))
        .route("/api/v1/{tenant}/team", get(team::index))
}
