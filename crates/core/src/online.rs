//! Online payments: starting a checkout, fulfilling it exactly once, flagging a mismatch,
//! and refunds made at the gateway. The gateway itself is called by the caller (web) —
//! never inside a database transaction — and these workflows record what it answered.
//!
//! Fulfilment is idempotent per session: the browser's return and the webhook may both
//! arrive, in any order and concurrently; the first moves the checkout from open (or expired)
//! to paid in the same transaction that records the payment through the same allocation as
//! a recorded payment ([`crate::payments`]), and the second finds it paid and changes nothing.

use portico_domain::billing::{Method, PaymentStatus};
use portico_domain::invoice::InvoiceStatus;
use portico_domain::{Money, TenantId};
use portico_store::online::{self, Checkout, CheckoutStatus, NewCheckout};
use portico_store::payments::{self, NewPayment, Payment};
use portico_store::tenants::Tenant;
use portico_store::{Db, StoreError};

use crate::Context;
use crate::payments::{
    Outcome, Refusal, apply, audit_and_commit, lock, lock_payment, refund_locked, refundable_in,
};

/// Records a checkout session the gateway just created, with its `payment.started` audit
/// row. A session already stored (a retry answered with the same session) is left as it is.
pub async fn started(
    db: &Db,
    tenant: TenantId,
    new: &NewCheckout<'_>,
    ctx: &Context,
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    if online::insert(&mut tx, tenant, new, ctx.now.timestamp()).await? {
        let what = match new.invoice_id {
            Some(id) => format!("invoice #{id}"),
            None => "a pre-paid booking".to_owned(),
        };
        let detail = format!(
            "{} checkout {} of {} for {what} (client #{})",
            new.gateway,
            new.session_id,
            new.amount,
            new.client_id.get()
        );
        crate::audit_in(&mut tx, tenant, "payment.started", detail, ctx).await?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// What the gateway says was paid for a session.
#[derive(Debug, Clone)]
pub struct Paid {
    /// Minor units, as reported.
    pub amount: i64,
    /// ISO code as reported (any case).
    pub currency: String,
    pub payment_intent: String,
}

/// What fulfilling a paid session did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fulfilment {
    /// The payment was recorded now.
    Recorded(Box<Payment>),
    /// It was fulfilled (or flagged) before: nothing changed.
    AlreadyDone,
    /// The amount or currency is not what Portico asked for: not fulfilled, flagged.
    Mismatch,
    /// A pre-paid booking's place was taken before its late payment: no booking, the
    /// checkout is marked refunded and the money must go back
    /// ([`crate::prepay::refund_taken`]).
    Taken,
}

/// Fulfils `checkout` with what the gateway reported paid, once. A mismatch is flagged (audit
/// `payment.mismatch`) and never recorded as a payment. A void invoice takes nothing: the
/// money becomes the client's credit, as for a recorded payment.
pub async fn fulfil(
    db: &Db,
    tenant: &Tenant,
    checkout: &Checkout,
    paid: &Paid,
    ctx: &Context,
) -> Result<Fulfilment, StoreError> {
    let now = ctx.now.timestamp();
    let asked = checkout.amount;
    let matches =
        paid.amount == asked.minor && paid.currency.eq_ignore_ascii_case(asked.currency.code());
    if matches && checkout.booking_request.is_some() {
        return crate::prepay::finalize(db, tenant, checkout, paid, ctx).await;
    }
    let mut tx = db.begin_write().await?;
    if !matches {
        // What was paid is stored as reported; an unknown currency is noted by its code alone.
        let reported = portico_domain::Currency::parse(&paid.currency.to_uppercase())
            .map(|currency| Money::new(paid.amount, currency))
            .unwrap_or_else(|_| Money::new(paid.amount, asked.currency));
        let flagged = online::settle(
            &mut tx,
            tenant.id,
            checkout.id,
            CheckoutStatus::Mismatch,
            &paid.payment_intent,
            reported,
            now,
        )
        .await?;
        if !flagged {
            return Ok(Fulfilment::AlreadyDone);
        }
        let detail = format!(
            "{} checkout {} for {}: asked {asked}, paid {} {} — not recorded",
            checkout.gateway,
            checkout.session_id,
            purpose(checkout),
            paid.amount,
            paid.currency.to_uppercase()
        );
        crate::audit_in(&mut tx, tenant.id, "payment.mismatch", detail, ctx).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        return Ok(Fulfilment::Mismatch);
    }
    // The locks every money workflow takes, in the same order: invoice, then client.
    let invoice = checkout.invoice_id.map(|i| i.get());
    let invoice = match lock(&mut tx, tenant.id, checkout.client_id, invoice).await? {
        Ok(invoice) => invoice,
        Err(refusal) => {
            return Err(StoreError::Other(anyhow::anyhow!("checkout {}: {refusal}", checkout.id)));
        }
    };
    let settled = online::settle(
        &mut tx,
        tenant.id,
        checkout.id,
        CheckoutStatus::Paid,
        &paid.payment_intent,
        asked,
        now,
    )
    .await?;
    if !settled {
        return Ok(Fulfilment::AlreadyDone);
    }
    let invoice = invoice.filter(|i| matches!(i.status, InvoiceStatus::Open | InvoiceStatus::Paid));
    let row = NewPayment {
        client: checkout.client_id,
        invoice: invoice.as_ref().map(|i| i.id),
        amount: asked,
        method: Method::Online,
        received_on: ctx.now.with_timezone(&tenant.timezone).date_naive(),
        reference: format!("{} {}", checkout.gateway, checkout.session_id),
        status: PaymentStatus::Received,
    };
    let id = payments::insert(&mut tx, tenant.id, &row, now).await?;
    online::set_payment(&mut tx, tenant.id, checkout.id, id).await?;
    apply(&mut tx, tenant.id, id, checkout.client_id, invoice.as_ref(), asked, now).await?;
    let detail = format!(
        "payment #{id} of {asked} online ({} checkout {}) for {}",
        checkout.gateway,
        checkout.session_id,
        purpose(checkout)
    );
    match audit_and_commit(tx, tenant.id, id, "payment.succeeded", detail, ctx).await? {
        Ok(payment) => Ok(Fulfilment::Recorded(Box::new(payment))),
        Err(refusal) => Err(StoreError::Other(anyhow::anyhow!("payment #{id}: {refusal}"))),
    }
}

/// What a checkout pays, for audit rows.
fn purpose(checkout: &Checkout) -> String {
    match checkout.invoice_id {
        Some(id) => format!("invoice #{id}"),
        None => "a pre-paid booking".to_owned(),
    }
}

/// An open checkout expired unpaid (a later completion still fulfils it). `false` when it
/// was not open.
pub async fn expired(
    db: &Db,
    tenant: TenantId,
    checkout: &Checkout,
    ctx: &Context,
) -> Result<bool, StoreError> {
    online::expire(db, tenant, checkout.id, ctx.now.timestamp()).await
}

/// A refund to ask the gateway for: the payment intent of the online payment, the amount,
/// and the idempotency key (a retry after a timeout asks for the same refund again).
#[derive(Debug, Clone)]
pub struct RefundCall {
    pub checkout: Checkout,
    pub payment_intent: String,
    pub amount: Money,
    pub idempotency_key: String,
}

/// Why an online refund did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OnlineRefusal {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The payment did not come in online.
    #[error("this payment was not made online")]
    NotOnline,
    /// The gateway said no, or could not be reached (nothing was recorded).
    #[error("{0}")]
    Gateway(String),
}

