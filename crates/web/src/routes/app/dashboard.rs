//! The dashboard home and the tenant switcher.

use axum::extract::State;
use axum::response::Response;
use portico_store::{clients, tenants};
use serde::Serialize;

use crate::auth::{TenantScope, Viewer};
use crate::chrome::Chrome;
use crate::forms::see_other;
use crate::{AppState, Error};

#[derive(Serialize)]
struct DashboardPage {
    chrome: Chrome,
    role: &'static str,
    timezone: String,
    currency: String,
    plan: &'static str,
    pro_until: Option<i64>,
    portal_enabled: bool,
    client_count: i64,
    /// Google disconnected this person's calendar: a banner asks them to reconnect.
    calendar_lost: bool,
}

pub async fn show(State(state): State<AppState>, scope: TenantScope) -> Result<Response, Error> {
    let client_count = clients::count(&state.db, scope.id()).await?;
    let page = DashboardPage {
        chrome: Chrome::app(&scope, &state).await?,
        role: scope.role.as_str(),
        timezone: scope.tenant.timezone.name().to_owned(),
        currency: scope.tenant.currency.clone(),
        plan: scope.plan(&state).as_str(),
        pro_until: scope.tenant.pro_until.map(|t| t.timestamp()),
        portal_enabled: scope.tenant.portal_enabled,
        client_count,
        calendar_lost: super::calendar::lost(&state, &scope).await?,
    };
    Ok(state.templates.page("app/dashboard.html", &page))
}

/// `/app`: straight to the only business, or the switcher on the account page.
pub async fn switcher(State(state): State<AppState>, viewer: Viewer) -> Result<Response, Error> {
    let user = viewer.require_user()?;
    let workplaces = tenants::workplaces(&state.db, user.id()).await?;
    Ok(match workplaces.as_slice() {
        [only] => see_other(&format!("/app/{}", only.slug)),
        _ => see_other("/accounts"),
    })
}
