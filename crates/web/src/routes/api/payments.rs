//! `/api/v1/{tenant}/payments`: payments the provider received (applied to the chosen
//! invoice, the excess to credit), their refunds, and the owner's decision on a client's
//! declared bank transfer. The money rules are `portico_domain::billing`'s; the writes are
//! `portico_core::payments`'s.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use portico_core::online::OnlineRefusal;
use portico_core::payments::{NewReceived, Refusal};
use portico_domain::billing::{MAX_AMOUNT, Method};
use portico_domain::booking::Actor;
use portico_domain::invoice::InvoiceStatus;
use portico_domain::parse::{parse_date, parse_text};
use portico_domain::{Currency, InvoiceId, Money};
use portico_store::payments::{self, Payment};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::credit::MAX_REASON;
use super::invoices::{capitalized, currency};
use crate::auth::ApiScope;
use crate::error::field_error;
use crate::routes::input::JsonInput;
use crate::{AppState, Error};

/// The longest payment reference, in characters.
const MAX_REFERENCE: usize = 200;

#[derive(Debug, Serialize)]
pub struct PaymentJson {
    id: i64,
    client_id: i64,
    invoice_id: Option<InvoiceId>,
    amount_minor: i64,
    currency: Currency,
    method: &'static str,
    received_on: NaiveDate,
    reference: String,
    /// `received`, `pending` (a client's declaration) or `rejected`.
    status: &'static str,
    refunded_minor: i64,
    decision_reason: String,
    /// Net amounts on invoices now (refunds and cancellations taken off).
    applied: Vec<AppliedJson>,
    /// Net credit it left.
    credit_minor: i64,
}

#[derive(Debug, Serialize)]
struct AppliedJson {
    invoice_id: InvoiceId,
    amount_minor: i64,
}

impl From<Payment> for PaymentJson {
    fn from(p: Payment) -> Self {
        Self {
            id: p.id.get(),
            client_id: p.client_id.get(),
            invoice_id: p.invoice_id,
            amount_minor: p.amount.minor,
            currency: p.amount.currency,
            method: p.method.as_str(),
            received_on: p.received_on,
            reference: p.reference,
            status: p.status.as_str(),
            refunded_minor: p.refunded.minor,
            decision_reason: p.decision_reason,
            applied: p
                .applied
                .into_iter()
                .map(|(invoice_id, amount_minor)| AppliedJson { invoice_id, amount_minor })
                .collect(),
            credit_minor: p.credit.minor,
        }
    }
}

/// A refusal as the API answers it.
fn refused(refusal: Refusal) -> Error {
    let message = format!("{}.", capitalized(&refusal));
    match refusal {
        Refusal::NotFound => Error::NotFound,
        Refusal::UnknownClient => field_error("client_id", "Unknown client."),
        Refusal::UnknownInvoice => field_error("invoice_id", "Unknown invoice of this client."),
        Refusal::Currency(_) => field_error("currency", message),
        Refusal::RefundTooLarge(_) => field_error("amount_minor", message),
        Refusal::NotPayable(_) => Error::Conflict { code: "not_payable", message },
        Refusal::NotReceived(_) | Refusal::NotPending(_) => {
            Error::Conflict { code: "invalid_transition", message }
        }
        Refusal::RefundedMeanwhile => Error::Conflict { code: "refunded_meanwhile", message },
    }
}

/// An amount in minor units above zero, or a message on `amount_minor`.
fn amount(input: &mut JsonInput) -> Option<i64> {
    let amount = input.whole("amount_minor");
    if !amount.is_some_and(|a| (1..=MAX_AMOUNT).contains(&a)) {
        input.error("amount_minor", "Enter a whole amount in minor units above zero.");
        return None;
    }
    amount
}

/// A required reason, or a message on `reason`.
fn reason(input: &mut JsonInput, missing: &str) -> Option<String> {
    let text = input.text("reason").unwrap_or_default();
    match parse_text(&text, MAX_REASON) {
        Ok(reason) if !reason.is_empty() => Some(reason),
        Ok(_) => {
            input.error("reason", missing);
            None
        }
        Err(e) => {
            input.error("reason", &e);
            None
        }
    }
}

fn parse_new(mut input: JsonInput, tenant_currency: Currency) -> Result<NewReceived, Error> {
    let client = input.whole("client_id");
    if client.is_none() {
        input.error("client_id", "This field is required.");
    }
    let invoice = input.whole("invoice_id");
    let amount = amount(&mut input);
    let code = input.text("currency").unwrap_or_default();
    if code.trim() != tenant_currency.code() {
        input.error("currency", &format!("Payments are in {tenant_currency}."));
    }
    let method = input.text("method").unwrap_or_default();
    let method = Method::parse(method.trim());
    if method.is_none() {
        input.error("method", "Use cash, bank_transfer, card_terminal or other.");
    }
    let received_on = match parse_date(&input.text("received_on").unwrap_or_default()) {
        Ok(date) => Some(date),
        Err(e) => {
            input.error("received_on", e);
            None
        }
    };
    let reference = match parse_text(&input.text("reference").unwrap_or_default(), MAX_REFERENCE) {
        Ok(reference) => reference,
        Err(e) => {
            input.error("reference", &e);
            String::new()
        }
    };
    let errors = input.finish(&[]);
    match (client, amount, method, received_on) {
        (Some(client), Some(amount), Some(method), Some(received_on)) if errors.is_empty() => {
            Ok(NewReceived {
                client,
                invoice,
                amount: Money::new(amount, tenant_currency),
                method,
                received_on,
                reference,
            })
        }
        _ => Err(Error::Unprocessable { fields: errors }),
    }
}

