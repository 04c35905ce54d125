//! `/portal` and `/portal/{tenant}/…`: the branded client portal.

mod bookings;
mod home;
mod profile;
mod register;
mod series;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(home::index))
        .route("/portal/{tenant}", get(home::show))
        .route("/portal/{tenant}/register", get(register::show).post(register::create))
        .route("/portal/{tenant}/join", post(register::join))
        .route("/portal/{tenant}/profile", get(profile::show).post(profile::update))
        .route("/portal/{tenant}/profile/notifications", post(profile::update_notifications))
        .route("/portal/{tenant}/profile/feed", post(profile::regenerate_feed))
        .route("/portal/{tenant}/series", get(series::index).post(series::create))
        .route("/portal/{tenant}/series/{id}/cancel", post(series::cancel))
        .merge(bookings::router())
}
