//! Bookings and holds, written so capacity is never oversold.
//!
//! Every write that consumes capacity runs in one transaction that
//! 1. takes the lock serializing competitors for the same capacity — the block row (block
//!    mode), or the row of each person who could take the slot (a staff row, or the tenant row
//!    for the owner) in id order; on SQLite `BEGIN IMMEDIATE` already holds the write lock;
//! 2. re-checks availability with fresh data **on the same connection** (the engine in
//!    `portico_domain::schedule`, fed by `availability::options_in`);
//! 3. writes.
//!
//! A competitor that loses gets [`BookingError::Unavailable`].

use chrono::{DateTime, Duration, Utc};
use portico_domain::{ClientId, UserId};
use serde::Serialize;
use sqlx::{Any, AnyConnection, FromRow};

use crate::availability::{self, Query};
use crate::blocks::OCCUPYING;
use crate::catalog::{Mode, Service};
use crate::outbox::{self, NewJob};
use crate::tenants::Tenant;
use crate::{Db, Tx, tokens};

/// Why a booking change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// The place was taken meanwhile, or never existed.
    #[error("that time is no longer available")]
    Unavailable,
    /// The hold token is unknown, expired, used, or for another place.
    #[error("the reservation has expired")]
    HoldInvalid,
    #[error("booking not found")]
    NotFound,
    /// E.g. cancelling a cancelled booking.
    #[error("{0}")]
    InvalidState(&'static str),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for BookingError {
    fn from(error: sqlx::Error) -> Self {
        Self::Other(error.into())
    }
}

type Result<T> = std::result::Result<T, BookingError>;

/// Lifecycle of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Confirmed,
    Cancelled,
    Completed,
    NoShow,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
            Self::NoShow => "no_show",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "pending" => Self::Pending,
            "confirmed" => Self::Confirmed,
            "cancelled" => Self::Cancelled,
            "completed" => Self::Completed,
            "no_show" => Self::NoShow,
            _ => return None,
        })
    }

    /// Whether the booking still occupies its place.
    pub fn occupies(self) -> bool {
        matches!(self, Self::Pending | Self::Confirmed)
    }
}

/// Who a booking is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Client(ClientId),
    Guest { name: String, email: String, phone: String },
}

/// Who made a change, for the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Client(UserId),
    Guest,
    Owner(UserId),
    Staff(UserId),
    Api,
    System,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Self::Client(u) => ("client", Some(u.0)),
            Self::Guest => ("guest", None),
            Self::Owner(u) => ("owner", Some(u.0)),
            Self::Staff(u) => ("staff", Some(u.0)),
            Self::Api => ("api", None),
            Self::System => ("system", None),
        }
    }

    /// Owners, staff and the provider API are not bound by notice and advance rules.
    pub fn is_provider(self) -> bool {
        matches!(self, Self::Owner(_) | Self::Staff(_) | Self::Api | Self::System)
    }
}

/// Where to book: a start instant, and the person or block asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    /// A specific staff member; `None` = any available (or the owner on FREE).
    pub staff: Option<i64>,
    /// The block, in block mode.
    pub block: Option<i64>,
}

/// A booking as stored, with its service.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct Booking {
    pub id: i64,
    pub tenant_id: i64,
    pub service_id: i64,
    pub service_code: String,
    pub service_name: String,
    pub staff_id: Option<i64>,
    pub block_id: Option<i64>,
    pub client_id: Option<i64>,
    pub guest_name: String,
    pub guest_email: String,
    pub guest_phone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub status: String,
    pub notes: String,
    pub price_minor: i64,
    pub currency: String,
    pub created_at: i64,
    /// The recurring series this booking is an occurrence of.
    pub series_id: Option<i64>,
}

impl Booking {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Cancelled)
    }

    pub fn start(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.starts_at, 0).unwrap_or_default()
    }
}

const SELECT: &str = "select b.id, b.tenant_id, b.service_id, s.code as service_code, \
    s.name as service_name, b.staff_id, b.block_id, b.client_id, b.guest_name, b.guest_email, \
    b.guest_phone, b.starts_at, b.ends_at, b.status, b.notes, b.price_minor, b.currency, \
    b.created_at, b.series_id from bookings b join services s on s.id = b.service_id";