/// `POST` `{"client_id","invoice_id"|null,"amount_minor","currency","method","received_on",
/// "reference"}`: 201 with where the money went.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn create(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    let new = parse_new(JsonInput::from_body(body)?, currency(&scope)?)?;
    let ctx = state.context(Actor::Api, "");
    let payment = portico_core::payments::record(&state.db, scope.tenant.id, &new, &ctx)
        .await?
        .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(PaymentJson::from(payment))).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    client_id: Option<i64>,
}

/// `GET ?client_id=`: newest first.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(
    State(state): State<AppState>,
    scope: ApiScope,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, Error> {
    let list: Vec<PaymentJson> = payments::list(&state.db, scope.tenant.id, query.client_id)
        .await?
        .into_iter()
        .map(PaymentJson::from)
        .collect();
    Ok(Json(serde_json::json!({ "payments": list })))
}

/// The tenant's payment, or 404 (before the body is judged).
async fn exists(state: &AppState, scope: &ApiScope, id: i64) -> Result<(), Error> {
    payments::invoice_of(&state.db, scope.tenant.id, id).await?.ok_or(Error::NotFound)?;
    Ok(())
}

/// `POST …/refund` `{"amount_minor","reason"}`: pays back part or all of a received payment
/// (out of the credit it left first, then off its invoice). 422 when more than can be
/// refunded now.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn refund(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<PaymentJson>, Error> {
    exists(&state, &scope, id).await?;
    let mut input = JsonInput::from_body(body)?;
    let amount = amount(&mut input);
    let reason = reason(&mut input, "Say why the payment is refunded.");
    let errors = input.finish(&[]);
    let (Some(amount), Some(reason), true) = (amount, reason, errors.is_empty()) else {
        return Err(Error::Unprocessable { fields: errors });
    };
    let amount = Money::new(amount, currency(&scope)?);
    let ctx = state.context(Actor::Api, "");
    let tenant = scope.tenant.id;
    match crate::online::refund_payment(&state, tenant, id, amount, &reason, None, &ctx).await? {
        Ok(payment) => Ok(Json(payment.into())),
        Err(OnlineRefusal::Refused(refusal)) => Err(refused(refusal)),
        Err(OnlineRefusal::NotOnline) => Err(Error::NotFound),
        Err(OnlineRefusal::Gateway(message)) => {
            Err(Error::Gateway { message: format!("The payment gateway: {message}") })
        }
    }
}

/// `POST /api/v1/{tenant}/invoices/{id}/pay-link` → `{"url", "expires_at"}`: the invoice's
/// hosted pay link (signed, no login, working for 30 days; `expires_at` in epoch seconds). 409 `not_payable` for a draft or void invoice.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn pay_link(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<Value>, Error> {
    let invoice = portico_store::invoices::get(&state.db, scope.tenant.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    if matches!(invoice.status, InvoiceStatus::Draft | InvoiceStatus::Void) {
        let refusal = Refusal::NotPayable(invoice.status.as_str());
        return Err(refused(refusal));
    }
    let url = crate::online::pay_link(&state, scope.tenant.id, invoice.id.get());
    let expires_at = crate::online::pay_link_expiry(state.clock.now_ts());
    Ok(Json(serde_json::json!({ "url": url, "expires_at": expires_at })))
}

/// `POST …/confirm`: a pending declared transfer is received and applied.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn confirm(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<PaymentJson>, Error> {
    exists(&state, &scope, id).await?;
    let ctx = state.context(Actor::Api, "");
    let payment = portico_core::payments::confirm(&state.db, scope.tenant.id, id, &ctx)
        .await?
        .map_err(refused)?;
    Ok(Json(payment.into()))
}

/// `POST …/reject` `{"reason"}`: a pending declared transfer is rejected; nothing is applied.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn reject(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<PaymentJson>, Error> {
    exists(&state, &scope, id).await?;
    let mut input = JsonInput::from_body(body)?;
    let reason = reason(&mut input, "Say why the transfer is rejected.");
    let errors = input.finish(&[]);
    let (Some(reason), true) = (reason, errors.is_empty()) else {
        return Err(Error::Unprocessable { fields: errors });
    };
    let ctx = state.context(Actor::Api, "");
    let payment = portico_core::payments::reject(&state.db, scope.tenant.id, id, &reason, &ctx)
        .await?
        .map_err(refused)?;
    Ok(Json(payment.into()))
}