/// Refunds `amount` of an online payment through its gateway: checks what can be refunded,
/// asks the gateway (`gateway`, called outside any transaction, with an idempotency key
/// derived from the payment and what it has had refunded so far), then records the refund
/// through the same refund workflow as a recorded payment's, once per gateway refund id.
pub async fn refund<F, Fut>(
    db: &Db,
    tenant: TenantId,
    payment: i64,
    amount: Money,
    reason: &str,
    ctx: &Context,
    gateway: F,
) -> Result<Result<Payment, OnlineRefusal>, StoreError>
where
    F: FnOnce(RefundCall) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let Some(checkout) = online::checkout_of_payment(db, tenant, payment).await? else {
        return Ok(Err(OnlineRefusal::NotOnline));
    };
    // Check first (nothing held across the call), so the gateway is asked only for a refund
    // the workflow will record; the workflow checks again under its locks.
    let (tx, found, _) = match lock_payment(db, tenant, payment).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(Err(refusal.into())),
    };
    let mut tx = tx;
    if found.status != PaymentStatus::Received {
        return Ok(Err(Refusal::NotReceived(found.status.as_str()).into()));
    }
    if amount.currency != found.amount.currency {
        return Ok(Err(Refusal::Currency(found.amount.currency.code()).into()));
    }
    let (most, _) = refundable_in(&mut tx, tenant, &found).await?;
    drop(tx);
    if amount.minor > most || amount.minor <= 0 {
        return Ok(Err(Refusal::RefundTooLarge(most).into()));
    }
    let call = RefundCall {
        payment_intent: checkout.payment_intent.clone(),
        amount,
        idempotency_key: format!(
            "portico-refund-{}-{payment}-{}-{}",
            tenant.get(),
            found.refunded.minor,
            amount.minor
        ),
        checkout: checkout.clone(),
    };
    let refund_id = match gateway(call).await {
        Ok(id) => id,
        Err(message) => return Ok(Err(OnlineRefusal::Gateway(message))),
    };
    Ok(record_refund(db, tenant, &checkout, &refund_id, amount, reason, ctx)
        .await?
        .map_err(Into::into))
}

