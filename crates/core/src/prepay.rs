//! Pre-paid bookings: a service that requires payment to book is booked when the payment
//! comes in. Choosing a time takes a hold as for any booking; a checkout is then started for
//! the service's price with what the booking needs ([`BookingRequest`], stored with the
//! checkout). The browser's return or the gateway's webhook, whichever comes first,
//! [`finalize`]s it in one transaction, exactly once: the checkout moves to paid, the booking
//! is created from the hold through the same workflow as every booking
//! ([`crate::bookings`]: placement, event, jobs, billing, audit), and the payment is recorded
//! against it — on the invoice that billing issued for the booking (which is then paid), or
//! as the client's credit that billing uses first when the booking is billed later.
//!
//! A payment that completes after the hold expired still books the place if it is free;
//! otherwise the checkout is marked refunded (no booking, no payment) and [`refund_taken`]
//! gives the money back at the gateway (idempotently, retried until it succeeds) and emails
//! the client.

use chrono::DateTime;
use portico_domain::Money;
use portico_domain::billing::{Method, PaymentStatus};
use portico_domain::booking::Actor;
use portico_store::bookings::{BookingError, Party, Slot};
use portico_store::online::{self, Checkout, CheckoutStatus};
use portico_store::payments::{self as store_payments, NewPayment};
use portico_store::tenants::Tenant;
use portico_store::{Db, StoreError, catalog, clients, versions};
use serde::{Deserialize, Serialize};

use crate::Context;
use crate::bookings::NewBooking;
use crate::online::{Fulfilment, Paid};
use crate::payments::{apply, lock};

/// Who a pre-paid booking is for, and who asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequestParty {
    /// A client in the portal (their login).
    Client { client_id: i64, user_id: i64 },
    /// A guest on the public page.
    Guest { name: String, email: String, phone: String },
}

/// What a pre-paid checkout books once paid (stored with the checkout as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRequest {
    pub service_id: i64,
    /// Epoch seconds.
    pub start: i64,
    pub staff_id: Option<i64>,
    pub block_id: Option<i64>,
    /// The hold the booking is made from.
    pub hold_token: String,
    pub party: RequestParty,
    pub notes: String,
    /// The client's address, for a service that comes to the client (empty otherwise).
    #[serde(default)]
    pub address: String,
}

impl BookingRequest {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a booking request serializes")
    }

    pub fn of(checkout: &Checkout) -> Result<Self, StoreError> {
        let text = checkout.booking_request.as_deref().unwrap_or_default();
        serde_json::from_str(text)
            .map_err(|_| StoreError::corrupt("online_checkouts.booking_request", text))
    }

    /// Who books and who acts: a client request books for the checkout's client (the store's
    /// record, checked against the tenant when the checkout was started), as their login.
    async fn party(&self, db: &Db, checkout: &Checkout) -> Result<(Party, Actor), StoreError> {
        Ok(match &self.party {
            RequestParty::Client { .. } => {
                let client = clients::get(db, checkout.tenant_id, checkout.client_id.get())
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let actor = client.user_id.map_or(Actor::Guest, Actor::Client);
                (Party::Client(client.id), actor)
            }
            RequestParty::Guest { name, email, phone } => {
                let party =
                    Party::Guest { name: name.clone(), email: email.clone(), phone: phone.clone() };
                (party, Actor::Guest)
            }
        })
    }

    /// The email the client is told at.
    pub fn email(&self) -> Option<&str> {
        match &self.party {
            RequestParty::Guest { email, .. } => Some(email),
            RequestParty::Client { .. } => None,
        }
    }
}

/// Whether a booking refusal means the place cannot be had (then the money goes back).
fn place_lost(error: &BookingError) -> bool {
    !matches!(error, BookingError::Other(_))
}

