//! The tenant's audit log.

use axum::extract::State;
use axum::response::Response;
use portico_store::{audit, tenants};
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

/// Lines shown at most.
const LIMIT: i64 = 500;

/// Account events: recorded without a tenant (a login is not tied to one business), and shown
/// in the log of every business whose team the actor is on.
const ACCOUNT_EVENTS: &[&str] = &[
    "login.success",
    "login.failure",
    "login.refused",
    "logout.everywhere",
    "password.changed",
    "password.reset_requested",
    "password.reset",
    "email.verified",
];

pub async fn index(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    let mut lines = audit::for_tenant(&state.db, scope.id(), LIMIT).await?;
    for member in tenants::members(&state.db, scope.id()).await? {
        let events = audit::for_actor(&state.db, member.user_id, LIMIT).await?;
        lines.extend(events.into_iter().filter(|l| ACCOUNT_EVENTS.contains(&l.action.as_str())));
    }
    lines.sort_by_key(|l| std::cmp::Reverse(l.id));
    lines.dedup_by_key(|l| l.id);
    lines.truncate(LIMIT as usize);
    let lines = lines
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