/// Where a booking or hold lands after the re-check.
#[derive(Debug, Clone, Copy)]
struct Placement {
    start: i64,
    end: i64,
    busy_from: i64,
    busy_until: i64,
    staff: Option<i64>,
    block: Option<i64>,
}

/// Takes the locks that serialize everyone competing for `slot`'s capacity.
async fn lock(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
    now: DateTime<Utc>,
) -> Result<()> {
    match service.mode {
        Mode::Block => {
            let block = slot.block.ok_or(BookingError::Unavailable)?;
            let locked = sqlx::query("update timetable_blocks set updated_at = updated_at where id = $1 and tenant_id = $2")
                .bind(block)
                .bind(tenant.id.0)
                .execute(&mut *conn)
                .await?;
            if locked.rows_affected() != 1 {
                return Err(BookingError::Unavailable);
            }
        }
        Mode::Slot => {
            let mut people = match slot.staff {
                Some(staff) => vec![Some(staff)],
                None => availability::people_in(conn, tenant, service, now).await?,
            };
            people.sort_unstable();
            for person in people {
                let locked = match person {
                    Some(staff) => {
                        sqlx::query("update staff_members set updated_at = updated_at where id = $1 and tenant_id = $2")
                            .bind(staff)
                            .bind(tenant.id.0)
                            .execute(&mut *conn)
                            .await?
                    }
                    None => {
                        sqlx::query("update tenants set updated_at = updated_at where id = $1")
                            .bind(tenant.id.0)
                            .execute(&mut *conn)
                            .await?
                    }
                };
                if locked.rows_affected() != 1 {
                    return Err(BookingError::Unavailable);
                }
            }
        }
    }
    Ok(())
}

/// Re-checks, with the data visible now, that `slot` can be taken; returns where it lands.
async fn place(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
    now: DateTime<Utc>,
    provider: bool,
    except_booking: Option<i64>,
) -> Result<Placement> {
    // Providers may book inside the notice period and far ahead; capacity and hours still hold.
    let mut rules = tenant.clone();
    if provider {
        rules.scheduling.min_notice_minutes = 0;
        rules.scheduling.max_advance_days = 3650;
    }
    let from = availability::local_date(tenant, slot.start);
    let query = Query { from, days: 1, staff: slot.staff, now, except_booking };
    let options = availability::options_in(conn, &rules, service, &query).await?;
    let option = options
        .into_iter()
        .find(|o| o.start == slot.start && (service.mode == Mode::Slot || o.block_id == slot.block))
        .ok_or(BookingError::Unavailable)?;
    let (start, end) = (option.start.timestamp(), option.end.timestamp());
    Ok(match service.mode {
        Mode::Block => Placement {
            start,
            end,
            busy_from: start,
            busy_until: end,
            staff: None,
            block: option.block_id,
        },
        Mode::Slot => Placement {
            start,
            end,
            busy_from: start - i64::from(service.buffer_before_minutes) * 60,
            busy_until: end + i64::from(service.buffer_after_minutes) * 60,
            staff: option.staff_id,
            block: None,
        },
    })
}

/// A new hold: its plain token (shown once) and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub staff_id: Option<i64>,
    pub block_id: Option<i64>,
}

