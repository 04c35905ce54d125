//! `calendar_sync`: makes Google match one booking's current state, in every connected
//! calendar that should hold it, and removes it from those that should not (staff
//! reassignment, cancellation, a changed target calendar).
//!
//! Idempotent and state-based: the event id is derived from the booking, so a retried insert
//! meets 409 and patches instead; the per-booking sync row remembers the booking version
//! written, so a duplicate or stale job finds nothing to do and calls nobody.

use chrono::{DateTime, SecondsFormat};
use portico_domain::StaffId;
use portico_domain::plans::{Feature, allows};
use portico_integrations::google::{Event, EventTime, GoogleError, NewEvent, event_id};
use portico_jobs::CalendarSync;
use portico_store::bookings::{Booking, Status};
use portico_store::calendar::syncs::{self, DELETED, EventSync, PRESENT, Written};
use portico_store::calendar::{self, Connection};
use portico_store::tenants::{self, Tenant};
use portico_store::{bookings, clients};

use super::{CallError, Session, settle};
use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(tenant = job.tenant_id, booking = job.booking_id))]
pub async fn run(deps: &Deps, job: CalendarSync) -> Result<(), JobError> {
    // Without Google configured there is nothing to sync (and nothing to read).
    if deps.google.is_none() {
        return Ok(());
    }
    let Some(tenant) = tenants::by_id(&deps.db, job.tenant_id).await? else {
        return Ok(());
    };
    sync_booking(deps, &tenant, job.booking_id, false).await
}

/// Whether the tenant's calendar sync runs now: PRO, and Google configured. A downgrade
/// pauses it (nothing is deleted); the upgrade's reconcile catches up.
pub(crate) fn active(deps: &Deps, tenant: &Tenant) -> bool {
    deps.google.is_some()
        && allows(tenant.effective_plan(deps.clock.now()), Feature::GoogleCalendar)
}

/// Syncs one booking. With `verify`, an event believed up to date is read back from Google
/// and repaired if it was deleted or changed there (the periodic reconcile).
pub(crate) async fn sync_booking(
    deps: &Deps,
    tenant: &Tenant,
    booking_id: i64,
    verify: bool,
) -> Result<(), JobError> {
    let Some(google) = deps.google.as_ref() else { return Ok(()) };
    if !active(deps, tenant) {
        return Ok(());
    }
    let Some(booking) = bookings::get(&deps.db, tenant, booking_id).await? else {
        return Ok(());
    };
    // Attendance does not remove an event; only cancellation does. A booking belongs to its
    // staff member, or with none (the owner's own, and timetable block sessions, which the
    // owner runs) to the owners.
    let wanted: Vec<Connection> = if booking.status() == Status::Cancelled {
        Vec::new()
    } else {
        calendar::for_person(&deps.db, tenant.id, booking.staff_id.map(StaffId::get))
            .await?
            .into_iter()
            .filter(Connection::syncs)
            .collect()
    };
    let existing = syncs::for_booking(&deps.db, tenant.id, booking.id).await?;
    // No calendar should hold it and none does (most bookings of a business without a
    // connected calendar): done.
    if wanted.is_empty() && !existing.iter().any(EventSync::is_present) {
        return Ok(());
    }
    let version = syncs::booking_version(&deps.db, tenant.id, booking.id).await?;
    let event = new_event(deps, tenant, &booking).await?;
    let mut outcome = Ok(());

    // Out of the calendars that should no longer hold it first, then into the right ones:
    // a move between calendars never shows the event twice.
    for row in existing.iter().filter(|r| r.is_present()) {
        if wanted.iter().any(|c| c.id == row.connection_id) {
            continue;
        }
        // A connection paused (sync off) or gone keeps what it has.
        let Some(connection) = calendar::get(&deps.db, tenant.id, row.connection_id.get()).await?
        else {
            continue;
        };
        if !connection.syncs() {
            continue;
        }
        let mut session = Session::new(deps, google, connection.clone());
        let result = remove(&mut session, tenant, row, version).await;
        outcome = outcome.and(finish(deps, &connection, result).await);
    }
    for connection in &wanted {
        let row = existing.iter().find(|r| r.connection_id == connection.id);
        let up_to_date = row.is_some_and(|r| {
            r.is_present() && r.version >= version && r.calendar_id == connection.calendar_id
        });
        if up_to_date && !verify {
            continue;
        }
        let mut session = Session::new(deps, google, connection.clone());
        let result = put(&mut session, tenant, &booking, &event, row, version, up_to_date).await;
        outcome = outcome.and(finish(deps, connection, result).await);
    }
    outcome
}

async fn finish(
    deps: &Deps,
    connection: &Connection,
    result: Result<(), CallError>,
) -> Result<(), JobError> {
    match result {
        Ok(()) => {
            let now = deps.clock.now_ts();
            calendar::record_success(&deps.db, connection.tenant_id, connection.id, now).await?;
            Ok(())
        }
        Err(error) => settle(deps, connection, error).await,
    }
}

