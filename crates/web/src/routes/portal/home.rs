//! The list of portals a login belongs to, and a portal's home page.

use axum::extract::State;
use axum::response::Response;
use portico_store::clients;
use serde::Serialize;

use super::bookings::{self, BookingRow};
use crate::auth::{PortalVisitor, Viewer};
use crate::chrome::Chrome;
use crate::routes::app::invoices::Owed;
use crate::{AppState, Error};

#[derive(Serialize)]
struct Provider {
    slug: String,
    name: String,
}

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    providers: Vec<Provider>,
}

pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, Error> {
    let user = viewer.require_user()?;
    let providers = clients::providers_of(&state.db, user.id())
        .await?
        .into_iter()
        .map(|p| Provider { slug: p.slug, name: p.name })
        .collect();
    let page = IndexPage { chrome: Chrome::new(&viewer).await?, providers };
    Ok(state.templates.page("portal/index.html", &page))
}

#[derive(Serialize)]
struct ClientView {
    name: String,
    email: String,
    phone: String,
    address: String,
}

#[derive(Serialize)]
struct HomePage {
    chrome: Chrome,
    /// None: the login is not linked to a client profile here.
    client: Option<ClientView>,
    /// Occupying bookings starting after now, soonest first.
    upcoming: Vec<BookingRow>,
    /// Past or cancelled bookings, newest first.
    recent: Vec<BookingRow>,
    /// What the client owes, per currency.
    owed: Vec<Owed>,
}

pub async fn show(
    State(state): State<AppState>,
    visitor: PortalVisitor,
) -> Result<Response, Error> {
    let client = visitor.client.as_ref().map(|c| ClientView {
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        address: c.address.clone(),
    });
    let (upcoming, recent) = match &visitor.client {
        Some(client) => bookings::lists(&state, &visitor.tenant, client).await?,
        None => (Vec::new(), Vec::new()),
    };
    let owed = match &visitor.client {
        Some(client) => super::invoices::owed_by(&state, &visitor.tenant, client.id()).await?,
        None => Vec::new(),
    };
    let page = HomePage { chrome: Chrome::portal(&visitor).await?, client, upcoming, recent, owed };
    Ok(state.templates.page("portal/home.html", &page))
}
