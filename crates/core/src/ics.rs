//! Calendar files (RFC 5545) of bookings: the invitation attached to confirmation and change
//! emails (`METHOD:REQUEST`, or `METHOD:CANCEL` for a cancellation), and the private feeds.
//! Each booking has one stable `UID`, and `SEQUENCE` grows with each change, so a calendar
//! replaces its copy instead of adding another. Times are written in UTC.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component as _, Event, EventLike as _, EventStatus};
use portico_domain::booking::Status;
use portico_store::bookings::Booking;
use portico_store::tenants::Tenant;

/// What an emailed calendar file asks of the recipient's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add or update the event.
    Request,
    /// Remove it.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

/// The booking's calendar identity, the same in every file and feed.
pub fn uid(booking: &Booking) -> String {
    format!("booking-{}-{}@portico", booking.tenant_id, booking.id)
}

/// The event's title as a calendar shows it.
pub fn title(tenant: &Tenant, booking: &Booking) -> String {
    format!("{} · {}", booking.service_name, tenant.name)
}

fn event(
    tenant: &Tenant,
    booking: &Booking,
    sequence: u32,
    now: DateTime<Utc>,
    link: &str,
) -> Event {
    let start = DateTime::from_timestamp(booking.starts_at.unix(), 0).unwrap_or_default();
    let end = DateTime::from_timestamp(booking.ends_at.unix(), 0).unwrap_or_default();
    let status = match booking.status {
        Status::Cancelled => EventStatus::Cancelled,
        Status::Pending => EventStatus::Tentative,
        _ => EventStatus::Confirmed,
    };
    let mut event = Event::new();
    event
        .uid(&uid(booking))
        .sequence(sequence)
        .timestamp(now)
        .summary(&title(tenant, booking))
        .starts(start)
        .ends(end)
        .status(status);
    if let Some(place) = booking.place(tenant) {
        event.location(&place);
    }
    if !link.is_empty() {
        event.url(link).description(link);
    }
    event.done()
}

/// The file attached to an email about `booking`: one event with `method`.
pub fn invitation(
    tenant: &Tenant,
    booking: &Booking,
    method: Method,
    sequence: u32,
    now: DateTime<Utc>,
    link: &str,
) -> String {
    let mut calendar = Calendar::new();
    calendar.append_property(("METHOD", method.as_str()));
    calendar.push(event(tenant, booking, sequence, now, link));
    calendar.done().to_string()
}

/// A feed of `bookings` named `name` (each with its sequence). Feeds are published, not sent,
/// so they carry `METHOD:PUBLISH`.
pub fn feed(
    name: &str,
    tenant: &Tenant,
    bookings: &[(Booking, u32)],
    now: DateTime<Utc>,
) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).append_property(("METHOD", "PUBLISH"));
    for (booking, sequence) in bookings {
        calendar.push(event(tenant, booking, *sequence, now, ""));
    }
    calendar.done().to_string()
}
