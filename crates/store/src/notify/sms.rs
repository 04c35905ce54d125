//! A business's SMS sender (PRO): the number its texts come from. Its Twilio Account SID and
//! auth token are sealed secrets ([`crate::sealed`], `SecretKind::Twilio*`).

use portico_domain::TenantId;

use crate::{Db, StoreError, Tx};

/// The sender number or id texts go out from (empty until the owner sets one).
pub async fn sender(db: &Db, tenant: TenantId) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar("select sms_from from tenants where id = $1")
        .bind(tenant.get())
        .fetch_one(db.pool())
        .await?)
}

/// Sets the sender, in the transaction that seals the account's credentials.
pub async fn set_sender(tx: &mut Tx, tenant: TenantId, from: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("update tenants set sms_from = $1, updated_at = $2 where id = $3")
        .bind(from)
        .bind(now)
        .bind(tenant.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
