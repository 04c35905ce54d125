//! Online payments for the owner: the payment settings (gateway, and the business's own Stripe
//! secret key and webhook signing secret — write-only: sealed at rest, never shown again, the
//! page says only "configured") and the list of online checkouts with their state, mismatches
//! flagged.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_core::online::StripeKeys;
use portico_domain::booking::Actor;
use portico_domain::{BookingId, InvoiceId, PaymentId};
use portico_integrations::payments::{self, GatewayKind};
use portico_store::invoices;
use portico_store::online::{self, CheckoutStatus};
use portico_store::sealed::{self, SecretKind, Slot};
use serde::{Deserialize, Serialize};

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::{AppState, Error};

#[derive(Debug, Default, Deserialize)]
pub struct PaymentSettingsForm {
    #[serde(default)]
    gateway: String,
    #[serde(default)]
    secret_key: String,
    #[serde(default)]
    webhook_secret: String,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct SettingsPage<'a> {
    chrome: Chrome,
    gateways: Vec<Choice>,
    secret_key_set: bool,
    webhook_secret_set: bool,
    /// Where Stripe must send this business's events.
    webhook_url: String,
    errors: &'a FieldErrors,
}

async fn render(
    state: &AppState,
    scope: &OwnerScope,
    chosen: Option<GatewayKind>,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let current = match chosen {
        Some(kind) => kind,
        None => crate::online::kind_of(state, scope.id()).await?,
    };
    let gateways = [
        (GatewayKind::Offline, "No online payments"),
        (GatewayKind::Stripe, "Stripe (your own account)"),
        (GatewayKind::Test, "Test mode (simulated checkout, no real money)"),
    ]
    .into_iter()
    .filter(|(kind, _)| *kind != GatewayKind::Test || !state.config.production)
    .map(|(kind, label)| Choice { value: kind.as_str(), label, selected: kind == current })
    .collect();
    let exists = |kind| sealed::exists(&state.db, scope.id(), Slot::tenant(kind));
    let public = state.config.public_url.as_str().trim_end_matches('/');
    let page = SettingsPage {
        chrome: Chrome::app(scope, state).await?,
        gateways,
        secret_key_set: exists(SecretKind::StripeSecretKey).await?,
        webhook_secret_set: exists(SecretKind::StripeWebhookSecret).await?,
        webhook_url: format!("{public}/webhooks/stripe/{}", scope.tenant.slug),
        errors,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/payment_settings.html", &page)).into_response())
}

/// `GET /app/{tenant}/settings/payments`.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn settings(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    render(&state, &scope, None, &FieldErrors::new()).await
}

/// A key as typed: `None` when left empty (keep the stored one), else checked for shape.
fn key<'a>(
    typed: &'a str,
    prefixes: &[&str],
    field: &str,
    errors: &mut FieldErrors,
) -> Option<&'a str> {
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    if !payments::key_has_shape(typed, prefixes) {
        let message = format!(
            "This does not look like a Stripe key (it starts with {}).",
            prefixes.join(" or ")
        );
        errors.insert(field.to_owned(), message);
    }
    Some(typed)
}

/// `POST /app/{tenant}/settings/payments`: the gateway, and new Stripe keys (empty fields keep
/// the stored ones). Entering a key switches the business to Stripe.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn update_settings(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<PaymentSettingsForm>,
) -> Result<Response, Error> {
    let mut errors = FieldErrors::new();
    let chosen = GatewayKind::parse(form.gateway.trim())
        .filter(|kind| *kind != GatewayKind::Test || !state.config.production);
    if chosen.is_none() {
        errors.insert("gateway".to_owned(), "Choose how clients pay online.".to_owned());
    }
    let secret_key =
        key(&form.secret_key, payments::SECRET_KEY_PREFIXES, "secret_key", &mut errors);
    let webhook_secret =
        key(&form.webhook_secret, payments::WEBHOOK_SECRET_PREFIXES, "webhook_secret", &mut errors);
    let keys = StripeKeys { secret_key, webhook_secret };
    let typed = secret_key.is_some() || webhook_secret.is_some();
    let kind = if typed { Some(GatewayKind::Stripe) } else { chosen };
    if kind == Some(GatewayKind::Stripe) && errors.is_empty() {
        let has = |kind| sealed::exists(&state.db, scope.id(), Slot::tenant(kind));
        if secret_key.is_none() && !has(SecretKind::StripeSecretKey).await? {
            errors.insert("secret_key".to_owned(), "Enter your Stripe secret key.".to_owned());
        }
        if webhook_secret.is_none() && !has(SecretKind::StripeWebhookSecret).await? {
            let message = "Enter the signing secret of your Stripe webhook endpoint.";
            errors.insert("webhook_secret".to_owned(), message.to_owned());
        }
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return render(&state, &scope, chosen, &errors).await;
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    if typed {
        portico_core::online::set_stripe(&state.db, &state.keyring, scope.id(), keys, &ctx).await?;
    } else {
        portico_core::online::set_gateway(&state.db, scope.id(), kind.as_str(), &ctx).await?;
    }
    flash(&scope.viewer.session, "info", "Payment settings saved.").await?;
    Ok(see_other(&format!("/app/{}/settings/payments", scope.tenant.slug)))
}

#[derive(Serialize)]
struct CheckoutRow {
    id: i64,
    created_at: i64,
    gateway: String,
    invoice_id: Option<InvoiceId>,
    invoice_number: String,
    /// A pre-paid booking's checkout: the booking it made, once made.
    prepaid: bool,
    booking_id: Option<BookingId>,
    amount: i64,
    currency: &'static str,
    status: &'static str,
    mismatch: bool,
    /// What the gateway reported paid, for a mismatch.
    paid: Option<i64>,
    paid_currency: String,
    payment_id: Option<PaymentId>,
}

#[derive(Serialize)]
struct ListPage {
    chrome: Chrome,
    checkouts: Vec<CheckoutRow>,
    mismatches: usize,
    /// Refunds made in the gateway's dashboard that no payment here could take.
    unapplied: Vec<portico_store::unapplied::UnappliedRefund>,
    tz: String,
}

/// `GET /app/{tenant}/payments/online`: every checkout started online, newest first, with
/// mismatches (paid, but not what was asked for: not applied) flagged, and the refunds made in
/// the gateway's dashboard that Portico could not apply.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn list(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    let mut rows = Vec::new();
    for c in online::list(&state.db, scope.id()).await? {
        let number = match c.invoice_id {
            Some(id) => {
                invoices::get(&state.db, scope.id(), id.get()).await?.and_then(|i| i.number)
            }
            None => None,
        }
        .unwrap_or_default();
        rows.push(CheckoutRow {
            id: c.id.get(),
            created_at: c.created_at.unix(),
            gateway: c.gateway,
            invoice_id: c.invoice_id,
            invoice_number: number,
            prepaid: c.booking_request.is_some(),
            booking_id: c.booking_id,
            amount: c.amount.minor,
            currency: c.amount.currency.code(),
            status: c.status.as_str(),
            mismatch: c.status == CheckoutStatus::Mismatch,
            paid: c.paid_minor,
            paid_currency: c.paid_currency,
            payment_id: c.payment_id,
        });
    }
    let page = ListPage {
        chrome: Chrome::app(&scope, &state).await?,
        mismatches: rows.iter().filter(|r| r.mismatch).count(),
        checkouts: rows,
        unapplied: portico_store::unapplied::list(&state.db, scope.id()).await?,
        tz: scope.tenant.timezone.name().to_owned(),
    };
    Ok(state.templates.page("app/online_payments.html", &page))
}
