//! `/portal/{tenant}/payments`: the client's own payment history — what they paid (or
//! declared), what it paid for, and what was refunded — and their credit balance. Only the
//! client's own payments are read: another client's never reach the page.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use portico_domain::InvoiceId;
use portico_domain::invoice::InvoiceStatus;
use portico_store::invoices::{self, Filter};
use portico_store::{credit, payments};
use serde::Serialize;

use crate::auth::ClientScope;
use crate::chrome::Chrome;
use crate::invoice_view::{method_word, payment_word};
use crate::routes::app::payments::RefundView;
use crate::{AppState, Error};

/// One of the client's payments as their page shows it.
#[derive(Serialize)]
struct PaymentView {
    id: i64,
    received_on: NaiveDate,
    currency: &'static str,
    amount: i64,
    refunded: i64,
    method: &'static str,
    status: &'static str,
    word: &'static str,
    reference: String,
    reason: String,
    /// The invoice it was for, when the client may open it: (id, number).
    invoice_id: Option<InvoiceId>,
    invoice_number: Option<String>,
    /// The credit it left, net of refunds.
    credit: i64,
    refunds: Vec<RefundView>,
}

#[derive(Serialize)]
struct Balance {
    currency: &'static str,
    balance: i64,
}

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    payments: Vec<PaymentView>,
    credit: Vec<Balance>,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(State(state): State<AppState>, scope: ClientScope) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let client = scope.client.id;
    let list = payments::list(&state.db, tenant.id, Some(client.get())).await?;
    let filter = Filter { client: Some(client.get()), status: None };
    // Drafts are never shown to clients.
    let numbers: BTreeMap<InvoiceId, Option<String>> =
        invoices::list(&state.db, tenant.id, &filter)
            .await?
            .into_iter()
            .filter(|i| i.status != InvoiceStatus::Draft)
            .map(|i| (i.id, i.number))
            .collect();
    let refunds = payments::refunds(&state.db, tenant.id, Some(client), None).await?;
    let payments = list
        .iter()
        .map(|p| {
            let visible = p.invoice_id.filter(|id| numbers.contains_key(id));
            PaymentView {
                id: p.id.get(),
                received_on: p.received_on,
                currency: p.amount.currency.code(),
                amount: p.amount.minor,
                refunded: p.refunded.minor,
                method: method_word(p.method),
                status: p.status.as_str(),
                word: payment_word(p.status),
                reference: p.reference.clone(),
                reason: p.decision_reason.clone(),
                invoice_id: visible,
                invoice_number: visible.and_then(|id| numbers.get(&id).cloned().flatten()),
                credit: p.credit.minor,
                refunds: refunds
                    .iter()
                    .filter(|r| r.payment_id == p.id)
                    .map(|r| RefundView::new(tenant, r))
                    .collect(),
            }
        })
        .collect();
    let mut sums: BTreeMap<&'static str, i64> = BTreeMap::new();
    for entry in credit::entries(&state.db, tenant.id, client).await? {
        *sums.entry(entry.amount.currency.code()).or_default() += entry.amount.minor;
    }
    let page = IndexPage {
        chrome: Chrome::client(&scope).await?,
        payments,
        credit: sums
            .into_iter()
            .filter(|(_, balance)| *balance != 0)
            .map(|(currency, balance)| Balance { currency, balance })
            .collect(),
    };
    Ok(state.templates.page("portal/payments.html", &page))
}
