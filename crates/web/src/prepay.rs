//! Pre-paid bookings on the public page and in the portal: once a time is held and the party
//! is known, a checkout is started for the service's price (the hold's token in its
//! metadata, an expiry of at least the gateway's minimum, an idempotency key derived from the
//! hold) and the payer is sent to the gateway. The return page and the webhook both reflect
//! the session through [`crate::online::reflect`], which books once
//! (`portico_core::prepay`).

use chrono::Duration;
use portico_core::Context;
use portico_core::prepay::{BookingRequest, RequestParty, Started};
use portico_integrations::payments::{
    CheckoutRequest, GatewayKind, MIN_CHECKOUT_SECS, RefundRequest,
};
use portico_store::catalog::Service;
use portico_store::online::{self, Checkout, CheckoutStatus};
use portico_store::tenants::Tenant;
use sha2::{Digest as _, Sha256};

use crate::online::{NotStarted, Reflected, gateway_for, gateway_of, public};
use crate::routes::book::flow::PendingHold;
use crate::{AppState, Error};

/// What the payer reads when the business cannot take the payment a service requires.
pub const UNAVAILABLE: &str = "This service is paid when booking, and this business does not \
    take online payments at the moment. Please contact them to book it.";

/// Whether the business can take a pre-payment now (a gateway that can take payments).
pub async fn available(state: &AppState, tenant: &Tenant) -> Result<bool, Error> {
    Ok(gateway_of(state, tenant.id).await?.is_some())
}

/// Where the payer comes back to: the public page's or the portal's return page.
#[derive(Debug, Clone, Copy)]
pub enum Surface {
    Public,
    Portal,
}

impl Surface {
    fn paths(self, tenant: &Tenant) -> (String, String) {
        let slug = &tenant.slug;
        match self {
            Self::Public => (
                format!("/book/{slug}/paid?session_id={{CHECKOUT_SESSION_ID}}"),
                format!("/book/{slug}/details"),
            ),
            Self::Portal => (
                format!("/portal/{slug}/bookings/paid?session_id={{CHECKOUT_SESSION_ID}}"),
                format!("/portal/{slug}/bookings/confirm"),
            ),
        }
    }
}

/// The idempotency key of a hold's checkout: a retry after a timeout gets the same session.
fn key_of(tenant: &Tenant, hold: &PendingHold) -> String {
    let digest = Sha256::digest(hold.token.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("portico-{}-prepay-{hex}", tenant.id.get())
}

/// What the payer asks to book: the held place, for whom, their notes, where they pay from.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub hold: &'a PendingHold,
    pub party: RequestParty,
    pub notes: String,
    /// Where a service that comes to the client takes place (empty otherwise).
    pub address: String,
    pub surface: Surface,
}

