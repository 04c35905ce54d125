//! CSRF protection for every state-changing request made with the session cookie: a
//! per-session token (form field `_csrf` or header `X-CSRF-Token`) plus an Origin check.
//! Requests authenticated with an API bearer token never use the cookie and are exempt.
//! So is the rest of the API, which never reads the cookie: a write without a token is the
//! handler's 401, not a CSRF 403 — except the two guest calls, which are made from our own
//! pages with the session and its CSRF token.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::{AppState, Error};

/// Session key of the token.
pub const SESSION_KEY: &str = "csrf";
/// Form field carrying the token.
pub const FIELD: &str = "_csrf";
/// Header carrying the token (for JavaScript calls).
pub const HEADER: &str = "x-csrf-token";

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String, Error> {
    if let Some(token) = session.get::<String>(SESSION_KEY).await.map_err(session_error)? {
        return Ok(token);
    }
    let token = portico_store::tokens::generate();
    session.insert(SESSION_KEY, &token).await.map_err(session_error)?;
    Ok(token)
}

/// A fresh token, e.g. after login.
pub async fn rotate(session: &Session) -> Result<(), Error> {
    let token = portico_store::tokens::generate();
    session.insert(SESSION_KEY, &token).await.map_err(session_error)
}

pub fn session_error(error: tower_sessions::session::Error) -> Error {
    Error::Internal(anyhow::anyhow!("session: {error}"))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

fn uses_bearer_token(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "))
}

/// `POST /api/v1/{tenant}/holds` and `POST /api/v1/{tenant}/bookings`: without a token these
/// are a guest booking from a Portico page, and that page's session and CSRF token stand in.
fn is_guest_call(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    *method == Method::POST
        && matches!(segments.as_slice(), ["", "api", "v1", tenant, "holds" | "bookings"] if !tenant.is_empty())
}

/// The request's Origin (or, failing that, Referer) must be our own public origin.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let ours = state.config.public_url.origin();
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match claimed {
        None => true,
        Some("null") => false,
        Some(value) => url::Url::parse(value).is_ok_and(|url| url.origin() == ours),
    }
}

pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_safe(request.method()) {
        return drop_unused_token(request, next).await;
    }
    // An unsubscribe link's signed token is its own credential and the session is never
    // read, so there is nothing to forge; mail clients post to it without cookies (RFC 8058).
    if uses_bearer_token(request.headers())
        || request.uri().path().starts_with("/webhooks/")
        || request.uri().path().starts_with("/unsubscribe/")
    {
        return next.run(request).await;
    }
    let path = request.uri().path();
    if path.starts_with("/api/")
        && (request.headers().contains_key(header::AUTHORIZATION)
            || !is_guest_call(request.method(), path))
    {
        // API handlers authenticate the bearer token alone (401 without one) and never the
        // cookie, so there is nothing to forge; an unknown method gets the router's 405.
        return next.run(request).await;
    }
    if !same_origin(&state, request.headers()) {
        return refuse("cross-origin request");
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return refuse("no session");
    };
    let expected = match session.get::<String>(SESSION_KEY).await {
        Ok(Some(token)) => token,
        _ => return refuse("no token in session"),
    };

    if let Some(sent) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        if constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return next.run(request).await;
        }
        return refuse("bad header token");
    }

    // Form posts: read the body, find `_csrf`, and hand the body on untouched.
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let multipart = content_type.starts_with("multipart/form-data");
    if !content_type.starts_with("application/x-www-form-urlencoded") && !multipart {
        return refuse("no token");
    }
    let (parts, body) = request.into_parts();
    let limit = state.config.http.body_limit_bytes;
    let Ok(bytes) = to_bytes(body, limit).await else {
        return Error::BadRequest {
            code: "bad_body",
            message: "The form could not be read.".into(),
        }
        .into_response();
    };
    let sent = if multipart {
        multipart_token(&content_type, bytes.clone()).await
    } else {
        url::form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == FIELD)
            .map(|(_, value)| value.into_owned())
    };
    match sent {
        Some(sent) if constant_time_eq(sent.as_bytes(), expected.as_bytes()) => {
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        _ => refuse("bad form token"),
    }
}

/// The `_csrf` field of a multipart form (an upload), read from a copy of the body.
async fn multipart_token(content_type: &str, bytes: axum::body::Bytes) -> Option<String> {
    use axum::extract::{FromRequest as _, Multipart};
    let request = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
        .ok()?;
    let mut form = Multipart::from_request(request, &()).await.ok()?;
    while let Some(field) = form.next_field().await.ok()? {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// A first visit gets a session only if the page needs one. Every page's frame asks for the
/// CSRF token, which creates it; when the session is new, holds nothing else, and the page
/// does not embed the token (no form), the token is taken back, so the session stays empty:
/// no row is written and no cookie is set for a visitor who is only reading.
async fn drop_unused_token(request: Request, next: Next) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let response = next.run(request).await;
    let Some(session) = session.filter(|s| s.id().is_none()) else {
        return response;
    };
    let Ok(Some(token)) = session.get::<String>(SESSION_KEY).await else {
        return response;
    };
    let (parts, body) = response.into_parts();
    // Pages are rendered into memory already; this only takes the bytes back.
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            return Error::Internal(anyhow::anyhow!("reading a page: {error}")).into_response();
        }
    };
    let embedded = bytes.windows(token.len()).any(|w| w == token.as_bytes());
    if !embedded {
        let removed = session.remove::<String>(SESSION_KEY).await;
        if removed.is_ok() && !session.is_empty().await {
            // Something else was stored: the session is written anyway, keep it whole.
            if let Err(error) = session.insert(SESSION_KEY, &token).await {
                return session_error(error).into_response();
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn refuse(reason: &'static str) -> Response {
    tracing::warn!(reason, "CSRF check failed");
    Error::Forbidden.into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
