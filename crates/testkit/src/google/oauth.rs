//! The fake's OAuth endpoints: authorization, token, revocation.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::state::{Access, Call, Grant, Refresh};
use super::{CLIENT_ID, CLIENT_SECRET, Shared, lock};

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({ "error": error, "error_description": description })))
        .into_response()
}

fn record(shared: &Shared, method: &str, path: &str, params: &HashMap<String, String>) {
    let body = serde_urlencoded::to_string(params).unwrap_or_default();
    lock(shared).calls.push(Call {
        method: method.into(),
        path: path.into(),
        body,
        at: std::time::Instant::now(),
    });
}

/// `GET /o/oauth2/v2/auth`: the person consents at once; answers 302 to the redirect URI
/// with `code` and `state`, as Google does.
pub(super) async fn authorize(
    State(shared): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    record(&shared, "GET", "/o/oauth2/v2/auth", &q);
    let param = |name: &str| q.get(name).map(String::as_str).unwrap_or_default();
    let problems = [
        (param("client_id") != CLIENT_ID, "invalid_client"),
        (param("response_type") != "code", "unsupported_response_type"),
        (param("code_challenge_method") != "S256", "invalid_request: code_challenge_method"),
        (param("code_challenge").len() != 43, "invalid_request: code_challenge"),
        (!param("scope").contains("auth/calendar.events"), "invalid_scope"),
        (param("redirect_uri").is_empty(), "redirect_uri_mismatch"),
    ];
    if let Some((_, problem)) = problems.iter().find(|(bad, _)| *bad) {
        return (StatusCode::BAD_REQUEST, format!("Error 400: {problem}")).into_response();
    }
    let code = {
        let mut state = lock(&shared);
        let code = state.next("4/0A");
        state.codes.insert(
            code.clone(),
            Grant {
                challenge: param("code_challenge").to_owned(),
                redirect_uri: param("redirect_uri").to_owned(),
                used: false,
            },
        );
        code
    };
    let mut target = url::Url::parse(param("redirect_uri")).expect("redirect_uri");
    target.query_pairs_mut().append_pair("code", &code).append_pair("state", param("state"));
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// `POST /token`: `authorization_code` (checks the PKCE verifier against the challenge, the
/// redirect URI and the client) and `refresh_token`.
pub(super) async fn token(
    State(shared): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    record(&shared, "POST", "/token", &form);
    let param = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if param("client_id") != CLIENT_ID || param("client_secret") != CLIENT_SECRET {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    let mut state = lock(&shared);
    match param("grant_type") {
        "authorization_code" => {
            let Some(grant) = state.codes.get_mut(param("code")) else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Malformed auth code.",
                );
            };
            if grant.used {
                return token_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request");
            }
            grant.used = true;
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(param("code_verifier")));
            if challenge != grant.challenge {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid code verifier.",
                );
            }
            if grant.redirect_uri != param("redirect_uri") {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "redirect_uri_mismatch",
                    "Bad Request",
                );
            }
            let refresh = state.next("1//0g");
            let access = state.next("ya29.a0");
            state.refresh.insert(refresh.clone(), Refresh { revoked: false });
            state.access.insert(access.clone(), Access { valid: true, grant: refresh.clone() });
            axum::Json(json!({
                "access_token": access,
                "expires_in": 3599,
                "refresh_token": refresh,
                "scope": super::SCOPE_GRANTED,
                "token_type": "Bearer",
            }))
            .into_response()
        }
        "refresh_token" => {
            let known = state.refresh.get(param("refresh_token")).is_some_and(|r| !r.revoked);
            if !known {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                );
            }
            let access = state.next("ya29.a0");
            let grant = param("refresh_token").to_owned();
            state.access.insert(access.clone(), Access { valid: true, grant });
            axum::Json(json!({
                "access_token": access,
                "expires_in": 3599,
                "scope": super::SCOPE_GRANTED,
                "token_type": "Bearer",
            }))
            .into_response()
        }
        _ => token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Invalid grant_type"),
    }
}

/// `POST /revoke`: a refresh token revokes the whole grant (and its access tokens).
pub(super) async fn revoke(
    State(shared): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    record(&shared, "POST", "/revoke", &form);
    let token = form.get("token").cloned().unwrap_or_default();
    let mut state = lock(&shared);
    if let Some(refresh) = state.refresh.get_mut(&token).filter(|r| !r.revoked) {
        refresh.revoked = true;
        state.access.values_mut().filter(|a| a.grant == token).for_each(|a| a.valid = false);
        return StatusCode::OK.into_response();
    }
    if let Some(access) = state.access.get_mut(&token).filter(|a| a.valid) {
        access.valid = false;
        return StatusCode::OK.into_response();
    }
    token_error(StatusCode::BAD_REQUEST, "invalid_token", "Token expired or revoked")
}
