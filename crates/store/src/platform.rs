//! Self-serve PRO: each business's subscription on the platform's own Stripe account (the
//! customer for the billing portal, the subscription and its last status) and the platform
//! webhook's events by id. The plan and `pro_until` themselves stay on `tenants`.
//!
//! `platform_events` is the one table here not scoped by tenant: an event names its business
//! only inside, and a replay must be recognised before anything is looked up.

use chrono::{DateTime, Utc};
use portico_domain::TenantId;
use sqlx::FromRow;

use crate::{Db, StoreError, Tx};

/// A business's PRO subscription as last reported by Stripe.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Subscription {
    pub customer_id: String,
    pub subscription_id: String,
    /// Stripe's status (`active`, `trialing`, `past_due`, `canceled`, …); empty before the
    /// first report.
    pub status: String,
    /// The end of the paid period (epoch seconds), when known.
    pub period_end: Option<i64>,
}

impl Subscription {
    /// Canceled: it extends PRO no more (PRO lapses when `pro_until` passes).
    pub fn is_canceled(&self) -> bool {
        self.status == "canceled"
    }
}

const COLUMNS: &str = "customer_id, subscription_id, status, period_end";

/// The business's subscription, if it ever started one.
pub async fn subscription(db: &Db, tenant: TenantId) -> Result<Option<Subscription>, StoreError> {
    let sql = format!("select {COLUMNS} from platform_subscriptions where tenant_id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant.get())
        .fetch_optional(db.pool())
        .await?)
}

/// The same, read on `tx`.
pub async fn subscription_in(
    tx: &mut Tx,
    tenant: TenantId,
) -> Result<Option<Subscription>, StoreError> {
    let sql = format!("select {COLUMNS} from platform_subscriptions where tenant_id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant.get())
        .fetch_optional(&mut **tx)
        .await?)
}

/// The business whose subscription or customer this is.
pub async fn tenant_of(
    db: &Db,
    subscription: &str,
    customer: &str,
) -> Result<Option<TenantId>, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "select tenant_id from platform_subscriptions where (subscription_id = $1 and $1 <> '') \
         or (customer_id = $2 and $2 <> '') order by (subscription_id = $1) desc limit 1",
    )
    .bind(subscription)
    .bind(customer)
    .fetch_optional(db.pool())
    .await?;
    Ok(id.map(TenantId::from_store))
}

/// Stores what Stripe reported of the business's subscription.
pub async fn save_in(
    tx: &mut Tx,
    tenant: TenantId,
    subscription: &Subscription,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into platform_subscriptions (tenant_id, customer_id, subscription_id, status, \
         period_end, updated_at) values ($1, $2, $3, $4, $5, $6) \
         on conflict (tenant_id) do update set customer_id = excluded.customer_id, \
         subscription_id = excluded.subscription_id, status = excluded.status, \
         period_end = excluded.period_end, updated_at = excluded.updated_at",
    )
    .bind(tenant.get())
    .bind(&subscription.customer_id)
    .bind(&subscription.subscription_id)
    .bind(&subscription.status)
    .bind(subscription.period_end)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes the business PRO until `until`, unless it already is PRO for at least as long (or
/// for good: PRO without an end, granted by the operator). `true` when this changed it.
pub async fn extend_pro_in(
    tx: &mut Tx,
    tenant: TenantId,
    until: DateTime<Utc>,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update tenants set plan = 'pro', pro_until = $1, updated_at = $2 where id = $3 \
         and not (plan = 'pro' and (pro_until is null or pro_until >= $1))",
    )
    .bind(until.timestamp())
    .bind(now)
    .bind(tenant.get())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes a platform webhook event; `false` when it was noted before (a replay).
pub async fn note_event_in(
    tx: &mut Tx,
    event: &str,
    kind: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "insert into platform_events (event_id, event_type, created_at) values ($1, $2, $3) \
         on conflict (event_id) do nothing",
    )
    .bind(event)
    .bind(kind)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
