//! Route areas. Each exposes `router()`; this module merges them.

mod accounts;
mod api;
pub(crate) mod app;
mod assets;
pub mod book;
mod feeds;
mod health;
mod home;
mod input;
pub(crate) mod oauth;
mod pay;
pub(crate) mod platform_billing;
mod portal;
mod unsubscribe;
mod webhooks;

use axum::Router;

use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(accounts::router())
        .merge(api::router())
        .merge(app::router())
        .merge(portal::router())
        .merge(book::router())
        .merge(health::router())
        .merge(home::router())
        .merge(oauth::router())
        .merge(assets::router())
        .merge(unsubscribe::router())
        .merge(feeds::router())
        .merge(pay::router())
        .merge(webhooks::router())
        .merge(platform_billing::router())
}

/// Every unknown path.
pub async fn not_found() -> Error {
    Error::NotFound
}
