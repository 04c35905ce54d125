//! Invoice workflows: create a draft, issue it (gapless number), void it — each in one write
//! transaction with its audit row. Payments, credit and billing from booking events will join
//! them here.

use portico_domain::TenantId;
use portico_domain::invoice::TransitionError;
use portico_store::invoices::{self, CreateRefusal, EditRefusal, Invoice, NewInvoice};
use portico_store::{Db, StoreError, Tx, audit};

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
pub async fn issue(db: &Db, tenant: TenantId, id: i64, ctx: &Context) -> Outcome<TransitionError> {
    let mut tx = db.begin_write().await?;
    let issued = invoices::issue(&mut tx, tenant, id, ctx.now.timestamp()).await?;
    finish(tx, tenant, issued, "invoice.issued", ctx).await
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
    let entry = audit::Entry {
        tenant: Some(tenant),
        actor: ctx.actor.parts().1,
        action,
        detail,
        ip: &ctx.ip,
    };
    audit::record_in(&mut tx, &entry, ctx.now.timestamp()).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(Ok(invoice))
}
