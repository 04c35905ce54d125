//! The API never answers off-contract: every error leaves as
//! `{"error":{"code","message","fields"}}`. Handlers' own errors already carry an
//! [`ErrorInfo`]; this layer describes the rest — axum's extractor rejections (a path id that
//! is not a number, a query string that does not deserialize, e.g. a repeated parameter),
//! 405s and anything else without one — so the rendering layer can write them as JSON. One
//! layer on the API router instead of a custom extractor in every handler.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{ErrorInfo, FieldErrors};

const UNAUTHORIZED: &str = "Send `Authorization: Bearer <token>` with a token of this business.";

/// Rejection bodies are one short line; anything longer is not one of them.
const MAX_REJECTION_BYTES: usize = 16 * 1024;

/// Attaches an [`ErrorInfo`] to every error response that lacks one.
pub async fn describe_errors(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let status = response.status();
    if let Some(info) = response.extensions_mut().get_mut::<ErrorInfo>() {
        if info.code == "unauthorized" {
            // The shared message speaks of logging in; an API client needs a token.
            info.message = UNAUTHORIZED.to_owned();
        }
        return response;
    }
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match to_bytes(body, MAX_REJECTION_BYTES).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let (status, info) = classify(status, &text);
    parts.status = status;
    parts.extensions.insert(info);
    Response::from_parts(parts, Body::empty())
}

/// The status and description of an error response from its status and (plain-text) body.
/// axum's rejection texts are stable prefixes (`axum::extract::rejection`).
pub fn classify(status: StatusCode, text: &str) -> (StatusCode, ErrorInfo) {
    let text = text.trim();
    let info = |code: &'static str, message: String| ErrorInfo {
        code,
        message,
        fields: FieldErrors::new(),
        upgrade: None,
    };
    if text.starts_with("Invalid URL") || text.starts_with("Wrong number of path arguments") {
        // A path parameter of the wrong form (`/bookings/abc`): the URL itself is malformed.
        return (StatusCode::BAD_REQUEST, info("bad_path", text.to_owned()));
    }
    if text.starts_with("Failed to deserialize query string") {
        return (StatusCode::BAD_REQUEST, info("bad_query", text.to_owned()));
    }
    if text.starts_with("Failed to parse the request body as JSON")
        || text.starts_with("Expected request with `Content-Type: application/json`")
    {
        return (StatusCode::BAD_REQUEST, info("bad_json", text.to_owned()));
    }
    if text.starts_with("Failed to deserialize the JSON body") {
        let fields = FieldErrors::from([("body".to_owned(), text.to_owned())]);
        let described = ErrorInfo { fields, ..info("invalid", "Some fields are invalid.".into()) };
        return (StatusCode::UNPROCESSABLE_ENTITY, described);
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "There is nothing at this address."),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "This address does not answer that method.")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "Send a JSON body with `Content-Type: application/json`.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "The request is too large."),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
        StatusCode::UNAUTHORIZED => ("unauthorized", UNAUTHORIZED),
        StatusCode::FORBIDDEN => ("forbidden", "You are not allowed to do that."),
        s if s.is_server_error() => ("internal", "Something went wrong on our side."),
        _ => ("bad_request", "The request could not be understood."),
    };
    (status, info(code, message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_get_their_codes() {
        let cases = [
            (400, "Invalid URL: Cannot parse `abc` to a `i64`", 400, "bad_path"),
            (
                500,
                "Wrong number of path arguments for `Path`. Expected 2 but got 3",
                400,
                "bad_path",
            ),
            (400, "Failed to deserialize query string: duplicate field `status`", 400, "bad_query"),
            (400, "Failed to parse the request body as JSON: EOF", 400, "bad_json"),
            (422, "Failed to deserialize the JSON body into the target type: x", 422, "invalid"),
            (405, "", 405, "method_not_allowed"),
            (404, "", 404, "not_found"),
            (418, "", 418, "bad_request"),
            (502, "", 502, "internal"),
        ];
        for (status, text, want_status, want_code) in cases {
            let (got, info) = classify(StatusCode::from_u16(status).unwrap(), text);
            assert_eq!((got.as_u16(), info.code), (want_status, want_code), "{text}");
        }
    }
}
