//! Online payment of invoices, shared by the portal's "Pay now", the hosted pay link and the
//! API: which gateway a business uses (with its sealed key), what to ask for (the next
//! installment, or the open balance), starting a checkout session with a stable idempotency
//! key, and reflecting what the gateway reports (through `portico_core::online`, which
//! fulfils each session once).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use hmac::{Hmac, Mac as _};
use portico_core::Context;
use portico_core::online::{Fulfilment, Paid};
use portico_domain::invoice::InvoiceStatus;
use portico_domain::{Money, TenantId};
use portico_integrations::payments::{CheckoutRequest, Gateway, GatewayKind, Session};
use portico_store::invoices::Invoice;
use portico_store::online::{self, Checkout, NewCheckout};
use portico_store::sealed::{self, SecretKind, Slot};
use portico_store::tenants::Tenant;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{AppState, Error};

/// An open checkout younger than this is offered again instead of starting another (Stripe's
/// sessions live 24 hours).
const REUSE_SECS: i64 = 23 * 3600;

/// A business's gateway, ready to call.
pub struct TenantGateway<'a> {
    pub kind: GatewayKind,
    pub gateway: &'a dyn Gateway,
    /// The business's secret key (empty for the test gateway).
    pub secret: Zeroizing<String>,
}

/// The gateway the business chose (offline when never set).
pub async fn kind_of(state: &AppState, tenant: TenantId) -> Result<GatewayKind, Error> {
    let stored = online::gateway(&state.db, tenant).await?;
    Ok(stored.as_deref().and_then(GatewayKind::parse).unwrap_or(GatewayKind::Offline))
}

/// The gateway of `kind` for the business, if it can take payments: not offline, the test
/// gateway only outside production, Stripe only with a secret key.
pub async fn gateway_for(
    state: &AppState,
    tenant: TenantId,
    kind: GatewayKind,
) -> Result<Option<TenantGateway<'_>>, Error> {
    let Some(gateway) = state.gateways.get(kind) else { return Ok(None) };
    let secret = match kind {
        GatewayKind::Stripe => {
            let slot = Slot::tenant(SecretKind::StripeSecretKey);
            match sealed::get(&state.db, &state.keyring, tenant, slot).await? {
                Some(secret) => secret,
                None => return Ok(None),
            }
        }
        _ => Zeroizing::new(String::new()),
    };
    Ok(Some(TenantGateway { kind, gateway, secret }))
}

/// The business's current gateway, if it can take payments.
pub async fn gateway_of(
    state: &AppState,
    tenant: TenantId,
) -> Result<Option<TenantGateway<'_>>, Error> {
    let kind = kind_of(state, tenant).await?;
    gateway_for(state, tenant, kind).await
}

/// What to ask for online: the unpaid part of the next installment when there is a plan,
/// otherwise the open balance. `None` when nothing is owed or the invoice is not open.
pub fn amount_due(invoice: &Invoice) -> Option<Money> {
    if invoice.status != InvoiceStatus::Open {
        return None;
    }
    let balance = invoice.balance().ok()?;
    let next = invoice
        .installments
        .iter()
        .zip(invoice.installments_paid())
        .map(|(part, paid)| part.amount.minor - paid.minor)
        .find(|left| *left > 0);
    let minor = next.unwrap_or(balance.minor).min(balance.minor);
    (minor > 0).then(|| Money::new(minor, invoice.currency))
}

/// Separates pay-link signatures from any other use of the key.
const PAY_LINK_DOMAIN: &[u8] = b"portico/pay-link/v1\n";

fn pay_mac(key: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(PAY_LINK_DOMAIN);
    mac.update(payload.as_bytes());
    mac
}

/// How long a pay link works: at least this long from when it was made (it runs to the end of
/// that UTC day, so every link made on one day is the same — a checkout retried with the
/// same idempotency key sends the same cancel URL).
pub const PAY_LINK_DAYS: i64 = 30;

const DAY: i64 = 86_400;

/// Why a pay link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayLinkError {
    /// Not one we signed (changed, forged, or of the old unexpiring form).
    Invalid,
    /// Ours, but past its expiry: the business sends a new one.
    Expired,
}

/// When a pay link made at `now` stops working (epoch seconds).
pub fn pay_link_expiry(now: i64) -> i64 {
    (now.div_euclid(DAY) + 1 + PAY_LINK_DAYS) * DAY
}

