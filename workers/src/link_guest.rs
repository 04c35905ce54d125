//! `link_guest`: guest → account linking after an email address is verified. The linking
//! itself is the workflow `portico_core::linking`; this job runs it and sends the email.
//!
//! Rule: a login is linked only in the tenants where it is a client (it registered at the
//! portal, joined it, or accepted a client invitation — each of which gives the login its one
//! client record there), never anywhere else: a guest booking at a business the person never
//! signed up with stays a guest booking. There, with the verified address,
//! - the tenant's oldest unlinked client record with the address becomes the login's record
//!   when it is older than the record portal registration made (a login has one record per
//!   tenant; the newer one's bookings move to it) — see `clients::adopt_unlinked`;
//! - the guest bookings with the address are linked to the login's record.
//!
//! A record of another login is never touched. Each tenant is one transaction: link, audit
//! (`client.linked`) and queue the client's email together. A second run finds nothing left
//! to link, so it changes and sends nothing.

use chrono::DateTime;
use portico_jobs::LinkGuest;
use portico_store::bookings;
use portico_store::{clients, tenants, users};
use serde_json::json;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all)]
pub async fn run(deps: &Deps, job: LinkGuest) -> Result<(), JobError> {
    match job {
        LinkGuest::Link { user_id } => link(deps, user_id).await,
        LinkGuest::Notify { tenant_id, user_id, booking_ids, record_linked } => {
            notify(deps, tenant_id, user_id, &booking_ids, record_linked).await
        }
    }
}

async fn link(deps: &Deps, user: i64) -> Result<(), JobError> {
    portico_core::linking::link_verified(&deps.db, user, deps.clock.now_ts()).await?;
    Ok(())
}

/// "Your bookings with {tenant} are now in your account": lists the bookings still linked to
/// the login's client record there (one moved away meanwhile is left out; nothing left to
/// tell, no email).
async fn notify(
    deps: &Deps,
    tenant: i64,
    user: i64,
    booking_ids: &[i64],
    record_linked: bool,
) -> Result<(), JobError> {
    let Some(tenant) = tenants::by_id(&deps.db, tenant).await? else { return Ok(()) };
    let Some(user) = users::by_id(&deps.db, user).await? else { return Ok(()) };
    let Some(client) = clients::for_user(&deps.db, tenant.id, user.id).await? else {
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
                "when": local(booking.starts_at.unix()),
                "status": booking.status.label(),
            }));
        }
    }
    if lines.is_empty() && !record_linked {
        return Ok(());
    }
    let context = json!({
        "name": client.name,
        "tenant": tenant.name,
        "timezone": tenant.timezone.name(),
        "bookings": lines,
        "count": lines.len(),
        "record_linked": record_linked,
        "link": deps.absolute(&format!("/portal/{}", tenant.slug)),
    });
    let email = deps.render_business_email("bookings_linked", &user.email, &tenant, &context)?;
    Ok(deps.mailer.send(&email).await?)
}
