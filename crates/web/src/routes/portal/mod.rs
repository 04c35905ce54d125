//! `/portal` and `/portal/{tenant}/…`: the branded client portal.

mod bookings;
mod favourites;
mod help;
mod home;
mod invoices;
mod payments;
mod profile;
mod register;
mod series;

use axum::routing::{get, post};
use axum::{Router, middleware};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(home::index))
        .route("/portal/{tenant}", get(home::show))
        .route("/portal/{tenant}/help", get(help::show))
        .route("/portal/{tenant}/register", get(register::show).post(register::create))
        .route("/portal/{tenant}/join", post(register::join))
        .route("/portal/{tenant}/profile", get(profile::show).post(profile::update))
        .route("/portal/{tenant}/profile/notifications", post(profile::update_notifications))
        .route("/portal/{tenant}/profile/feed", post(profile::regenerate_feed))
        .route("/portal/{tenant}/series", get(series::index).post(series::create))
        .route("/portal/{tenant}/series/{id}/cancel", post(series::cancel))
        .route("/portal/{tenant}/favourites/services/{code}", post(favourites::service))
        .route("/portal/{tenant}/favourites/staff/{id}", post(favourites::staff))
        .route("/portal/{tenant}/invoices", get(invoices::index))
        .route("/portal/{tenant}/invoices/{id}", get(invoices::show))
        .route("/portal/{tenant}/invoices/{id}/pdf", get(invoices::download))
        .route("/portal/{tenant}/invoices/{id}/transfer", post(invoices::declare))
        .route("/portal/{tenant}/invoices/{id}/pay", post(invoices::pay))
        .route("/portal/{tenant}/payments", get(payments::index))
        .merge(bookings::router())
        // Last, so it wraps every portal route above.
        .route_layer(middleware::from_fn(crate::preview::refuse_writes))
}
