//! Guest → account linking, the workflow behind the `link_guest` job: in each tenant where a
//! verified login is a client, take over the tenant's older unlinked record with its address
//! (`clients::adopt_unlinked`) and the guest bookings made with it — link, audit row
//! (`client.linked`) and the client's email job in one transaction per tenant. Never before
//! verification, never another login's record; a second run finds nothing and does nothing.

use portico_domain::TenantId;
use portico_jobs::LinkGuest;
use portico_store::bookings::linking;
use portico_store::{Db, audit, clients, users};

/// Links what the verified login `user` may take over; returns the tenants where something
/// was linked.
pub async fn link_verified(db: &Db, user: i64, now: i64) -> anyhow::Result<Vec<TenantId>> {
    let mut changed = Vec::new();
    let Some(user) = users::by_id(db, user).await? else { return Ok(changed) };
    // Never before verification: the address must be proven at the time this runs.
    if user.email_verified_at.is_none() {
        return Ok(changed);
    }
    for record in clients::records_of_user(db, user.id).await? {
        let tenant = record.tenant_id;
        let mut tx = db.begin_write().await?;
        let (id, email) = (user.id, user.email.as_str());
        let adopted = clients::adopt_unlinked(&mut tx, tenant, record.id, id, email, now).await?;
        let target = adopted.as_ref().map_or(record.id, |a| a.record);
        let linked = linking::link_guest_bookings(&mut tx, tenant, target, id, email, now).await?;
        if adopted.is_none() && linked.is_empty() {
            continue; // dropping the transaction rolls it back; nothing was written
        }
        let mut detail = format!("#{target} {email}:");
        if adopted.is_some() {
            detail.push_str(&format!(" existing record linked (replacing #{}),", record.id));
        }
        detail.push_str(&format!(" {} guest booking(s) linked{}", linked.len(), ids(&linked)));
        let entry = audit::Entry {
            tenant: Some(tenant),
            actor: Some(id),
            action: "client.linked",
            detail,
            ip: "",
        };
        audit::record_in(&mut tx, &entry, now).await?;
        let record_linked = adopted.is_some();
        let mut booking_ids = adopted.map(|a| a.bookings).unwrap_or_default();
        booking_ids.extend(linked);
        let notice = LinkGuest::Notify {
            tenant_id: tenant.get(),
            user_id: id.get(),
            booking_ids,
            record_linked,
        };
        portico_jobs::enqueue(&mut tx, &notice, now).await?;
        tx.commit().await?;
        tracing::info!(tenant = tenant.get(), client = target.get(), "linked to the login");
        changed.push(tenant);
    }
    Ok(changed)
}

/// " (#1, #2)", or nothing for no ids.
fn ids(ids: &[i64]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let list: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
    format!(" ({})", list.join(", "))
}
