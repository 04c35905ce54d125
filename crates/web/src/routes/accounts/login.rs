//! Logging in and out.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts::Email;
use portico_store::{clients, tenants, users};
use serde::{Deserialize, Serialize};

use crate::auth::{self, Viewer};
use crate::chrome::Chrome;
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
    let limits = &state.config.rate_limits;
    state
        .rate_limit(Limit { name: "login-ip", max: limits.login_per_ip }, &ip_subject(viewer.ip))
        .await?;
    let email = Email::parse(&form.email).ok();
    if let Some(email) = &email {
        state
            .rate_limit(
                Limit { name: "login-account", max: limits.login_per_account },
                email.as_str(),
            )
            .await?;
    }
    let user = match &email {
        Some(email) => users::by_email(&state.db, email).await?,
        None => None,
    };
    // Verify against a dummy hash when there is no account, so both cases take as long.
    let ok = auth::passwords_match(&form.password, user.as_ref()).await;
    // A failure against an existing account is recorded as that account's, so it shows in
    // the audit log of the businesses it works for. The answer is the same either way.
    let attempted = user.as_ref().map(users::User::id);
    let Some(user) = user.filter(|_| ok) else {
        let typed = form.email.trim().to_lowercase();
        state.audit(&viewer, None, attempted, "login.failure", typed).await?;
        return failed(&state, &viewer, &form, BAD_LOGIN).await;
    };
    if login_disabled_everywhere(&state, &user).await? {
        state
            .audit(&viewer, None, Some(user.id()), "login.refused", "portal login disabled")
            .await?;
        return failed(
            &state,
            &viewer,
            &form,
            "Your portal login has been disabled. Please contact the business.",
        )
        .await;
    }

    auth::log_in(&state, &viewer.session, &user).await?;
    state.audit(&viewer, None, Some(user.id()), "login.success", "").await?;
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

/// A login whose only purpose is portals that all disabled it cannot log in.
async fn login_disabled_everywhere(state: &AppState, user: &users::User) -> Result<bool, Error> {
    if !tenants::workplaces(&state.db, user.id()).await?.is_empty() {
        return Ok(false);
    }
    let records = clients::records_of_user(&state.db, user.id()).await?;
    Ok(!records.is_empty() && records.iter().all(clients::Client::login_disabled))
}

/// Where a user goes after logging in: their only workplace, their only portal, or the
/// account page with the tenant switcher.
pub async fn landing(state: &AppState, user: &users::User) -> Result<String, Error> {
    let workplaces = tenants::workplaces(&state.db, user.id()).await?;
    let providers = clients::providers_of(&state.db, user.id()).await?;
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
    let ended = auth::log_out_everywhere(&state, user.id()).await?;
    state
        .audit(&viewer, None, Some(user.id()), "logout.everywhere", format!("{ended} sessions"))
        .await?;
    auth::log_out(&viewer.session).await?;
    Ok(see_other("/accounts/login"))
}
