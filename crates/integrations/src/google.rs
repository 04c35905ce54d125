//! Google Calendar: OAuth 2.0 (authorization code with PKCE, refresh, revoke) and the few
//! Calendar v3 calls Portico makes (events insert/get/patch/delete, calendarList, freeBusy).
//!
//! A thin typed client over `reqwest` rather than `google-calendar3` + `yup-oauth2`:
//! yup-oauth2's authenticators hard-code Google's token URL and keep their own token cache,
//! while Portico needs the token URL from configuration (tests use a local fake), one refresh
//! token per person opened from the sealed store, and every error classified precisely
//! (`invalid_grant` disconnects at once, 409 on insert means "already there", 404/410 mean
//! "gone", 429/403-rate-limit/5xx are retried). Eleven endpoints do not justify two crates
//! whose behaviour we would have to work around.

mod calendar;
mod error;
mod event_id;
mod oauth;

use std::time::Duration;

use portico_config::GoogleSettings;

pub use calendar::{BusyInterval, CalendarEntry, Event, EventTime, NewEvent};
pub use error::GoogleError;
pub use event_id::event_id;
pub use oauth::{Pkce, Tokens, random_state};

/// Scopes asked for: write events, and read the calendar list and free/busy times.
pub const SCOPES: &str = "https://www.googleapis.com/auth/calendar.events \
    https://www.googleapis.com/auth/calendar.calendarlist.readonly \
    https://www.googleapis.com/auth/calendar.freebusy";

/// The client: Google's endpoints from configuration, one HTTP connection pool.
#[derive(Debug, Clone)]
pub struct Google {
    http: reqwest::Client,
    settings: GoogleSettings,
}

impl Google {
    /// A client for the configured endpoints. Redirects are not followed (OAuth endpoints must
    /// answer directly).
    pub fn new(settings: &GoogleSettings) -> Result<Self, GoogleError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(GoogleError::Network)?;
        Ok(Self { http, settings: settings.clone() })
    }

    pub fn settings(&self) -> &GoogleSettings {
        &self.settings
    }
}
