//! Refunds made at a payment gateway that Portico cannot apply (a payment it does not know,
//! or more than what remains of one): kept once by the gateway's refund id with a
//! `payment.refund_unapplied` audit row, and shown to the owner like a mismatched payment —
//! the gateway is answered "received" so it does not deliver the news again for days.

use portico_domain::TenantId;
use portico_store::unapplied::{self, NewUnapplied};
use portico_store::{Db, StoreError};

use crate::Context;

/// Keeps the refund and audits it; `false` when it was kept before (nothing changed).
pub async fn unapplied(
    db: &Db,
    tenant: TenantId,
    refund: &NewUnapplied<'_>,
    ctx: &Context,
) -> Result<bool, StoreError> {
    let mut tx = db.begin_write().await?;
    if !unapplied::insert(&mut tx, tenant, refund, ctx.now.timestamp()).await? {
        return Ok(false);
    }
    let detail = format!(
        "{} refund {} of {} {} (payment intent {}) not applied: {}",
        refund.gateway,
        refund.refund_id,
        refund.amount_minor,
        refund.currency.to_uppercase(),
        refund.payment_intent,
        refund.reason
    );
    crate::audit_in(&mut tx, tenant, "payment.refund_unapplied", detail, ctx).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(true)
}
