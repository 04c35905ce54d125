//! The list of portals a login belongs to, and a portal's home page.

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use portico_domain::ClientId;
use portico_domain::invoice::InvoiceStatus;
use portico_store::clients;
use portico_store::tenants::Tenant;
use serde::Serialize;

use super::bookings::{self, BookingRow};
use crate::auth::{PortalVisitor, Viewer};
use crate::chrome::Chrome;
use crate::invoice_view::{InvoiceView, Shown, today};
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
    let providers = clients::providers_of(&state.db, user.id)
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
    /// Open invoices, overdue first, then by due date.
    open: Vec<InvoiceView>,
    /// Open invoices paid in installments, with the next one due.
    plans: Vec<PlanView>,
}

/// An active installment plan: its progress and the next installment.
#[derive(Serialize)]
struct PlanView {
    invoice_id: i64,
    number: Option<String>,
    currency: &'static str,
    parts: usize,
    paid_parts: usize,
    next_due: Option<NaiveDate>,
    /// What is left to pay of the next installment.
    next_amount: i64,
    next_overdue: bool,
}

/// The client's open invoices and active plans.
async fn money(
    state: &AppState,
    tenant: &Tenant,
    client: ClientId,
) -> Result<(Vec<InvoiceView>, Vec<PlanView>), Error> {
    let today = today(state, tenant);
    let mut open: Vec<InvoiceView> = Vec::new();
    let mut plans = Vec::new();
    for invoice in super::invoices::visible(state, tenant, client).await? {
        if invoice.status != InvoiceStatus::Open {
            continue;
        }
        let view = InvoiceView::new(tenant, &invoice, today)?;
        if !view.installments.is_empty() {
            let next = view.installments.iter().find(|part| part.paid < part.amount);
            plans.push(PlanView {
                invoice_id: invoice.id.get(),
                number: invoice.number.clone(),
                currency: view.currency,
                parts: view.installments.len(),
                paid_parts: view.installments.iter().filter(|p| p.paid >= p.amount).count(),
                next_due: next.map(|p| p.due_date),
                next_amount: next.map_or(0, |p| p.amount - p.paid),
                next_overdue: next.is_some_and(|p| p.overdue),
            });
        }
        open.push(view);
    }
    open.sort_by_key(|v| (v.shown != Shown::Overdue, v.due_date));
    plans.sort_by_key(|p| p.next_due);
    Ok((open, plans))
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
        Some(client) => super::invoices::owed_by(&state, &visitor.tenant, client.id).await?,
        None => Vec::new(),
    };
    let (open, plans) = match &visitor.client {
        Some(client) => money(&state, &visitor.tenant, client.id).await?,
        None => (Vec::new(), Vec::new()),
    };
    let page = HomePage {
        chrome: Chrome::portal(&visitor).await?,
        client,
        upcoming,
        recent,
        owed,
        open,
        plans,
    };
    Ok(state.templates.page("portal/home.html", &page))
}
