//! The fake's Calendar v3 endpoints.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::{Call, FakeEvent, FakeState};
use super::{ACCOUNT, Shared, TEAM_CALENDAR, lock};

/// Google's error body.
fn error(status: u16, reason: &str, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let domain = if reason.contains("RateLimit") { "usageLimits" } else { "global" };
    let body = json!({ "error": {
        "code": status,
        "message": message,
        "errors": [{ "domain": domain, "reason": reason, "message": message }],
    }});
    (code, Json(body)).into_response()
}

/// Records the call, then applies a planned failure or the bearer check. `Err` is the answer.
#[expect(clippy::result_large_err, reason = "the error is the HTTP answer itself")]
fn admit(
    state: &mut FakeState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Response> {
    state.calls.push(Call {
        method: method.to_string(),
        path: path.to_owned(),
        body: String::from_utf8_lossy(body).into_owned(),
        at: std::time::Instant::now(),
    });
    if let Some((status, retry_after)) = state.failures.pop_front() {
        let mut answer = match status {
            429 => error(429, "rateLimitExceeded", "Rate Limit Exceeded"),
            403 => error(403, "userRateLimitExceeded", "User Rate Limit Exceeded"),
            500 | 503 => error(status, "backendError", "Backend Error"),
            other => error(other, "unknown", "Planned failure"),
        };
        if let Some(secs) = retry_after {
            answer.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        return Err(answer);
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !state.access.get(token).is_some_and(|a| a.valid) {
        return Err(error(401, "authError", "Invalid Credentials"));
    }
    Ok(())
}

fn view(event: &FakeEvent) -> Value {
    json!({
        "kind": "calendar#event",
        "id": event.id,
        "etag": event.etag,
        "status": event.status,
        "summary": event.summary,
        "description": event.description,
        "location": event.location,
        "start": event.start,
        "end": event.end,
        "sequence": event.sequence,
        "htmlLink": format!("https://www.google.com/calendar/event?eid={}", event.id),
    })
}

fn valid_id(id: &str) -> bool {
    (5..=1024).contains(&id.len()) && id.chars().all(|c| matches!(c, 'a'..='v' | '0'..='9'))
}

fn valid_times(body: &Value) -> bool {
    ["start", "end"].iter().all(|k| {
        body[k]["dateTime"]
            .as_str()
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
    })
}

pub(super) async fn insert(
    State(shared): State<Shared>,
    Path(calendar): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let (answer, stall) = store_insert(&shared, calendar, &headers, &bytes);
    if stall {
        std::future::pending::<()>().await;
    }
    answer
}

/// Stores an inserted event; also whether to leave the caller without an answer.
fn store_insert(
    shared: &Shared,
    calendar: String,
    headers: &HeaderMap,
    bytes: &[u8],
) -> (Response, bool) {
    let mut state = lock(shared);
    let path = format!("/calendar/v3/calendars/{calendar}/events");
    if let Err(answer) = admit(&mut state, &Method::POST, &path, headers, bytes) {
        return (answer, false);
    }
    let body: Value = serde_json::from_slice(bytes).unwrap_or_default();
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    if !valid_id(&id) {
        return (error(400, "invalid", "Invalid resource id value."), false);
    }
    if !valid_times(&body) {
        return (error(400, "required", "Missing end time."), false);
    }
    let key = (calendar.clone(), id.clone());
    if state.events.contains_key(&key) {
        return (error(409, "duplicate", "The requested identifier already exists."), false);
    }
    let etag = format!("\"{}\"", state.next(""));
    let event = FakeEvent {
        id,
        calendar,
        etag,
        status: "confirmed".into(),
        summary: body["summary"].as_str().unwrap_or_default().into(),
        description: body["description"].as_str().unwrap_or_default().into(),
        location: body["location"].as_str().unwrap_or_default().into(),
        start: body["start"].clone(),
        end: body["end"].clone(),
        sequence: 1,
    };
    let answer = view(&event);
    state.events.insert(key, event);
    (Json(answer).into_response(), std::mem::take(&mut state.stall_insert))
}

pub(super) async fn get(
    State(shared): State<Shared>,
    Path((calendar, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut state = lock(&shared);
    let path = format!("/calendar/v3/calendars/{calendar}/events/{id}");
    if let Err(answer) = admit(&mut state, &Method::GET, &path, &headers, &[]) {
        return answer;
    }
    match state.events.get(&(calendar, id)) {
        Some(event) => Json(view(event)).into_response(),
        None => error(404, "notFound", "Not Found"),
    }
}

pub(super) async fn patch(
    State(shared): State<Shared>,
    Path((calendar, id)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let mut state = lock(&shared);
    let path = format!("/calendar/v3/calendars/{calendar}/events/{id}");
    if let Err(answer) = admit(&mut state, &Method::PATCH, &path, &headers, &bytes) {
        return answer;
    }
    let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let etag = format!("\"{}\"", state.next(""));
    let Some(event) = state.events.get_mut(&(calendar, id)) else {
        return error(404, "notFound", "Not Found");
    };
    if let Some(summary) = body["summary"].as_str() {
        event.summary = summary.into();
    }
    if let Some(description) = body["description"].as_str() {
        event.description = description.into();
    }
    if let Some(location) = body["location"].as_str() {
        event.location = location.into();
    }
    if body["start"].is_object() {
        event.start = body["start"].clone();
    }
    if body["end"].is_object() {
        event.end = body["end"].clone();
    }
    if let Some(status) = body["status"].as_str() {
        event.status = status.into();
    }
    event.etag = etag;
    event.sequence += 1;
    Json(view(event)).into_response()
}

pub(super) async fn delete(
    State(shared): State<Shared>,
    Path((calendar, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut state = lock(&shared);
    let path = format!("/calendar/v3/calendars/{calendar}/events/{id}");
    if let Err(answer) = admit(&mut state, &Method::DELETE, &path, &headers, &[]) {
        return answer;
    }
    match state.events.get_mut(&(calendar, id)) {
        None => error(404, "notFound", "Not Found"),
        Some(event) if event.status == "cancelled" => {
            error(410, "deleted", "Resource has been deleted")
        }
        Some(event) => {
            event.status = "cancelled".into();
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

pub(super) async fn calendar_list(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let mut state = lock(&shared);
    let path = "/calendar/v3/users/me/calendarList";
    if let Err(answer) = admit(&mut state, &Method::GET, path, &headers, &[]) {
        return answer;
    }
    Json(json!({
        "kind": "calendar#calendarList",
        "items": [
            { "kind": "calendar#calendarListEntry", "id": ACCOUNT, "summary": ACCOUNT,
              "primary": true, "accessRole": "owner" },
            { "kind": "calendar#calendarListEntry", "id": TEAM_CALENDAR, "summary": "Team",
              "accessRole": "writer" },
        ],
    }))
    .into_response()
}

pub(super) async fn free_busy(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let mut state = lock(&shared);
    if let Err(answer) = admit(&mut state, &Method::POST, "/calendar/v3/freeBusy", &headers, &bytes)
    {
        return answer;
    }
    let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let bound = |key: &str| {
        body[key]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc())
    };
    let (Some(from), Some(to)) = (bound("timeMin"), bound("timeMax")) else {
        return error(400, "badRequest", "Bad Request");
    };
    let mut calendars = serde_json::Map::new();
    for item in body["items"].as_array().cloned().unwrap_or_default() {
        let id = item["id"].as_str().unwrap_or_default().to_owned();
        // "primary" is the account's own calendar.
        let key = if id == "primary" { ACCOUNT.to_owned() } else { id.clone() };
        let busy: Vec<Value> = state
            .busy
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|(s, e)| *e > from && *s < to)
            .map(|(s, e)| json!({ "start": s.to_rfc3339(), "end": e.to_rfc3339() }))
            .collect();
        calendars.insert(id, json!({ "busy": busy }));
    }
    Json(json!({
        "kind": "calendar#freeBusy",
        "timeMin": body["timeMin"],
        "timeMax": body["timeMax"],
        "calendars": calendars,
    }))
    .into_response()
}
