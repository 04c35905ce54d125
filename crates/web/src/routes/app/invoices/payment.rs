//! "Record a payment" on an invoice's page: the owner enters money they received (amount,
//! method, date, reference) and `portico_core::payments::record` applies it to the invoice
//! (its installments first), any excess becoming the client's credit. Bad input re-renders the
//! page with a message per field and records nothing.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use portico_core::payments::{NewReceived, Refusal};
use portico_domain::Money;
use portico_domain::billing::{MAX_AMOUNT, Method};
use portico_domain::booking::Actor;
use portico_domain::parse::{parse_date, parse_text};
use serde::{Deserialize, Serialize};

use super::{detail, load, render_page, sentence};
use crate::auth::OwnerScope;
use crate::chrome::flash;
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::{AppState, Error};

/// The longest payment reference, in characters (as over the API).
const MAX_REFERENCE: usize = 200;

/// One choice of method in the form.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

/// The methods the form offers, a bank transfer first.
pub const METHODS: [Choice; 4] = [
    Choice { value: "bank_transfer", label: "Bank transfer" },
    Choice { value: "cash", label: "Cash" },
    Choice { value: "card_terminal", label: "Card terminal" },
    Choice { value: "other", label: "Other" },
];

/// The form as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PaymentForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub received_on: String,
    #[serde(default)]
    pub reference: String,
}

impl PaymentForm {
    /// The empty form: received today, by bank transfer.
    pub fn on(today: NaiveDate) -> Self {
        Self {
            method: "bank_transfer".to_owned(),
            received_on: today.to_string(),
            ..Self::default()
        }
    }
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn record(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<PaymentForm>,
) -> Result<Response, Error> {
    let (invoice, _) = load(&state, &scope, id).await?;
    let mut errors = FieldErrors::new();
    let currency = invoice.currency;
    let amount = match Money::parse(form.amount.trim(), currency) {
        Ok(m) if (1..=MAX_AMOUNT).contains(&m.minor) => Some(m),
        _ => {
            let message = format!("Enter the amount received, such as 25.00 (in {currency}).");
            errors.insert("amount".to_owned(), message);
            None
        }
    };
    let method = Method::parse(&form.method);
    if method.is_none() {
        errors.insert("method".to_owned(), "Choose how it was paid.".to_owned());
    }
    let received_on = parse_date(form.received_on.trim())
        .map_err(|e| errors.insert("received_on".to_owned(), e.to_owned()))
        .ok();
    let reference = parse_text(&form.reference, MAX_REFERENCE)
        .map_err(|e| errors.insert("reference".to_owned(), e))
        .ok();
    let (Some(amount), Some(method), Some(received_on), Some(reference)) =
        (amount, method, received_on, reference)
    else {
        let template = "app/invoices/show.html";
        let plan = super::plan::PlanForm::on(invoice.due_date);
        let forms = super::Forms { payment: &form, plan: &plan };
        return render_page(&state, &scope, id, template, "", &forms, &errors).await;
    };
    let new = NewReceived {
        client: invoice.client_id.get(),
        invoice: Some(id),
        amount,
        method,
        received_on,
        reference,
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    match portico_core::payments::record(&state.db, scope.id(), &new, &ctx).await? {
        Ok(payment) => {
            let text = if payment.credit.minor > 0 {
                format!("Payment recorded; {} went to the client's credit.", payment.credit)
            } else {
                "Payment recorded.".to_owned()
            };
            flash(&scope.viewer.session, "info", text).await?;
        }
        Err(Refusal::NotFound | Refusal::UnknownInvoice | Refusal::UnknownClient) => {
            return Err(Error::NotFound);
        }
        Err(refusal) => flash(&scope.viewer.session, "error", sentence(&refusal)).await?,
    }
    Ok(see_other(&detail(&scope, id)))
}

/// The invoice a pending declaration is for, or 404 when the payment is not the tenant's.
async fn declared_on(state: &AppState, scope: &OwnerScope, id: i64) -> Result<i64, Error> {
    portico_store::payments::get(&state.db, scope.id(), id)
        .await?
        .and_then(|p| p.invoice_id.map(|i| i.get()))
        .ok_or(Error::NotFound)
}

/// Confirms a client's declared transfer: it is applied like a recorded payment.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn confirm(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let invoice = declared_on(&state, &scope, id).await?;
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    match portico_core::payments::confirm(&state.db, scope.id(), id, &ctx).await? {
        Ok(_) => flash(&scope.viewer.session, "info", "Transfer confirmed.").await?,
        Err(Refusal::NotFound) => return Err(Error::NotFound),
        Err(refusal) => flash(&scope.viewer.session, "error", sentence(&refusal)).await?,
    }
    Ok(see_other(&detail(&scope, invoice)))
}

#[derive(Debug, Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

/// Rejects a client's declared transfer with the reason the client will see.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn reject(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<RejectForm>,
) -> Result<Response, Error> {
    let invoice = declared_on(&state, &scope, id).await?;
    let reason = match parse_text(&form.reason, MAX_REFERENCE) {
        Ok(reason) if !reason.is_empty() => reason,
        checked => {
            let message = checked.err().unwrap_or_else(|| "Say why it is rejected.".into());
            let errors = FieldErrors::from([(format!("reject_{id}"), message)]);
            let today = crate::invoice_view::today(&state, &scope.tenant);
            let template = "app/invoices/show.html";
            let blank = PaymentForm::on(today);
            let plan = super::plan::PlanForm::on(today);
            let forms = super::Forms { payment: &blank, plan: &plan };
            return render_page(&state, &scope, invoice, template, "", &forms, &errors).await;
        }
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    match portico_core::payments::reject(&state.db, scope.id(), id, &reason, &ctx).await? {
        Ok(_) => flash(&scope.viewer.session, "info", "Transfer rejected.").await?,
        Err(Refusal::NotFound) => return Err(Error::NotFound),
        Err(refusal) => flash(&scope.viewer.session, "error", sentence(&refusal)).await?,
    }
    Ok(see_other(&detail(&scope, invoice)))
}