/// The signed token of an invoice's hosted pay link, made now:
/// `{tenant}.{invoice}.{expires}.{signature}`.
pub fn pay_token(state: &AppState, tenant: TenantId, invoice: i64) -> String {
    let expires = pay_link_expiry(state.clock.now_ts());
    let payload = format!("{}.{invoice}.{expires}", tenant.get());
    let signature = pay_mac(&state.config.keys.session, &payload).finalize().into_bytes();
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// What a pay-link token names, if we signed it and it has not expired.
pub fn verify_pay_token(state: &AppState, token: &str) -> Result<(i64, i64), PayLinkError> {
    let (payload, signature) = token.rsplit_once('.').ok_or(PayLinkError::Invalid)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| PayLinkError::Invalid)?;
    pay_mac(&state.config.keys.session, payload)
        .verify_slice(&signature)
        .map_err(|_| PayLinkError::Invalid)?;
    let mut parts = payload.split('.').map(str::parse::<i64>);
    let (Some(Ok(tenant)), Some(Ok(invoice)), Some(Ok(expires)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(PayLinkError::Invalid);
    };
    if state.clock.now_ts() >= expires {
        return Err(PayLinkError::Expired);
    }
    Ok((tenant, invoice))
}

/// The hosted pay link (absolute, under the public URL): no login needed, works for
/// [`PAY_LINK_DAYS`] days.
pub fn pay_link(state: &AppState, tenant: TenantId, invoice: i64) -> String {
    public(state, &format!("/pay/{}", pay_token(state, tenant, invoice)))
}

pub(crate) fn public(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.config.public_url.as_str().trim_end_matches('/'))
}

/// Why no checkout could be started, in words for the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotStarted {
    /// The business takes no online payments (offline, or not configured).
    Unavailable,
    /// Nothing is owed on the invoice.
    NothingDue,
    /// The gateway did not answer or refused; nothing was charged.
    Gateway(String),
}

impl NotStarted {
    pub fn words(&self) -> String {
        match self {
            Self::Unavailable => "This business does not take online payments.".to_owned(),
            Self::NothingDue => "Nothing is owed on this invoice.".to_owned(),
            Self::Gateway(why) => {
                format!(
                    "The payment could not be started ({why}). Nothing was charged; please try again."
                )
            }
        }
    }
}

/// Starts (or offers again) a checkout for what is due on `invoice`; returns the URL to send
/// the payer to. The idempotency key is derived from the invoice, the amount and the attempt,
/// so a retry after a timeout gets the session the first call created.
pub async fn start(
    state: &AppState,
    tenant: &Tenant,
    invoice: &Invoice,
    ctx: &Context,
) -> Result<Result<String, NotStarted>, Error> {
    let Some(tg) = gateway_of(state, tenant.id).await? else {
        return Ok(Err(NotStarted::Unavailable));
    };
    let Some(amount) = amount_due(invoice) else { return Ok(Err(NotStarted::NothingDue)) };
    let kind = tg.kind.as_str();
    let since = ctx.now.timestamp() - REUSE_SECS;
    if let Some(open) =
        online::open_for(&state.db, tenant.id, kind, invoice.id, amount, since).await?
    {
        return Ok(Ok(open.url));
    }
    let attempt = online::attempts(&state.db, tenant.id, invoice.id, amount).await?;
    let key = format!(
        "portico-{}-invoice-{}-{}{}-{attempt}",
        tenant.id.get(),
        invoice.id,
        amount.minor,
        amount.currency.code()
    );
    let number = invoice.number.clone().unwrap_or_else(|| format!("#{}", invoice.id));
    let request = CheckoutRequest {
        amount: amount.minor,
        currency: amount.currency.code().to_lowercase(),
        description: format!("Invoice {number} — {}", tenant.name),
        client_reference_id: format!("{}-invoice-{}", tenant.slug, invoice.id),
        success_url: public(state, "/pay/return?session_id={CHECKOUT_SESSION_ID}"),
        cancel_url: pay_link(state, tenant.id, invoice.id.get()),
        metadata: [
            ("portico_tenant".to_owned(), tenant.slug.clone()),
            ("portico_invoice".to_owned(), invoice.id.to_string()),
        ]
        .into(),
        expires_at: None,
    };
    let session = match tg.gateway.create_checkout(&tg.secret, &request, &key).await {
        Ok(session) => session,
        Err(error) => {
            tracing::warn!(tenant = tenant.id.get(), invoice = invoice.id.get(), %error, "checkout not started");
            let why = if error.is_transient() {
                "the payment service did not answer"
            } else {
                "the payment service refused it"
            };
            return Ok(Err(NotStarted::Gateway(why.to_owned())));
        }
    };
    let Some(url) = session.url.clone().filter(|_| session.status == "open") else {
        return Ok(Err(NotStarted::Gateway("the session is no longer open".to_owned())));
    };
    let new = NewCheckout {
        gateway: kind,
        session_id: &session.id,
        idempotency_key: &key,
        invoice_id: Some(invoice.id),
        client_id: invoice.client_id,
        amount,
        url: &url,
        booking_request: None,
    };
    portico_core::online::started(&state.db, tenant.id, &new, ctx).await?;
    Ok(Ok(url))
}

/// What became of a checkout after the gateway's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reflected {
    Paid,
    Mismatch,
    Expired,
    /// A pre-paid booking's late payment whose place was taken: given back, no booking.
    Refunded,
    /// Not paid yet (still open).
    Pending,
}

