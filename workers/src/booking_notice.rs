//! `booking_notice`: emails about a confirmed, cancelled or rescheduled booking to the client
//! or guest, the tenant's owners, and the staff member. A guest's email carries a manage link
//! minted here (so its plain token exists only in the email), valid until the booking ends.
//! Every email carries the booking as `booking.ics`. Each recipient's notification choice is
//! read now, at send time; a client's email carries a one-click unsubscribe.
//!
//! The messages that went out are recorded in the delivery ledger, keyed by the booking event
//! and the recipient, in one write once the job has sent what it could — also when a send
//! failed: a job retried after a partial failure sends only what it had not sent yet. (A
//! crash between a send and that write sends the message again, as at-least-once delivery
//! allows; one write instead of one per message keeps a notice's turns at the database, and on
//! SQLite at its one writer, to one.)

use std::collections::HashSet;

use chrono::DateTime;
use portico_core::ics::{self, Method};
use portico_integrations::mail::Attachment;
use portico_jobs::BookingNotice;
use portico_store::notify::Kind;
use portico_store::notify::unsubscribe::{Recipient, Unsubscribe};
use portico_store::{bookings, clients, notify, schedule_cache, tenants};
use serde_json::json;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(booking = job.booking_id, event = %job.event))]
pub async fn run(deps: &Deps, job: BookingNotice) -> Result<(), JobError> {
    // The booking, its calendar sequence, whether an earlier run sent anything and the
    // tenant's version: one read. The tenant itself comes from the copy kept in memory while
    // that version stands (read only when it changed).
    let notice =
        bookings::events::for_notice(&deps.db, job.tenant_id, job.booking_id, job.event_id);
    let Some(notice) = notice.await? else {
        return Ok(());
    };
    let tenant_id = notice.booking.tenant_id;
    let Some(tenant) = schedule_cache::tenant_at(&deps.db, tenant_id, notice.tenant_base).await?
    else {
        return Ok(());
    };
    let booking = notice.booking;
    let now = deps.clock.now_ts();
    let mut ledger = Ledger::read(deps, &tenant, job.event_id, notice.delivered, now).await?;
    // The staff member's name, and who on the team hears of it (each by their own choice).
    let team = notify::prefs::notice_team(&deps.db, tenant.id, booking.staff_id).await?;
    let event = match job.event.as_str() {
        "cancelled" | "rescheduled" => job.event.as_str(),
        _ => "confirmed",
    };
    let mut base = details(deps, &tenant, &booking, team.staff_name.as_deref(), now).await?;
    base["event"] = json!(event);
    // Every email carries the booking as a calendar file: one UID per booking, a SEQUENCE
    // that grows with each change, CANCEL for a cancellation.
    let sequence = notice.sequence;
    let method = if event == "cancelled" { Method::Cancel } else { Method::Request };
    let calendar_file = |link: &str| Attachment {
        filename: "booking.ics".to_owned(),
        content_type: format!("text/calendar; charset=utf-8; method={}", method.as_str()),
        content: ics::invitation(&tenant, &booking, method, sequence, deps.clock.now(), link)
            .into_bytes(),
    };

    // The client or guest. A client who can log in to the portal gets the portal link;
    // anyone else (a guest, or a client the business booked who has no login) gets a manage
    // link minted here, so nobody is sent to a login they do not have.
    let (name, email, portal, wants, unsubscribe, sms_to) = match booking.client_id {
        Some(id) => {
            let client = clients::get(&deps.db, tenant.id, id.get()).await?;
            let Some(client) = client else { return Ok(()) };
            let portal = tenant.portal_enabled
                && client.user_id.is_some()
                && client.portal_login_disabled == 0;
            // Checked now, at send time: a choice made after the booking still counts.
            let prefs = notify::prefs::client(&deps.db, tenant.id, client.id).await?;
            let unsubscribe = deps.unsubscribe_link(&Unsubscribe {
                tenant: tenant.id,
                recipient: Recipient::Client(client.id),
                kind: Kind::Changes,
            });
            let sms_to = crate::sms::recipient(&client, &prefs, Kind::Changes);
            let wants = prefs.email.wants(Kind::Changes);
            (client.name, client.email, portal, wants, Some(unsubscribe), sms_to)
        }
        None => (booking.guest_name.clone(), booking.guest_email.clone(), false, true, None, None),
    };
    // Everything that goes out is recorded at the end, in one write — also when a send
    // failed, so a retry sends only what is left.
    let sent = async {
        let link = if !wants {
            String::new()
        } else if portal {
            deps.absolute(&format!("/portal/{}/bookings/{}", tenant.slug, booking.id))
        } else if ledger.sent("party", &email) {
            String::new()
        } else {
            let expires = booking.ends_at.unix().max(now + 3600);
            let token = bookings::create_link(&deps.db, &tenant, booking.id, expires, now).await?;
            deps.absolute(&format!("/book/{}/manage/{token}", tenant.slug))
        };
        let mut context = base.clone();
        context["name"] = json!(name);
        context["link"] = json!(link);
        context["unsubscribe"] = json!(unsubscribe);
        if wants && !ledger.sent("party", &email) {
            let mut mail =
                deps.render_business_email("booking_client", &email, &tenant, &context)?;
            mail.attachments.push(calendar_file(&link));
            if let Some(unsubscribe) = &unsubscribe {
                crate::notify::one_click(&mut mail, unsubscribe);
            }
            deps.mailer.send(&mail).await?;
            ledger.record("party", &email);
        }

        // The provider: owners, and the staff member if they have an email.
        let (who, contact) = if booking.client_id.is_some() {
            (name.clone(), email.clone())
        } else {
            (
                format!("{} (guest)", booking.guest_name),
                format!("{} · {}", booking.guest_email, booking.guest_phone),
            )
        };
        let sms_sentence = format!(
            "{}: your {} on {} {}",
            tenant.name,
            booking.service_name,
            base["when"].as_str().unwrap_or_default(),
            match event {
                "cancelled" => "was cancelled",
                "rescheduled" => "is the new time",
                _ => "is confirmed",
            },
        );
        // Where it takes place, except for a cancellation (nobody goes there any more).
        let sms_place = (event != "cancelled").then(|| booking.place_line(&tenant, true)).flatten();
        let sms_link = portal
            .then(|| deps.absolute(&format!("/portal/{}/bookings/{}", tenant.slug, booking.id)));
        let sms_text = crate::sms::one_line(&sms_sentence, sms_place, sms_link);
        let mut context = base;
        context["who"] = json!(who);
        context["contact"] = json!(contact);
        let provider_link = deps.absolute(&format!("/app/{}/bookings/{}", tenant.slug, booking.id));
        context["link"] = json!(provider_link);
        for to in team.recipients {
            if ledger.sent("provider", &to) {
                continue;
            }
            let mut mail = deps.render_email("booking_provider", &to, &context)?;
            mail.attachments.push(calendar_file(&provider_link));
            deps.mailer.send(&mail).await?;
            ledger.record("provider", &to);
        }

        // A text to a client who opted in (PRO, SMS on), last: a provider refusing it must not
        // hold back the emails above. Recorded in the same ledger, so a retry never sends it twice.
        if let Some(to) = sms_to
            && !ledger.sent_via(Ledger::SMS, "party", to.as_str())
            && let Some(account) = deps.sms_account(&tenant).await?
        {
            crate::sms::send(deps, &account, &to, sms_text).await?;
            ledger.record_via(Ledger::SMS, "party", to.as_str());
        }
        Ok::<(), JobError>(())
    }
    .await;
    ledger.write().await?;
    sent
}

