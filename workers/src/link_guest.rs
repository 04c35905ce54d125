//! `link_guest`: guest → account linking after an email address is verified.
//!
//! Rule: a login's guest bookings are linked only in the tenants where the login is a client
//! (it registered at the portal, joined it, or accepted a client invitation — each of which
//! makes the login's one client record there), never anywhere else: a guest booking at a
//! business the person never signed up with stays a guest booking. Only the login's own
//! client record receives bookings; a record of another login is never touched.
//!
//! Each tenant is one transaction: link, audit (`client.linked`) and queue the client's email
//! together. A second run finds no guest bookings left, so it changes and sends nothing.

use chrono::DateTime;
use portico_domain::{TenantId, UserId};
use portico_jobs::LinkGuest;
use portico_store::bookings::{self, linking};
use portico_store::{audit, clients, tenants, users};
use serde_json::json;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all)]
pub async fn run(deps: &Deps, job: LinkGuest) -> Result<(), JobError> {
    match job {
        LinkGuest::Link { user_id } => link(deps, UserId(user_id)).await,
        LinkGuest::Notify { tenant_id, user_id, booking_ids } => {
            notify(deps, TenantId(tenant_id), UserId(user_id), &booking_ids).await
        }
    }
}

async fn link(deps: &Deps, user: UserId) -> Result<(), JobError> {
    let Some(user) = users::by_id(&deps.db, user).await? else { return Ok(()) };
    // Never before verification: the address must be proven at the time the job runs.
    if user.email_verified_at.is_none() {
        return Ok(());
    }
    for record in clients::records_of_user(&deps.db, user.id()).await? {
        let tenant = TenantId(record.tenant_id);
        let now = deps.clock.now_ts();
        let mut tx = deps.db.begin_write().await?;
        let linked =
            linking::link_guest_bookings(&mut tx, tenant, record.id(), user.id(), &user.email, now)
                .await?;
        if linked.is_empty() {
            continue; // dropping the transaction rolls it back; nothing was written
        }
        let entry = audit::Entry {
            tenant: Some(tenant),
            actor: Some(user.id()),
            action: "client.linked",
            detail: format!(
                "#{} {}: {} guest booking(s) linked ({})",
                record.id,
                user.email,
                linked.len(),
                linked.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", ")
            ),
            ip: "",
        };
        audit::record_in(&mut tx, &entry, now).await?;
        let notice =
            LinkGuest::Notify { tenant_id: tenant.0, user_id: user.id, booking_ids: linked };
        portico_jobs::enqueue(&mut tx, &notice, now).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        tracing::info!(tenant = tenant.0, client = record.id, "guest bookings linked");
    }
    Ok(())
}

/// "Your bookings with {tenant} are now in your account": lists the bookings still linked to
/// the login's client record there (one unlinked meanwhile is left out; none left, no email).
async fn notify(
    deps: &Deps,
    tenant: TenantId,
    user: UserId,
    booking_ids: &[i64],
) -> Result<(), JobError> {
    let Some(tenant) = tenants::by_id(&deps.db, tenant).await? else { return Ok(()) };
    let Some(user) = users::by_id(&deps.db, user).await? else { return Ok(()) };
    let Some(client) = clients::for_user(&deps.db, tenant.id, user.id()).await? else {
        return Ok(());
    };
    let local = |ts: i64| {
        DateTime::from_timestamp(ts, 0)
            .unwrap_or_default()
            .with_timezone(&tenant.timezone)
            .format("%a %-d %b %Y, %H:%M")
            .to_string()
    };
    let mut lines = Vec::new();
    for &id in booking_ids {
        let Some(booking) = bookings::get(&deps.db, &tenant, id).await? else { continue };
        if booking.client_id == Some(client.id) {
            lines.push(json!({
                "service": booking.service_name,
                "when": local(booking.starts_at),
                "status": booking.status.label(),
            }));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let context = json!({
        "name": client.name,
        "tenant": tenant.name,
        "timezone": tenant.timezone.name(),
        "bookings": lines,
        "count": lines.len(),
        "link": deps.absolute(&format!("/portal/{}", tenant.slug)),
    });
    let email = deps.render_email("bookings_linked", &user.email, &context)?;
    Ok(deps.mailer.send(&email).await?)
}
