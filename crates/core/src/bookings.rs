//! Booking workflows. Each runs in one write transaction: lock → fresh read → policy and
//! state machine → write → event row → jobs and audit ([`crate::effects`]) → schedule version
//! bump (so cached availability is refreshed, [`versions`]) → commit.

use chrono::{DateTime, Duration, Utc};
use portico_domain::booking::{self, Action, Actor, Status};
use portico_domain::policy::{self, Changer};
use portico_domain::{BookingId, ClientId, SeriesId, StaffId};
use portico_store::bookings::events::{self, NewEvent};
use portico_store::bookings::write::{self, NewRow, Placement};
use portico_store::bookings::{Booking, BookingError, Party, Slot};
use portico_store::catalog::{self, LocationKind, Service};
use portico_store::tenants::Tenant;
use portico_store::versions::ScheduleTx;
use portico_store::{Db, Tx, clients, versions};

use crate::Context;
use crate::effects::{self, BookingEvent, Cause, EventKind};

type Result<T> = std::result::Result<T, BookingError>;

/// A new hold: its plain token (shown once) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub staff_id: Option<i64>,
    pub block_id: Option<i64>,
}

/// Reserves `slot` for the tenant's hold time; it counts against capacity until it expires
/// or becomes a booking. Holds follow the public rules (notice, advance) whoever asks.
pub async fn hold(
    db: &Db,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
    now: DateTime<Utc>,
) -> Result<Hold> {
    let mut tx = write::begin(db, tenant, service, slot).await?;
    write::lock(&mut tx, tenant, service, slot, now).await?;
    let placement = write::place(&mut tx, tenant, service, slot, now, false, None).await?;
    let expires_at = now + Duration::minutes(i64::from(tenant.scheduling.hold_minutes.max(1)));
    let token = write::insert_hold(
        &mut tx,
        tenant,
        service,
        &placement,
        expires_at.timestamp(),
        now.timestamp(),
    )
    .await?;
    tx.commit().await?;
    Ok(Hold {
        token,
        expires_at,
        starts_at: slot.start,
        staff_id: placement.staff,
        block_id: placement.block,
    })
}

/// Everything needed to create a booking.
#[derive(Debug, Clone)]
pub struct NewBooking<'a> {
    pub service: &'a Service,
    pub slot: Slot,
    pub party: Party,
    pub notes: String,
    /// The checkout's hold, consumed by the booking (which lands exactly where it was).
    pub hold_token: Option<&'a str>,
    /// Where the appointment takes place when the service comes to the client; empty = the
    /// client's stored address. Ignored for other services.
    pub address: String,
}

/// Where a new booking takes place (see `Booking::location`): the client's address, given
/// or stored; the owner's meeting room or a new, unguessable one under `meeting_base`;
/// nothing at the business.
async fn location(
    tx: &mut Tx,
    tenant: &Tenant,
    service: &Service,
    new: &NewBooking<'_>,
    meeting_base: &str,
) -> Result<String> {
    Ok(match service.location_kind {
        LocationKind::Business => String::new(),
        LocationKind::Client => {
            let mut address = new.address.trim().to_owned();
            if let (true, Party::Client(id)) = (address.is_empty(), &new.party) {
                address = clients::address_in(tx, tenant.id, *id).await?.trim().to_owned();
            }
            if address.is_empty() {
                return Err(BookingError::AddressRequired);
            }
            address
        }
        LocationKind::Online if !service.meeting_url.is_empty() => service.meeting_url.clone(),
        LocationKind::Online => {
            let room: String = portico_store::tokens::generate().chars().take(24).collect();
            format!("{meeting_base}/Portico-{room}")
        }
    })
}

/// Creates a confirmed booking (from the public page, the portal, the dashboard, the API, or
/// a hold). Providers are not bound by notice and advance rules.
pub async fn create(
    db: &Db,
    tenant: &Tenant,
    new: &NewBooking<'_>,
    ctx: &Context,
) -> Result<Booking> {
    create_with(db, tenant, new, None, ctx).await
}

/// [`create`] for an occurrence of a recurring series.
pub(crate) async fn create_occurrence(
    db: &Db,
    tenant: &Tenant,
    new: &NewBooking<'_>,
    series: SeriesId,
    ctx: &Context,
) -> Result<Booking> {
    create_with(db, tenant, new, Some(series), ctx).await
}

async fn create_with(
    db: &Db,
    tenant: &Tenant,
    new: &NewBooking<'_>,
    series: Option<SeriesId>,
    ctx: &Context,
) -> Result<Booking> {
    let mut tx = write::begin(db, tenant, new.service, &new.slot).await?;
    let booking = create_in(&mut tx, tenant, new, series, ctx).await?;
    tx.commit().await?;
    Ok(booking)
}

