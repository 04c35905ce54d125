//! Payment workflows: record a payment (applied to the chosen invoice, the excess to credit),
//! refund part or all of one, and the client's declared bank transfer that the owner confirms
//! or rejects. Each runs in one write transaction that locks the invoice, then the client
//! (always in that order), re-reads under the locks, and writes its audit row.

use chrono::NaiveDate;
use portico_domain::billing::{self, CreditKind, Method, PaymentStatus};
use portico_domain::invoice::{Action, InvoiceStatus};
use portico_domain::{ClientId, Money, MoneyError, PaymentId, TenantId};
use portico_store::invoices::{self, AllocationKind, Invoice};
use portico_store::payments::{self, NewPayment, Payment};
use portico_store::tenants::Tenant;
use portico_store::{Db, StoreError, Tx, clients, credit};

use crate::Context;

/// Why a money workflow changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The id in the path is not the tenant's (or not the client's).
    #[error("not found")]
    NotFound,
    #[error("unknown client")]
    UnknownClient,
    /// Not the tenant's invoice, or not the client's.
    #[error("unknown invoice of this client")]
    UnknownInvoice,
    #[error("the amount must be in {0}")]
    Currency(&'static str),
    #[error("a {0} invoice takes no payments")]
    NotPayable(&'static str),
    #[error("at most {0} minor units of this payment can be refunded now")]
    RefundTooLarge(i64),
    #[error("only a received payment can be refunded; this one is {0}")]
    NotReceived(&'static str),
    #[error("only a pending declaration can be confirmed or rejected; this one is {0}")]
    NotPending(&'static str),
    /// The refund was asked for against an older state of the payment (a form submitted
    /// twice, or after another refund): nothing was refunded.
    #[error("this payment was refunded meanwhile; nothing more was refunded")]
    RefundedMeanwhile,
}

/// A workflow's answer: the value, or why nothing changed (the store error aside).
pub type Outcome<T> = Result<Result<T, Refusal>, StoreError>;

fn money(error: MoneyError) -> StoreError {
    anyhow::Error::from(error).into()
}

/// A payment the provider received.
#[derive(Debug, Clone)]
pub struct NewReceived {
    /// The client's number as given (a form or a request body); [`record`] refuses one the
    /// tenant does not have.
    pub client: i64,
    /// The invoice it pays; `None` makes it all credit.
    pub invoice: Option<i64>,
    pub amount: Money,
    pub method: Method,
    pub received_on: NaiveDate,
    pub reference: String,
}

/// Locks the invoice (when there is one) and then the client, and reads the invoice: it must
/// be the tenant's and the client's.
pub(crate) async fn lock(
    tx: &mut Tx,
    tenant: TenantId,
    client: ClientId,
    invoice: Option<i64>,
) -> Result<Result<Option<Invoice>, Refusal>, StoreError> {
    if let Some(id) = invoice
        && !invoices::lock(tx, tenant, id).await?
    {
        return Ok(Err(Refusal::UnknownInvoice));
    }
    if !credit::lock_client(tx, tenant, client).await? {
        return Ok(Err(Refusal::UnknownClient));
    }
    let Some(id) = invoice else { return Ok(Ok(None)) };
    match invoices::get_in(tx, tenant, id).await? {
        Some(found) if found.client_id == client => Ok(Ok(Some(found))),
        _ => Ok(Err(Refusal::UnknownInvoice)),
    }
}

/// Whether the invoice takes payments (open, or paid — then it all becomes credit) in the
/// payment's currency.
pub(crate) fn payable(invoice: &Invoice, amount: Money) -> Result<(), Refusal> {
    if !matches!(invoice.status, InvoiceStatus::Open | InvoiceStatus::Paid) {
        return Err(Refusal::NotPayable(invoice.status.as_str()));
    }
    if invoice.currency != amount.currency {
        return Err(Refusal::Currency(invoice.currency.code()));
    }
    Ok(())
}

/// Applies a received payment under the locks: up to the balance to the invoice (which is
/// paid when its balance reaches zero), the rest to credit.
pub(crate) async fn apply(
    tx: &mut Tx,
    tenant: TenantId,
    payment: PaymentId,
    client: ClientId,
    invoice: Option<&Invoice>,
    amount: Money,
    now: i64,
) -> Result<(), StoreError> {
    let balance = match invoice {
        Some(i) if i.status == InvoiceStatus::Open => i.balance().map_err(money)?,
        _ => Money::zero(amount.currency),
    };
    let applied = billing::apply(amount, balance).map_err(money)?;
    if let Some(invoice) = invoice
        && applied.to_invoice.minor > 0
    {
        let to = applied.to_invoice;
        invoices::allocate(tx, tenant, payment, invoice.id, to, AllocationKind::Payment, now)
            .await?;
        if to == balance {
            invoices::set_status(tx, tenant, invoice.id, invoice.status, Action::Settle, now)
                .await?
                .map_err(|e| StoreError::Other(e.into()))?;
        }
    }
    if applied.to_credit.minor > 0 {
        let entry = credit::NewEntry {
            client,
            amount: applied.to_credit,
            kind: CreditKind::Overpayment,
            payment: Some(payment),
            invoice: invoice.map(|i| i.id),
            booking: None,
            reason: "",
        };
        credit::add(tx, tenant, &entry, now).await?;
    }
    Ok(())
}

pub(crate) async fn audit_and_commit(
    mut tx: Tx,
    tenant: TenantId,
    id: PaymentId,
    action: &str,
    detail: String,
    ctx: &Context,
) -> Outcome<Payment> {
    crate::audit_in(&mut tx, tenant, action, detail, ctx).await?;
    let payment = payments::get_in(&mut tx, tenant, id.get()).await?.ok_or(StoreError::NotFound)?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(Ok(payment))
}

/// Records a payment the provider received and applies it.
pub async fn record(
    db: &Db,
    tenant: TenantId,
    new: &NewReceived,
    ctx: &Context,
) -> Outcome<Payment> {
    let now = ctx.now.timestamp();
    // The number becomes the tenant's client here (or the payment is refused); `lock` then
    // takes the invoice's and the client's row locks in the usual order.
    let Some(client) = clients::get(db, tenant, new.client).await?.map(|c| c.id) else {
        return Ok(Err(Refusal::UnknownClient));
    };
    let mut tx = db.begin_write().await?;
    let invoice = match lock(&mut tx, tenant, client, new.invoice).await? {
        Ok(invoice) => invoice,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Some(invoice) = &invoice
        && let Err(refusal) = payable(invoice, new.amount)
    {
        return Ok(Err(refusal));
    }
    let row = NewPayment {
        client,
        invoice: invoice.as_ref().map(|i| i.id),
        amount: new.amount,
        method: new.method,
        received_on: new.received_on,
        reference: new.reference.clone(),
        status: PaymentStatus::Received,
    };
    let id = payments::insert(&mut tx, tenant, &row, now).await?;
    apply(&mut tx, tenant, id, client, invoice.as_ref(), new.amount, now).await?;
    let detail = format!("payment #{id} of {} from client #{client}", new.amount);
    audit_and_commit(tx, tenant, id, "payment.recorded", detail, ctx).await
}

/// Locks what the payment touches (its invoice, then its client) and reads it fresh.
pub(crate) async fn lock_payment(
    db: &Db,
    tenant: TenantId,
    id: i64,
) -> Result<Result<(Tx, Payment, Option<Invoice>), Refusal>, StoreError> {
    let Some((client, invoice)) = payments::invoice_of(db, tenant, id).await? else {
        return Ok(Err(Refusal::NotFound));
    };
    let mut tx = db.begin_write().await?;
    let invoice = match lock(&mut tx, tenant, client, invoice.map(|i| i.get())).await? {
        Ok(invoice) => invoice,
        Err(_) => return Ok(Err(Refusal::NotFound)),
    };
    let payment = payments::get_in(&mut tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
    Ok(Ok((tx, payment, invoice)))
}

/// Pays back `amount` of a received payment: first out of the credit it left (as far as the
/// client still has it), then off its invoice (a paid invoice opens again). Never more than
/// was paid, nor more than is still held. `seen_refunded`: what the asker saw refunded (minor
/// units); checked under the payment's lock, so a form submitted twice — even at the same
/// instant — refunds once.
pub async fn refund(
    db: &Db,
    tenant: TenantId,
    id: i64,
    amount: Money,
    reason: &str,
    seen_refunded: Option<i64>,
    ctx: &Context,
) -> Outcome<Payment> {
    let (mut tx, payment, invoice) = match lock_payment(db, tenant, id).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if seen_refunded.is_some_and(|seen| seen != payment.refunded.minor) {
        return Ok(Err(Refusal::RefundedMeanwhile));
    }
    let refunded = refund_locked(&mut tx, tenant, &payment, invoice.as_ref(), amount, reason, ctx);
    if let Err(refusal) = refunded.await? {
        return Ok(Err(refusal));
    }
    let detail = format!("payment #{id}: {amount} refunded ({reason})");
    audit_and_commit(tx, tenant, payment.id, "payment.refunded", detail, ctx).await
}

/// How much of `payment` can be refunded now, read under its locks (see [`refundable`]), and
/// the part that may come out of credit.
pub(crate) async fn refundable_in(
    tx: &mut Tx,
    tenant: TenantId,
    payment: &Payment,
) -> Result<(i64, i64), StoreError> {
    let balance =
        credit::balance_in(tx, tenant, payment.client_id, payment.amount.currency).await?;
    let from_credit_max = payment.credit.minor.min(balance.minor).max(0);
    Ok((refundable(payment, balance.minor), from_credit_max))
}

/// The refund of [`refund`] under the locks [`lock_payment`] took, without the audit row
/// and the commit.
pub(crate) async fn refund_locked(
    tx: &mut Tx,
    tenant: TenantId,
    payment: &Payment,
    invoice: Option<&Invoice>,
    amount: Money,
    reason: &str,
    ctx: &Context,
) -> Result<Result<(), Refusal>, StoreError> {
    let now = ctx.now.timestamp();
    let id = payment.id;
    if payment.status != PaymentStatus::Received {
        return Ok(Err(Refusal::NotReceived(payment.status.as_str())));
    }
    if amount.currency != payment.amount.currency {
        return Ok(Err(Refusal::Currency(payment.amount.currency.code())));
    }
    let (refundable, from_credit_max) = refundable_in(tx, tenant, payment).await?;
    if amount.minor > refundable {
        return Ok(Err(Refusal::RefundTooLarge(refundable)));
    }
    if !payments::add_refund(tx, tenant, id, amount, reason, now).await? {
        return Ok(Err(Refusal::RefundTooLarge(refundable)));
    }
    let from_credit = amount.minor.min(from_credit_max);
    if from_credit > 0 {
        let entry = credit::NewEntry {
            client: payment.client_id,
            amount: Money::new(-from_credit, amount.currency),
            kind: CreditKind::Refund,
            payment: Some(id),
            invoice: None,
            booking: None,
            reason,
        };
        credit::add(tx, tenant, &entry, now).await?;
    }
    let off_invoice = amount.minor - from_credit;
    if off_invoice > 0
        && let Some(invoice) = &invoice
    {
        let back = Money::new(-off_invoice, amount.currency);
        invoices::allocate(tx, tenant, id, invoice.id, back, AllocationKind::Refund, now).await?;
        if invoice.status == InvoiceStatus::Paid {
            invoices::set_status(tx, tenant, invoice.id, invoice.status, Action::Reopen, now)
                .await?
                .map_err(|e| StoreError::Other(e.into()))?;
        }
    }
    Ok(Ok(()))
}

/// The most of a received `payment` a refund may take now, the client's credit balance (in
/// its currency) being `credit_balance`: never more than is unrefunded, nor than the credit it
/// left (as far as the client still has it) plus what is still on its invoice.
pub fn refundable(payment: &Payment, credit_balance: i64) -> i64 {
    if payment.status != PaymentStatus::Received {
        return 0;
    }
    let from_credit_max = payment.credit.minor.min(credit_balance).max(0);
    let on_invoice: i64 = payment
        .applied
        .iter()
        .filter(|(invoice, _)| Some(*invoice) == payment.invoice_id)
        .map(|(_, minor)| minor)
        .sum();
    let unrefunded = payment.amount.minor - payment.refunded.minor;
    unrefunded.min(from_credit_max + on_invoice.max(0)).max(0)
}

/// The client declares a bank transfer for one of their own open invoices; it is pending
/// (nothing applied) until the owner confirms or rejects it. Another client's invoice, or
/// another tenant's, is not found.
pub async fn declare_transfer(
    db: &Db,
    tenant: &Tenant,
    client: ClientId,
    invoice: i64,
    amount: Money,
    reference: &str,
    ctx: &Context,
) -> Outcome<Payment> {
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    let found = match lock(&mut tx, tenant.id, client, Some(invoice)).await? {
        Ok(Some(found)) => found,
        Ok(None) | Err(_) => return Ok(Err(Refusal::NotFound)),
    };
    if found.status != InvoiceStatus::Open {
        return Ok(Err(Refusal::NotPayable(found.status.as_str())));
    }
    if let Err(refusal) = payable(&found, amount) {
        return Ok(Err(refusal));
    }
    let row = NewPayment {
        client,
        invoice: Some(found.id),
        amount,
        method: Method::BankTransfer,
        received_on: ctx.now.with_timezone(&tenant.timezone).date_naive(),
        reference: reference.to_owned(),
        status: PaymentStatus::Pending,
    };
    let id = payments::insert(&mut tx, tenant.id, &row, now).await?;
    let detail =
        format!("payment #{id}: client #{} declared {amount} for invoice #{invoice}", client.get());
    audit_and_commit(tx, tenant.id, id, "payment.declared", detail, ctx).await
}

/// Confirms a pending declaration: it is received and applied like a recorded payment.
pub async fn confirm(db: &Db, tenant: TenantId, id: i64, ctx: &Context) -> Outcome<Payment> {
    let now = ctx.now.timestamp();
    let (mut tx, payment, invoice) = match lock_payment(db, tenant, id).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if !payments::decide(&mut tx, tenant, payment.id, PaymentStatus::Received, "", now).await? {
        return Ok(Err(Refusal::NotPending(payment.status.as_str())));
    }
    // An invoice voided meanwhile takes nothing: the transfer becomes credit.
    apply(&mut tx, tenant, payment.id, payment.client_id, invoice.as_ref(), payment.amount, now)
        .await?;
    let detail = format!("payment #{id}: declared transfer of {} confirmed", payment.amount);
    audit_and_commit(tx, tenant, payment.id, "payment.confirmed", detail, ctx).await
}

/// Rejects a pending declaration with the reason; nothing is applied.
pub async fn reject(
    db: &Db,
    tenant: TenantId,
    id: i64,
    reason: &str,
    ctx: &Context,
) -> Outcome<Payment> {
    let now = ctx.now.timestamp();
    let (mut tx, payment, _) = match lock_payment(db, tenant, id).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if !payments::decide(&mut tx, tenant, payment.id, PaymentStatus::Rejected, reason, now).await? {
        return Ok(Err(Refusal::NotPending(payment.status.as_str())));
    }
    let detail =
        format!("payment #{id}: declared transfer of {} rejected ({reason})", payment.amount);
    audit_and_commit(tx, tenant, payment.id, "payment.rejected", detail, ctx).await
}
