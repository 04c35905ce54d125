//! The issued-invoice notice ledger: one row per invoice, claimed when its "your invoice"
//! email is queued (in the issue transaction) and marked when it went out (or was settled
//! without sending).

use portico_domain::TenantId;

use crate::{Db, Tx};

/// Claims the notice of `invoice`; `false` if it was claimed already, so one send job is
/// queued per invoice.
pub async fn claim(tx: &mut Tx, tenant: TenantId, invoice: i64, now: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "insert into invoice_notices (tenant_id, invoice_id, queued_at) values ($1, $2, $3) \
         on conflict do nothing",
    )
    .bind(tenant.get())
    .bind(invoice)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the notice already went out (or was settled without sending).
pub async fn settled(db: &Db, tenant: TenantId, invoice: i64) -> anyhow::Result<bool> {
    let sent: Option<Option<i64>> = sqlx::query_scalar(
        "select sent_at from invoice_notices where tenant_id = $1 and invoice_id = $2",
    )
    .bind(tenant.get())
    .bind(invoice)
    .fetch_optional(db.pool())
    .await?;
    Ok(matches!(sent, Some(Some(_))))
}

/// Marks the notice settled: sent, or skipped for good (void, opted out, no address).
pub async fn settle(db: &Db, tenant: TenantId, invoice: i64, now: i64) -> anyhow::Result<()> {
    sqlx::query(
        "update invoice_notices set sent_at = $1 where tenant_id = $2 and invoice_id = $3 \
         and sent_at is null",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(invoice)
    .execute(db.writes())
    .await?;
    Ok(())
}
