//! Schedule changes over confirmed bookings (new time off, changed weekly hours): the bookings
//! they would leave out are listed and nothing is saved until the owner (or the staff member
//! editing their own hours) chooses to keep them
//! or to cancel them and tell the clients. Both forms share this.

use portico_domain::StaffId;
use std::collections::HashMap;

use chrono::{DateTime, Datelike as _, Timelike as _};
use portico_store::bookings::{self, Booking, BookingError, Filter};
use portico_store::hours::HourRange;
use portico_store::tenants::Tenant;

use super::Person;
use super::page::AffectedBooking;
use crate::auth::TenantScope;
use crate::{AppState, Error};

/// The most bookings one change lists and handles.
const LIMIT: i64 = 500;

/// The owner's choice for the bookings a change leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Choice {
    Keep,
    Cancel,
}

impl Choice {
    /// The posted `bookings` field: `keep` or `cancel`; anything else is no choice yet.
    pub(super) fn parse(text: &str) -> Option<Self> {
        match text {
            "keep" => Some(Self::Keep),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }
}

/// The person's own appointments (not timetable blocks) that still occupy their time and
/// overlap `[from, to)`.
pub(super) async fn open_bookings(
    state: &AppState,
    scope: &TenantScope,
    person: &Person,
    from: i64,
    to: i64,
) -> Result<Vec<Booking>, Error> {
    let filter = Filter { from: Some(from), to: Some(to), limit: Some(LIMIT), ..Filter::default() };
    Ok(bookings::list(&state.db, &scope.tenant, &filter)
        .await?
        .into_iter()
        .filter(|b| {
            b.status.occupies()
                && b.block_id.is_none()
                && b.staff_id.map(StaffId::get) == person.id()
        })
        .collect())
}

/// "1 confirmed booking falls …" / "3 confirmed bookings fall …", then `rest`.
pub(super) fn count_message(count: usize, rest: &str) -> String {
    match count {
        1 => format!("1 confirmed booking falls {rest}"),
        n => format!("{n} confirmed bookings fall {rest}"),
    }
}

/// The bookings as the page lists them, with the client's or guest's name.
pub(super) async fn listed(
    state: &AppState,
    scope: &TenantScope,
    inside: &[Booking],
) -> Result<Vec<AffectedBooking>, Error> {
    let from = inside.iter().map(|b| b.starts_at.unix()).min().unwrap_or_default();
    let to = inside.iter().map(|b| b.ends_at.unix()).max().unwrap_or_default();
    let names: HashMap<i64, String> =
        bookings::party_names(&state.db, &scope.tenant, from, to + 1).await?.into_iter().collect();
    Ok(inside
        .iter()
        .map(|b| AffectedBooking {
            id: b.id.get(),
            starts_at: b.starts_at.unix(),
            service: b.service_name.clone(),
            party: names.get(&b.id.get()).cloned().unwrap_or_default(),
        })
        .collect())
}

/// Carries out the owner's choice once the change is saved, and says what happened after
/// `done` ("Time off added.").
pub(super) async fn apply(
    state: &AppState,
    scope: &TenantScope,
    choice: Option<Choice>,
    inside: &[Booking],
    done: &str,
) -> Result<String, Error> {
    Ok(match (choice, inside.len()) {
        (_, 0) => done.to_owned(),
        (Some(Choice::Cancel), n) => {
            let ctx = state.context(super::actor(scope), scope.viewer.ip_string());
            for booking in inside {
                // One that changed meanwhile (cancelled by its client) is no longer ours to
                // cancel; the rest go on.
                match portico_core::bookings::cancel(
                    &state.db,
                    &scope.tenant,
                    booking.id.get(),
                    &ctx,
                )
                .await
                {
                    Ok(_) | Err(BookingError::Refused(_) | BookingError::NotFound) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            format!("{done} {n} booking(s) cancelled; the clients are being told.")
        }
        (_, n) => format!("{done} {n} booking(s) are kept."),
    })
}

/// Whether weekly `hours` cover the booking: one range of its local weekday holds it whole
/// (a booking past midnight counts up to 24:00).
pub(super) fn within_hours(tenant: &Tenant, hours: &[HourRange], booking: &Booking) -> bool {
    let start = DateTime::from_timestamp(booking.starts_at.unix(), 0)
        .unwrap_or_default()
        .with_timezone(&tenant.timezone);
    let weekday = i64::from(start.weekday().number_from_monday());
    let from = i64::from(start.hour() * 60 + start.minute());
    let until =
        (from + (booking.ends_at.unix() - booking.starts_at.unix()).div_euclid(60)).min(24 * 60);
    hours.iter().any(|r| r.weekday == weekday && r.start_minute <= from && until <= r.end_minute)
}
