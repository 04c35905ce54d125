//! The issued-invoice notice ledger: one row per invoice, claimed when its "your invoice"
//! email is queued (in the issue transaction), its email recorded when it went out, and the
//! notice settled once everything went (email and text) or was skipped for good.

use portico_domain::{InvoiceId, TenantId};

use crate::{Db, Tx};

/// Claims the notice of `invoice`; `false` if it was claimed already, so one send job is
/// queued per invoice.
pub async fn claim(
    tx: &mut Tx,
    tenant: TenantId,
    invoice: InvoiceId,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "insert into invoice_notices (tenant_id, invoice_id, queued_at) values ($1, $2, $3) \
         on conflict do nothing",
    )
    .bind(tenant.get())
    .bind(invoice.get())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the notice already went out (or was settled without sending).
pub async fn settled(db: &Db, tenant: TenantId, invoice: InvoiceId) -> anyhow::Result<bool> {
    stamped(db, tenant, invoice, Stamp::Settled).await
}

/// Whether the notice's email already went out (its text may not have yet).
pub async fn emailed(db: &Db, tenant: TenantId, invoice: InvoiceId) -> anyhow::Result<bool> {
    stamped(db, tenant, invoice, Stamp::Emailed).await
}

/// Records that the notice's email went out, right after it did.
pub async fn mark_emailed(
    db: &Db,
    tenant: TenantId,
    invoice: InvoiceId,
    now: i64,
) -> anyhow::Result<()> {
    stamp(db, tenant, invoice, Stamp::Emailed, now).await
}

/// Marks the notice settled: sent, or skipped for good (void, opted out, no address).
pub async fn settle(db: &Db, tenant: TenantId, invoice: InvoiceId, now: i64) -> anyhow::Result<()> {
    stamp(db, tenant, invoice, Stamp::Settled, now).await
}

/// The times a notice records.
#[derive(Clone, Copy)]
enum Stamp {
    Settled,
    Emailed,
}

impl Stamp {
    fn select(self) -> &'static str {
        match self {
            Self::Settled => {
                "select sent_at from invoice_notices where tenant_id = $1 and invoice_id = $2"
            }
            Self::Emailed => {
                "select email_sent_at from invoice_notices where tenant_id = $1 and invoice_id = $2"
            }
        }
    }

    fn update(self) -> &'static str {
        match self {
            Self::Settled => {
                "update invoice_notices set sent_at = $1 where tenant_id = $2 and invoice_id = $3 \
                 and sent_at is null"
            }
            Self::Emailed => {
                "update invoice_notices set email_sent_at = $1 where tenant_id = $2 \
                 and invoice_id = $3 and email_sent_at is null"
            }
        }
    }
}

async fn stamped(
    db: &Db,
    tenant: TenantId,
    invoice: InvoiceId,
    what: Stamp,
) -> anyhow::Result<bool> {
    let at: Option<Option<i64>> = sqlx::query_scalar(what.select())
        .bind(tenant.get())
        .bind(invoice.get())
        .fetch_optional(db.pool())
        .await?;
    Ok(matches!(at, Some(Some(_))))
}

async fn stamp(
    db: &Db,
    tenant: TenantId,
    invoice: InvoiceId,
    what: Stamp,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(what.update())
        .bind(now)
        .bind(tenant.get())
        .bind(invoice.get())
        .execute(db.writes())
        .await?;
    Ok(())
}
