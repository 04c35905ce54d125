//! `/portal/{tenant}/invoices`: a client's own invoices — grouped overdue, unpaid and paid
//! with status icons and words, the detail with its lines, and the PDF (each download is in
//! the audit log). Every invoice is looked up for the client of the [`ClientScope`]: another
//! client's invoice, or a draft (never shown to clients), is simply not found.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_core::payments::Refusal;
use portico_domain::billing::MAX_AMOUNT;
use portico_domain::booking::Actor;
use portico_domain::invoice::InvoiceStatus;
use portico_domain::parse::parse_text;
use portico_domain::{ClientId, Money};
use portico_integrations::payments::GatewayKind;
use portico_store::invoices::{self, Filter, Invoice};
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};

use crate::auth::ClientScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::invoice_view::{
    InvoiceView, PaymentView, Shown, file_name, history, payment_views, pdf, pdf_response, today,
};
use crate::routes::app::invoices::{Owed, owed};
use crate::{AppState, Error};

/// The client's invoices a client may see: every one but drafts, newest first.
pub(super) async fn visible(
    state: &AppState,
    tenant: &Tenant,
    client: ClientId,
) -> Result<Vec<Invoice>, Error> {
    let filter = Filter { client: Some(client.get()), status: None };
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
    let list = visible(&state, &scope.tenant, scope.client.id).await?;
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
        .filter(|i| i.client_id == scope.client.id && i.status != InvoiceStatus::Draft)
        .ok_or(Error::NotFound)
}

#[derive(Serialize)]
struct ShowPage<'a> {
    chrome: Chrome,
    invoice: InvoiceView,
    payments: Vec<PaymentView>,
    /// The bank-transfer declaration as typed.
    transfer: &'a TransferForm,
    errors: &'a FieldErrors,
    /// The business takes online payments ("Pay now").
    online: bool,
    test_mode: bool,
    /// What "Pay now" asks for.
    due: i64,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    render_show(&state, &scope, id, &TransferForm::default(), &FieldErrors::new()).await
}

async fn render_show(
    state: &AppState,
    scope: &ClientScope,
    id: i64,
    transfer: &TransferForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let invoice = load(state, scope, id).await?;
    let payments = history(state, &scope.tenant, &invoice).await?;
    let gateway = crate::online::gateway_of(state, scope.tenant.id).await?;
    let page = ShowPage {
        online: gateway.is_some(),
        test_mode: gateway.is_some_and(|g| g.kind == GatewayKind::Test),
        due: crate::online::amount_due(&invoice).map_or(0, |m| m.minor),
        chrome: Chrome::client(scope).await?,
        invoice: InvoiceView::new(&scope.tenant, &invoice, today(state, &scope.tenant))?,
        payments: payment_views(&payments, invoice.id),
        transfer,
        errors,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("portal/invoices/show.html", &page)).into_response())
}

/// The longest transfer reference, in characters (as for recorded payments).
const MAX_REFERENCE: usize = 200;

/// "I have paid by bank transfer": the amount and the transfer's reference.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TransferForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reference: String,
}

/// The client declares a bank transfer for their own open invoice; it stays pending until
/// the owner confirms it (`portico_core::payments::declare_transfer`). The preview layer
/// refuses this POST while the owner views the portal as the client.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn declare(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<TransferForm>,
) -> Result<Response, Error> {
    let invoice = load(&state, &scope, id).await?;
    let mut errors = FieldErrors::new();
    let currency = invoice.currency;
    let amount = match Money::parse(form.amount.trim(), currency) {
        Ok(m) if (1..=MAX_AMOUNT).contains(&m.minor) => Some(m),
        _ => {
            let message = format!("Enter the amount you sent, such as 25.00 (in {currency}).");
            errors.insert("amount".to_owned(), message);
            None
        }
    };
    let reference = match parse_text(&form.reference, MAX_REFERENCE) {
        Ok(r) if !r.is_empty() => Some(r),
        checked => {
            let message = checked
                .err()
                .unwrap_or_else(|| "Enter the reference you gave the transfer.".to_owned());
            errors.insert("reference".to_owned(), message);
            None
        }
    };
    let (Some(amount), Some(reference)) = (amount, reference) else {
        return render_show(&state, &scope, id, &form, &errors).await;
    };
    let ctx = state.context(Actor::Client(scope.user.id), scope.viewer.ip_string());
    let client = scope.client.id;
    let declared = portico_core::payments::declare_transfer(
        &state.db,
        &scope.tenant,
        client,
        id,
        amount,
        &reference,
        &ctx,
    )
    .await?;
    match declared {
        Ok(_) => {
            let text = "Thank you — your transfer shows as pending until it is confirmed.";
            flash(&scope.viewer.session, "info", text).await?;
        }
        Err(Refusal::NotFound | Refusal::UnknownInvoice | Refusal::UnknownClient) => {
            return Err(Error::NotFound);
        }
        Err(refusal) => {
            let errors = FieldErrors::from([("amount".to_owned(), refusal.to_string())]);
            return render_show(&state, &scope, id, &form, &errors).await;
        }
    }
    Ok(see_other(&format!("/portal/{}/invoices/{id}", scope.tenant.slug)))
}

/// "Pay now": starts a checkout for what is due (the next installment, or the balance) and
/// sends the client to the gateway's page. The preview layer refuses it in the owner's
/// preview.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn pay(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let invoice = load(&state, &scope, id).await?;
    let ctx = state.context(Actor::Client(scope.user.id), scope.viewer.ip_string());
    match crate::online::start(&state, &scope.tenant, &invoice, &ctx).await? {
        Ok(url) => Ok(see_other(&url)),
        Err(why) => {
            flash(&scope.viewer.session, "error", &why.words()).await?;
            Ok(see_other(&format!("/portal/{}/invoices/{id}", scope.tenant.slug)))
        }
    }
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
    let logo = crate::pictures::logo_for_pdf(&state, scope.tenant.id).await?;
    let bytes = pdf(&scope.tenant, &scope.client, &invoice, &payments, today, logo)?;
    let number = invoice.number.as_deref().unwrap_or_default();
    state
        .audit(
            &scope.viewer,
            Some(scope.tenant.id),
            Some(scope.user.id),
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
