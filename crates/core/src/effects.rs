//! What follows from a booking event: the jobs (one function, [`jobs_for`]) and the audit
//! row, written in the transaction of the change. Calendar sync, billing and reminders each
//! add their line to [`jobs_for`]; no handler picks jobs.

use portico_domain::booking::Actor;
use portico_domain::plans::{Feature, allows};
use portico_jobs::{BookingNotice, CalendarSync, outgoing};
use portico_store::audit;
use portico_store::bookings::Booking;
use portico_store::outbox::NewJob;
use portico_store::tenants::Tenant;
use portico_store::versions::ScheduleTx;

use crate::Context;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Created,
    Rescheduled,
    Cancelled,
    Completed,
    NoShow,
}

impl EventKind {
    /// The history's name (`booking_events.action`).
    pub fn action(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Rescheduled => "rescheduled",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
            Self::NoShow => "no_show",
        }
    }
}

/// Why it happened: a person's request, or a recurring series (whose occurrences are
/// confirmed on the series page, not one email each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Direct,
    Series,
}

/// A booking event as recorded: the `booking_events` row and the booking after the change.
#[derive(Debug, Clone, Copy)]
pub struct BookingEvent<'a> {
    /// The `booking_events` row.
    pub id: i64,
    pub tenant: &'a Tenant,
    pub booking: &'a Booking,
    pub kind: EventKind,
    pub cause: Cause,
    pub actor: Actor,
}

/// The one function that chooses the background jobs of a booking event, in `ctx` (which
/// says whether this deployment syncs Google Calendar at all).
pub fn jobs_for(event: &BookingEvent<'_>, ctx: &Context) -> anyhow::Result<Vec<NewJob>> {
    let mut jobs = Vec::new();
    // The party, the owners and the staff member hear of confirmations, moves and
    // cancellations that people made; attendance (completed, no-show) is nobody's news, and
    // Portico's own changes (series occurrences, seeding) are not announced one by one.
    let notice = match (event.cause, event.kind) {
        (Cause::Series, _) => None,
        _ if event.actor == Actor::System => None,
        (Cause::Direct, EventKind::Created) => Some("confirmed"),
        (Cause::Direct, EventKind::Rescheduled) => Some("rescheduled"),
        (Cause::Direct, EventKind::Cancelled) => Some("cancelled"),
        (Cause::Direct, EventKind::Completed | EventKind::NoShow) => None,
    };
    // Google Calendar (PRO): the worker makes every connected calendar match the booking. By
    // the stored plan: a lapsed PRO still queues it and the job pauses; after a move back from
    // FREE the next periodic refresh syncs every booking changed meanwhile. A deployment
    // without Google configured has no calendar to sync (the job would return at once).
    if ctx.calendar_sync() && allows(event.tenant.plan, Feature::GoogleCalendar) {
        let sync =
            CalendarSync { tenant_id: event.tenant.id.get(), booking_id: event.booking.id.get() };
        jobs.push(outgoing(&sync)?);
    }
    if let Some(notice) = notice {
        jobs.push(outgoing(&BookingNotice {
            tenant_id: event.tenant.id.get(),
            booking_id: event.booking.id.get(),
            event: notice.to_owned(),
            event_id: Some(event.id),
        })?);
    }
    Ok(jobs)
}

/// Writes the event's jobs and its audit row in the change's transaction: both are handed to
/// it and written by its commit (on PostgreSQL in the statement that bumps the schedule
/// version, [`ScheduleTx::commit`]), since nothing in the transaction reads them back.
pub(crate) async fn apply(
    tx: &mut ScheduleTx,
    event: &BookingEvent<'_>,
    ctx: &Context,
) -> anyhow::Result<()> {
    let now = ctx.now.timestamp();
    portico_jobs::enqueue_at_commit(tx, &jobs_for(event, ctx)?, now);
    // Billing is part of the change itself (credit must not be spent twice), not a job.
    crate::billing::on_event(tx, event, ctx).await?;
    let (_, user) = ctx.actor.parts();
    let b = event.booking;
    let detail = format!(
        "booking {} ({}, {}) by {}",
        b.id,
        b.service_code,
        b.start().format("%Y-%m-%d %H:%M UTC"),
        ctx.actor.parts().0
    );
    let entry = audit::Entry {
        tenant: Some(event.tenant.id),
        actor: user,
        action: &format!("booking.{}", event.kind.action()),
        detail,
        ip: &ctx.ip,
    };
    tx.audit_at_commit(&entry, now);
    Ok(())
}
