//! The overdue-notice ledger: one row per invoice and stage, claimed when the notice is
//! queued and marked when it went out (or was settled without sending).

use chrono::NaiveDate;
use portico_domain::{InvoiceId, TenantId};
use sqlx::{Any, FromRow};

use crate::stored::Stored;
use crate::{Db, Tx};

/// An open invoice that may be overdue somewhere on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct Candidate {
    #[sqlx(try_from = "Stored")]
    pub tenant_id: TenantId,
    #[sqlx(try_from = "Stored")]
    pub id: InvoiceId,
}

/// Open invoices after id `after` whose due date (or oldest installment's) is before
/// `latest_today`, the latest date it is anywhere (UTC + 14 h), and whose `last_stage` notice
/// is not claimed yet; by id, at most `limit`. The tenant's own date decides later.
pub async fn candidates(
    db: &Db,
    latest_today: NaiveDate,
    last_stage: u32,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<Candidate>> {
    Ok(sqlx::query_as::<Any, Candidate>(
        "select i.tenant_id, i.id from invoices i where i.status = 'open' and i.id > $1 \
         and coalesce((select min(p.due_date) from installments p \
             where p.tenant_id = i.tenant_id and p.invoice_id = i.id), i.due_date) < $2 \
         and not exists (select 1 from overdue_notices n where n.tenant_id = i.tenant_id \
             and n.invoice_id = i.id and n.stage = $3) \
         order by i.id limit $4",
    )
    .bind(after)
    .bind(latest_today.format("%Y-%m-%d").to_string())
    .bind(i64::from(last_stage))
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Claims the notice of `invoice` at `stage`; `false` if it was claimed already (by an
/// earlier or a concurrent scan), so exactly one send job is queued per invoice and stage.
pub async fn claim(
    tx: &mut Tx,
    tenant: TenantId,
    invoice: InvoiceId,
    stage: u32,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "insert into overdue_notices (tenant_id, invoice_id, stage, queued_at) \
         values ($1, $2, $3, $4) on conflict do nothing",
    )
    .bind(tenant.get())
    .bind(invoice.get())
    .bind(i64::from(stage))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the notice already went out (or was settled without sending).
pub async fn settled(
    db: &Db,
    tenant: TenantId,
    invoice: InvoiceId,
    stage: u32,
) -> anyhow::Result<bool> {
    let sent: Option<Option<i64>> = sqlx::query_scalar(
        "select sent_at from overdue_notices where tenant_id = $1 and invoice_id = $2 \
         and stage = $3",
    )
    .bind(tenant.get())
    .bind(invoice.get())
    .bind(i64::from(stage))
    .fetch_optional(db.pool())
    .await?;
    Ok(matches!(sent, Some(Some(_))))
}

/// Marks the notice settled: sent, or skipped for good (paid, void, opted out).
pub async fn settle(
    db: &Db,
    tenant: TenantId,
    invoice: InvoiceId,
    stage: u32,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "update overdue_notices set sent_at = $1 where tenant_id = $2 and invoice_id = $3 \
         and stage = $4 and sent_at is null",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(invoice.get())
    .bind(i64::from(stage))
    .execute(db.writes())
    .await?;
    Ok(())
}
