//! Invoice workflows: create a draft, issue it (gapless number), void it, split it into
//! installments — each in one write transaction with its audit row. Payments and credit are
//! in [`crate::payments`] and [`crate::credit`], billing from booking events in
//! [`crate::billing`].

use chrono::NaiveDate;
use portico_domain::invoice::{self, InstallmentError, InvoiceStatus, TransitionError};
use portico_domain::{InvoiceId, Money, TenantId};
use portico_store::invoices::{self, CreateRefusal, EditRefusal, Invoice, NewInvoice};
use portico_store::{Db, StoreError, Tx};

use crate::Context;

/// A workflow's answer: the invoice, or why the domain refused (the store error aside).
pub type Outcome<R> = Result<Result<Invoice, R>, StoreError>;

/// Creates a draft.
pub async fn create(
    db: &Db,
    tenant: TenantId,
    new: &NewInvoice,
    ctx: &Context,
) -> Outcome<CreateRefusal> {
    let mut tx = db.begin_write().await?;
    let created = invoices::create(&mut tx, tenant, new, ctx.now.timestamp()).await?;
    finish(tx, tenant, created, "invoice.created", ctx).await
}

/// Replaces a draft's client, due date, notes and lines; an issued invoice is refused.
pub async fn update(
    db: &Db,
    tenant: TenantId,
    id: i64,
    new: &NewInvoice,
    ctx: &Context,
) -> Outcome<EditRefusal> {
    let mut tx = db.begin_write().await?;
    let updated = invoices::update_draft(&mut tx, tenant, id, new, ctx.now.timestamp()).await?;
    finish(tx, tenant, updated, "invoice.updated", ctx).await
}

/// Issues a draft: the tenant's next number, and it becomes open (read-only).
/// The client is emailed the invoice ([`notice_issued`]), in the same transaction.
pub async fn issue(db: &Db, tenant: TenantId, id: i64, ctx: &Context) -> Outcome<TransitionError> {
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    let issued = invoices::issue(&mut tx, tenant, id, now).await?;
    if let Ok(invoice) = &issued {
        notice_issued(&mut tx, tenant, invoice.id, now).await?;
    }
    finish(tx, tenant, issued, "invoice.issued", ctx).await
}

/// Claims the invoice's "your invoice" notice and queues its email in the caller's
/// transaction: once per invoice, whoever issues it.
pub async fn notice_issued(
    tx: &mut Tx,
    tenant: TenantId,
    invoice: InvoiceId,
    now: i64,
) -> Result<(), StoreError> {
    if portico_store::notify::issued::claim(tx, tenant, invoice, now).await? {
        let job =
            portico_jobs::InvoiceIssued { tenant_id: tenant.get(), invoice_id: invoice.get() };
        portico_jobs::enqueue(tx, &job, now).await?;
    }
    Ok(())
}

/// Voids a draft or open invoice with the reason.
pub async fn void(
    db: &Db,
    tenant: TenantId,
    id: i64,
    reason: &str,
    ctx: &Context,
) -> Outcome<TransitionError> {
    let mut tx = db.begin_write().await?;
    let voided = invoices::void(&mut tx, tenant, id, reason, ctx.now.timestamp()).await?;
    finish(tx, tenant, voided, "invoice.voided", ctx).await
}

/// Writes the audit row and commits a change that happened; a refusal rolls back (dropping the
/// transaction gives an issued number back).
async fn finish<R>(
    mut tx: Tx,
    tenant: TenantId,
    result: Result<Invoice, R>,
    action: &str,
    ctx: &Context,
) -> Outcome<R> {
    let Ok(invoice) = result else { return Ok(result) };
    let detail = format!("#{} {}", invoice.id, invoice.number.as_deref().unwrap_or("draft"));
    crate::audit_in(&mut tx, tenant, action, detail, ctx).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(Ok(invoice))
}

/// An installment plan as asked for.
#[derive(Debug, Clone)]
pub enum PlanRequest {
    /// `count` equal parts (the last absorbs the remainder), the first due on `first_due`,
    /// each next `interval_days` later.
    Equal { count: usize, first_due: NaiveDate, interval_days: u32 },
    /// Explicit parts (due date, amount) that must sum exactly to the balance.
    Parts(Vec<(NaiveDate, i64)>),
}

/// Why a plan was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanRefusal {
    #[error("only an open invoice can be paid in installments; this invoice is {0}")]
    NotOpen(&'static str),
    #[error("a payment was made since the current plan; it cannot be replaced")]
    PaidSince,
    #[error("{0}")]
    Split(#[from] InstallmentError),
}

/// Splits an open invoice's balance into installments, replacing a plan under which nothing
/// has been paid yet. The parts are kept in due-date order: payments settle them oldest first.
pub async fn plan(
    db: &Db,
    tenant: TenantId,
    id: i64,
    request: &PlanRequest,
    ctx: &Context,
) -> Outcome<PlanRefusal> {
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    if !invoices::lock(&mut tx, tenant, id).await? {
        return Err(StoreError::NotFound);
    }
    let invoice = invoices::get_in(&mut tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
    if invoice.status != InvoiceStatus::Open {
        return Ok(Err(PlanRefusal::NotOpen(invoice.status.as_str())));
    }
    if invoice.installments.first().is_some_and(|first| first.paid_before != invoice.paid) {
        return Ok(Err(PlanRefusal::PaidSince));
    }
    let balance = invoice.balance().map_err(anyhow::Error::from)?;
    let currency = invoice.currency;
    let parts: Vec<(NaiveDate, Money)> = match request {
        PlanRequest::Equal { count, first_due, interval_days } => {
            let amounts = match invoice::split_equal(balance, *count) {
                Ok(amounts) => amounts,
                Err(e) => return Ok(Err(e.into())),
            };
            (0_u64..)
                .zip(amounts)
                .map(|(k, amount)| {
                    let days = chrono::Days::new(k * u64::from(*interval_days));
                    (first_due.checked_add_days(days).unwrap_or(*first_due), amount)
                })
                .collect()
        }
        PlanRequest::Parts(parts) => {
            let mut parts: Vec<(NaiveDate, Money)> =
                parts.iter().map(|(due, minor)| (*due, Money::new(*minor, currency))).collect();
            parts.sort_by_key(|(due, _)| *due);
            let amounts: Vec<Money> = parts.iter().map(|(_, amount)| *amount).collect();
            if let Err(e) = invoice::split_explicit(balance, &amounts) {
                return Ok(Err(e.into()));
            }
            parts
        }
    };
    invoices::replace_installments(&mut tx, tenant, invoice.id, &parts, invoice.paid, now).await?;
    let planned = invoices::get_in(&mut tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
    finish(tx, tenant, Ok(planned), "invoice.installments", ctx).await
}
