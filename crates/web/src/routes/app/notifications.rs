//! `/app/{tenant}/notifications`: each team member chooses whether they get the booking
//! emails (their own notices); the owner also sets the business's reminders (how long before
//! a booking, or none) and, on PRO, the SMS switch.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts::Role;
use portico_domain::phone::E164;
use portico_domain::plans::{self, Feature};
use portico_store::notify::feeds::{self, Owner};
use portico_store::notify::{self, MemberPrefs, Settings};
use portico_store::sealed::{self, SecretKind, Slot};
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
    /// The business's Twilio account, for the owner on PRO: whether each secret is set (never
    /// its value) and the sender number.
    twilio: Option<TwilioView>,
}

#[derive(Serialize)]
struct TwilioView {
    sid_set: bool,
    token_set: bool,
    from: String,
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
    let sms_allowed = plans::allows(scope.plan(state), Feature::SmsNotifications);
    let twilio = if settings.is_some() && sms_allowed {
        let set = |kind| sealed::exists(&state.db, scope.id(), Slot::tenant(kind));
        Some(TwilioView {
            sid_set: set(SecretKind::TwilioAccountSid).await?,
            token_set: set(SecretKind::TwilioAuthToken).await?,
            from: notify::sms::sender(&state.db, scope.id()).await?,
        })
    } else {
        None
    };
    let page = NotificationsPage {
        chrome: Chrome::app(scope, state).await?,
        prefs: notify::prefs::member(&state.db, scope.id(), scope.user.id).await?,
        settings,
        reminder_minutes: reminder_typed.or(stored).unwrap_or_default(),
        sms_allowed,
        errors,
        has_feed: feeds::exists(&state.db, scope.id(), Owner::Member(scope.user.id)).await?,
        new_feed,
        twilio,
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
    notify::prefs::set_member(&state.db, scope.id(), scope.user.id, &prefs, state.clock.now_ts())
        .await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
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
    /// Write-only: empty keeps what is stored.
    #[serde(default)]
    twilio_account_sid: String,
    #[serde(default)]
    twilio_auth_token: String,
    #[serde(default)]
    sms_from: String,
}

/// A Twilio Account SID: `AC` and 32 hex digits.
fn twilio_sid(input: &str) -> Result<String, String> {
    let sid = input.trim();
    let hex = sid.strip_prefix("AC").unwrap_or_default();
    if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(sid.to_owned())
    } else {
        Err("An Account SID is AC followed by 32 letters and digits (see your Twilio console)."
            .into())
    }
}

/// A Twilio auth token: 32 letters and digits.
fn twilio_token(input: &str) -> Result<String, String> {
    let token = input.trim();
    if (16..=64).contains(&token.len()) && token.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(token.to_owned())
    } else {
        Err("An auth token is 32 letters and digits (see your Twilio console).".into())
    }
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
    // The Twilio account (write-only secrets; an empty field keeps the stored value).
    let mut secrets = Vec::new();
    for (field, kind, typed, parse) in [
        (
            "twilio_account_sid",
            SecretKind::TwilioAccountSid,
            &form.twilio_account_sid,
            twilio_sid as fn(&str) -> Result<String, String>,
        ),
        ("twilio_auth_token", SecretKind::TwilioAuthToken, &form.twilio_auth_token, twilio_token),
    ] {
        if typed.trim().is_empty() {
            continue;
        }
        match parse(typed) {
            Ok(value) => secrets.push((kind, value)),
            Err(message) => {
                errors.insert(field.into(), message);
            }
        }
    }
    let stored_from = notify::sms::sender(&state.db, scope.id()).await?;
    let from = match form.sms_from.trim() {
        "" => None,
        same if same == stored_from => None,
        typed => match E164::parse(typed) {
            Ok(number) => Some(number.to_string()),
            Err(invalid) => {
                errors.insert("sms_from".into(), invalid.0.into());
                None
            }
        },
    };
    let sms_account_given = !secrets.is_empty() || from.is_some();
    if sms_account_given && !plans::allows(scope.plan(&state), Feature::SmsNotifications) {
        errors.insert("sms_enabled".into(), "SMS notifications need the PRO plan.".into());
    }
    if !errors.is_empty() {
        return render(&state, &scope, Some(typed.to_owned()), &errors, None).await;
    }
    let now = state.clock.now_ts();
    let settings = Settings { reminder_minutes_before: minutes, sms_enabled };
    notify::prefs::set_settings(&state.db, scope.id(), &settings, now).await?;
    if sms_account_given {
        let mut tx = state.db.begin_write().await?;
        for (kind, value) in &secrets {
            sealed::put(&mut tx, &state.keyring, scope.id(), Slot::tenant(*kind), value, now)
                .await?;
        }
        if let Some(from) = &from {
            notify::sms::set_sender(&mut tx, scope.id(), from, now).await?;
        }
        tx.commit().await.map_err(anyhow::Error::from)?;
        let what: Vec<&str> = secrets.iter().map(|(kind, _)| kind.as_str()).collect();
        state
            .audit(
                &scope.viewer,
                Some(scope.id()),
                Some(scope.user.id),
                "tenant.sms_account_changed",
                format!("set {} from={}", what.join(","), from.as_deref().unwrap_or("(kept)")),
            )
            .await?;
    }
    let reminders = minutes.map_or("off".to_owned(), |m| format!("{m} min before"));
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
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
    let owner = Owner::Member(scope.user.id);
    let token = feeds::regenerate(&state.db, scope.id(), owner, state.clock.now_ts()).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "member.calendar_feed_regenerated",
            String::new(),
        )
        .await?;
    let url = crate::routes::feeds::url(&state, &token);
    render(&state, &scope, None, &FieldErrors::new(), Some(url)).await
}