/// Reserves `slot` for the tenant's hold time; it counts against capacity until it expires
/// or becomes a booking.
pub async fn hold(
    db: &Db,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
    now: DateTime<Utc>,
) -> Result<Hold> {
    let mut tx = db.begin_write().await?;
    lock(&mut tx, tenant, service, slot, now).await?;
    let placement = place(&mut tx, tenant, service, slot, now, false, None).await?;
    let token = tokens::generate();
    let expires_at = now + Duration::minutes(i64::from(tenant.scheduling.hold_minutes.max(1)));
    sqlx::query(
        "insert into holds (tenant_id, token_hash, service_id, staff_id, block_id, starts_at, ends_at, \
         busy_from, busy_until, expires_at, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant.id.0)
    .bind(tokens::hash(&token))
    .bind(service.id)
    .bind(placement.staff)
    .bind(placement.block)
    .bind(placement.start)
    .bind(placement.end)
    .bind(placement.busy_from)
    .bind(placement.busy_until)
    .bind(expires_at.timestamp())
    .bind(now.timestamp())
    .execute(&mut *tx)
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

/// Marks the hold used, if it is valid for this tenant, service and start.
async fn consume_hold(
    tx: &mut Tx,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
    token: &str,
    now: i64,
) -> Result<Slot> {
    let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
        "update holds set consumed_at = $1 where token_hash = $2 and tenant_id = $3 and service_id = $4 \
         and starts_at = $5 and consumed_at is null and expires_at > $1 returning staff_id, block_id",
    )
    .bind(now)
    .bind(tokens::hash(token))
    .bind(tenant.id.0)
    .bind(service.id)
    .bind(slot.start.timestamp())
    .fetch_optional(&mut **tx)
    .await?;
    let (staff, block) = row.ok_or(BookingError::HoldInvalid)?;
    if (slot.staff.is_some() && slot.staff != staff)
        || (slot.block.is_some() && slot.block != block)
    {
        return Err(BookingError::HoldInvalid);
    }
    // The booking goes exactly where the hold was.
    Ok(Slot { start: slot.start, staff, block })
}

/// Everything needed to create a booking.
#[derive(Debug, Clone)]
pub struct NewBooking<'a> {
    pub service: &'a Service,
    pub slot: Slot,
    pub party: Party,
    pub notes: String,
    pub hold_token: Option<&'a str>,
    pub actor: Actor,
}

/// The outbox rows to write together with a change, given the booking id.
pub trait Jobs: FnOnce(i64) -> anyhow::Result<Vec<NewJob>> + Send {}
impl<F: FnOnce(i64) -> anyhow::Result<Vec<NewJob>> + Send> Jobs for F {}

async fn write_jobs(tx: &mut Tx, jobs: impl Jobs, id: i64, now: i64) -> Result<()> {
    for job in jobs(id)? {
        outbox::insert(tx, job.queue, &job.payload, now).await?;
    }
    Ok(())
}

/// Creates a confirmed booking, consuming the hold if one is given. The `jobs` (e.g.
/// notifications) are written to the outbox in the same transaction.
pub async fn create(
    db: &Db,
    tenant: &Tenant,
    new: &NewBooking<'_>,
    now: DateTime<Utc>,
    jobs: impl Jobs,
) -> Result<Booking> {
    create_with(db, tenant, new, None, now, jobs).await
}

/// [`create`] for an occurrence of a recurring series.
pub async fn create_occurrence(
    db: &Db,
    tenant: &Tenant,
    new: &NewBooking<'_>,
    series: i64,
    now: DateTime<Utc>,
) -> Result<Booking> {
    create_with(db, tenant, new, Some(series), now, |_| Ok(Vec::new())).await
}

async fn create_with(
    db: &Db,
    tenant: &Tenant,
    new: &NewBooking<'_>,
    series: Option<i64>,
    now: DateTime<Utc>,
    jobs: impl Jobs,
) -> Result<Booking> {
    let mut tx = db.begin_write().await?;
    lock(&mut tx, tenant, new.service, &new.slot, now).await?;
    let slot = match new.hold_token {
        Some(token) => {
            consume_hold(&mut tx, tenant, new.service, &new.slot, token, now.timestamp()).await?
        }
        None => new.slot,
    };
    let placement =
        place(&mut tx, tenant, new.service, &slot, now, new.actor.is_provider(), None).await?;
    let (client, guest_name, guest_email, guest_phone) = match &new.party {
        Party::Client(id) => (Some(id.0), "", "", ""),
        Party::Guest { name, email, phone } => {
            (None, name.as_str(), email.as_str(), phone.as_str())
        }
    };
    let id: i64 = sqlx::query_scalar(
        "insert into bookings (tenant_id, service_id, staff_id, block_id, client_id, guest_name, \
         guest_email, guest_phone, starts_at, ends_at, busy_from, busy_until, status, notes, \
         price_minor, currency, created_at, updated_at, series_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'confirmed', $13, $14, $15, $16, $16, $17) \
         returning id",
    )
    .bind(tenant.id.0)
    .bind(new.service.id)
    .bind(placement.staff)
    .bind(placement.block)
    .bind(client)
    .bind(guest_name)
    .bind(guest_email)
    .bind(guest_phone)
    .bind(placement.start)
    .bind(placement.end)
    .bind(placement.busy_from)
    .bind(placement.busy_until)
    .bind(&new.notes)
    .bind(new.service.price_minor)
    .bind(&new.service.currency)
    .bind(now.timestamp())
    .bind(series)
    .fetch_one(&mut *tx)
    .await?;
    let event = Event {
        action: "created",
        actor: new.actor,
        from: None,
        to: Some((placement.start, placement.staff)),
        detail: "",
    };
    record(&mut tx, tenant, id, &event, now.timestamp()).await?;
    write_jobs(&mut tx, jobs, id, now.timestamp()).await?;
    let booking = get_in(&mut tx, tenant, id).await?.ok_or(BookingError::NotFound)?;
    tx.commit().await?;
    Ok(booking)
}

