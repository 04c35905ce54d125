//! A client's credit on the owner's client page: the balance, every entry with its cause
//! (linking to the invoice, booking or payment behind it), and the owner's grant (an amount
//! and a reason) through `portico_core::credit::grant`. Bad input re-renders the client page
//! with a message per field and grants nothing.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::DateTime;
use portico_domain::billing::{CreditKind, MAX_AMOUNT};
use portico_domain::booking::Actor;
use portico_domain::parse::parse_text;
use portico_domain::{ClientId, Currency, Money};
use portico_store::credit::{self, Entry};
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};

use super::clients::{load, render_client};
use crate::auth::OwnerScope;
use crate::chrome::flash;
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::{AppState, Error};

/// The longest reason of a grant, in characters (as over the API).
const MAX_REASON: usize = 500;

/// One ledger entry as the page shows it.
#[derive(Debug, Serialize)]
pub struct EntryView {
    pub date: String,
    pub amount: i64,
    pub currency: &'static str,
    pub kind: &'static str,
    /// The cause in words ("Overpayment of payment #3").
    pub cause: String,
    /// Where the cause is, when it has a page.
    pub link: Option<String>,
    pub reason: String,
}

/// The client's credit: the balance in the tenant's currency and the entries, newest first.
#[derive(Debug, Serialize)]
pub struct CreditView {
    pub currency: &'static str,
    pub balance: i64,
    pub entries: Vec<EntryView>,
}

/// The tenant's currency.
pub fn currency_of(tenant: &Tenant) -> Result<Currency, Error> {
    Currency::parse(&tenant.currency).map_err(|e| Error::Internal(e.into()))
}

/// An entry's cause in words, and the owner's page of it.
fn cause(tenant: &Tenant, entry: &Entry) -> (String, Option<String>) {
    let app = format!("/app/{}", tenant.slug);
    let payment =
        entry.payment_id.map(|id| (format!("payment #{id}"), format!("{app}/payments/{id}")));
    let invoice =
        entry.invoice_id.map(|id| (format!("invoice #{id}"), format!("{app}/invoices/{id}")));
    let booking =
        entry.booking_id.map(|id| (format!("booking #{id}"), format!("{app}/bookings/{id}")));
    let (what, linked) = match entry.kind {
        CreditKind::Grant => ("Granted by you", None),
        CreditKind::Overpayment => ("Overpayment of", payment.or(invoice)),
        CreditKind::Cancellation => ("Paid for cancelled", booking.or(invoice).or(payment)),
        CreditKind::Use => ("Used for", booking.or(invoice)),
        CreditKind::Refund => ("Paid back with the refund of", payment),
    };
    match linked {
        Some((name, link)) => (format!("{what} {name}"), Some(link)),
        None => (what.to_owned(), None),
    }
}

/// The client's credit as the owner's page shows it.
pub async fn view(
    state: &AppState,
    tenant: &Tenant,
    client: ClientId,
) -> Result<CreditView, Error> {
    let currency = currency_of(tenant)?;
    let entries = credit::entries(&state.db, tenant.id, client).await?;
    let balance =
        entries.iter().filter(|e| e.amount.currency == currency).map(|e| e.amount.minor).sum();
    let entries = entries
        .iter()
        .rev()
        .map(|entry| {
            let (cause, link) = cause(tenant, entry);
            EntryView {
                date: DateTime::from_timestamp(entry.created_at.unix(), 0)
                    .map(|t| t.with_timezone(&tenant.timezone).date_naive().to_string())
                    .unwrap_or_default(),
                amount: entry.amount.minor,
                currency: entry.amount.currency.code(),
                kind: entry.kind.as_str(),
                cause,
                link,
                reason: entry.reason.clone(),
            }
        })
        .collect();
    Ok(CreditView { currency: currency.code(), balance, entries })
}

/// The grant form as typed.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct GrantForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reason: String,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn grant(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<GrantForm>,
) -> Result<Response, Error> {
    let client = load(&state, &scope, id).await?;
    let currency = currency_of(&scope.tenant)?;
    let mut errors = FieldErrors::new();
    let amount = match Money::parse(form.amount.trim(), currency) {
        Ok(m) if (1..=MAX_AMOUNT).contains(&m.minor) => Some(m),
        _ => {
            let message = format!("Enter the credit to give, such as 25.00 (in {currency}).");
            errors.insert("credit_amount".to_owned(), message);
            None
        }
    };
    let reason = match parse_text(&form.reason, MAX_REASON) {
        Ok(reason) if !reason.is_empty() => Some(reason),
        checked => {
            let message = checked.err().unwrap_or_else(|| "Say why the credit is given.".into());
            errors.insert("credit_reason".to_owned(), message);
            None
        }
    };
    let (Some(amount), Some(reason)) = (amount, reason) else {
        return render_client(&state, &scope, &client, &form, &errors).await;
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    let granted =
        portico_core::credit::grant(&state.db, scope.id(), client.id, amount, &reason, &ctx)
            .await?
            .ok_or(Error::NotFound)?;
    let text = format!(
        "Credit of {currency} {} given; the balance is {currency} {}.",
        amount.amount(),
        granted.amount()
    );
    flash(&scope.viewer.session, "info", text).await?;
    Ok(see_other(&format!("/app/{}/clients/{id}#credit", scope.tenant.slug)))
}
