//! `/app/{tenant}/…`: the provider dashboard. Every handler takes a verified scope.

mod audit;
mod clients;
mod dashboard;
mod settings;
mod team;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(dashboard::switcher))
        .route("/app/{tenant}", get(dashboard::show))
        .route("/app/{tenant}/clients", get(clients::index))
        .route("/app/{tenant}/clients/new", get(clients::new).post(clients::create))
        .route("/app/{tenant}/clients/{id}", get(clients::show).post(clients::update))
        .route("/app/{tenant}/clients/{id}/invite", post(clients::invite))
        .route("/app/{tenant}/clients/{id}/disable-login", post(clients::disable_login))
        .route("/app/{tenant}/clients/{id}/enable-login", post(clients::enable_login))
        .route("/app/{tenant}/clients/{id}/remove-login", post(clients::remove_login))
        .route("/app/{tenant}/settings", get(settings::show).post(settings::update))
        .route("/app/{tenant}/settings/tokens", post(settings::create_token))
        .route("/app/{tenant}/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/app/{tenant}/audit", get(audit::index))
        .route("/app/{tenant}/team", get(team::index))
        .route("/app/{tenant}/team/invite", post(team::invite))
}