/// Reflects the gateway's view of `checkout`'s session: fulfils it once when paid, flags a
/// mismatch, notes an expiry. A session that does not belong to the checkout's business
/// (its metadata names another tenant) changes nothing.
pub async fn reflect(
    state: &AppState,
    tenant: &Tenant,
    checkout: &Checkout,
    session: &Session,
    ctx: &Context,
) -> Result<Reflected, Error> {
    let ours = session.id == checkout.session_id
        && session.metadata.get("portico_tenant").is_none_or(|slug| *slug == tenant.slug);
    if !ours {
        return Ok(Reflected::Pending);
    }
    if session.is_paid() {
        let paid = Paid {
            amount: session.amount_total,
            currency: session.currency.clone(),
            payment_intent: session.payment_intent.clone().unwrap_or_default(),
        };
        return Ok(
            match portico_core::online::fulfil(&state.db, tenant, checkout, &paid, ctx).await? {
                Fulfilment::Recorded(_) => Reflected::Paid,
                Fulfilment::Mismatch => Reflected::Mismatch,
                Fulfilment::Taken => {
                    crate::prepay::refund_taken(state, tenant, checkout, ctx).await?;
                    Reflected::Refunded
                }
                Fulfilment::AlreadyDone => {
                    // A refund that the gateway did not answer before is asked for again.
                    crate::prepay::refund_taken(state, tenant, checkout, ctx).await?;
                    current(state, tenant.id, checkout).await?
                }
            },
        );
    }
    if session.status == "expired" {
        if checkout.booking_request.is_some() {
            portico_core::prepay::expired(&state.db, tenant, checkout, ctx).await?;
        } else {
            portico_core::online::expired(&state.db, tenant.id, checkout, ctx).await?;
        }
        return current(state, tenant.id, checkout).await;
    }
    Ok(Reflected::Pending)
}

/// The checkout's state as stored now.
async fn current(
    state: &AppState,
    tenant: TenantId,
    checkout: &Checkout,
) -> Result<Reflected, Error> {
    let stored =
        online::checkout_of_tenant(&state.db, tenant, &checkout.gateway, &checkout.session_id)
            .await?;
    use portico_store::online::CheckoutStatus as S;
    Ok(match stored.map(|c| c.status) {
        Some(S::Paid) => Reflected::Paid,
        Some(S::Mismatch) => Reflected::Mismatch,
        Some(S::Expired) => Reflected::Expired,
        Some(S::Refunded) => Reflected::Refunded,
        _ => Reflected::Pending,
    })
}

/// The tenant's date of an instant, for pages.
pub fn date_of(tenant: &Tenant, ts: i64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp(ts, 0).map(|t| t.with_timezone(&tenant.timezone).date_naive())
}

/// Refunds `amount` of any payment, the one way every surface does it: an online payment goes
/// back through the gateway that took it ([`refund`]), a recorded one is refunded in Portico.
pub async fn refund_payment(
    state: &AppState,
    tenant: TenantId,
    payment: i64,
    amount: Money,
    reason: &str,
    seen_refunded: Option<i64>,
    ctx: &Context,
) -> Result<Result<portico_store::payments::Payment, portico_core::online::OnlineRefusal>, Error> {
    // Online: the gateway's idempotency key includes what was refunded so far, and a refund
    // is recorded once per gateway refund id, so a repeated ask collapses there.
    if portico_store::online::checkout_of_payment(&state.db, tenant, payment).await?.is_some() {
        return refund(state, tenant, payment, amount, reason, ctx).await;
    }
    let refunded = portico_core::payments::refund(
        &state.db,
        tenant,
        payment,
        amount,
        reason,
        seen_refunded,
        ctx,
    )
    .await?;
    Ok(refunded.map_err(portico_core::online::OnlineRefusal::Refused))
}

/// Refunds `amount` of an online payment through the gateway that took it (see
/// `portico_core::online::refund`: the gateway is called outside any transaction, with an
/// idempotency key, and the refund recorded once per gateway refund id).
pub async fn refund(
    state: &AppState,
    tenant: TenantId,
    payment: i64,
    amount: Money,
    reason: &str,
    ctx: &Context,
) -> Result<Result<portico_store::payments::Payment, portico_core::online::OnlineRefusal>, Error> {
    let call = |call: portico_core::online::RefundCall| async move {
        let kind = GatewayKind::parse(&call.checkout.gateway).unwrap_or(GatewayKind::Offline);
        let tg = gateway_for(state, tenant, kind)
            .await
            .map_err(|e| format!("{e}"))?
            .ok_or_else(|| "the payment gateway is not configured".to_owned())?;
        let request = portico_integrations::payments::RefundRequest {
            payment_intent: call.payment_intent.clone(),
            amount: call.amount.minor,
            metadata: [
                ("portico_tenant_id".to_owned(), tenant.get().to_string()),
                ("portico_payment".to_owned(), payment.to_string()),
            ]
            .into(),
        };
        match tg.gateway.create_refund(&tg.secret, &request, &call.idempotency_key).await {
            Ok(refund) => Ok(refund.id),
            Err(error) => {
                tracing::warn!(tenant = tenant.get(), payment, %error, "refund refused by the gateway");
                Err(error.to_string())
            }
        }
    };
    Ok(portico_core::online::refund(&state.db, tenant, payment, amount, reason, ctx, call).await?)
}
