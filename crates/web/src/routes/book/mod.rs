//! `/book/{tenant}/…`: the public booking page for guests, and the guest's manage link.

pub mod flow;
mod manage;
mod pages;
mod pictures;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/book/{tenant}", get(pages::index))
        .route("/book/{tenant}/brand.css", get(pages::brand_css))
        .route("/book/{tenant}/logo", get(pictures::logo))
        .route("/book/{tenant}/staff/{id}/photo", get(pictures::staff_photo))
        .route("/book/{tenant}/services/{code}", get(pages::service))
        .route("/book/{tenant}/services/{code}/hold", post(pages::hold))
        .route("/book/{tenant}/details", get(pages::details).post(pages::confirm))
        .route("/book/{tenant}/paid", get(pages::paid))
        .route("/book/{tenant}/done", get(pages::done))
        .route("/book/{tenant}/done/booking.ics", get(pages::calendar_file))
        .route("/book/{tenant}/manage/{token}", get(manage::show))
        .route("/book/{tenant}/manage/{token}/cancel", post(manage::cancel))
        .route(
            "/book/{tenant}/manage/{token}/reschedule",
            get(manage::options).post(manage::reschedule),
        )
}