/// Books the paid checkout's place and records the payment against the booking, once (the
/// amount and currency were checked by the caller, [`crate::online::fulfil`]). A place no
/// longer to be had marks the checkout refunded: [`Fulfilment::Taken`], and the caller gives
/// the money back with [`refund_taken`].
pub(crate) async fn finalize(
    db: &Db,
    tenant: &Tenant,
    checkout: &Checkout,
    paid: &Paid,
    ctx: &Context,
) -> Result<Fulfilment, StoreError> {
    let request = BookingRequest::of(checkout)?;
    let service = catalog::by_id(db, tenant.id, request.service_id)
        .await?
        .ok_or_else(|| StoreError::corrupt("online_checkouts.booking_request", "service"))?;
    let start = DateTime::from_timestamp(request.start, 0)
        .ok_or_else(|| StoreError::corrupt("online_checkouts.booking_request", "start"))?;
    let slot = Slot { start, staff: request.staff_id, block: request.block_id };
    let (party, actor) = request.party(db, checkout).await?;
    let now = ctx.now.timestamp();
    let asked = checkout.amount;
    // The booking event is the party's (their notices, their history); the audit rows say
    // the gateway's report made it.
    let as_party = Context { actor, ..ctx.clone() };
    let mut tx = versions::begin(db, tenant.id).await?;
    // The exactly-once guard: only one report moves the checkout from open (or expired).
    if !online::settle(
        &mut tx,
        tenant.id,
        checkout.id,
        CheckoutStatus::Paid,
        &paid.payment_intent,
        asked,
        now,
    )
    .await?
    {
        return Ok(Fulfilment::AlreadyDone);
    }
    let mut new = NewBooking {
        service: &service,
        slot,
        party: party.clone(),
        notes: request.notes.clone(),
        hold_token: Some(&request.hold_token),
        address: request.address.clone(),
    };
    let mut made = crate::bookings::create_in(&mut tx, tenant, &new, None, &as_party).await;
    if matches!(made, Err(BookingError::HoldInvalid)) {
        // Paid after the hold expired: the place, if it is still free.
        new.hold_token = None;
        made = crate::bookings::create_in(&mut tx, tenant, &new, None, &as_party).await;
    }
    let booking = match made {
        Ok(booking) => booking,
        Err(error) if place_lost(&error) => {
            drop(tx);
            return taken(db, tenant, checkout, paid, &error, ctx).await;
        }
        Err(error) => return Err(StoreError::Other(anyhow::Error::from(error))),
    };
    // Billing may have issued the booking's invoice in this transaction: the payment pays it.
    let charge = portico_store::billing::charge_of(&mut tx, tenant.id, booking.id).await?;
    let client = charge.as_ref().map_or(checkout.client_id, |c| c.client);
    let invoice_id = charge.as_ref().and_then(|c| c.invoice).map(|i| i.get());
    let invoice = match lock(&mut tx, tenant.id, client, invoice_id).await? {
        Ok(invoice) => invoice,
        Err(refusal) => {
            return Err(StoreError::Other(anyhow::anyhow!("checkout {}: {refusal}", checkout.id)));
        }
    };
    let row = NewPayment {
        client,
        invoice: invoice.as_ref().map(|i| i.id),
        amount: asked,
        method: Method::Online,
        received_on: ctx.now.with_timezone(&tenant.timezone).date_naive(),
        reference: format!("{} {} (booking {})", checkout.gateway, checkout.session_id, booking.id),
        status: PaymentStatus::Received,
    };
    let id = store_payments::insert(&mut tx, tenant.id, &row, now).await?;
    online::set_payment(&mut tx, tenant.id, checkout.id, id).await?;
    online::set_booking(&mut tx, tenant.id, checkout.id, booking.id).await?;
    apply(&mut tx, tenant.id, id, client, invoice.as_ref(), asked, now).await?;
    let detail = format!(
        "payment #{id} of {asked} online ({} checkout {}) for pre-paid booking {}{}",
        checkout.gateway,
        checkout.session_id,
        booking.id,
        invoice.map_or(String::new(), |i| format!(", invoice #{}", i.id))
    );
    crate::audit_in(&mut tx, tenant.id, "payment.succeeded", detail, ctx).await?;
    let payment =
        store_payments::get_in(&mut tx, tenant.id, id.get()).await?.ok_or(StoreError::NotFound)?;
    // A schedule transaction (the booking was made in it): committing bumps the version.
    tx.commit().await?;
    Ok(Fulfilment::Recorded(Box::new(payment)))
}

/// The place was lost: the checkout is marked refunded (once), with its audit row.
async fn taken(
    db: &Db,
    tenant: &Tenant,
    checkout: &Checkout,
    paid: &Paid,
    why: &BookingError,
    ctx: &Context,
) -> Result<Fulfilment, StoreError> {
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    let intent = &paid.payment_intent;
    let asked = checkout.amount;
    if !online::settle(
        &mut tx,
        tenant.id,
        checkout.id,
        CheckoutStatus::Refunded,
        intent,
        asked,
        now,
    )
    .await?
    {
        return Ok(Fulfilment::AlreadyDone);
    }
    let detail = format!(
        "{} checkout {}: {asked} paid after the hold expired and the place is gone ({why}); \
         refunding, no booking",
        checkout.gateway, checkout.session_id
    );
    crate::audit_in(&mut tx, tenant.id, "payment.late", detail, ctx).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(Fulfilment::Taken)
}