/// [`create`] inside the caller's transaction (begun with [`write::begin`] or
/// [`versions::begin`]): lock, hold, placement, overlap, row, event, jobs and audit; the
/// caller commits. A refusal writes nothing (the caller may try again in the same
/// transaction, or drop it).
pub(crate) async fn create_in(
    tx: &mut ScheduleTx,
    tenant: &Tenant,
    new: &NewBooking<'_>,
    series: Option<SeriesId>,
    ctx: &Context,
) -> Result<Booking> {
    let now = ctx.now;
    write::lock(tx, tenant, new.service, &new.slot, now).await?;
    let slot = match new.hold_token {
        Some(token) => {
            write::consume_hold(tx, tenant, new.service, &new.slot, token, now.timestamp()).await?
        }
        None => new.slot,
    };
    let provider = ctx.actor.is_provider();
    let placement = write::place(tx, tenant, new.service, &slot, now, provider, None).await?;
    write::check_overlap(tx, tenant, new.service, &placement, &new.party, None).await?;
    let location = location(tx, tenant, new.service, new, &ctx.meeting_base).await?;
    let row = NewRow {
        service: new.service,
        placement,
        party: &new.party,
        notes: &new.notes,
        series,
        location: &location,
    };
    let event = NewEvent {
        action: EventKind::Created.action(),
        actor: ctx.actor,
        from: None,
        to: Some((placement.start, placement.staff)),
        detail: "",
    };
    let (event_id, booking) =
        write::insert_recorded(tx, tenant, &row, &event, now.timestamp()).await?;
    let cause = if series.is_some() { Cause::Series } else { Cause::Direct };
    apply(tx, tenant, event_id, booking, EventKind::Created, cause, ctx).await
}

/// Records the event, writes its jobs and audit row, commits, and returns the booking.
async fn finish(
    mut tx: versions::ScheduleTx,
    tenant: &Tenant,
    id: BookingId,
    event: &NewEvent<'_>,
    kind: EventKind,
    cause: Cause,
    ctx: &Context,
) -> Result<Booking> {
    let booking = record(&mut tx, tenant, id, event, kind, cause, ctx).await?;
    tx.commit().await?;
    Ok(booking)
}

/// Records the event and writes its jobs and audit row; returns the booking.
async fn record(
    tx: &mut ScheduleTx,
    tenant: &Tenant,
    id: BookingId,
    event: &NewEvent<'_>,
    kind: EventKind,
    cause: Cause,
    ctx: &Context,
) -> Result<Booking> {
    let (event_id, booking) =
        events::record_and_get(tx, tenant, id, event, ctx.now.timestamp()).await?;
    let booking = booking.ok_or(BookingError::NotFound)?;
    apply(tx, tenant, event_id, booking, kind, cause, ctx).await
}

/// Writes the jobs and audit row of the recorded event `event_id`; returns the booking.
async fn apply(
    tx: &mut ScheduleTx,
    tenant: &Tenant,
    event_id: i64,
    booking: Booking,
    kind: EventKind,
    cause: Cause,
    ctx: &Context,
) -> Result<Booking> {
    let recorded =
        BookingEvent { id: event_id, tenant, booking: &booking, kind, cause, actor: ctx.actor };
    effects::apply(tx, &recorded, ctx).await?;
    Ok(booking)
}

/// Whether `actor` may do `action` to `booking` at `now`: the tenant's rules for clients and
/// guests (cut-off, self-service allowed) and the state machine. Pages call it to explain a
/// refusal up front; every workflow checks it again under its lock.
pub fn check(
    tenant: &Tenant,
    booking: &Booking,
    action: Action,
    actor: Actor,
    client_may_self_serve: bool,
    now: DateTime<Utc>,
) -> Result<Status> {
    let to = booking::transition(booking.status(), action, actor, booking.started(now))?;
    let changer = match actor {
        Actor::Client(_) => Changer::Client { can_self_reschedule: client_may_self_serve },
        Actor::Guest => Changer::Guest,
        _ => Changer::Provider,
    };
    let rules = &tenant.scheduling;
    match action {
        Action::Cancel => {
            // A series occurrence booked moments ago keeps a grace period past the cut-off.
            let booked_at = booking
                .series_id
                .and_then(|_| DateTime::from_timestamp(booking.created_at.unix(), 0));
            policy::may_cancel(
                changer,
                now,
                booking.start(),
                rules.cancel_cutoff_hours,
                booked_at,
                rules.series_cancel_grace_minutes,
            )?;
        }
        Action::Reschedule => {
            policy::may_change(changer, now, booking.start(), rules.cancel_cutoff_hours)?;
        }
        _ => {}
    }
    Ok(to)
}

/// Who asks, as far as the tenant's rules care: for a client, their record at the tenant
/// (none = no booking of theirs exists there) and whether they may change bookings themselves.
#[derive(Debug, Clone, Copy)]
struct Asker {
    client: Option<(ClientId, bool)>,
}

