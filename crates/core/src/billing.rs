//! Billing from booking events, inside the event's transaction ([`crate::effects::apply`]):
//! when the tenant bills on confirmation or on completion, the booking is billed once (the
//! unique `booking_charges` row) — credit first, only the remainder on an issued invoice due
//! after the tenant's payment terms; a guest's booking is billed to the tenant's client with
//! the guest's email, created without a login if there is none. Cancelling a billed booking
//! undoes its charge: the credit it used comes back, its unpaid invoice is voided, and what
//! was paid on the invoice becomes credit (or, with `cancel_paid = manual`, stays for the
//! owner to refund by hand).
//!
//! Only invoices this module created are touched, and they have exactly one line (the
//! booking's). An invoice the owner wrote by hand that names the booking on a line is left
//! alone: the owner corrects it (void and re-issue).

use chrono::Days;
use portico_domain::billing::{self, CreditKind};
use portico_domain::booking::Status;
use portico_domain::invoice::{Action, InvoiceStatus, Line};
use portico_domain::{ClientId, Currency, InvoiceId, Money, TenantId};
use portico_store::billing::{self as store, BillWhen, CancelPaid, Charge, Settings};
use portico_store::bookings::Booking;
use portico_store::invoices::{self, AllocationKind, NewInvoice};
use portico_store::tenants::Tenant;
use portico_store::{Db, StoreError, Tx, audit, credit};

use crate::Context;
use crate::effects::{BookingEvent, EventKind};

/// Bills or un-bills the event's booking per the tenant's settings.
pub(crate) async fn on_event(
    tx: &mut Tx,
    event: &BookingEvent<'_>,
    ctx: &Context,
) -> anyhow::Result<()> {
    let read;
    let settings = match ctx.billing_of(event.tenant.id) {
        Some(given) => given,
        None => {
            read = store::settings_in(tx, event.tenant.id).await?;
            &read
        }
    };
    let booking = event.booking;
    match (event.kind, settings.bill_when) {
        (EventKind::Created, BillWhen::Confirmed) if booking.status == Status::Confirmed => {
            bill(tx, event.tenant, booking, settings, ctx).await
        }
        (EventKind::Completed, BillWhen::Completed) => {
            bill(tx, event.tenant, booking, settings, ctx).await
        }
        (EventKind::Cancelled, _) => undo(tx, event.tenant, booking, settings, ctx).await,
        _ => Ok(()),
    }
}

fn audit_entry<'a>(
    tenant: &Tenant,
    action: &'a str,
    detail: String,
    ctx: &'a Context,
) -> audit::Entry<'a> {
    audit::Entry {
        tenant: Some(tenant.id),
        actor: ctx.actor.parts().1,
        action,
        detail,
        ip: &ctx.ip,
    }
}

/// Bills the booking once: credit first, the rest on an issued invoice.
async fn bill(
    tx: &mut Tx,
    tenant: &Tenant,
    booking: &Booking,
    settings: &Settings,
    ctx: &Context,
) -> anyhow::Result<()> {
    let now = ctx.now.timestamp();
    if booking.price_minor <= 0 || store::charge_of(tx, tenant.id, booking.id).await?.is_some() {
        return Ok(());
    }
    let currency = Currency::parse(&booking.currency)?;
    let price = Money::new(booking.price_minor, currency);
    let client = match booking.client_id {
        Some(id) => id,
        None => {
            store::client_for_guest(
                tx,
                tenant.id,
                &booking.guest_name,
                &booking.guest_email,
                &booking.guest_phone,
                now,
            )
            .await?
        }
    };
    if !credit::lock_client(tx, tenant.id, client).await? {
        anyhow::bail!("client {} of booking {} is gone", client.get(), booking.id);
    }
    let balance = credit::balance_in(tx, tenant.id, client, currency).await?;
    let split = billing::credit_first(price, balance)?;
    if split.from_credit.minor > 0 {
        let entry = credit::NewEntry {
            client,
            amount: Money::new(-split.from_credit.minor, currency),
            kind: CreditKind::Use,
            payment: None,
            invoice: None,
            booking: Some(booking.id),
            reason: "",
        };
        credit::add(tx, tenant.id, &entry, now).await?;
    }
    let invoice = if split.to_invoice.minor > 0 {
        Some(invoice_for(tx, tenant, booking, client, &split, settings, ctx).await?)
    } else {
        None
    };
    let charge = Charge {
        client,
        amount_minor: price.minor,
        credit_minor: split.from_credit.minor,
        invoice,
        cancelled: false,
    };
    if !store::record_charge(tx, tenant.id, booking.id, &charge, now).await? {
        anyhow::bail!("booking {} was billed concurrently", booking.id);
    }
    let detail = format!(
        "booking {} billed to client #{}: {} from credit, invoice {}",
        booking.id,
        client.get(),
        split.from_credit,
        invoice.map_or("none".to_owned(), |id| format!("#{id}"))
    );
    audit::record_in(tx, &audit_entry(tenant, "booking.billed", detail, ctx), now).await?;
    Ok(())
}

