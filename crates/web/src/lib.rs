//! Portico's HTTP side: the axum application, its state, extractors, routes and templates.

pub mod auth;
pub mod calendar_links;
pub mod chrome;
pub mod csrf;
pub mod error;
pub mod forms;
pub mod gateway_refunds;
pub mod invoice_view;
pub mod json;
pub mod layers;
pub mod limits;
pub mod online;
pub mod passwords;
pub mod pictures;
pub mod place;
pub mod prepay;
pub mod preview;
pub mod render;
pub mod routes;
pub mod session;
pub mod state;
pub mod workflow;

pub use error::Error;
pub use state::{App, AppState};

use axum::Router;

/// The whole application as a router, with every layer applied.
pub fn app(state: AppState) -> Router {
    let router = routes::router().fallback(routes::not_found).with_state(state.clone());
    layers::apply(router, state)
}