/// Starts (or offers again) the checkout of the held place for `service`'s price; returns
/// the URL to send the payer to and the session's id.
pub async fn start(
    state: &AppState,
    tenant: &Tenant,
    service: &Service,
    ask: Ask<'_>,
    ctx: &Context,
) -> Result<Result<(String, String), NotStarted>, Error> {
    let Ask { hold, party, notes, address, surface } = ask;
    let Some(tg) = gateway_of(state, tenant.id).await? else {
        return Ok(Err(NotStarted::Unavailable));
    };
    let key = key_of(tenant, hold);
    if let Some(found) = online::by_key(&state.db, tenant.id, &key).await? {
        if found.status == CheckoutStatus::Open {
            return Ok(Ok((found.url, found.session_id)));
        }
        return Ok(Err(NotStarted::Gateway(
            "this reservation was already paid or has expired".into(),
        )));
    }
    let price = service.price();
    let now = ctx.now;
    // At least the gateway's minimum (Stripe: 30 minutes), and never before the hold ends.
    let expires_at =
        (now + Duration::seconds(MIN_CHECKOUT_SECS + 60)).max(hold.expires_at).timestamp();
    let request = BookingRequest {
        service_id: service.id.get(),
        start: hold.start.timestamp(),
        staff_id: hold.staff_id,
        block_id: hold.block_id,
        hold_token: hold.token.clone(),
        party,
        notes,
        address,
    };
    let (success, cancel) = surface.paths(tenant);
    let when = hold.start.with_timezone(&tenant.timezone).format("%-d %b %Y %H:%M");
    let checkout = CheckoutRequest {
        amount: price.minor,
        currency: price.currency.code().to_lowercase(),
        description: format!("{}, {when} — {}", service.name, tenant.name),
        client_reference_id: format!("{}-hold-{}", tenant.slug, &key[key.len() - 12..]),
        success_url: public(state, &success),
        cancel_url: public(state, &cancel),
        metadata: [
            ("portico_tenant".to_owned(), tenant.slug.clone()),
            ("portico_kind".to_owned(), "booking".to_owned()),
            ("portico_hold".to_owned(), hold.token.clone()),
            ("portico_service".to_owned(), service.code.clone()),
        ]
        .into(),
        expires_at: Some(expires_at),
    };
    let session = match tg.gateway.create_checkout(&tg.secret, &checkout, &key).await {
        Ok(session) => session,
        Err(error) => {
            tracing::warn!(tenant = tenant.id.get(), %error, "pre-paid checkout not started");
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
    let new = Started {
        gateway: tg.kind.as_str(),
        session_id: &session.id,
        idempotency_key: &key,
        amount: price,
        url: &url,
        request: &request,
    };
    portico_core::prepay::started(&state.db, tenant, &new, ctx).await?;
    Ok(Ok((url, session.id)))
}

/// Gives back a late payment whose place was taken (see `portico_core::prepay::refund_taken`).
/// A gateway failure is an error (the webhook answers 500, so the gateway reports again and
/// the refund is asked for again, with the same idempotency key).
pub async fn refund_taken(
    state: &AppState,
    tenant: &Tenant,
    checkout: &Checkout,
    ctx: &Context,
) -> Result<(), Error> {
    let call = |call: portico_core::prepay::TakenRefund| async move {
        let kind = GatewayKind::parse(&checkout.gateway).unwrap_or(GatewayKind::Offline);
        let tg = gateway_for(state, tenant.id, kind)
            .await
            .map_err(|e| format!("{e}"))?
            .ok_or_else(|| "the payment gateway is not configured".to_owned())?;
        let request = RefundRequest {
            payment_intent: call.payment_intent,
            amount: call.amount.minor,
            metadata: [
                ("portico_tenant_id".to_owned(), tenant.id.get().to_string()),
                ("portico_checkout".to_owned(), checkout.id.to_string()),
            ]
            .into(),
        };
        match tg.gateway.create_refund(&tg.secret, &request, &call.idempotency_key).await {
            Ok(refund) => Ok(refund.id),
            Err(error) => Err(error.to_string()),
        }
    };
    let done = portico_core::prepay::refund_taken(&state.db, tenant, checkout, ctx, call).await?;
    if let Err(why) = done {
        tracing::error!(checkout = checkout.id.get(), %why, "a late pre-payment could not be refunded yet");
        return Err(Error::Internal(anyhow::anyhow!("refund of checkout {}: {why}", checkout.id)));
    }
    Ok(())
}

/// The payer is back from the gateway with `session_id` (the business's pre-paid checkout,
/// else 404): the session is retrieved from the gateway — never trusted from the URL — and
/// reflected. Returns what became of it and the checkout as stored now.
pub async fn come_back(
    state: &AppState,
    tenant: &Tenant,
    session_id: &str,
    ctx: &Context,
) -> Result<(Reflected, Checkout), Error> {
    let mut found = None;
    for kind in [GatewayKind::Stripe, GatewayKind::Test] {
        if let Some(checkout) =
            online::checkout_of_tenant(&state.db, tenant.id, kind.as_str(), session_id).await?
        {
            found = Some((kind, checkout));
            break;
        }
    }
    let (kind, checkout) =
        found.filter(|(_, c)| c.booking_request.is_some()).ok_or(Error::NotFound)?;
    let mut outcome = Reflected::Pending;
    if let Some(tg) = gateway_for(state, tenant.id, kind).await? {
        match tg.gateway.retrieve_checkout(&tg.secret, &checkout.session_id).await {
            Ok(session) => {
                outcome = crate::online::reflect(state, tenant, &checkout, &session, ctx).await?;
            }
            // The webhook books it; the page says the payment is being confirmed.
            Err(error) => tracing::warn!(%error, "could not retrieve the session on return"),
        }
    }
    let now =
        online::checkout(&state.db, tenant.id, checkout.id.get()).await?.ok_or(Error::NotFound)?;
    Ok((outcome, now))
}

/// What the payer reads after coming back (a flash: its kind and text).
pub fn outcome_words(outcome: Reflected, booked: bool) -> (&'static str, &'static str) {
    match outcome {
        Reflected::Paid if booked => {
            ("info", "Paid — your booking is confirmed. We sent the details by email.")
        }
        Reflected::Refunded => (
            "error",
            "Your payment came after your reservation had expired and the time was taken \
             meanwhile: no booking was made and your payment was refunded in full.",
        ),
        Reflected::Mismatch => (
            "error",
            "The payment did not match the price, so the booking was not made. The business \
             has been told and will sort it out with you.",
        ),
        Reflected::Expired => ("error", "The payment was not completed; nothing was charged."),
        Reflected::Paid | Reflected::Pending => (
            "info",
            "Your payment is being confirmed; we email you as soon as the booking is made.",
        ),
    }
}
