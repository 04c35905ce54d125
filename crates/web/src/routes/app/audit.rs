//! The tenant's audit log.

use axum::extract::State;
use axum::response::Response;
use portico_store::audit;
use serde::Serialize;

use crate::auth::OwnerScope;
use crate::chrome::Chrome;
use crate::{AppState, Error};

#[derive(Serialize)]
struct Line {
    created_at: i64,
    actor: String,
    action: String,
    detail: String,
    ip: String,
}

#[derive(Serialize)]
struct AuditPage {
    chrome: Chrome,
    tz: String,
    lines: Vec<Line>,
}

pub async fn index(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    let lines = audit::for_tenant(&state.db, scope.id(), 500)
        .await?
        .into_iter()
        .map(|l| Line {
            created_at: l.created_at,
            actor: l.actor.unwrap_or_else(|| "—".to_owned()),
            action: l.action,
            detail: l.detail,
            ip: l.ip,
        })
        .collect();
    let page = AuditPage {
        chrome: Chrome::app(&scope, &state).await?,
        tz: scope.tenant.timezone.name().to_owned(),
        lines,
    };
    Ok(state.templates.page("app/audit.html", &page))
}
