//! What a Google call can answer besides success, classified for the caller.

use std::time::Duration;

/// A failed Google call.
#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    /// The token endpoint refused the grant (`invalid_grant`): the refresh token was revoked or
    /// expired, or the code was wrong. Retrying cannot help; the person must reconnect.
    #[error("Google refused the authorization (invalid_grant): {0}")]
    InvalidGrant(String),
    /// 401: the access token is not (or no longer) valid.
    #[error("Google did not accept the access token")]
    Unauthorized,
    /// 409: an event with this id already exists.
    #[error("the event already exists")]
    AlreadyExists,
    /// 404 or 410: the event (or calendar) is not there.
    #[error("not found at Google ({0})")]
    Gone(u16),
    /// 429 or 403 with a rate-limit reason: slow down and try again.
    #[error("Google asked us to slow down ({status})")]
    RateLimited { status: u16, retry_after: Option<Duration> },
    /// 5xx: Google's trouble; try again (not before `retry_after`, when Google said).
    #[error("Google answered {status}")]
    Unavailable { status: u16, retry_after: Option<Duration> },
    /// Could not reach Google, or no complete answer.
    #[error("could not reach Google: {0}")]
    Network(#[source] reqwest::Error),
    /// Any other refusal (400, 403 without a rate-limit reason, …): permanent.
    #[error("Google refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
}

impl GoogleError {
    /// Whether the same call may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable { .. } | Self::Network(_))
    }

    /// How long Google asked us to wait before the next call (`Retry-After` on a 429 or 5xx).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Reads a Calendar API error answer: `{"error":{"code","message","errors":[{"reason"}]}}`.
    pub(crate) fn from_api(status: u16, retry_after: Option<Duration>, body: &str) -> Self {
        let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let error = &parsed["error"];
        let message = error["message"].as_str().unwrap_or(body).to_owned();
        let reasons: Vec<&str> = error["errors"]
            .as_array()
            .map(|list| list.iter().filter_map(|e| e["reason"].as_str()).collect())
            .unwrap_or_default();
        let rate_limit = reasons
            .iter()
            .any(|r| matches!(*r, "rateLimitExceeded" | "userRateLimitExceeded" | "quotaExceeded"));
        match status {
            401 => Self::Unauthorized,
            409 => Self::AlreadyExists,
            404 | 410 => Self::Gone(status),
            429 => Self::RateLimited { status, retry_after },
            403 if rate_limit => Self::RateLimited { status, retry_after },
            500..=599 => Self::Unavailable { status, retry_after },
            _ => Self::Refused { status, message },
        }
    }

    /// Reads an OAuth token endpoint error answer: `{"error":"…","error_description":"…"}`.
    pub(crate) fn from_token_endpoint(
        status: u16,
        retry_after: Option<Duration>,
        body: &str,
    ) -> Self {
        let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let code = parsed["error"].as_str().unwrap_or_default();
        let description = parsed["error_description"].as_str().unwrap_or(code).to_owned();
        match (status, code) {
            (_, "invalid_grant") => Self::InvalidGrant(description),
            (429, _) => Self::RateLimited { status, retry_after },
            (500..=599, _) => Self::Unavailable { status, retry_after },
            _ => Self::Refused { status, message: format!("{code}: {description}") },
        }
    }
}

/// The `Retry-After` header in seconds, if any.
pub(crate) fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_are_classified_by_status_and_reason() {
        let rate = r#"{"error":{"code":403,"message":"Rate Limit Exceeded",
            "errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}]}}"#;
        assert!(matches!(GoogleError::from_api(403, None, rate), GoogleError::RateLimited { .. }));
        let forbidden = r#"{"error":{"code":403,"message":"Forbidden",
            "errors":[{"domain":"global","reason":"forbidden"}]}}"#;
        let refused = GoogleError::from_api(403, None, forbidden);
        assert!(matches!(refused, GoogleError::Refused { status: 403, .. }));
        assert!(!refused.is_transient());
        assert!(matches!(GoogleError::from_api(409, None, "{}"), GoogleError::AlreadyExists));
        assert!(matches!(GoogleError::from_api(410, None, "{}"), GoogleError::Gone(410)));
        assert!(GoogleError::from_api(503, None, "").is_transient());
        assert!(GoogleError::from_api(429, None, "").is_transient());
        let wait = Some(Duration::from_secs(30));
        assert_eq!(GoogleError::from_api(429, wait, "").retry_after(), wait);
        assert_eq!(GoogleError::from_api(503, wait, "").retry_after(), wait);
        assert_eq!(GoogleError::from_token_endpoint(503, wait, "{}").retry_after(), wait);
        assert_eq!(GoogleError::from_api(400, wait, "{}").retry_after(), None);
        let grant =
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#;
        assert!(matches!(
            GoogleError::from_token_endpoint(400, None, grant),
            GoogleError::InvalidGrant(d) if d.contains("revoked")
        ));
    }
}
