//! `/portal/{tenant}/invoices`: a client's own invoices — grouped overdue, unpaid and paid
//! with status icons and words, the detail with its lines, and the PDF (each download is in
//! the audit log). Every invoice is looked up for the client of the [`ClientScope`]: another
//! client's invoice, or a draft (never shown to clients), is simply not found.

use axum::extract::{Path, State};
use axum::response::Response;
use portico_domain::ClientId;
use portico_domain::invoice::InvoiceStatus;
use portico_store::invoices::{self, Filter, Invoice};
use portico_store::tenants::Tenant;
use serde::Serialize;

use crate::auth::ClientScope;
use crate::chrome::Chrome;
use crate::invoice_view::{
    InvoiceView, PaymentView, Shown, file_name, history, payment_views, pdf, pdf_response, today,
};
use crate::routes::app::invoices::{Owed, owed};
use crate::{AppState, Error};

/// The client's invoices a client may see: every one but drafts, newest first.
async fn visible(
    state: &AppState,
    tenant: &Tenant,
    client: ClientId,
) -> Result<Vec<Invoice>, Error> {
    let filter = Filter { client: Some(client), status: None };
    let mut list = invoices::list(&state.db, tenant.id, &filter).await?;
    list.retain(|invoice| invoice.status != InvoiceStatus::Draft);
    Ok(list)
}

/// What the client owes here, per currency (for the portal home).
pub async fn owed_by(
    state: &AppState,
    tenant: &Tenant,
    client: ClientId,
) -> Result<Vec<Owed>, Error> {
    owed(&visible(state, tenant, client).await?, today(state, tenant))
}

#[derive(Serialize)]
struct Group {
    shown: Shown,
    title: &'static str,
    invoices: Vec<InvoiceView>,
}

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    owed: Vec<Owed>,
    groups: Vec<Group>,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(State(state): State<AppState>, scope: ClientScope) -> Result<Response, Error> {
    let today = today(&state, &scope.tenant);
    let list = visible(&state, &scope.tenant, scope.client.id()).await?;
    let mut groups = [
        (Shown::Overdue, "Overdue"),
        (Shown::Open, "Unpaid"),
        (Shown::Paid, "Paid"),
        (Shown::Void, "Void"),
    ]
    .map(|(shown, title)| Group { shown, title, invoices: Vec::new() });
    for invoice in &list {
        let view = InvoiceView::new(&scope.tenant, invoice, today)?;
        if let Some(group) = groups.iter_mut().find(|g| g.shown == view.shown) {
            group.invoices.push(view);
        }
    }
    let page = IndexPage {
        chrome: Chrome::client(&scope).await?,
        owed: owed(&list, today)?,
        groups: groups.into_iter().filter(|g| !g.invoices.is_empty()).collect(),
    };
    Ok(state.templates.page("portal/invoices/index.html", &page))
}

/// The client's own invoice (not a draft), or 404.
async fn load(state: &AppState, scope: &ClientScope, id: i64) -> Result<Invoice, Error> {
    invoices::get(&state.db, scope.tenant.id, id)
        .await?
        .filter(|i| i.client_id == scope.client.id() && i.status != InvoiceStatus::Draft)
        .ok_or(Error::NotFound)
}

#[derive(Serialize)]
struct ShowPage {
    chrome: Chrome,
    invoice: InvoiceView,
    payments: Vec<PaymentView>,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let invoice = load(&state, &scope, id).await?;
    let payments = history(&state, &scope.tenant, &invoice).await?;
    let page = ShowPage {
        chrome: Chrome::client(&scope).await?,
        invoice: InvoiceView::new(&scope.tenant, &invoice, today(&state, &scope.tenant))?,
        payments: payment_views(&payments, invoice.id),
    };
    Ok(state.templates.page("portal/invoices/show.html", &page))
}

/// The PDF, recorded in the audit log as the client's download.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn download(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let invoice = load(&state, &scope, id).await?;
    let payments = history(&state, &scope.tenant, &invoice).await?;
    let today = today(&state, &scope.tenant);
    let bytes = pdf(&scope.tenant, &scope.client, &invoice, &payments, today)?;
    let number = invoice.number.as_deref().unwrap_or_default();
    state
        .audit(
            &scope.viewer,
            Some(scope.tenant.id),
            Some(scope.user.id()),
            "invoice.downloaded",
            if scope.preview {
                format!("#{id} {number} in the owner's preview of client #{}", scope.client.id)
            } else {
                format!("#{id} {number} by client #{}", scope.client.id)
            },
        )
        .await?;
    Ok(pdf_response(bytes, &file_name(&invoice)))
}
