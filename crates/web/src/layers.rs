//! Cross-cutting HTTP layers: request ids, tracing, security headers, compression, timeouts,
//! body limits, panic recovery and error rendering.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::middleware;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use tower_sessions::cookie::{Key, SameSite, time};
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::AppState;
use crate::session::DbSessionStore;

/// No inline script or style anywhere; frames only from ourselves... and nobody frames us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn apply(router: Router, state: AppState) -> Router {
    let http = &state.config.http;
    let timeout = Duration::from_secs(http.request_timeout_secs);
    let body_limit = http.body_limit_bytes;

    let security = ServiceBuilder::new()
        .layer(header_layer(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ));
    let hsts = state.config.is_https().then(|| {
        header_layer(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains")
    });

    let secure = state.config.is_https();
    let lifetime_secs = state.config.sessions.absolute_hours as i64 * 3600;
    let store = DbSessionStore::new(state.db.clone(), state.clock.clone(), lifetime_secs);
    let sessions = SessionManagerLayer::new(store)
        // `__Host-` binds the cookie to this exact origin, but browsers accept it only with
        // `Secure`, i.e. under https.
        .with_name(if secure { "__Host-portico" } else { "portico_session" })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(
            state.config.sessions.absolute_hours as i64,
        )))
        .with_signed(Key::from(&state.config.keys.session));

    router
        // Innermost first: errors from handlers, panics and limits are all rendered alike.
        .layer(middleware::from_fn_with_state(state.clone(), crate::csrf::protect))
        .layer(middleware::from_fn_with_state(state.clone(), crate::chrome::frame_errors))
        .layer(sessions)
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(state, crate::render::render_errors))
        .layer(CompressionLayer::new())
        .layer(security)
        .layer(tower::util::option_layer(hsts))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id =
                request.headers().get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!(
                "http",
                method = %request.method(),
                path = %request.uri().path(),
                request_id = %request_id,
            )
        }))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), MakeRequestUuid))
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