/// What every email about a booking shows: service, times in the tenant's zone, price,
/// the block's label, the staff member and where it takes place.
pub(crate) async fn details(
    deps: &Deps,
    tenant: &tenants::Tenant,
    booking: &bookings::Booking,
    staff_name: Option<&str>,
    now: i64,
) -> Result<serde_json::Value, JobError> {
    let local = |ts: i64| {
        DateTime::from_timestamp(ts, 0)
            .unwrap_or_default()
            .with_timezone(&tenant.timezone)
            .format("%a %-d %b %Y, %H:%M")
            .to_string()
    };
    let label = match booking.block_id {
        Some(block) => portico_store::blocks::get(&deps.db, tenant.id, block.get(), now)
            .await?
            .map(|b| b.label),
        None => None,
    };
    let place = booking.place(tenant);
    let place_lines: Vec<&str> = place.as_deref().map(|p| p.lines().collect()).unwrap_or_default();
    Ok(json!({
        "tenant": tenant.name,
        "service": booking.service_name,
        "label": label,
        "when": local(booking.starts_at.unix()),
        "until": local(booking.ends_at.unix()).rsplit(", ").next().unwrap_or_default(),
        "timezone": tenant.timezone.name(),
        "price": price(booking.price_minor, &booking.currency),
        "staff": staff_name,
        "place_label": booking.location_kind.label(),
        "place": place,
        "place_lines": place_lines,
        "meeting_link": booking.meeting_link(),
    }))
}

