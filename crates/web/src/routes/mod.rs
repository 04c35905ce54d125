//! Route areas. Each exposes `router()`; this module merges them.

mod assets;
mod health;
mod home;

use axum::Router;

use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new().merge(health::router()).merge(home::router()).merge(assets::router())
}

/// Every unknown path.
pub async fn not_found() -> Error {
    Error::NotFound
}
