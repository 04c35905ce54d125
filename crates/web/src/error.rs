//! The one error type of the web layer. Handlers return `Result<_, Error>`; the response
//! carries an [`ErrorInfo`] that the error-rendering layer turns into an HTML page or a JSON
//! body (`{"error":{"code","message","fields"}}`) depending on the request.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::plans::Feature;
use portico_store::bookings::BookingError;

/// Field name → message, for forms and JSON 422s.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    /// A write while the owner previews a client's portal (read-only).
    #[error("read-only preview")]
    PreviewReadOnly,
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A link that worked once and no longer does (e.g. an expired pay link).
    #[error("{message}")]
    Gone { message: String },
    #[error("some fields are invalid")]
    Unprocessable { fields: FieldErrors },
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    #[error("{} requires the PRO plan", .0.title())]
    PlanRequired(Feature),
    /// The payment gateway refused or could not be reached; nothing was recorded.
    #[error("{message}")]
    Gateway { message: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What went wrong, attached to the response for the rendering layer.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub message: String,
    pub fields: FieldErrors,
    /// For 402: the feature to explain on the upgrade page.
    pub upgrade: Option<Feature>,
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::PreviewReadOnly => StatusCode::FORBIDDEN,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Gone { .. } => StatusCode::GONE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PlanRequired(_) => StatusCode::PAYMENT_REQUIRED,
            Self::Gateway { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn info(self) -> ErrorInfo {
        let upgrade = match &self {
            Self::PlanRequired(feature) => Some(*feature),
            _ => None,
        };
        let (code, message, fields) = match self {
            Self::NotFound => {
                ("not_found", "We could not find that page.".to_owned(), FieldErrors::new())
            }
            Self::Unauthorized => {
                ("unauthorized", "Please log in to continue.".to_owned(), FieldErrors::new())
            }
            Self::Forbidden => {
                ("forbidden", "You are not allowed to do that.".to_owned(), FieldErrors::new())
            }
            Self::PreviewReadOnly => (
                "preview_read_only",
                "This is a read-only preview of the client's portal: nothing can be changed. \
                 End the preview to work as yourself again."
                    .to_owned(),
                FieldErrors::new(),
            ),
            Self::BadRequest { code, message } | Self::Conflict { code, message } => {
                (code, message, FieldErrors::new())
            }
            Self::Gateway { message } => ("gateway_error", message, FieldErrors::new()),
            Self::Gone { message } => ("link_expired", message, FieldErrors::new()),
            Self::Unprocessable { fields } => {
                ("invalid", "Some fields are invalid.".to_owned(), fields)
            }
            Self::TooManyRequests { retry_after } => (
                "rate_limited",
                format!("Too many attempts. Please wait {} and try again.", wait_text(retry_after)),
                FieldErrors::new(),
            ),
            Self::PlanRequired(feature) => (
                "plan_required",
                format!("{} is part of the PRO plan. {}", feature.title(), feature.pitch()),
                FieldErrors::new(),
            ),
            Self::Internal(error) => {
                // Logged here with its whole chain; the client sees a generic message.
                tracing::error!(error = %format!("{error:#}"), "internal error");
                ("internal", "Something went wrong on our side.".to_owned(), FieldErrors::new())
            }
        };
        ErrorInfo { code, message, fields, upgrade }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            Self::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        };
        let mut response = status.into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response.extensions_mut().insert(self.info());
        response
    }
}

impl From<BookingError> for Error {
    fn from(error: BookingError) -> Self {
        match error {
            BookingError::Unavailable => Self::Conflict {
                code: "unavailable",
                message: "That time is no longer available.".into(),
            },
            BookingError::HoldInvalid => Self::Conflict {
                code: "hold_expired",
                message: "Your reservation has expired; please choose a time again.".into(),
            },
            BookingError::NotFound => Self::NotFound,
            BookingError::Refused(refusal) => {
                Self::Conflict { code: "invalid_transition", message: refusal.to_string() }
            }
            BookingError::NotAllowed(refusal) => {
                Self::Conflict { code: "not_allowed", message: refusal.to_string() }
            }
            BookingError::AlreadyBooked => Self::Conflict {
                code: "already_booked",
                message: "You already have a place in this session.".into(),
            },
            BookingError::AddressRequired => {
                field_error("address", "Enter the address where the appointment takes place.")
            }
            BookingError::Other(error) => Self::Internal(error),
        }
    }
}

impl From<portico_store::StoreError> for Error {
    fn from(error: portico_store::StoreError) -> Self {
        use portico_store::StoreError;
        use portico_store::error::constraints;
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { constraint: constraints::SERVICE_CODE } => Self::Conflict {
                code: "code_taken",
                message: "Another service already has that code.".into(),
            },
            StoreError::Conflict { .. } => Self::Conflict {
                code: "conflict",
                message: "Something changed meanwhile; please reload and try again.".into(),
            },
            StoreError::StaffLimit(_) => Self::Conflict {
                code: "staff_limit",
                message: "This plan's staff limit is reached.".into(),
            },
            // A corrupt stored value is our fault: logged with its column, a 500 for the user.
            corrupt @ StoreError::Corrupt { .. } => Self::Internal(corrupt.into()),
            StoreError::Other(error) => Self::Internal(error),
        }
    }
}

/// "45 seconds", "1 minute", "15 minutes" (rounded up: never promise too short a wait).
pub fn wait_text(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} second{}", if secs == 1 { "" } else { "s" }),
        _ => {
            let minutes = secs.div_ceil(60);
            format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
        }
    }
}

/// Shorthand for a single-field validation error.
pub fn field_error(field: &str, message: impl Into<String>) -> Error {
    Error::Unprocessable { fields: FieldErrors::from([(field.to_owned(), message.into())]) }
}