/// Moves a booking to `slot` under the same rules as a new booking (its own place does not
/// count against it).
#[expect(clippy::too_many_arguments, reason = "one transaction's whole input")]
pub async fn reschedule(
    db: &Db,
    tenant: &Tenant,
    service: &Service,
    id: i64,
    slot: &Slot,
    actor: Actor,
    now: DateTime<Utc>,
    jobs: impl Jobs,
) -> Result<Booking> {
    let mut tx = db.begin_write().await?;
    lock(&mut tx, tenant, service, slot, now).await?;
    let before = get_in(&mut tx, tenant, id).await?.ok_or(BookingError::NotFound)?;
    if !before.status().occupies() {
        return Err(BookingError::InvalidState(
            "Only pending or confirmed bookings can be rescheduled.",
        ));
    }
    let placement =
        place(&mut tx, tenant, service, slot, now, actor.is_provider(), Some(id)).await?;
    sqlx::query(
        "update bookings set staff_id = $1, block_id = $2, starts_at = $3, ends_at = $4, busy_from = $5, \
         busy_until = $6, updated_at = $7 where id = $8 and tenant_id = $9",
    )
    .bind(placement.staff)
    .bind(placement.block)
    .bind(placement.start)
    .bind(placement.end)
    .bind(placement.busy_from)
    .bind(placement.busy_until)
    .bind(now.timestamp())
    .bind(id)
    .bind(tenant.id.0)
    .execute(&mut *tx)
    .await?;
    let event = Event {
        action: "rescheduled",
        actor,
        from: Some((before.starts_at, before.staff_id)),
        to: Some((placement.start, placement.staff)),
        detail: "",
    };
    record(&mut tx, tenant, id, &event, now.timestamp()).await?;
    write_jobs(&mut tx, jobs, id, now.timestamp()).await?;
    let booking = get_in(&mut tx, tenant, id).await?.ok_or(BookingError::NotFound)?;
    tx.commit().await?;
    Ok(booking)
}

/// Sets a final status: cancelled (frees the place), completed or no-show.
pub async fn set_status(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    status: Status,
    actor: Actor,
    now: DateTime<Utc>,
    jobs: impl Jobs,
) -> Result<Booking> {
    let mut tx = db.begin_write().await?;
    let before = get_in(&mut tx, tenant, id).await?.ok_or(BookingError::NotFound)?;
    let allowed = match status {
        Status::Cancelled => before.status().occupies(),
        Status::Completed | Status::NoShow => {
            before.status().occupies() || before.status() != Status::Cancelled
        }
        Status::Pending | Status::Confirmed => false,
    };
    if !allowed {
        return Err(BookingError::InvalidState(
            "That change is not possible for this booking's status.",
        ));
    }
    sqlx::query(
        "update bookings set status = $1, updated_at = $2 where id = $3 and tenant_id = $4",
    )
    .bind(status.as_str())
    .bind(now.timestamp())
    .bind(id)
    .bind(tenant.id.0)
    .execute(&mut *tx)
    .await?;
    let action = match status {
        Status::Cancelled => "cancelled",
        Status::Completed => "completed",
        _ => "no_show",
    };
    let event = Event {
        action,
        actor,
        from: Some((before.starts_at, before.staff_id)),
        to: None,
        detail: "",
    };
    record(&mut tx, tenant, id, &event, now.timestamp()).await?;
    write_jobs(&mut tx, jobs, id, now.timestamp()).await?;
    let booking = get_in(&mut tx, tenant, id).await?.ok_or(BookingError::NotFound)?;
    tx.commit().await?;
    Ok(booking)
}

