//! A fake Google on `127.0.0.1:0` speaking the real wire format of the endpoints Portico uses:
//! OAuth authorization (answers with a redirect carrying `code` and `state`), the token
//! endpoint (authorization_code with PKCE S256 verification, refresh_token, `invalid_grant`),
//! revocation, and Calendar v3 events insert/get/patch/delete, calendarList and freeBusy,
//! with Google's error bodies (`{"error":{"code","message","errors":[{"reason"}]}}`).
//!
//! Tests can make it answer 429/503 a number of times, revoke grants behind the app's back,
//! expire access tokens, and put busy times in a calendar. Every call is recorded.

mod api;
mod oauth;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::{get, post};
use tokio::task::JoinHandle;

use state::FakeState;
pub use state::{Call, FakeEvent};

/// The OAuth client the fake accepts.
pub const CLIENT_ID: &str = "portico-test.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "fake-client-secret";
/// The Google account every grant belongs to; its primary calendar has this id.
pub const ACCOUNT: &str = "pat.person@gmail.com";
/// The scopes a grant carries.
pub const SCOPE_GRANTED: &str = "https://www.googleapis.com/auth/calendar.events \
    https://www.googleapis.com/auth/calendar.calendarlist.readonly \
    https://www.googleapis.com/auth/calendar.freebusy";
/// A second calendar in the list.
pub const TEAM_CALENDAR: &str = "team@group.calendar.google.com";

/// The fake server. Stops when dropped.
#[derive(Debug)]
pub struct FakeGoogle {
    addr: SocketAddr,
    shared: Arc<Mutex<FakeState>>,
    server: JoinHandle<()>,
}

impl Drop for FakeGoogle {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Shared = Arc<Mutex<FakeState>>;

fn lock(shared: &Shared) -> MutexGuard<'_, FakeState> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeGoogle {
    pub async fn start() -> Self {
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake Google");
        let addr = listener.local_addr().expect("fake Google address");
        let shared: Shared = Arc::default();
        let router = Router::new()
            .route("/o/oauth2/v2/auth", get(oauth::authorize))
            .route("/token", post(oauth::token))
            .route("/revoke", post(oauth::revoke))
            .route("/calendar/v3/calendars/{calendar}/events", post(api::insert))
            .route(
                "/calendar/v3/calendars/{calendar}/events/{id}",
                get(api::get).patch(api::patch).delete(api::delete),
            )
            .route("/calendar/v3/users/me/calendarList", get(api::calendar_list))
            .route("/calendar/v3/freeBusy", post(api::free_busy))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { addr, shared, server }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Configuration pointing the app at this fake (for `TestApp::spawn_with`).
    pub fn configure(&self, sources: portico_config::Sources) -> portico_config::Sources {
        let base = self.base();
        sources
            .set("google.client_id", CLIENT_ID)
            .set("google.client_secret", CLIENT_SECRET)
            .set("google.auth_url", format!("{base}/o/oauth2/v2/auth"))
            .set("google.token_url", format!("{base}/token"))
            .set("google.revoke_url", format!("{base}/revoke"))
            .set("google.api_base", format!("{base}/calendar/v3"))
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared).calls.clone()
    }

    /// Calls so far to paths starting with `prefix` (e.g. `/calendar/v3`, `/token`).
    pub fn calls_to(&self, prefix: &str) -> usize {
        lock(&self.shared).calls.iter().filter(|c| c.path.starts_with(prefix)).count()
    }

    /// The events of `calendar` that are not cancelled.
    pub fn events(&self, calendar: &str) -> Vec<FakeEvent> {
        lock(&self.shared)
            .events
            .iter()
            .filter(|((cal, _), e)| cal == calendar && e.status != "cancelled")
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// One event by id in `calendar`, cancelled or not.
    pub fn event(&self, calendar: &str, id: &str) -> Option<FakeEvent> {
        lock(&self.shared).events.get(&(calendar.to_owned(), id.to_owned())).cloned()
    }

    /// The next `times` Calendar API calls answer `status` (429 `rateLimitExceeded`, 403
    /// `rateLimitExceeded`, 503 `backendError`, …) before being looked at.
    pub fn fail_next(&self, times: usize, status: u16) {
        let mut state = lock(&self.shared);
        state.failures.extend(std::iter::repeat_n((status, None), times));
    }

    /// The next Calendar API call answers `status` with `Retry-After: {secs}`.
    pub fn fail_next_retry_after(&self, status: u16, secs: u64) {
        lock(&self.shared).failures.push_back((status, Some(secs)));
    }

    /// Changes an event at Google behind Portico's back (the person edits or deletes it; a
    /// deleted event stays, `cancelled`, and deleting it again answers 410).
    pub fn edit_event(&self, calendar: &str, id: &str, change: impl FnOnce(&mut FakeEvent)) {
        let mut state = lock(&self.shared);
        let event = state.events.get_mut(&(calendar.to_owned(), id.to_owned()));
        change(event.expect("no such event at the fake Google"));
    }

    /// Forgets an event entirely: reading or deleting it answers 404.
    pub fn purge_event(&self, calendar: &str, id: &str) {
        lock(&self.shared).events.remove(&(calendar.to_owned(), id.to_owned()));
    }

    /// The next event insert is stored, and then never answered: the caller hangs as if
    /// its process died after Google did the work.
    pub fn stall_next_insert(&self) {
        lock(&self.shared).stall_insert = true;
    }

    /// The person revoked Portico's access at Google: every refresh and access token stops
    /// working; refreshing answers `invalid_grant`.
    pub fn revoke_all_grants(&self) {
        let mut state = lock(&self.shared);
        state.revoke_everything();
    }

    /// Access tokens issued so far stop working (401), as after their hour is up.
    pub fn expire_access_tokens(&self) {
        lock(&self.shared).access.values_mut().for_each(|t| t.valid = false);
    }

    /// Refresh tokens issued so far, as Google knows them (for searching the database).
    pub fn refresh_tokens(&self) -> Vec<String> {
        lock(&self.shared).refresh.keys().cloned().collect()
    }

    /// Whether a refresh token was revoked through the revoke endpoint.
    pub fn revoked(&self, token: &str) -> bool {
        lock(&self.shared).refresh.get(token).is_some_and(|r| r.revoked)
    }

    /// Puts a busy interval (RFC 3339 instants) into `calendar`'s free/busy answer.
    pub fn add_busy(&self, calendar: &str, start: &str, end: &str) {
        let start = chrono::DateTime::parse_from_rfc3339(start).expect("start").to_utc();
        let end = chrono::DateTime::parse_from_rfc3339(end).expect("end").to_utc();
        lock(&self.shared).busy.entry(calendar.to_owned()).or_default().push((start, end));
    }
}
