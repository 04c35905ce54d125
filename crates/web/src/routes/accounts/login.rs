//! Logging in and out.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_domain::accounts::Email;
use portico_store::{clients, tenants, users};
use serde::{Deserialize, Serialize};

use crate::auth::{self, Viewer};
use crate::chrome::Chrome;
use crate::error::wait_text;
use crate::forms::{safe_next, see_other};
use crate::limits::{Limit, ip_subject};
use crate::{AppState, Error};

/// The one answer to every failed login, whether or not the account exists.
const BAD_LOGIN: &str = "Email or password is incorrect.";

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    error: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<NextQuery>,
) -> Result<Response, Error> {
    let page = LoginPage {
        chrome: Chrome::new(&viewer).await?,
        email: String::new(),
        next: safe_next(query.next.as_deref()).unwrap_or_default(),
        error: None,
    };
    Ok(state.templates.page("account/login.html", &page))
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<LoginForm>,
) -> Result<Response, Error> {
    // Only failures count: an owner logging in again and again is never locked out, while
    // guessing is stopped per address and per account alike.
    let limits = &state.config.rate_limits;
    let by_ip = Limit { name: "login-ip", max: limits.login_per_ip };
    let by_account = Limit { name: "login-account", max: limits.login_per_account };
    let ip = ip_subject(viewer.ip);
    let email = Email::parse(&form.email).ok();
    let mut wait = state.rate_limited(by_ip, &ip).await?;
    if let Some(email) = &email {
        wait = wait.max(state.rate_limited(by_account, email.as_str()).await?);
    }
    if let Some(retry_after) = wait {
        tracing::warn!("login refused: too many failed attempts");
        return locked(&state, &viewer, &form, retry_after).await;
    }
    let user = match &email {
        Some(email) => users::by_email(&state.db, email).await?,
        None => None,
    };
    // Verify against a dummy hash when there is no account, so both cases take as long.
    let ok = auth::passwords_match(&form.password, user.as_ref()).await;
    // A failure against an existing account is recorded as that account's, so it shows in
    // the audit log of the businesses it works for. The answer is the same either way.
    let attempted = user.as_ref().map(|u| u.id);
    let Some(user) = user.filter(|_| ok) else {
        // Unknown accounts count too, so the lock tells nothing about which emails exist.
        state.count_failure(by_ip, &ip).await?;
        if let Some(email) = &email {
            state.count_failure(by_account, email.as_str()).await?;
        }
        let typed = form.email.trim().to_lowercase();
        state.audit(&viewer, None, attempted, "login.failure", typed).await?;
        return failed(&state, &viewer, &form, BAD_LOGIN).await;
    };
    if login_disabled_everywhere(&state, &user).await? {
        state.audit(&viewer, None, Some(user.id), "login.refused", "portal login disabled").await?;
        return failed(
            &state,
            &viewer,
            &form,
            "Your portal login has been disabled. Please contact the business.",
        )
        .await;
    }

    // The owner proved themselves: earlier typos no longer count against the account (the
    // address keeps its count, or one's own account could wipe a guesser's record).
    if let Some(email) = &email {
        state.clear_failures(by_account, email.as_str()).await?;
    }
    auth::log_in(&state, &viewer.session, &user).await?;
    state.audit(&viewer, None, Some(user.id), "login.success", "").await?;
    let next = match safe_next(form.next.as_deref()) {
        Some(next) => next,
        None => landing(&state, &user).await?,
    };
    Ok(see_other(&next))
}

async fn failed(
    state: &AppState,
    viewer: &Viewer,
    form: &LoginForm,
    message: &str,
) -> Result<Response, Error> {
    let page = LoginPage {
        chrome: Chrome::new(viewer).await?,
        email: form.email.trim().to_owned(),
        next: safe_next(form.next.as_deref()).unwrap_or_default(),
        error: Some(message.to_owned()),
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, state.templates.page("account/login.html", &page))
        .into_response())
}

/// The login page refusing with 429 while failures are over the limit, saying how long to wait.
async fn locked(
    state: &AppState,
    viewer: &Viewer,
    form: &LoginForm,
    retry_after: u64,
) -> Result<Response, Error> {
    let message = format!(
        "Too many failed login attempts. For your security, please wait {} and try again.",
        wait_text(retry_after)
    );
    let mut response = failed(state, viewer, form, &message).await?;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    Ok(response)
}

/// A login whose only purpose is portals that all disabled it cannot log in.
async fn login_disabled_everywhere(state: &AppState, user: &users::User) -> Result<bool, Error> {
    if !tenants::workplaces(&state.db, user.id).await?.is_empty() {
        return Ok(false);
    }
    let records = clients::records_of_user(&state.db, user.id).await?;
    Ok(!records.is_empty() && records.iter().all(clients::Client::login_disabled))
}

/// Where a user goes after logging in: their only workplace, their only portal, or the
/// account page with the tenant switcher.
pub async fn landing(state: &AppState, user: &users::User) -> Result<String, Error> {
    let workplaces = tenants::workplaces(&state.db, user.id).await?;
    let providers = clients::providers_of(&state.db, user.id).await?;
    Ok(match (workplaces.as_slice(), providers.as_slice()) {
        ([only], []) => format!("/app/{}", only.slug),
        ([], [only]) => format!("/portal/{}", only.slug),
        _ => "/accounts".to_owned(),
    })
}

pub async fn destroy(viewer: Viewer) -> Result<Response, Error> {
    auth::log_out(&viewer.session).await?;
    Ok(see_other("/accounts/login"))
}

pub async fn destroy_everywhere(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, Error> {
    let user = viewer.require_user()?.clone();
    let ended = auth::log_out_everywhere(&state, user.id).await?;
    state
        .audit(&viewer, None, Some(user.id), "logout.everywhere", format!("{ended} sessions"))
        .await?;
    auth::log_out(&viewer.session).await?;
    Ok(see_other("/accounts/login"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn waits_are_said_in_words_and_rounded_up() {
        assert_eq!(super::wait_text(1), "1 second");
        assert_eq!(super::wait_text(45), "45 seconds");
        assert_eq!(super::wait_text(60), "1 minute");
        assert_eq!(super::wait_text(61), "2 minutes");
        assert_eq!(super::wait_text(900), "15 minutes");
    }
}
