//! Password reset (request → emailed single-use link → new password) and password change.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts::Email;
use portico_domain::password::check_password;
use portico_jobs::AccountEmail;
use portico_store::tokens::{self, Purpose};
use portico_store::{audit, sessions, users};
use serde::{Deserialize, Serialize};

use crate::auth::{self, Viewer};
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::limits::{Limit, ip_subject};
use crate::{AppState, Error, passwords};

#[derive(Serialize)]
struct RequestPage {
    chrome: Chrome,
    email: String,
    sent: bool,
}

pub async fn request_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, Error> {
    let page =
        RequestPage { chrome: Chrome::new(&viewer).await?, email: String::new(), sent: false };
    Ok(state.templates.page("account/reset_request.html", &page))
}

#[derive(Debug, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    email: String,
}

/// Always the same answer, whether or not the email has an account.
pub async fn request(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RequestForm>,
) -> Result<Response, Error> {
    let limits = &state.config.rate_limits;
    state
        .rate_limit(Limit { name: "reset-ip", max: limits.reset_per_ip }, &ip_subject(viewer.ip))
        .await?;
    if let Ok(email) = Email::parse(&form.email) {
        state
            .rate_limit(
                Limit { name: "reset-account", max: limits.reset_per_account },
                email.as_str(),
            )
            .await?;
        if let Some(user) = users::by_email(&state.db, &email).await? {
            let now = state.clock.now_ts();
            let mut tx = state.db.begin().await?;
            portico_jobs::enqueue(
                &mut tx,
                &AccountEmail::PasswordReset { user_id: user.id.get() },
                now,
            )
            .await?;
            let ip = viewer.ip_string();
            let entry = audit::Entry {
                tenant: None,
                actor: Some(user.id),
                action: "password.reset_requested",
                detail: String::new(),
                ip: &ip,
            };
            audit::record_in(&mut tx, &entry, now).await?;
            tx.commit().await.map_err(anyhow::Error::from)?;
        }
    }
    let page = RequestPage {
        chrome: Chrome::new(&viewer).await?,
        email: form.email.trim().to_owned(),
        sent: true,
    };
    Ok(state.templates.page("account/reset_request.html", &page))
}

#[derive(Serialize)]
struct ResetPage<'a> {
    chrome: Chrome,
    token: &'a str,
    errors: FieldErrors,
}

pub async fn reset_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    tokens::peek(&state.db, Purpose::PasswordReset, &token, state.clock.now_ts())
        .await?
        .ok_or_else(invalid_link)?;
    let page = ResetPage {
        chrome: Chrome::new(&viewer).await?,
        token: &token,
        errors: FieldErrors::new(),
    };
    Ok(state.templates.page("account/reset.html", &page))
}

/// A link that is unknown, used or expired: a plain 404 that says so.
pub fn invalid_link() -> Error {
    Error::NotFound
}

#[derive(Debug, Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

fn check_new_password(form: &NewPasswordForm, email: &str, name: &str) -> Check {
    let mut check = Check::default();
    check.field("password", check_password(&form.password, &[email, name]));
    if form.password != form.confirm {
        check.fail("confirm", "The two passwords differ.");
    }
    check
}

pub async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> Result<Response, Error> {
    let now = state.clock.now_ts();
    let link = tokens::peek(&state.db, Purpose::PasswordReset, &token, now)
        .await?
        .ok_or_else(invalid_link)?;
    let user_id = link.user_id.ok_or_else(invalid_link)?;
    let user = users::by_id(&state.db, user_id.get()).await?.ok_or_else(invalid_link)?;
    let check = check_new_password(&form, &user.email, &user.name);
    if !check.is_ok() {
        let page =
            ResetPage { chrome: Chrome::new(&viewer).await?, token: &token, errors: check.errors };
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            state.templates.page("account/reset.html", &page),
        )
            .into_response());
    }
    let hash = passwords::hash(&form.password).await?;
    let mut tx = state.db.begin_write().await?;
    // Single use: only one request can consume the link.
    tokens::consume(&mut tx, Purpose::PasswordReset, &token, now)
        .await?
        .ok_or_else(invalid_link)?;
    users::set_password(&mut tx, user_id, &hash, now).await?;
    // Receiving the link proves the address.
    users::mark_verified(&mut tx, user_id, now).await?;
    portico_jobs::enqueue(&mut tx, &portico_jobs::LinkGuest::Link { user_id: user_id.get() }, now)
        .await?;
    let ip = viewer.ip_string();
    let entry = audit::Entry {
        tenant: None,
        actor: Some(user_id),
        action: "password.reset",
        detail: String::new(),
        ip: &ip,
    };
    audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    // Whoever knew the old password is logged out everywhere.
    sessions::delete_for_user(&state.db, user_id.get()).await?;
    flash(&viewer.session, "info", "Your password has been changed. Log in with the new one.")
        .await?;
    Ok(see_other("/accounts/login"))
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    current: String,
    #[serde(flatten)]
    new: NewPasswordForm,
}

/// Changing the password while logged in: ends every other session.
pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ChangeForm>,
) -> Result<Response, Error> {
    let user = viewer.require_user()?.clone();
    let mut check = check_new_password(&form.new, &user.email, &user.name);
    if !auth::passwords_match(&form.current, Some(&user)).await {
        check.fail("current", "That is not your current password.");
    }
    if !check.is_ok() {
        return Err(Error::Unprocessable { fields: check.errors });
    }
    let now = state.clock.now_ts();
    let hash = passwords::hash(&form.new.password).await?;
    let mut tx = state.db.begin().await?;
    users::set_password(&mut tx, user.id, &hash, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    auth::log_out_everywhere(&state, user.id).await?;
    auth::log_in(&state, &viewer.session, &user).await?;
    state.audit(&viewer, None, Some(user.id), "password.changed", "").await?;
    flash(
        &viewer.session,
        "info",
        "Your password has been changed; other devices were logged out.",
    )
    .await?;
    Ok(see_other("/accounts"))
}
