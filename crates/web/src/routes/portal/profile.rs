//! The client's own contact details and notification choices.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts;
use portico_domain::phone::parse_client_phone;
use portico_store::clients;
use portico_store::notify::feeds::{self, Owner};
use portico_store::notify::{self, ClientPrefs, Kind};
use serde::{Deserialize, Serialize};

use crate::auth::ClientScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::{AppState, Error};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
}

#[derive(Serialize)]
struct ProfilePage<'a> {
    chrome: Chrome,
    email: String,
    form: &'a ProfileForm,
    errors: &'a FieldErrors,
    /// The email kinds the client hears of.
    prefs: ClientPrefs,
    /// Whether the client has a calendar feed, and its address right after (re)creating it.
    has_feed: bool,
    new_feed: Option<String>,
    /// Whether the business sends texts (PRO, SMS on): only then are SMS choices offered.
    sms_offered: bool,
}

/// Whether the business sends texts now: PRO and its SMS switch on.
async fn sms_offered(state: &AppState, scope: &ClientScope) -> Result<bool, Error> {
    let plan = scope.tenant.effective_plan(state.clock.now());
    Ok(portico_domain::plans::allows(plan, portico_domain::plans::Feature::SmsNotifications)
        && notify::prefs::settings(&state.db, scope.tenant.id).await?.sms_enabled)
}

async fn render(
    state: &AppState,
    scope: &ClientScope,
    form: &ProfileForm,
    errors: &FieldErrors,
    new_feed: Option<String>,
) -> Result<Response, Error> {
    let page = ProfilePage {
        chrome: Chrome::client(scope).await?,
        email: scope.client.email.clone(),
        form,
        errors,
        prefs: notify::prefs::client(&state.db, scope.tenant.id, scope.client.id).await?,
        has_feed: feeds::exists(&state.db, scope.tenant.id, Owner::Client(scope.client.id)).await?,
        new_feed,
        sms_offered: sms_offered(state, scope).await?,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("portal/profile.html", &page)).into_response())
}

pub async fn show(State(state): State<AppState>, scope: ClientScope) -> Result<Response, Error> {
    let form = ProfileForm {
        name: scope.client.name.clone(),
        phone: scope.client.phone.clone(),
        address: scope.client.address.clone(),
    };
    render(&state, &scope, &form, &FieldErrors::new(), None).await
}

pub async fn update(
    State(state): State<AppState>,
    scope: ClientScope,
    Form(form): Form<ProfileForm>,
) -> Result<Response, Error> {
    let mut check = Check::default();
    let name = check.field("name", accounts::parse_name(&form.name));
    // E.164, so texts can reach it; a stored number from before that rule stays until edited.
    let phone = if form.phone.trim() == scope.client.phone {
        scope.client.phone.clone()
    } else {
        check.field("phone", parse_client_phone(&form.phone)).unwrap_or_default()
    };
    if form.address.chars().count() > 500 {
        check.fail("address", "Use at most 500 characters.");
    }
    let (Some(name), true) = (name, check.is_ok()) else {
        return render(&state, &scope, &form, &check.errors, None).await;
    };
    let now = state.clock.now_ts();
    clients::update_contact(
        &state.db,
        scope.tenant.id,
        scope.client.id,
        &name,
        &phone,
        form.address.trim(),
        now,
    )
    .await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.tenant.id),
            Some(scope.user.id),
            "client.profile_updated",
            format!("#{}", scope.client.id),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Your details are saved.").await?;
    Ok(see_other(&format!("/portal/{}/profile", scope.tenant.slug)))
}

/// The notification section: a checkbox per email kind (an unchecked box is not sent).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NotificationsForm {
    email_changes: Option<String>,
    email_reminders: Option<String>,
    email_invoices: Option<String>,
    sms_changes: Option<String>,
    sms_reminders: Option<String>,
    sms_invoices: Option<String>,
}

/// Saves which emails (and, where the business sends texts, which texts) the client wants.
/// Where it sends none, the SMS choices are kept as they are.
pub async fn update_notifications(
    State(state): State<AppState>,
    scope: ClientScope,
    Form(form): Form<NotificationsForm>,
) -> Result<Response, Error> {
    let (tenant, client) = (scope.tenant.id, scope.client.id);
    let mut prefs = notify::prefs::client(&state.db, tenant, client).await?;
    for (kind, box_) in [
        (Kind::Changes, &form.email_changes),
        (Kind::Reminders, &form.email_reminders),
        (Kind::Invoices, &form.email_invoices),
    ] {
        prefs.email.set(kind, box_.is_some());
    }
    if sms_offered(&state, &scope).await? {
        prefs.sms.set(Kind::Changes, form.sms_changes.is_some());
        prefs.sms.set(Kind::Reminders, form.sms_reminders.is_some());
        prefs.sms.set(Kind::Invoices, form.sms_invoices.is_some());
    }
    notify::prefs::set_client(&state.db, tenant, client, &prefs, state.clock.now_ts()).await?;
    state
        .audit(
            &scope.viewer,
            Some(tenant),
            Some(scope.user.id),
            "client.notifications_updated",
            format!("#{}", scope.client.id),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Your notification choices are saved.").await?;
    Ok(see_other(&format!("/portal/{}/profile", scope.tenant.slug)))
}

/// A new private calendar feed address for the client's bookings; the previous one stops
/// working. Shown on this response only (its token is stored hashed).
pub async fn regenerate_feed(
    State(state): State<AppState>,
    scope: ClientScope,
) -> Result<Response, Error> {
    let owner = Owner::Client(scope.client.id);
    let token = feeds::regenerate(&state.db, scope.tenant.id, owner, state.clock.now_ts()).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.tenant.id),
            Some(scope.user.id),
            "client.calendar_feed_regenerated",
            format!("#{}", scope.client.id),
        )
        .await?;
    let form = ProfileForm {
        name: scope.client.name.clone(),
        phone: scope.client.phone.clone(),
        address: scope.client.address.clone(),
    };
    let url = crate::routes::feeds::url(&state, &token);
    render(&state, &scope, &form, &FieldErrors::new(), Some(url)).await
}
