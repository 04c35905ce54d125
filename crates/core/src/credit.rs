//! Credit workflows: the owner's grant, with a reason and an audit row. (Overpayments,
//! refunds, uses and cancellations write their entries in their own workflows.)

use portico_domain::billing::CreditKind;
use portico_domain::{ClientId, Money, TenantId};
use portico_store::{Db, StoreError, audit, credit};

use crate::Context;

/// Grants `amount` of credit to the client; `None` when the client is not the tenant's.
/// Answers the new balance.
pub async fn grant(
    db: &Db,
    tenant: TenantId,
    client: ClientId,
    amount: Money,
    reason: &str,
    ctx: &Context,
) -> Result<Option<Money>, StoreError> {
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    if !credit::lock_client(&mut tx, tenant, client).await? {
        return Ok(None);
    }
    let entry = credit::NewEntry {
        client,
        amount,
        kind: CreditKind::Grant,
        payment: None,
        invoice: None,
        booking: None,
        reason,
    };
    credit::add(&mut tx, tenant, &entry, now).await?;
    let balance = credit::balance_in(&mut tx, tenant, client, amount.currency).await?;
    let entry = audit::Entry {
        tenant: Some(tenant),
        actor: ctx.actor.parts().1,
        action: "credit.granted",
        detail: format!("client #{}: {amount} credit ({reason})", client.get()),
        ip: &ctx.ip,
    };
    audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(Some(balance))
}
