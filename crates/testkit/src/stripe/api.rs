//! The fake's endpoints.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::{Call, FakeState, Remembered, StoredSession};
use super::{Shared, bracketed, lock};

/// Stripe's error body.
pub(super) fn error(status: u16, kind: &str, code: &str, message: &str) -> (u16, Value) {
    let mut error = json!({ "type": kind, "message": message });
    if !code.is_empty() {
        error["code"] = json!(code);
    }
    (status, json!({ "error": error }))
}

pub(super) fn respond((status, body): (u16, Value)) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, Json(body)).into_response()
}

/// An answer whose body breaks off: the caller cannot know what happened.
fn cut_off() -> Response {
    let broken = futures::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(std::io::ErrorKind::TimedOut, "cut off"))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(broken))
        .expect("a response")
}

/// The account (secret key) of the request, or the 401 answer.
fn account(state: &FakeState, headers: &HeaderMap) -> Result<String, (u16, Value)> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if state.keys.contains(key) {
        Ok(key.to_owned())
    } else {
        let message = "Invalid API Key provided. You did not provide a valid API key.";
        Err(error(401, "invalid_request_error", "", message))
    }
}

pub(super) enum Admitted {
    Go(String),
    Answer(Response),
}

/// Records the call; applies a planned failure, the key check and the idempotency replay.
pub(super) fn admit(
    state: &mut FakeState,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &str,
) -> Admitted {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    state.calls.push(Call {
        method: method.to_owned(),
        path: path.to_owned(),
        body: body.to_owned(),
        idempotency_key: key.clone(),
    });
    if state.fail_next > 0 {
        state.fail_next -= 1;
        let message = "An unknown error occurred";
        return Admitted::Answer(respond(error(500, "api_error", "", message)));
    }
    let account = match account(state, headers) {
        Ok(account) => account,
        Err(answer) => return Admitted::Answer(respond(answer)),
    };
    if let Some(key) = key
        && let Some(first) = state.idempotency.get(&(account.clone(), key))
    {
        if first.path != path || first.body != body {
            let message = "Keys for idempotent requests can only be used with the same \
                           parameters they were first used with. Try using a key other than \
                           the one used in the original request.";
            return Admitted::Answer(respond(error(400, "idempotency_error", "", message)));
        }
        let answer = respond((first.status, first.answer.clone()));
        return Admitted::Answer(answer);
    }
    Admitted::Go(account)
}

/// Remembers the answer under the idempotency key, then answers (or cuts off).
pub(super) fn finish(
    state: &mut FakeState,
    account: &str,
    path: &str,
    headers: &HeaderMap,
    body: &str,
    answer: (u16, Value),
) -> Response {
    if let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        let remembered = Remembered {
            path: path.to_owned(),
            body: body.to_owned(),
            status: answer.0,
            answer: answer.1.clone(),
        };
        state.idempotency.insert((account.to_owned(), key.to_owned()), remembered);
    }
    if state.cut_off_next > 0 {
        state.cut_off_next -= 1;
        return cut_off();
    }
    respond(answer)
}

pub(super) fn form(bytes: &[u8]) -> Result<Vec<(String, String)>, (u16, Value)> {
    serde_urlencoded::from_bytes(bytes)
        .map_err(|_| error(400, "invalid_request_error", "", "Invalid request body"))
}

pub(super) fn value<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

pub(super) fn missing(param: &str) -> (u16, Value) {
    error(
        400,
        "invalid_request_error",
        "parameter_missing",
        &format!("Missing required param: {param}."),
    )
}

