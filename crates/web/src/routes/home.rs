//! The public landing page.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(show))
}

#[derive(Serialize)]
struct HomePage {}

async fn show(State(state): State<AppState>) -> Response {
    state.templates.page("home.html", &HomePage {})
}
