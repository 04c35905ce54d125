//! Refunds made at a payment gateway (in its own dashboard) that Portico could not apply: for
//! a payment it does not know, or for more than what remains of it. Each is kept once (by the
//! gateway's refund id) and shown to the owner beside the mismatched checkouts, so the money
//! is accounted for by hand.

use portico_domain::{Instant, TenantId};
use sqlx::FromRow;

use crate::stored::StoredAt;
use crate::{Db, StoreError};

/// A refund the gateway made that no payment took.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct UnappliedRefund {
    pub id: i64,
    pub gateway: String,
    pub refund_id: String,
    pub payment_intent: String,
    pub amount_minor: i64,
    /// As the gateway reported it (lowercase at Stripe).
    pub currency: String,
    /// Why Portico could not apply it.
    pub reason: String,
    #[sqlx(try_from = "StoredAt")]
    pub created_at: Instant,
}

/// A refund to keep.
#[derive(Debug, Clone)]
pub struct NewUnapplied<'a> {
    pub gateway: &'a str,
    pub refund_id: &'a str,
    pub payment_intent: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub reason: &'a str,
}

/// Keeps the refund; `false` when it was kept before.
pub async fn insert(
    tx: &mut crate::Tx,
    tenant: TenantId,
    new: &NewUnapplied<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "insert into unapplied_refunds (tenant_id, gateway, refund_id, payment_intent, \
         amount_minor, currency, reason, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict (tenant_id, refund_id) do nothing",
    )
    .bind(tenant.get())
    .bind(new.gateway)
    .bind(new.refund_id)
    .bind(new.payment_intent)
    .bind(new.amount_minor)
    .bind(new.currency)
    .bind(new.reason)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The business's unapplied refunds, newest first.
pub async fn list(db: &Db, tenant: TenantId) -> Result<Vec<UnappliedRefund>, StoreError> {
    Ok(sqlx::query_as(
        "select id, gateway, refund_id, payment_intent, amount_minor, currency, reason, \
         created_at from unapplied_refunds where tenant_id = $1 order by id desc",
    )
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?)
}