/// A refund to ask the gateway for (see [`refund_taken`]).
#[derive(Debug, Clone)]
pub struct TakenRefund {
    pub payment_intent: String,
    pub amount: Money,
    pub idempotency_key: String,
}

/// Gives back the money of a checkout whose place was lost (status refunded), once: the
/// gateway is asked (outside any transaction, with a key derived from the checkout, so a
/// retry gets the same refund), then the refund is noted and the client's email queued in one
/// transaction. `Ok(false)` when it was given back before. A gateway failure leaves it to be
/// asked again (the next report of the session, or the return page).
pub async fn refund_taken<F, Fut>(
    db: &Db,
    tenant: &Tenant,
    checkout: &Checkout,
    ctx: &Context,
    gateway: F,
) -> Result<Result<bool, String>, StoreError>
where
    F: FnOnce(TakenRefund) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let Some(current) =
        online::checkout_of_tenant(db, tenant.id, &checkout.gateway, &checkout.session_id).await?
    else {
        return Ok(Ok(false));
    };
    if current.status != CheckoutStatus::Refunded
        || online::refunded_at_gateway(db, tenant.id, current.id).await?
    {
        return Ok(Ok(false));
    }
    let call = TakenRefund {
        payment_intent: current.payment_intent.clone(),
        amount: current.amount,
        idempotency_key: format!("portico-{}-prepay-refund-{}", tenant.id.get(), current.id),
    };
    let refund_id = match gateway(call).await {
        Ok(id) => id,
        Err(message) => return Ok(Err(message)),
    };
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    let amount = current.amount.minor;
    if !online::note_refund(&mut tx, tenant.id, current.id, &refund_id, amount, now).await? {
        return Ok(Ok(false));
    }
    let detail = format!(
        "{} checkout {}: {} refunded at the gateway ({refund_id}); the place was taken",
        current.gateway, current.session_id, current.amount
    );
    crate::audit_in(&mut tx, tenant.id, "payment.refunded", detail, ctx).await?;
    let job =
        portico_jobs::PrepayRefunded { tenant_id: tenant.id.get(), checkout_id: current.id.get() };
    portico_jobs::enqueue(&mut tx, &job, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(Ok(true))
}

/// A pre-paid checkout expired unpaid: its hold is given back (once: only the report that
/// moves the checkout from open releases it).
pub async fn expired(
    db: &Db,
    tenant: &Tenant,
    checkout: &Checkout,
    ctx: &Context,
) -> Result<bool, StoreError> {
    let request = BookingRequest::of(checkout)?;
    let now = ctx.now.timestamp();
    let mut tx = versions::begin(db, tenant.id).await?;
    if !online::expire_in(&mut tx, tenant.id, checkout.id, now).await? {
        return Ok(false);
    }
    portico_store::bookings::release_hold_in(&mut tx, tenant, &request.hold_token, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// A pre-paid checkout the gateway just created.
#[derive(Debug, Clone)]
pub struct Started<'a> {
    pub gateway: &'a str,
    pub session_id: &'a str,
    pub idempotency_key: &'a str,
    pub amount: Money,
    pub url: &'a str,
    pub request: &'a BookingRequest,
}

/// Records a pre-paid checkout with its `payment.started` audit row; a guest payer becomes
/// the business's client (found by email, or created without a login — every payer is a
/// client, as in billing). A session stored before (a retry) is left as it is.
pub async fn started(
    db: &Db,
    tenant: &Tenant,
    new: &Started<'_>,
    ctx: &Context,
) -> Result<(), StoreError> {
    let now = ctx.now.timestamp();
    // A client's id comes from the portal's session; it is checked against the tenant here.
    let mut tx = db.begin_write().await?;
    let client = match &new.request.party {
        RequestParty::Client { client_id, .. } => {
            clients::get(db, tenant.id, *client_id).await?.ok_or(StoreError::NotFound)?.id
        }
        RequestParty::Guest { name, email, phone } => {
            portico_store::billing::client_for_guest(&mut tx, tenant.id, name, email, phone, now)
                .await?
        }
    };
    let json = new.request.to_json();
    let row = online::NewCheckout {
        gateway: new.gateway,
        session_id: new.session_id,
        idempotency_key: new.idempotency_key,
        invoice_id: None,
        client_id: client,
        amount: new.amount,
        url: new.url,
        booking_request: Some(&json),
    };
    if online::insert(&mut tx, tenant.id, &row, now).await? {
        let detail = format!(
            "{} checkout {} of {} for a pre-paid booking (client #{})",
            new.gateway,
            new.session_id,
            new.amount,
            client.get()
        );
        crate::audit_in(&mut tx, tenant.id, "payment.started", detail, ctx).await?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}