/// An issued one-line invoice of what credit did not cover, due after the payment terms.
async fn invoice_for(
    tx: &mut Tx,
    tenant: &Tenant,
    booking: &Booking,
    client: ClientId,
    split: &billing::CreditFirst,
    settings: &Settings,
    ctx: &Context,
) -> anyhow::Result<InvoiceId> {
    let now = ctx.now.timestamp();
    let today = ctx.now.with_timezone(&tenant.timezone).date_naive();
    let due =
        today.checked_add_days(Days::new(u64::from(settings.payment_terms_days))).unwrap_or(today);
    let start = booking.start().with_timezone(&tenant.timezone).format("%-d %b %Y %H:%M");
    let mut description = format!("{}, {start}", booking.service_name);
    if split.from_credit.minor > 0 {
        description.push_str(&format!(" ({} paid from credit)", split.from_credit.amount()));
    }
    let line = Line {
        description,
        quantity: 1,
        unit_price: split.to_invoice,
        tax_rate_bp: None,
        booking_id: Some(booking.id.get()),
    };
    let new = NewInvoice {
        client: client.get(),
        currency: split.to_invoice.currency,
        due_date: due,
        notes: String::new(),
        lines: vec![line],
    };
    let draft = invoices::create(tx, tenant.id, &new, now)
        .await?
        .map_err(|refusal| anyhow::anyhow!("billing booking {}: {refusal:?}", booking.id))?;
    invoices::issue(tx, tenant.id, draft.id.get(), now).await?.map_err(anyhow::Error::from)?;
    // The client hears of it like of any issued invoice (once, preferences checked at send).
    crate::invoices::notice_issued(tx, tenant.id, draft.id, now).await?;
    Ok(draft.id)
}

/// Undoes a cancelled booking's charge, once.
async fn undo(
    tx: &mut Tx,
    tenant: &Tenant,
    booking: &Booking,
    settings: &Settings,
    ctx: &Context,
) -> anyhow::Result<()> {
    let now = ctx.now.timestamp();
    let Some(charge) = store::charge_of(tx, tenant.id, booking.id).await? else { return Ok(()) };
    if charge.cancelled || !store::cancel_charge(tx, tenant.id, booking.id, now).await? {
        return Ok(());
    }
    let to_credit = settings.cancel_paid == CancelPaid::Credit;
    // Locks in the order of every money workflow: the invoice, then the client.
    let invoice = match charge.invoice {
        Some(id) if invoices::lock(tx, tenant.id, id.get()).await? => {
            invoices::get_in(tx, tenant.id, id.get()).await?
        }
        _ => None,
    };
    credit::lock_client(tx, tenant.id, charge.client).await?;
    let mut back = 0;
    if charge.credit_minor > 0 && to_credit {
        back += charge.credit_minor;
    }
    let mut outcome = "nothing to undo on an invoice".to_owned();
    if let Some(invoice) = invoice.filter(|i| i.lines.len() == 1) {
        let mut status = invoice.status;
        if invoice.paid.minor > 0 && to_credit {
            // What was paid on it becomes credit, naming each payment.
            for (payment, net) in invoices::allocations_of(tx, tenant.id, invoice.id).await? {
                if net <= 0 {
                    continue;
                }
                let amount = Money::new(net, invoice.currency);
                let off = Money::new(-net, invoice.currency);
                invoices::allocate(
                    tx,
                    tenant.id,
                    payment,
                    invoice.id,
                    off,
                    AllocationKind::Cancellation,
                    now,
                )
                .await?;
                let entry = credit::NewEntry {
                    client: charge.client,
                    amount,
                    kind: CreditKind::Cancellation,
                    payment: Some(payment),
                    invoice: Some(invoice.id),
                    booking: Some(booking.id),
                    reason: "",
                };
                credit::add(tx, tenant.id, &entry, now).await?;
            }
            if status == InvoiceStatus::Paid {
                status =
                    invoices::set_status(tx, tenant.id, invoice.id, status, Action::Reopen, now)
                        .await??;
            }
        }
        let still_paid = invoice.paid.minor > 0 && !to_credit;
        outcome = if matches!(status, InvoiceStatus::Draft | InvoiceStatus::Open) && !still_paid {
            let reason = format!("booking {} cancelled", booking.id);
            invoices::void(tx, tenant.id, invoice.id.get(), &reason, now).await??;
            format!("invoice #{} voided", invoice.id)
        } else {
            // Payments stay on it for the owner to refund by hand (`cancel_paid = manual`),
            // or it was already void.
            format!("invoice #{} left {}", invoice.id, status.as_str())
        };
    }
    if back > 0 {
        let entry = credit::NewEntry {
            client: charge.client,
            amount: Money::new(back, Currency::parse(&booking.currency)?),
            kind: CreditKind::Cancellation,
            payment: None,
            invoice: None,
            booking: Some(booking.id),
            reason: "",
        };
        credit::add(tx, tenant.id, &entry, now).await?;
    }
    let detail =
        format!("booking {} cancelled: {back} minor units back to credit, {outcome}", booking.id);
    audit::record_in(tx, &audit_entry(tenant, "booking.unbilled", detail, ctx), now).await?;
    Ok(())
}

/// Saves the tenant's billing settings, with an audit row.
pub async fn save_settings(
    db: &Db,
    tenant: TenantId,
    settings: &Settings,
    ctx: &Context,
) -> Result<(), StoreError> {
    let now = ctx.now.timestamp();
    // In a schedule transaction: its commit moves the version, so copies of the settings
    // kept with the schedule (and given to bookings, `Context::with_billing`) are dropped.
    let mut tx = portico_store::versions::begin(db, tenant).await?;
    store::save(&mut tx, tenant, settings, now).await?;
    let detail = format!(
        "bill when {}, prefix {:?}, terms {} days, cancelled paid → {}",
        settings.bill_when.as_str(),
        settings.invoice_prefix,
        settings.payment_terms_days,
        settings.cancel_paid.as_str()
    );
    let entry = audit::Entry {
        tenant: Some(tenant),
        actor: ctx.actor.parts().1,
        action: "settings.billing",
        detail,
        ip: &ctx.ip,
    };
    audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}