fn new_session(
    state: &mut FakeState,
    account: &str,
    form: &[(String, String)],
) -> Result<Value, (u16, Value)> {
    if value(form, "mode") == Some("subscription") {
        return super::billing::new_subscription_session(state, account, form);
    }
    if value(form, "mode") != Some("payment") {
        return Err(missing("mode"));
    }
    for required in ["success_url", "line_items[0][price_data][currency]"] {
        if value(form, required).is_none_or(str::is_empty) {
            return Err(missing(required));
        }
    }
    let success = value(form, "success_url").unwrap_or_default();
    if !success.contains("{CHECKOUT_SESSION_ID}") {
        return Err(error(400, "invalid_request_error", "", "success_url has no session id"));
    }
    let amount: i64 = value(form, "line_items[0][price_data][unit_amount]")
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| missing("line_items[0][price_data][unit_amount]"))?;
    let quantity: i64 =
        value(form, "line_items[0][quantity]").and_then(|v| v.parse().ok()).unwrap_or(1);
    let id = state.next("cs_test_");
    let metadata = bracketed(form, "metadata");
    let expires_at: Option<i64> = value(form, "expires_at").and_then(|v| v.parse().ok());
    Ok(json!({
        "id": id,
        "object": "checkout.session",
        "mode": "payment",
        "url": format!("{}/c/pay/{id}", state.base),
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": amount * quantity,
        "currency": value(form, "line_items[0][price_data][currency]"),
        "metadata": metadata,
        "client_reference_id": value(form, "client_reference_id"),
        "success_url": success,
        "cancel_url": value(form, "cancel_url"),
        "payment_intent": null,
        "expires_at": expires_at,
        "livemode": false,
    }))
}

pub(super) async fn create_session(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let path = "/v1/checkout/sessions";
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let mut state = lock(&shared);
    let account = match admit(&mut state, "POST", path, &headers, &body) {
        Admitted::Go(account) => account,
        Admitted::Answer(answer) => return answer,
    };
    let parsed = form(&bytes);
    let answer = match parsed.clone().and_then(|form| new_session(&mut state, &account, &form)) {
        Ok(session) => {
            let id = session["id"].as_str().unwrap_or_default().to_owned();
            let subscription_metadata =
                bracketed(&parsed.unwrap_or_default(), "subscription_data[metadata]");
            let stored = StoredSession {
                account: account.clone(),
                json: session.clone(),
                subscription_metadata,
            };
            state.sessions.insert(id, stored);
            (200, session)
        }
        Err(answer) => answer,
    };
    finish(&mut state, &account, path, &headers, &body, answer)
}

pub(super) async fn retrieve_session(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/checkout/sessions/{id}");
    let mut state = lock(&shared);
    let account = match admit(&mut state, "GET", &path, &headers, "") {
        Admitted::Go(account) => account,
        Admitted::Answer(answer) => return answer,
    };
    let answer = match state.sessions.get(&id) {
        Some(session) if session.account == account => (200, session.json.clone()),
        _ => error(
            404,
            "invalid_request_error",
            "resource_missing",
            &format!("No such checkout.session: '{id}'"),
        ),
    };
    finish(&mut state, &account, &path, &HeaderMap::new(), "", answer)
}

pub(super) async fn create_refund(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let path = "/v1/refunds";
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let mut state = lock(&shared);
    let account = match admit(&mut state, "POST", path, &headers, &body) {
        Admitted::Go(account) => account,
        Admitted::Answer(answer) => return answer,
    };
    let answer = form(&bytes).and_then(|form| {
        let intent = value(&form, "payment_intent").ok_or_else(|| missing("payment_intent"))?;
        let owned = state.intent_accounts.get(intent) == Some(&account);
        if !owned {
            let message = format!("No such payment_intent: '{intent}'");
            return Err(error(400, "invalid_request_error", "resource_missing", &message));
        }
        let amount: i64 =
            value(&form, "amount").and_then(|v| v.parse().ok()).ok_or_else(|| missing("amount"))?;
        let intent = intent.to_owned();
        state
            .refund(&intent, amount)
            .map(|refund| (200, refund))
            .map_err(|message| error(400, "invalid_request_error", "amount_too_large", &message))
    });
    let answer = answer.unwrap_or_else(|refused| refused);
    finish(&mut state, &account, path, &headers, &body, answer)
}
