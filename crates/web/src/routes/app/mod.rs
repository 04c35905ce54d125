//! `/app/{tenant}/…`: the provider dashboard. Every handler takes a verified scope.

mod audit;
pub(crate) mod bookings;
pub(crate) mod calendar;
mod clients;
mod credit;
mod dashboard;
mod help;
mod hours;
pub(crate) mod invoices;
mod notifications;
mod online;
pub(crate) mod payments;
mod plan;
mod preview;
mod series;
mod services;
mod settings;
mod staff;
mod staff_photo;
mod team;
mod timetable;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(dashboard::switcher))
        .route("/app/{tenant}", get(dashboard::show))
        .route("/app/{tenant}/bookings", get(bookings::agenda::index))
        .route("/app/{tenant}/schedule", get(bookings::schedule::show))
        .route("/app/{tenant}/bookings/new", get(bookings::new::new).post(bookings::new::create))
        .route("/app/{tenant}/bookings/{id}", get(bookings::detail::show))
        .route("/app/{tenant}/bookings/{id}/complete", post(bookings::detail::complete))
        .route("/app/{tenant}/bookings/{id}/no-show", post(bookings::detail::no_show))
        .route("/app/{tenant}/bookings/{id}/cancel", post(bookings::detail::cancel))
        .route(
            "/app/{tenant}/bookings/{id}/reschedule",
            get(bookings::detail::options).post(bookings::detail::reschedule),
        )
        .route("/app/{tenant}/calendar", get(calendar::show).post(calendar::update))
        .route("/app/{tenant}/calendar/connect", get(calendar::connect))
        .route("/app/{tenant}/calendar/disconnect", post(calendar::disconnect))
        .route("/app/{tenant}/calendar/details", post(calendar::details))
        .route("/app/{tenant}/clients", get(clients::index))
        .route("/app/{tenant}/clients/new", get(clients::new).post(clients::create))
        .route("/app/{tenant}/clients/{id}", get(clients::show).post(clients::update))
        .route("/app/{tenant}/clients/{id}/invite", post(clients::invite))
        .route("/app/{tenant}/clients/{id}/disable-login", post(clients::disable_login))
        .route("/app/{tenant}/clients/{id}/enable-login", post(clients::enable_login))
        .route("/app/{tenant}/clients/{id}/remove-login", post(clients::remove_login))
        .route("/app/{tenant}/clients/{id}/credit", post(credit::grant))
        .route("/app/{tenant}/clients/{id}/series", get(series::index).post(series::create))
        .route("/app/{tenant}/clients/{id}/preview", post(preview::start))
        .route("/app/{tenant}/preview/end", post(preview::end))
        .route("/app/{tenant}/series/{id}/cancel", post(series::cancel))
        .route("/app/{tenant}/invoices", get(invoices::index))
        .route(
            "/app/{tenant}/invoices/new",
            get(invoices::draft::new).post(invoices::draft::create),
        )
        .route("/app/{tenant}/invoices/{id}", get(invoices::show))
        .route(
            "/app/{tenant}/invoices/{id}/edit",
            get(invoices::draft::edit).post(invoices::draft::update),
        )
        .route("/app/{tenant}/invoices/{id}/issue", post(invoices::issue))
        .route("/app/{tenant}/invoices/{id}/void", get(invoices::confirm_void).post(invoices::void))
        .route("/app/{tenant}/invoices/{id}/pdf", get(invoices::download))
        .route("/app/{tenant}/invoices/{id}/payments", post(invoices::payment::record))
        .route("/app/{tenant}/invoices/{id}/installments", post(invoices::plan::create))
        .route("/app/{tenant}/payments", get(payments::index))
        .route("/app/{tenant}/payments/{id}", get(payments::show))
        .route("/app/{tenant}/payments/{id}/refund", post(payments::refund))
        .route("/app/{tenant}/payments/{id}/confirm", post(invoices::payment::confirm))
        .route("/app/{tenant}/payments/{id}/reject", post(invoices::payment::reject))
        .route("/app/{tenant}/settings", get(settings::show).post(settings::update))
        .route("/app/{tenant}/settings/branding", post(settings::update_branding))
        .route("/app/{tenant}/settings/logo", post(settings::upload_logo))
        .route("/app/{tenant}/settings/logo/delete", post(settings::remove_logo))
        .route(
            "/app/{tenant}/settings/payments",
            get(online::settings).post(online::update_settings),
        )
        .route("/app/{tenant}/payments/online", get(online::list))
        .route("/app/{tenant}/plan", get(plan::show))
        .route("/app/{tenant}/plan/upgrade", post(plan::upgrade))
        .route("/app/{tenant}/plan/billing", post(plan::billing))
        .route("/app/{tenant}/settings/help", get(help::show).post(help::update))
        .route("/app/{tenant}/settings/tokens", post(settings::create_token))
        .route("/app/{tenant}/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route(
            "/app/{tenant}/notifications",
            get(notifications::show).post(notifications::update_mine),
        )
        .route("/app/{tenant}/settings/notifications", post(notifications::update_settings))
        .route("/app/{tenant}/notifications/feed", post(notifications::regenerate_feed))
        .route("/app/{tenant}/audit", get(audit::index))
        .route("/app/{tenant}/team", get(team::index))
        .route("/app/{tenant}/services", get(services::index))
        .route("/app/{tenant}/services/new", get(services::new).post(services::create))
        .route("/app/{tenant}/services/defaults", post(services::set_default))
        .route("/app/{tenant}/services/{code}", get(services::show).post(services::update))
        .route("/app/{tenant}/services/{code}/delete", post(services::delete))
        .route("/app/{tenant}/staff", get(staff::index))
        .route("/app/{tenant}/staff/new", get(staff::new).post(staff::create))
        .route("/app/{tenant}/staff/{id}", get(staff::show).post(staff::update))
        .route("/app/{tenant}/staff/{id}/delete", post(staff::delete))
        .route("/app/{tenant}/staff/{id}/move", post(staff::reorder))
        .route("/app/{tenant}/staff/{id}/invite", post(staff::invite))
        .route("/app/{tenant}/staff/{id}/photo", post(staff_photo::upload))
        .route("/app/{tenant}/staff/{id}/photo/delete", post(staff_photo::remove))
        .route("/app/{tenant}/team/invite", post(team::invite))
        .route("/app/{tenant}/hours", get(hours::show).post(hours::update))
        .route("/app/{tenant}/hours/rules", post(hours::update_rules))
        .route("/app/{tenant}/hours/time-off", post(hours::add_time_off))
        .route("/app/{tenant}/staff/{id}/hours", get(hours::staff_show).post(hours::staff_update))
        .route("/app/{tenant}/staff/{id}/hours/time-off", post(hours::staff_add_time_off))
        .route("/app/{tenant}/time-off/{id}/delete", post(hours::delete_time_off))
        .route("/app/{tenant}/timetable", get(timetable::show))
        .route("/app/{tenant}/timetable/blocks", post(timetable::create))
        .route("/app/{tenant}/timetable/blocks/{id}", post(timetable::update))
        .route("/app/{tenant}/timetable/blocks/{id}/delete", post(timetable::delete))
        .route("/app/{tenant}/timetable/copy-yesterday", post(timetable::copy_yesterday))
        .route("/app/{tenant}/timetable/copy", post(timetable::copy_range))
}