/// Inserts or patches the booking's event in the connection's calendar.
async fn put(
    session: &mut Session<'_>,
    tenant: &Tenant,
    booking: &Booking,
    event: &NewEvent,
    row: Option<&EventSync>,
    version: i64,
    verify_only: bool,
) -> Result<(), CallError> {
    let google = session.google;
    let id = event_id(tenant.id.get(), booking.id.get());
    let calendar_id = session.connection.calendar_id.clone();
    if verify_only {
        let read = session.call(|t| {
            let (cal, id) = (calendar_id.clone(), id.clone());
            async move { google.get_event(&t, &cal, &id).await }
        });
        match read.await {
            Ok(found) if found.status != "cancelled" && same_times(&found, event) => return Ok(()),
            Ok(_) | Err(CallError::Google(GoogleError::Gone(_))) => {}
            Err(error) => return Err(error),
        }
    }
    // Moved to another calendar: take it out of the old one first.
    if let Some(old) = row.filter(|r| r.is_present() && r.calendar_id != calendar_id) {
        let old_calendar = old.calendar_id.clone();
        let deleted = session.call(|t| {
            let (cal, id) = (old_calendar.clone(), id.clone());
            async move { google.delete_event(&t, &cal, &id).await }
        });
        match deleted.await {
            Ok(()) | Err(CallError::Google(GoogleError::Gone(_))) => {}
            Err(error) => return Err(error),
        }
    }
    let inserted = session.call(|t| {
        let (cal, id) = (calendar_id.clone(), id.clone());
        async move { google.insert_event(&t, &cal, &id, event).await }
    });
    let written = match inserted.await {
        Ok(written) => written,
        // Already there (a retry after a crash, a duplicate job, or an event deleted at Google
        // that keeps its id): make it match.
        Err(CallError::Google(GoogleError::AlreadyExists)) => {
            let patched = session.call(|t| {
                let (cal, id) = (calendar_id.clone(), id.clone());
                async move { google.patch_event(&t, &cal, &id, event).await }
            });
            patched.await?
        }
        Err(error) => return Err(error),
    };
    let w = Written {
        booking: booking.id,
        connection: session.connection.id,
        calendar_id: &calendar_id,
        event_id: &id,
        etag: &written.etag,
        state: PRESENT,
        version,
        starts_at: booking.starts_at.unix(),
        ends_at: booking.ends_at.unix(),
    };
    syncs::record(&session.deps.db, tenant.id, &w, session.deps.clock.now_ts()).await?;
    Ok(())
}

/// Deletes the booking's event from a calendar that should no longer hold it.
async fn remove(
    session: &mut Session<'_>,
    tenant: &Tenant,
    row: &EventSync,
    version: i64,
) -> Result<(), CallError> {
    let google = session.google;
    let deleted = session.call(|t| {
        let (cal, id) = (row.calendar_id.clone(), row.event_id.clone());
        async move { google.delete_event(&t, &cal, &id).await }
    });
    match deleted.await {
        Ok(()) | Err(CallError::Google(GoogleError::Gone(_))) => {}
        Err(error) => return Err(error),
    }
    let w = Written {
        booking: row.booking_id,
        connection: row.connection_id,
        calendar_id: &row.calendar_id,
        event_id: &row.event_id,
        etag: "",
        state: DELETED,
        version,
        starts_at: row.starts_at.unix(),
        ends_at: row.ends_at.unix(),
    };
    syncs::record(&session.deps.db, tenant.id, &w, session.deps.clock.now_ts()).await?;
    Ok(())
}

fn same_times(found: &Event, wanted: &NewEvent) -> bool {
    let instant = |t: &Option<EventTime>| {
        t.as_ref().and_then(|t| DateTime::parse_from_rfc3339(&t.date_time).ok())
    };
    let wanted_start = DateTime::parse_from_rfc3339(&wanted.start.date_time).ok();
    let wanted_end = DateTime::parse_from_rfc3339(&wanted.end.date_time).ok();
    instant(&found.start) == wanted_start && instant(&found.end) == wanted_end
}

/// The event as Portico writes it: service and client in the title, the booking link in the
/// description (with the client's email and phone only when the owner enabled that on the
/// calendar page), the place (address or meeting link) as the event's location, times in the
/// tenant's zone (with the offset of that day, so DST is right).
async fn new_event(deps: &Deps, tenant: &Tenant, booking: &Booking) -> anyhow::Result<NewEvent> {
    let (party, email, phone) = match booking.client_id {
        Some(id) => clients::get(&deps.db, tenant.id, id.get())
            .await?
            .map(|c| (c.name, c.email, c.phone))
            .unwrap_or_default(),
        None => {
            (booking.guest_name.clone(), booking.guest_email.clone(), booking.guest_phone.clone())
        }
    };
    let time = |ts: i64| EventTime {
        date_time: DateTime::from_timestamp(ts, 0)
            .unwrap_or_default()
            .with_timezone(&tenant.timezone)
            .to_rfc3339_opts(SecondsFormat::Secs, false),
        time_zone: Some(tenant.timezone.name().to_owned()),
    };
    let link = deps.absolute(&format!("/app/{}/bookings/{}", tenant.slug, booking.id));
    let place = booking
        .place(tenant)
        .map(|place| format!("\n{}: {place}\n", booking.location_kind.label()))
        .unwrap_or_default();
    let mut description =
        format!("{} with {} at {}.\n{place}", booking.service_name, party, tenant.name);
    if calendar::contact_details(&deps.db, tenant.id).await? {
        for (label, value) in [("Email", email), ("Phone", phone)] {
            if !value.is_empty() {
                description.push_str(&format!("{label}: {value}\n"));
            }
        }
    }
    description.push_str(&format!("\nBooking: {link}"));
    Ok(NewEvent {
        summary: format!("{} · {}", booking.service_name, party),
        description,
        // The address (the business's or the client's) or the meeting link, which Google
        // shows as a map or a link.
        location: booking.place_parts(tenant, false).1.unwrap_or_default(),
        start: time(booking.starts_at.unix()),
        end: time(booking.ends_at.unix()),
    })
}
