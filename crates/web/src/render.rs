//! Templates (embedded at build time) and the layer that renders errors.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::error::ErrorInfo;

/// The compiled templates.
pub struct Templates {
    tera: std::sync::Arc<tera::Tera>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// Every embedded template (the process's one compiled copy, see [`portico_assets::tera`]).
    pub fn load() -> anyhow::Result<Self> {
        Ok(Self { tera: portico_assets::tera()? })
    }

    /// Renders `name` with `context`.
    pub fn render<T: Serialize>(&self, name: &str, context: &T) -> anyhow::Result<String> {
        let context = tera::Context::from_serialize(context)
            .map_err(|e| anyhow::anyhow!("building the context for {name}: {e}"))?;
        self.tera.render(name, &context).map_err(|e| anyhow::anyhow!("rendering {name}: {e:?}"))
    }

    /// Renders a page, or a logged 500 if the template fails.
    pub fn page<T: Serialize>(&self, name: &str, context: &T) -> Response {
        match self.render(name, context) {
            Ok(html) => Html(html).into_response(),
            Err(error) => crate::Error::Internal(error).into_response(),
        }
    }
}

#[derive(Serialize)]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: Option<&'a str>,
    upgrade: Option<Upgrade>,
    /// Businesses can subscribe to PRO themselves (the platform's Stripe is configured).
    self_serve: bool,
    /// The dashboard frame (navigation, the way back) for a member of the tenant.
    chrome: Option<crate::chrome::Chrome>,
}

/// The upgrade panel of a 402 page.
#[derive(Serialize)]
struct Upgrade {
    feature: &'static str,
    pitch: &'static str,
}

/// Turns error responses into HTML pages or JSON bodies. Runs outside every route, so
/// handler errors, unknown paths and caught panics all look the same.
pub async fn render_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let wants_json = wants_json(&request);
    let path_and_query =
        request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let request_id =
        request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let info = match response.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        // Errors produced by layers (timeout, body limit, panic) carry no info: describe them.
        None if response.headers().contains_key(header::CONTENT_TYPE)
            && !is_layer_error(status) =>
        {
            return response;
        }
        None => generic_info(status),
    };
    if wants_json {
        return json_error(response, &info);
    }
    let chrome = response.extensions().get::<crate::chrome::ErrorFrame>().map(|f| f.0.clone());
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if status == StatusCode::UNAUTHORIZED {
        // Pages that need a login send the browser to it, and back afterwards.
        let next =
            url::form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect::<String>();
        return axum::response::Redirect::to(&format!("/accounts/login?next={next}"))
            .into_response();
    }
    let page = ErrorPage {
        status: status.as_u16(),
        title: match info.upgrade {
            Some(feature) => feature.title(),
            None => status.canonical_reason().unwrap_or("Error"),
        },
        message: &info.message,
        request_id: request_id.as_deref(),
        upgrade: info.upgrade.map(|f| Upgrade { feature: f.title(), pitch: f.pitch() }),
        self_serve: state.config.billing.self_serve(),
        chrome,
    };
    let html = state.templates.render("errors/error.html", &page).unwrap_or_else(|error| {
        tracing::error!(error = %format!("{error:#}"), "rendering the error page");
        format!("<h1>{}</h1>", status.as_u16())
    });
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    Response::from_parts(parts, Body::from(html))
}

/// Replaces the body with `{"error":{"code","message","fields"}}`.
fn json_error(response: Response, info: &ErrorInfo) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::json!({
        "error": { "code": info.code, "message": info.message, "fields": info.fields }
    });
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body.to_string()))
}

fn is_layer_error(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::REQUEST_TIMEOUT
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::METHOD_NOT_ALLOWED
    )
}

fn generic_info(status: StatusCode) -> ErrorInfo {
    let (code, message) = match status {
        StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "The request is too large."),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "That method is not allowed here.")
        }
        StatusCode::NOT_FOUND => ("not_found", "We could not find that page."),
        StatusCode::FORBIDDEN => ("forbidden", "You are not allowed to do that."),
        s if s.is_server_error() => ("internal", "Something went wrong on our side."),
        _ => ("bad_request", "The request could not be understood."),
    };
    ErrorInfo { code, message: message.to_owned(), fields: Default::default(), upgrade: None }
}

/// API paths and clients that prefer JSON get JSON errors.
fn wants_json(request: &Request) -> bool {
    let path = request.uri().path();
    if path.starts_with("/api/") || path == "/readyz" || path == "/healthz" {
        return true;
    }
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}
