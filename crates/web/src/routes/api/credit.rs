//! `/api/v1/{tenant}/clients/{id}/credit`: a client's credit balance and ledger, and the
//! owner's grant (audited). Uses, overpayments, refunds and cancellations appear as entries
//! written by their workflows.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use portico_domain::billing::MAX_AMOUNT;
use portico_domain::booking::Actor;
use portico_domain::parse::parse_text;
use portico_domain::{BookingId, ClientId, Currency, InvoiceId, Money, PaymentId};
use portico_store::{clients, credit};
use serde::Serialize;
use serde_json::Value;

use super::invoices::currency;
use crate::auth::ApiScope;
use crate::routes::input::JsonInput;
use crate::{AppState, Error};

/// The longest reason of a grant or refund, in characters.
pub(super) const MAX_REASON: usize = 500;

#[derive(Debug, Serialize)]
pub struct CreditJson {
    balance_minor: i64,
    currency: Currency,
    entries: Vec<EntryJson>,
}

#[derive(Debug, Serialize)]
struct EntryJson {
    id: i64,
    amount_minor: i64,
    currency: Currency,
    kind: &'static str,
    payment_id: Option<PaymentId>,
    invoice_id: Option<InvoiceId>,
    booking_id: Option<BookingId>,
    reason: String,
    created_at: Option<DateTime<Utc>>,
}

async fn credit_json(
    state: &AppState,
    scope: &ApiScope,
    client: ClientId,
) -> Result<CreditJson, Error> {
    let currency = currency(scope)?;
    let entries = credit::entries(&state.db, scope.tenant.id, client).await?;
    let balance: i64 =
        entries.iter().filter(|e| e.amount.currency == currency).map(|e| e.amount.minor).sum();
    let entries = entries
        .into_iter()
        .map(|e| EntryJson {
            id: e.id.get(),
            amount_minor: e.amount.minor,
            currency: e.amount.currency,
            kind: e.kind.as_str(),
            payment_id: e.payment_id,
            invoice_id: e.invoice_id,
            booking_id: e.booking_id,
            reason: e.reason,
            created_at: DateTime::from_timestamp(e.created_at.unix(), 0),
        })
        .collect();
    Ok(CreditJson { balance_minor: balance, currency, entries })
}

/// A client of the tenant, or 404.
async fn client_of(state: &AppState, scope: &ApiScope, id: i64) -> Result<ClientId, Error> {
    let client = clients::get(&state.db, scope.tenant.id, id).await?;
    client.map(|c| c.id).ok_or(Error::NotFound)
}

/// `GET`: the balance (in the tenant's currency) and every entry, oldest first.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<CreditJson>, Error> {
    let client = client_of(&state, &scope, id).await?;
    Ok(Json(credit_json(&state, &scope, client).await?))
}

/// `POST` `{"amount_minor","reason"}`: the owner grants credit. 201 with the ledger.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn grant(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    let client = client_of(&state, &scope, id).await?;
    let mut input = JsonInput::from_body(body)?;
    let amount = input.whole("amount_minor");
    let reason = input.text("reason").unwrap_or_default();
    if !amount.is_some_and(|a| (1..=MAX_AMOUNT).contains(&a)) {
        input.error("amount_minor", "Enter a whole amount in minor units above zero.");
    }
    let reason = match parse_text(&reason, MAX_REASON) {
        Ok(reason) if !reason.is_empty() => Some(reason),
        Ok(_) => {
            input.error("reason", "Say why the credit is given.");
            None
        }
        Err(e) => {
            input.error("reason", &e);
            None
        }
    };
    let errors = input.finish(&[]);
    let (Some(amount), Some(reason), true) = (amount, reason, errors.is_empty()) else {
        return Err(Error::Unprocessable { fields: errors });
    };
    let amount = Money::new(amount, currency(&scope)?);
    let ctx = state.context(Actor::Api, "");
    portico_core::credit::grant(&state.db, scope.tenant.id, client, amount, &reason, &ctx)
        .await?
        .ok_or(Error::NotFound)?;
    let json = credit_json(&state, &scope, client).await?;
    Ok((StatusCode::CREATED, Json(json)).into_response())
}
