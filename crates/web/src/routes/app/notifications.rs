//! `/app/{tenant}/notifications`: each team member chooses whether they get the booking
//! emails (their own notices); the owner also sets the business's reminders (how long before
//! a booking, or none) and, on PRO, the SMS switch.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts::Role;
use portico_domain::plans::{self, Feature};
use portico_store::notify::feeds::{self, Owner};
use portico_store::notify::{self, MemberPrefs, Settings};
use serde::{Deserialize, Serialize};

use crate::auth::{OwnerScope, TenantScope};
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::routes::input::notify::reminder_minutes;
use crate::{AppState, Error};

#[derive(Serialize)]
struct NotificationsPage<'a> {
    chrome: Chrome,
    prefs: MemberPrefs,
    /// The business's settings, for the owner.
    settings: Option<Settings>,
    /// The reminder field as typed (or stored), for the owner's form.
    reminder_minutes: String,
    sms_allowed: bool,
    errors: &'a FieldErrors,
    /// Whether the member has a calendar feed, and its address right after (re)creating it.
    has_feed: bool,
    new_feed: Option<String>,
}

async fn render(
    state: &AppState,
    scope: &TenantScope,
    reminder_typed: Option<String>,
    errors: &FieldErrors,
    new_feed: Option<String>,
) -> Result<Response, Error> {
    let settings = if scope.role == Role::Owner {
        Some(notify::prefs::settings(&state.db, scope.id()).await?)
    } else {
        None
    };
    let stored = settings.and_then(|s| s.reminder_minutes_before).map(|m| m.to_string());
    let page = NotificationsPage {
        chrome: Chrome::app(scope, state).await?,
        prefs: notify::prefs::member(&state.db, scope.id(), scope.user.id()).await?,
        settings,
        reminder_minutes: reminder_typed.or(stored).unwrap_or_default(),
        sms_allowed: plans::allows(scope.plan(state), Feature::SmsNotifications),
        errors,
        has_feed: feeds::exists(&state.db, scope.id(), Owner::Member(scope.user.id())).await?,
        new_feed,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/notifications.html", &page)).into_response())
}

pub async fn show(State(state): State<AppState>, scope: TenantScope) -> Result<Response, Error> {
    render(&state, &scope, None, &FieldErrors::new(), None).await
}

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    email_changes: Option<String>,
}

/// The member's own choice: booking emails on or off.
pub async fn update_mine(
    State(state): State<AppState>,
    scope: TenantScope,
    Form(form): Form<MemberForm>,
) -> Result<Response, Error> {
    let prefs = MemberPrefs { email_changes: form.email_changes.is_some() };
    notify::prefs::set_member(&state.db, scope.id(), scope.user.id(), &prefs, state.clock.now_ts())
        .await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "member.notifications_updated",
            format!("booking emails {}", if prefs.email_changes { "on" } else { "off" }),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Your notification choice is saved.").await?;
    Ok(see_other(&format!("/app/{}/notifications", scope.tenant.slug)))
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    /// Minutes before the start; empty = no reminders.
    #[serde(default)]
    reminder_minutes: String,
    sms_enabled: Option<String>,
}

/// The business's reminders and SMS switch (owner only).
pub async fn update_settings(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<SettingsForm>,
) -> Result<Response, Error> {
    let mut errors = FieldErrors::new();
    let typed = form.reminder_minutes.trim();
    let minutes = if typed.is_empty() {
        None
    } else {
        match typed.parse::<i64>().map_err(|_| "Enter a whole number of minutes.".to_owned()) {
            Ok(value) => match reminder_minutes(value) {
                Ok(minutes) => Some(minutes),
                Err(message) => {
                    errors.insert("reminder_minutes".into(), message);
                    None
                }
            },
            Err(message) => {
                errors.insert("reminder_minutes".into(), message);
                None
            }
        }
    };
    let sms_enabled = form.sms_enabled.is_some();
    if sms_enabled && !plans::allows(scope.plan(&state), Feature::SmsNotifications) {
        errors.insert("sms_enabled".into(), "SMS notifications need the PRO plan.".into());
    }
    if !errors.is_empty() {
        return render(&state, &scope, Some(typed.to_owned()), &errors, None).await;
    }
    let settings = Settings { reminder_minutes_before: minutes, sms_enabled };
    notify::prefs::set_settings(&state.db, scope.id(), &settings, state.clock.now_ts()).await?;
    let reminders = minutes.map_or("off".to_owned(), |m| format!("{m} min before"));
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "tenant.notifications_changed",
            format!("reminders={reminders} sms={sms_enabled}"),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Notification settings saved.").await?;
    Ok(see_other(&format!("/app/{}/notifications", scope.tenant.slug)))
}

/// A new private calendar feed address for the member; the previous one stops working. The
/// address is shown on this response only (its token is stored hashed).
pub async fn regenerate_feed(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Response, Error> {
    let owner = Owner::Member(scope.user.id());
    let token = feeds::regenerate(&state.db, scope.id(), owner, state.clock.now_ts()).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "member.calendar_feed_regenerated",
            String::new(),
        )
        .await?;
    let url = crate::routes::feeds::url(&state, &token);
    render(&state, &scope, None, &FieldErrors::new(), Some(url)).await
}
