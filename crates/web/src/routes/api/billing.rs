//! `/api/v1/{tenant}/settings/billing`: when bookings are billed, the invoice number prefix,
//! the payment terms and what a cancelled booking's paid amount becomes.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use portico_domain::booking::Actor;
use portico_store::billing::{self, BillWhen, CancelPaid, Settings};
use serde::Serialize;
use serde_json::Value;

use crate::auth::ApiScope;
use crate::routes::input::JsonInput;
use crate::{AppState, Error};

/// The longest invoice prefix.
const MAX_PREFIX: usize = 12;
/// The longest payment terms, in days.
const MAX_TERMS_DAYS: i64 = 365;

#[derive(Debug, Serialize)]
pub struct BillingSettingsJson {
    bill_when: &'static str,
    invoice_prefix: String,
    payment_terms_days: u32,
    cancel_paid: &'static str,
}

impl From<Settings> for BillingSettingsJson {
    fn from(s: Settings) -> Self {
        Self {
            bill_when: s.bill_when.as_str(),
            invoice_prefix: s.invoice_prefix,
            payment_terms_days: s.payment_terms_days,
            cancel_paid: s.cancel_paid.as_str(),
        }
    }
}

/// `GET`: the settings (defaults until saved).
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
) -> Result<Json<BillingSettingsJson>, Error> {
    Ok(Json(billing::settings(&state.db, scope.tenant.id).await?.into()))
}

/// Whether a prefix is short and made of letters, digits and `-_/.#`.
fn prefix_ok(prefix: &str) -> bool {
    prefix.chars().count() <= MAX_PREFIX
        && prefix.chars().all(|c| c.is_ascii_alphanumeric() || "-_/.#".contains(c))
}

/// `PATCH`: any subset of the four; left-out ones keep their value. Anything invalid is a 422
/// naming it and changes nothing.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn update(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<BillingSettingsJson>, Error> {
    let mut input = JsonInput::from_body(body)?;
    let current = billing::settings(&state.db, scope.tenant.id).await?;
    let mut next = current.clone();
    if let Some(text) = input.text("bill_when") {
        match BillWhen::parse(text.trim()) {
            Some(when) => next.bill_when = when,
            None => input.error("bill_when", "Use none, confirmed or completed."),
        }
    }
    if let Some(text) = input.text("cancel_paid") {
        match CancelPaid::parse(text.trim()) {
            Some(choice) => next.cancel_paid = choice,
            None => input.error("cancel_paid", "Use credit or manual."),
        }
    }
    if let Some(prefix) = input.text("invoice_prefix") {
        let prefix = prefix.trim();
        if prefix_ok(prefix) {
            prefix.clone_into(&mut next.invoice_prefix);
        } else {
            input.error("invoice_prefix", "Use up to 12 letters, digits or - _ / . #.");
        }
    }
    if let Some(days) = input.whole("payment_terms_days") {
        match u32::try_from(days).ok().filter(|d| i64::from(*d) <= MAX_TERMS_DAYS) {
            Some(days) => next.payment_terms_days = days,
            None => {
                input.error("payment_terms_days", "Enter a whole number of days from 0 to 365.")
            }
        }
    }
    let errors = input.finish(&[]);
    if !errors.is_empty() {
        return Err(Error::Unprocessable { fields: errors });
    }
    if next != current {
        let ctx = state.context(Actor::Api, "");
        portico_core::billing::save_settings(&state.db, scope.tenant.id, &next, &ctx).await?;
    }
    Ok(Json(next.into()))
}