/// The delivery ledger of one booking event (none for jobs queued before it existed), read
/// once when the job starts, and only if an earlier run of this job sent anything: what it
/// already sent, and what this run sent, to be recorded in one write ([`Ledger::write`]).
struct Ledger<'a> {
    deps: &'a Deps,
    tenant: &'a tenants::Tenant,
    event: Option<i64>,
    now: i64,
    sent: HashSet<(String, String)>,
    /// `(channel, role:recipient)` sent by this run and not yet recorded.
    unrecorded: Vec<(String, String)>,
}

impl<'a> Ledger<'a> {
    const EMAIL: &'static str = "email";
    const SMS: &'static str = "sms";

    async fn read(
        deps: &'a Deps,
        tenant: &'a tenants::Tenant,
        event: Option<i64>,
        any_sent: bool,
        now: i64,
    ) -> anyhow::Result<Self> {
        let sent = match event {
            Some(event) if any_sent => {
                bookings::events::deliveries(&deps.db, tenant, event).await?
            }
            _ => HashSet::new(),
        };
        Ok(Self { deps, tenant, event, now, sent, unrecorded: Vec::new() })
    }

    /// Whether the `role` email (`party`, `provider`) already went to `to`.
    fn sent(&self, role: &str, to: &str) -> bool {
        self.sent_via(Self::EMAIL, role, to)
    }

    fn record(&mut self, role: &str, to: &str) {
        self.record_via(Self::EMAIL, role, to);
    }

    /// Whether the `role` message already went to `to` on `channel` (`email`, `sms`).
    fn sent_via(&self, channel: &str, role: &str, to: &str) -> bool {
        self.sent.contains(&(channel.to_owned(), format!("{role}:{to}")))
    }

    /// Notes that the `role` message went to `to` on `channel`, for [`Ledger::write`].
    fn record_via(&mut self, channel: &str, role: &str, to: &str) {
        self.unrecorded.push((channel.to_owned(), format!("{role}:{to}")));
    }

    /// Records every message noted since the job started, in one write.
    async fn write(&self) -> anyhow::Result<()> {
        let Some(event) = self.event else { return Ok(()) };
        if self.unrecorded.is_empty() {
            return Ok(());
        }
        let sent: Vec<(&str, &str)> =
            self.unrecorded.iter().map(|(c, r)| (c.as_str(), r.as_str())).collect();
        bookings::events::mark_delivered(&self.deps.db, self.tenant, event, &sent, self.now).await
    }
}

/// The booking's price in its currency's own decimals, as the pages show it: `GBP 25.00`.
fn price(minor: i64, currency: &str) -> String {
    match portico_domain::Currency::parse(currency) {
        Ok(known) => format!("{currency} {}", portico_domain::Money::new(minor, known).amount()),
        Err(_) => format!("{currency} {minor} (minor units)"),
    }
}
