//! The owner's "view as client": a read-only preview of one client's portal. Starting it puts
//! a marker (tenant and client) in the owner's own session — no session of the client is
//! created or touched. While the marker is there, that tenant's portal shows the client's
//! pages with a banner, and every write to it (any method but GET and HEAD) is refused with
//! 403 before a handler runs. Start and end are audited.

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::Error;
use crate::csrf::session_error;

const PREVIEW: &str = "preview";

/// Which client's portal the owner is previewing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Preview {
    pub tenant_id: i64,
    pub tenant_slug: String,
    pub client_id: i64,
}

/// The preview this session is in, if any.
pub async fn current(session: &Session) -> Result<Option<Preview>, Error> {
    session.get::<Preview>(PREVIEW).await.map_err(session_error)
}

pub async fn start(session: &Session, preview: &Preview) -> Result<(), Error> {
    session.insert(PREVIEW, preview).await.map_err(session_error)
}

/// Ends the preview, returning what it was.
pub async fn end(session: &Session) -> Result<Option<Preview>, Error> {
    session.remove::<Preview>(PREVIEW).await.map_err(session_error)
}

/// The `{tenant}` of a `/portal/{tenant}/…` path.
fn portal_slug(path: &str) -> Option<&str> {
    path.strip_prefix("/portal/")?.split('/').next().filter(|s| !s.is_empty())
}

/// Refuses every write to the portal being previewed (403), whatever the route.
pub async fn refuse_writes(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return next.run(request).await;
    };
    let previewing = match current(&session).await {
        Ok(preview) => preview,
        Err(error) => return error.into_response(),
    };
    let slug = portal_slug(request.uri().path());
    if previewing.is_some_and(|p| Some(p.tenant_slug.as_str()) == slug) {
        return Error::PreviewReadOnly.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::portal_slug;

    #[test]
    fn the_tenant_is_read_from_portal_paths_only() {
        assert_eq!(portal_slug("/portal/paws"), Some("paws"));
        assert_eq!(portal_slug("/portal/paws/bookings/1/cancel"), Some("paws"));
        assert_eq!(portal_slug("/portal/"), None);
        assert_eq!(portal_slug("/app/paws"), None);
    }
}
