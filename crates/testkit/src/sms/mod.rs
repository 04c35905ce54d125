//! A fake Twilio on `127.0.0.1:0` speaking the real wire format of the one endpoint Portico
//! uses: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with a form body (`To`, `From`,
//! `Body`) and HTTP Basic auth (`AccountSid:AuthToken`). It answers `201` with the message
//! resource, or Twilio's error JSON `{"code","message","more_info","status"}`: 401 (20003) for
//! bad credentials, 400 (21604) for a missing `To`, 400 (21211) for an invalid one. Tests can
//! make it answer 503 a number of times. Every accepted message is recorded.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::json;
use tokio::task::JoinHandle;

/// The account the fake accepts.
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "fedcba9876543210fedcba9876543210";

/// A message the fake accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
}

#[derive(Debug, Default)]
struct FakeState {
    sent: Vec<SentSms>,
    /// Requests still to answer with 503.
    failures: usize,
    /// Every request seen, accepted or not.
    requests: usize,
}

type Shared = Arc<Mutex<FakeState>>;

fn lock(shared: &Shared) -> MutexGuard<'_, FakeState> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The fake server. Stops when dropped.
#[derive(Debug)]
pub struct FakeTwilio {
    addr: SocketAddr,
    shared: Shared,
    server: JoinHandle<()>,
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTwilio {
    pub async fn start() -> Self {
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake Twilio");
        let addr = listener.local_addr().expect("fake Twilio address");
        let shared: Shared = Arc::default();
        let router = Router::new()
            .route("/2010-04-01/Accounts/{sid}/Messages.json", post(create_message))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { addr, shared, server }
    }

    /// The base URL for `sms.twilio_api_base`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The messages accepted so far, oldest first.
    pub fn messages(&self) -> Vec<SentSms> {
        lock(&self.shared).sent.clone()
    }

    /// How many requests reached the fake (accepted or refused).
    pub fn requests(&self) -> usize {
        lock(&self.shared).requests
    }

    /// The next `times` requests get `503` with Twilio's error body.
    pub fn fail_next(&self, times: usize) {
        lock(&self.shared).failures = times;
    }
}

/// Twilio's error answer.
fn error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, Json(body)).into_response()
}

/// Whether `Authorization` is HTTP Basic for the fake's account and the path's SID.
fn authorized(headers: &HeaderMap, sid: &str) -> bool {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else { return false };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
        return false;
    };
    decoded == format!("{ACCOUNT_SID}:{AUTH_TOKEN}").as_bytes() && sid == ACCOUNT_SID
}

/// E.164 as Twilio checks it: `+`, then 8–15 digits, the first not 0.
fn e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

async fn create_message(
    State(shared): State<Shared>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let mut state = lock(&shared);
    state.requests += 1;
    if state.failures > 0 {
        state.failures -= 1;
        return error(StatusCode::SERVICE_UNAVAILABLE, 20503, "Service Unavailable");
    }
    if !authorized(&headers, &sid) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let (to, from, body) = (field("To"), field("From"), field("Body"));
    if to.is_empty() {
        return error(StatusCode::BAD_REQUEST, 21604, "A 'To' phone number is required.");
    }
    if !e164(&to) {
        let message = format!("The 'To' number {to} is not a valid phone number.");
        return error(StatusCode::BAD_REQUEST, 21211, &message);
    }
    if from.is_empty() {
        return error(StatusCode::BAD_REQUEST, 21603, "A 'From' phone number is required.");
    }
    if body.is_empty() {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    let message_sid = format!("SM{:032x}", state.sent.len() + 1);
    state.sent.push(SentSms {
        sid: message_sid.clone(),
        to: to.clone(),
        from: from.clone(),
        body: body.clone(),
    });
    let resource = json!({
        "account_sid": sid,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": "Tue, 01 Dec 2026 09:00:00 +0000",
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": from,
        "num_segments": "1",
        "price": null,
        "sid": message_sid,
        "status": "queued",
        "to": to,
        "uri": format!("/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json"),
    });
    (StatusCode::CREATED, Json(resource)).into_response()
}