struct Event<'a> {
    action: &'a str,
    actor: Actor,
    from: Option<(i64, Option<i64>)>,
    to: Option<(i64, Option<i64>)>,
    detail: &'a str,
}

async fn record(tx: &mut Tx, tenant: &Tenant, booking: i64, e: &Event<'_>, now: i64) -> Result<()> {
    let (kind, user) = e.actor.parts();
    sqlx::query(
        "insert into booking_events (tenant_id, booking_id, action, actor_kind, actor_user_id, \
         from_starts_at, to_starts_at, from_staff_id, to_staff_id, detail, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant.id.0)
    .bind(booking)
    .bind(e.action)
    .bind(kind)
    .bind(user)
    .bind(e.from.map(|f| f.0))
    .bind(e.to.map(|t| t.0))
    .bind(e.from.and_then(|f| f.1))
    .bind(e.to.and_then(|t| t.1))
    .bind(e.detail)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One line of a booking's history.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct HistoryLine {
    pub action: String,
    pub actor_kind: String,
    pub actor_email: Option<String>,
    pub from_starts_at: Option<i64>,
    pub to_starts_at: Option<i64>,
    pub from_staff_id: Option<i64>,
    pub to_staff_id: Option<i64>,
    pub created_at: i64,
}

pub async fn history(db: &Db, tenant: &Tenant, booking: i64) -> anyhow::Result<Vec<HistoryLine>> {
    Ok(sqlx::query_as::<Any, HistoryLine>(
        "select e.action, e.actor_kind, u.email as actor_email, e.from_starts_at, e.to_starts_at, \
         e.from_staff_id, e.to_staff_id, e.created_at from booking_events e \
         left join users u on u.id = e.actor_user_id \
         where e.tenant_id = $1 and e.booking_id = $2 order by e.id",
    )
    .bind(tenant.id.0)
    .bind(booking)
    .fetch_all(db.pool())
    .await?)
}

async fn get_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    id: i64,
) -> anyhow::Result<Option<Booking>> {
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.id = $2"
    )))
    .bind(tenant.id.0)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn get(db: &Db, tenant: &Tenant, id: i64) -> anyhow::Result<Option<Booking>> {
    get_in(&mut *db.pool().acquire().await?, tenant, id).await
}

/// Filters for listing bookings.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub status: Option<Status>,
    pub staff: Option<i64>,
    pub client: Option<i64>,
    pub limit: Option<i64>,
    /// Newest first instead of soonest first.
    pub descending: bool,
}

pub async fn list(db: &Db, tenant: &Tenant, f: &Filter) -> anyhow::Result<Vec<Booking>> {
    let order = if f.descending { "desc" } else { "asc" };
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.ends_at > $2 and b.starts_at < $3 \
         and ($4 = '' or b.status = $4) and ($5 = 0 or coalesce(b.staff_id, 0) = $5) \
         and ($6 = 0 or b.client_id = $6) order by b.starts_at {order}, b.id {order} limit $7"
    )))
    .bind(tenant.id.0)
    .bind(f.from.unwrap_or(i64::MIN))
    .bind(f.to.unwrap_or(i64::MAX))
    .bind(f.status.map_or("", Status::as_str))
    .bind(f.staff.unwrap_or(0))
    .bind(f.client.unwrap_or(0))
    .bind(f.limit.unwrap_or(1000))
    .fetch_all(db.pool())
    .await?)
}

