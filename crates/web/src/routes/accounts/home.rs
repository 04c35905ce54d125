//! The account page: profile, email confirmation, password change, log out everywhere, and
//! the switcher between the businesses and portals the login belongs to.

use axum::extract::State;
use axum::response::Response;
use portico_store::{clients, tenants};
use serde::Serialize;

use crate::auth::Viewer;
use crate::chrome::Chrome;
use crate::{AppState, Error};

#[derive(Serialize)]
struct Place {
    slug: String,
    name: String,
    role: String,
}

#[derive(Serialize)]
struct HomePage {
    chrome: Chrome,
    verified: bool,
    workplaces: Vec<Place>,
    portals: Vec<Place>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, Error> {
    let user = viewer.require_user()?.clone();
    let workplaces = tenants::workplaces(&state.db, user.id)
        .await?
        .into_iter()
        .map(|w| Place { slug: w.slug, name: w.name, role: w.role })
        .collect();
    let portals = clients::providers_of(&state.db, user.id)
        .await?
        .into_iter()
        .map(|p| Place { slug: p.slug, name: p.name, role: "client".into() })
        .collect();
    let page = HomePage {
        chrome: Chrome::new(&viewer).await?,
        verified: user.email_verified_at.is_some(),
        workplaces,
        portals,
    };
    Ok(state.templates.page("account/home.html", &page))
}
