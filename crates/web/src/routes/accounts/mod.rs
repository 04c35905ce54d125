//! `/signup` and `/accounts/…`: sign-up, login, logout, password reset and change, email
//! verification, invitations, and the account page with the tenant switcher.

mod home;
mod invite;
mod login;
mod password;
mod signup;
mod verify;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup::show).post(signup::create))
        .route("/accounts", get(home::show))
        .route("/accounts/login", get(login::show).post(login::create))
        .route("/accounts/logout", post(login::destroy))
        .route("/accounts/logout-everywhere", post(login::destroy_everywhere))
        .route("/accounts/password", post(password::change))
        .route("/accounts/password/reset", get(password::request_form).post(password::request))
        .route("/accounts/password/reset/{token}", get(password::reset_form).post(password::reset))
        .route("/accounts/verify/resend", post(verify::resend))
        .route("/accounts/verify/{token}", get(verify::show).post(verify::confirm))
        .route("/accounts/invite/{token}", get(invite::show).post(invite::accept))
}