/// How many bookings occupy capacity of the block for the service (for checks in tests and
/// pages).
pub async fn occupying_in_block(
    db: &Db,
    tenant: &Tenant,
    block: i64,
    service: i64,
) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select count(*) from bookings where tenant_id = $1 and block_id = $2 and service_id = $3 \
         and status in {OCCUPYING}"
    )))
    .bind(tenant.id.0)
    .bind(block)
    .bind(service)
    .fetch_one(db.pool())
    .await?)
}

/// Deletes holds that expired (or were used) before `before`. Their places were already free.
pub async fn purge_holds(db: &Db, before: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("delete from holds where expires_at <= $1 or consumed_at is not null")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(result.rows_affected())
}

/// A manage link for a guest booking: returns the plain token (goes into the email only).
pub async fn create_link(
    db: &Db,
    booking: i64,
    expires_at: i64,
    now: i64,
) -> anyhow::Result<String> {
    let token = tokens::generate();
    sqlx::query("insert into booking_links (booking_id, token_hash, expires_at, created_at) values ($1, $2, $3, $4)")
        .bind(booking)
        .bind(tokens::hash(&token))
        .bind(expires_at)
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(token)
}

/// The booking a manage link opens, if the link is valid for this tenant.
pub async fn by_link(
    db: &Db,
    tenant: &Tenant,
    token: &str,
    now: i64,
) -> anyhow::Result<Option<Booking>> {
    let id: Option<i64> = sqlx::query_scalar(
        "select l.booking_id from booking_links l join bookings b on b.id = l.booking_id \
         where l.token_hash = $1 and l.expires_at > $2 and b.tenant_id = $3",
    )
    .bind(tokens::hash(token))
    .bind(now)
    .bind(tenant.id.0)
    .fetch_optional(db.pool())
    .await?;
    match id {
        Some(id) => get(db, tenant, id).await,
        None => Ok(None),
    }
}

/// One booking of one client, or `None` when the id is another client's or another tenant's.
pub async fn get_for_client(
    db: &Db,
    tenant: &Tenant,
    client: ClientId,
    id: i64,
) -> anyhow::Result<Option<Booking>> {
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.client_id = $2 and b.id = $3"
    )))
    .bind(tenant.id.0)
    .bind(client.0)
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

/// A client's bookings that still occupy a place and start after `now`, soonest first.
pub async fn upcoming_for_client(
    db: &Db,
    tenant: &Tenant,
    client: ClientId,
    now: i64,
    limit: i64,
) -> anyhow::Result<Vec<Booking>> {
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.client_id = $2 and b.starts_at > $3 \
         and b.status in {OCCUPYING} order by b.starts_at, b.id limit $4"
    )))
    .bind(tenant.id.0)
    .bind(client.0)
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// A client's other bookings — started already, or cancelled — newest first.
pub async fn recent_for_client(
    db: &Db,
    tenant: &Tenant,
    client: ClientId,
    now: i64,
    limit: i64,
) -> anyhow::Result<Vec<Booking>> {
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.client_id = $2 \
         and (b.starts_at <= $3 or b.status not in {OCCUPYING}) \
         order by b.starts_at desc, b.id desc limit $4"
    )))
    .bind(tenant.id.0)
    .bind(client.0)
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Whom each booking overlapping `[from, to)` is for: the client's name, or the guest's. Read
/// beside [`list`] by agenda pages, so a day of bookings costs one query, not one per booking.
pub async fn party_names(
    db: &Db,
    tenant: &Tenant,
    from: i64,
    to: i64,
) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "select b.id, coalesce(c.name, b.guest_name) from bookings b \
         left join clients c on c.id = b.client_id and c.tenant_id = b.tenant_id \
         where b.tenant_id = $1 and b.ends_at > $2 and b.starts_at < $3",
    )
    .bind(tenant.id.0)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?)
}

/// Gives a hold's place back at once (its checkout was abandoned for another choice).
pub async fn release_hold(db: &Db, tenant: &Tenant, token: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("update holds set expires_at = $1 where token_hash = $2 and tenant_id = $3 and consumed_at is null and expires_at > $1")
        .bind(now)
        .bind(tokens::hash(token))
        .bind(tenant.id.0)
        .execute(db.pool())
        .await?;
    Ok(())
}