/// Reflects a refund the gateway made (through [`refund`], or in its own dashboard, seen in
/// a webhook) once per gateway refund id: a second sighting changes nothing.
pub async fn record_refund(
    db: &Db,
    tenant: TenantId,
    checkout: &Checkout,
    refund_id: &str,
    amount: Money,
    reason: &str,
    ctx: &Context,
) -> Outcome<Payment> {
    let Some(payment) = checkout.payment_id else { return Ok(Err(Refusal::NotFound)) };
    let (mut tx, found, invoice) = match lock_payment(db, tenant, payment.get()).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let now = ctx.now.timestamp();
    if !online::note_refund(&mut tx, tenant, checkout.id, refund_id, amount.minor, now).await? {
        return Ok(Ok(found));
    }
    let refunded = refund_locked(&mut tx, tenant, &found, invoice.as_ref(), amount, reason, ctx);
    if let Err(refusal) = refunded.await? {
        return Ok(Err(refusal));
    }
    let detail = format!(
        "payment #{payment}: {amount} refunded at {} ({refund_id}; {reason})",
        checkout.gateway
    );
    audit_and_commit(tx, tenant, payment, "payment.refunded", detail, ctx).await
}

/// New Stripe keys for a business; `None` keeps the stored one.
#[derive(Debug, Clone, Copy, Default)]
pub struct StripeKeys<'a> {
    pub secret_key: Option<&'a str>,
    pub webhook_secret: Option<&'a str>,
}

/// Seals the business's Stripe keys (never stored or logged in plain text) and switches it to
/// the `stripe` gateway, with a `payments.settings_changed` audit row naming what changed.
pub async fn set_stripe(
    db: &Db,
    ring: &portico_store::sealed::Keyring,
    tenant: TenantId,
    keys: StripeKeys<'_>,
    ctx: &Context,
) -> Result<(), StoreError> {
    use portico_store::sealed::{self, SecretKind, Slot};
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    let mut changed = Vec::new();
    for (kind, value, what) in [
        (SecretKind::StripeSecretKey, keys.secret_key, "secret key"),
        (SecretKind::StripeWebhookSecret, keys.webhook_secret, "webhook signing secret"),
    ] {
        if let Some(value) = value {
            sealed::put(&mut tx, ring, tenant, Slot::tenant(kind), value, now).await?;
            changed.push(what);
        }
    }
    online::set_gateway(&mut tx, tenant, "stripe", now).await?;
    let detail = format!("gateway stripe; replaced: {}", changed.join(", "));
    crate::audit_in(&mut tx, tenant, "payments.settings_changed", detail, ctx).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// Switches the business's gateway (`offline`, `test`, `stripe`), with its audit row. Stored
/// Stripe keys are kept (switching back needs no re-entry).
pub async fn set_gateway(
    db: &Db,
    tenant: TenantId,
    gateway: &str,
    ctx: &Context,
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    online::set_gateway(&mut tx, tenant, gateway, ctx.now.timestamp()).await?;
    crate::audit_in(
        &mut tx,
        tenant,
        "payments.settings_changed",
        format!("gateway {gateway}"),
        ctx,
    )
    .await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}
