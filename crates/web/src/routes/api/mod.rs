//! `/api/v1/{tenant}/…`: the provider API, authenticated with a bearer token of the tenant.
//! Errors are `{"error":{"code","message","fields"}}` — from handlers and, through
//! [`contract::describe_errors`], from everything else (extractor rejections, 405s).

mod availability;
mod billing;
mod blocks;
mod bookings;
mod calendar;
mod clients;
mod contract;
mod credit;
mod hours;
mod invoice_pdf;
mod invoices;
mod notifications;
mod openapi;
mod payments;
mod services;
mod settings;
mod staff;
mod team;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/{tenant}/holds", post(bookings::create_hold))
        .route("/api/v1/{tenant}/bookings", get(bookings::index).post(bookings::create))
        .route("/api/v1/{tenant}/bookings/{id}", get(bookings::show))
        .route("/api/v1/{tenant}/bookings/{id}/cancel", post(bookings::cancel))
        .route("/api/v1/{tenant}/bookings/{id}/reschedule", post(bookings::reschedule))
        .route("/api/v1/{tenant}/bookings/{id}/complete", post(bookings::complete))
        .route("/api/v1/{tenant}/bookings/{id}/no-show", post(bookings::no_show))
        .route("/api/v1/{tenant}/clients", get(clients::index).post(clients::create))
        .route("/api/v1/{tenant}/clients/{id}", get(clients::show).patch(clients::update))
        .route("/api/v1/{tenant}/invoices", get(invoices::index).post(invoices::create))
        .route("/api/v1/{tenant}/invoices/{id}", get(invoices::show))
        .route("/api/v1/{tenant}/invoices/{id}/issue", post(invoices::issue))
        .route("/api/v1/{tenant}/invoices/{id}/void", post(invoices::void))
        .route("/api/v1/{tenant}/invoices/{id}/pdf", get(invoice_pdf::show))
        .route("/api/v1/{tenant}/invoices/{id}/installments", post(invoices::installments))
        .route("/api/v1/{tenant}/invoices/{id}/pay-link", post(payments::pay_link))
        .route("/api/v1/{tenant}/clients/{id}/credit", get(credit::show).post(credit::grant))
        .route("/api/v1/{tenant}/payments", get(payments::index).post(payments::create))
        .route("/api/v1/{tenant}/payments/{id}/refund", post(payments::refund))
        .route("/api/v1/{tenant}/payments/{id}/confirm", post(payments::confirm))
        .route("/api/v1/{tenant}/payments/{id}/reject", post(payments::reject))
        .route("/api/v1/{tenant}/settings/billing", get(billing::show).patch(billing::update))
        .route("/api/v1/{tenant}/team", get(team::index))
        .route("/api/v1/{tenant}/calendar", get(calendar::show))
        .route("/api/v1/{tenant}/availability", get(availability::index))
        .route("/api/v1/{tenant}/hours", get(hours::show).put(hours::update))
        .route("/api/v1/{tenant}/staff/{id}/hours", get(hours::staff_show).put(hours::staff_update))
        .route("/api/v1/{tenant}/time-off", get(hours::time_off_index).post(hours::time_off_create))
        .route("/api/v1/{tenant}/time-off/{id}", axum::routing::delete(hours::time_off_delete))
        .route("/api/v1/{tenant}/blocks", get(blocks::index).post(blocks::create))
        .route("/api/v1/{tenant}/blocks/copy", post(blocks::copy))
        .route(
            "/api/v1/{tenant}/blocks/{id}",
            get(blocks::show).patch(blocks::update).delete(blocks::delete),
        )
        .route("/api/v1/{tenant}/settings/booking", get(settings::show).patch(settings::update))
        .route(
            "/api/v1/{tenant}/settings/branding",
            get(settings::show_branding).patch(settings::update_branding),
        )
        .route(
            "/api/v1/{tenant}/settings/notifications",
            get(notifications::settings_show).patch(notifications::settings_update),
        )
        .route(
            "/api/v1/{tenant}/clients/{id}/preferences",
            get(notifications::prefs_show).patch(notifications::prefs_update),
        )
        .route("/api/v1/{tenant}/services", get(services::index).post(services::create))
        .route(
            "/api/v1/{tenant}/services/{code}",
            get(services::show).patch(services::update).delete(services::delete),
        )
        .route("/api/v1/{tenant}/staff", get(staff::index).post(staff::create))
        .route(
            "/api/v1/{tenant}/staff/{id}",
            get(staff::show).patch(staff::update).delete(staff::delete),
        )
        .layer(middleware::from_fn(contract::describe_errors))
}