impl Asker {
    async fn of(db: &Db, tenant: &Tenant, actor: Actor) -> Result<Self> {
        let Actor::Client(user) = actor else { return Ok(Self { client: None }) };
        let client = clients::for_user(db, tenant.id, user).await?.ok_or(BookingError::NotFound)?;
        Ok(Self { client: Some((client.id, client.can_self_reschedule != 0)) })
    }

    /// A client may only touch their own bookings (another's is not found); returns whether
    /// they may change it themselves.
    fn self_serve(self, booking: &Booking) -> Result<bool> {
        match self.client {
            None => Ok(false),
            Some((id, allowed)) if booking.client_id == Some(id) => Ok(allowed),
            Some(_) => Err(BookingError::NotFound),
        }
    }
}

/// Cancels a booking (its place is free again); the party and the business are told.
pub async fn cancel(db: &Db, tenant: &Tenant, id: i64, ctx: &Context) -> Result<Booking> {
    set_final(db, tenant, id, Action::Cancel, EventKind::Cancelled, Cause::Direct, ctx).await
}

/// Marks a started booking completed (the business only).
pub async fn complete(db: &Db, tenant: &Tenant, id: i64, ctx: &Context) -> Result<Booking> {
    set_final(db, tenant, id, Action::Complete, EventKind::Completed, Cause::Direct, ctx).await
}

/// Marks a started booking a no-show (the business only).
pub async fn no_show(db: &Db, tenant: &Tenant, id: i64, ctx: &Context) -> Result<Booking> {
    set_final(db, tenant, id, Action::NoShow, EventKind::NoShow, Cause::Direct, ctx).await
}

pub(crate) async fn set_final(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    action: Action,
    kind: EventKind,
    cause: Cause,
    ctx: &Context,
) -> Result<Booking> {
    let asker = Asker::of(db, tenant, ctx.actor).await?;
    let mut tx = versions::begin(db, tenant.id).await?;
    // Fresh, under the write lock: a concurrent change is seen, never overwritten.
    let before = portico_store::bookings::get_in(&mut tx, tenant, id)
        .await?
        .ok_or(BookingError::NotFound)?;
    let self_serve = asker.self_serve(&before)?;
    let to = check(tenant, &before, action, ctx.actor, self_serve, ctx.now)?;
    write::set_status(&mut tx, tenant, before.id, before.status(), to, ctx.now.timestamp()).await?;
    let event = NewEvent {
        action: kind.action(),
        actor: ctx.actor,
        from: Some((before.starts_at.unix(), before.staff_id.map(StaffId::get))),
        to: None,
        detail: "",
    };
    finish(tx, tenant, before.id, &event, kind, cause, ctx).await
}

/// Moves a booking to `slot` under the same rules as a new booking (its own place does not
/// count against it); the party and the business are told.
pub async fn reschedule(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    slot: &Slot,
    ctx: &Context,
) -> Result<Booking> {
    let asker = Asker::of(db, tenant, ctx.actor).await?;
    // The service decides which locks to take, so it is read before the transaction.
    let current =
        portico_store::bookings::get(db, tenant, id).await?.ok_or(BookingError::NotFound)?;
    asker.self_serve(&current)?;
    let service = catalog::by_id(db, tenant.id, current.service_id.get())
        .await?
        .ok_or(BookingError::NotFound)?;
    let mut tx = write::begin(db, tenant, &service, slot).await?;
    write::lock(&mut tx, tenant, &service, slot, ctx.now).await?;
    let before = portico_store::bookings::get_in(&mut tx, tenant, id)
        .await?
        .ok_or(BookingError::NotFound)?;
    let self_serve = asker.self_serve(&before)?;
    check(tenant, &before, Action::Reschedule, ctx.actor, self_serve, ctx.now)?;
    let provider = ctx.actor.is_provider();
    let placement: Placement =
        write::place(&mut tx, tenant, &service, slot, ctx.now, provider, Some(before.id)).await?;
    let party = match before.client_id {
        Some(client) => Party::Client(client),
        None => Party::Guest {
            name: before.guest_name.clone(),
            email: before.guest_email.clone(),
            phone: before.guest_phone.clone(),
        },
    };
    write::check_overlap(&mut tx, tenant, &service, &placement, &party, Some(before.id)).await?;
    write::move_to(&mut tx, tenant, before.id, &placement, ctx.now.timestamp()).await?;
    let event = NewEvent {
        action: EventKind::Rescheduled.action(),
        actor: ctx.actor,
        from: Some((before.starts_at.unix(), before.staff_id.map(StaffId::get))),
        to: Some((placement.start, placement.staff)),
        detail: "",
    };
    finish(tx, tenant, before.id, &event, EventKind::Rescheduled, Cause::Direct, ctx).await
}
