//! Reminders. [`scan`] runs every minute: it claims each reminder that is due (see
//! `portico_store::notify::reminders::due`) and queues its [`Reminder`] in the same
//! transaction, so a reminder is queued once per booking and start however many scans run,
//! and a scan after downtime catches up on every booking that has not started yet.
//! [`send`] decides at send time: the booking must still be confirmed, start at the claimed
//! time and not have started; the client must still want reminders.

use portico_domain::booking::Status;
use portico_jobs::{Reminder, Reminders};
use portico_store::notify::Kind;
use portico_store::notify::reminders::{self, Via};
use portico_store::notify::unsubscribe::{Recipient, Unsubscribe};
use portico_store::{bookings, clients, notify, staff, tenants};
use serde_json::json;

use crate::{Deps, JobError};

/// Reminders claimed per query; the scan repeats until none are left.
const BATCH: i64 = 200;

#[tracing::instrument(skip_all)]
pub async fn scan(deps: &Deps, _job: Reminders) -> Result<(), JobError> {
    let now = deps.clock.now_ts();
    let mut queued = 0;
    loop {
        let due = reminders::due(&deps.db, now, BATCH).await?;
        for reminder in &due {
            let mut tx = deps.db.begin().await?;
            let (tenant, booking) = (reminder.tenant_id, reminder.booking_id);
            if reminders::claim(&mut tx, tenant, booking, reminder.starts_at.unix(), now).await? {
                let job = Reminder {
                    tenant_id: reminder.tenant_id.get(),
                    booking_id: reminder.booking_id.get(),
                    starts_at: reminder.starts_at.unix(),
                };
                portico_jobs::enqueue(&mut tx, &job, now).await?;
                queued += 1;
            }
            tx.commit().await.map_err(anyhow::Error::from)?;
        }
        if due.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            break;
        }
    }
    if queued > 0 {
        tracing::info!(queued, "reminders queued");
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(booking = job.booking_id))]
pub async fn send(deps: &Deps, job: Reminder) -> Result<(), JobError> {
    let Some(tenant) = tenants::by_id(&deps.db, job.tenant_id).await? else { return Ok(()) };
    // Bookings are never deleted: one that is gone went with its tenant's data, ledger too.
    let Some(booking) = bookings::get(&deps.db, &tenant, job.booking_id).await? else {
        return Ok(());
    };
    if reminders::settled(&deps.db, tenant.id, booking.id, job.starts_at).await? {
        return Ok(());
    }
    let now = deps.clock.now_ts();
    let booking_id = booking.id;
    let settle = || reminders::settle(&deps.db, tenant.id, booking_id, job.starts_at, now);
    let reminders_on = notify::prefs::settings(&deps.db, tenant.id).await?.reminder_minutes_before;
    // Cancelled, moved (the new start has its own reminder) or already begun: nothing to say.
    if booking.status != Status::Confirmed
        || booking.starts_at.unix() != job.starts_at
        || booking.starts_at.unix() <= now
    {
        settle().await?;
        return Ok(());
    }
    if reminders_on.is_none() {
        settle().await?;
        return Ok(());
    }

    let (name, email, link, unsubscribe, wants_email, sms_to) = match booking.client_id {
        Some(id) => {
            let Some(client) = clients::get(&deps.db, tenant.id, id.get()).await? else {
                settle().await?;
                return Ok(());
            };
            // The client's choice at send time, per channel.
            let prefs = notify::prefs::client(&deps.db, tenant.id, client.id).await?;
            let sms_to = crate::sms::recipient(&client, &prefs, Kind::Reminders);
            if !prefs.email.reminders && sms_to.is_none() {
                settle().await?;
                return Ok(());
            }
            let portal = tenant.portal_enabled
                && client.user_id.is_some()
                && client.portal_login_disabled == 0;
            let link = if portal {
                deps.absolute(&format!("/portal/{}/bookings/{}", tenant.slug, booking.id))
            } else {
                manage_link(deps, &tenant, &booking, now).await?
            };
            let unsubscribe = deps.unsubscribe_link(&Unsubscribe {
                tenant: tenant.id,
                recipient: Recipient::Client(client.id),
                kind: Kind::Reminders,
            });
            (client.name, client.email, link, Some(unsubscribe), prefs.email.reminders, sms_to)
        }
        None => {
            let link = manage_link(deps, &tenant, &booking, now).await?;
            (booking.guest_name.clone(), booking.guest_email.clone(), link, None, true, None)
        }
    };
    let staff_name = match booking.staff_id {
        Some(id) => staff::get(&deps.db, tenant.id, id.get()).await?.map(|s| s.name),
        None => None,
    };
    let mut context =
        crate::booking_notice::details(deps, &tenant, &booking, staff_name.as_deref(), now).await?;
    // Each channel is marked right after it went out: a retry (say, the SMS provider was
    // down) sends only what is missing.
    let starts_at = job.starts_at;
    if wants_email
        && !reminders::sent_via(&deps.db, tenant.id, booking_id, starts_at, Via::Email).await?
    {
        context["name"] = json!(name);
        context["link"] = json!(link);
        context["unsubscribe"] = json!(unsubscribe);
        let mut mail = deps.render_business_email("booking_reminder", &email, &tenant, &context)?;
        if let Some(unsubscribe) = &unsubscribe {
            crate::notify::one_click(&mut mail, unsubscribe);
        }
        deps.mailer.send(&mail).await?;
        reminders::mark_sent_via(&deps.db, tenant.id, booking_id, starts_at, Via::Email, now)
            .await?;
    }
    if let Some(to) = sms_to
        && !reminders::sent_via(&deps.db, tenant.id, booking_id, starts_at, Via::Sms).await?
        && let Some(account) = deps.sms_account(&tenant).await?
    {
        let sentence = format!(
            "Reminder from {}: your {} on {} ({})",
            tenant.name,
            booking.service_name,
            context["when"].as_str().unwrap_or_default(),
            tenant.timezone.name(),
        );
        let text = crate::sms::one_line(&sentence, booking.place_line(&tenant, true), None);
        crate::sms::send(deps, &account, &to, text).await?;
        reminders::mark_sent_via(&deps.db, tenant.id, booking_id, starts_at, Via::Sms, now).await?;
    }
    settle().await?;
    Ok(())
}

/// A guest's (or login-less client's) manage link, valid until the booking ends.
async fn manage_link(
    deps: &Deps,
    tenant: &tenants::Tenant,
    booking: &bookings::Booking,
    now: i64,
) -> Result<String, JobError> {
    let expires = booking.ends_at.unix().max(now + 3600);
    let token = bookings::create_link(&deps.db, tenant, booking.id, expires, now).await?;
    Ok(deps.absolute(&format!("/book/{}/manage/{token}", tenant.slug)))
}
