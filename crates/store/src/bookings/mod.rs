//! Bookings and holds: the rows, the reads, and the writes a booking workflow
//! (`portico_core::bookings`) composes inside its one transaction.
//!
//! Capacity is never oversold: every write that consumes capacity runs in one transaction
//! that
//! 1. takes the lock serializing competitors for the same capacity ([`write::lock`]) — the
//!    block row (block mode), or the row of each person who could take the slot (a staff row,
//!    or the tenant row for the owner) in id order; on SQLite `BEGIN IMMEDIATE` already holds
//!    the write lock;
//! 2. re-checks availability with fresh data **on the same connection** ([`write::place`]);
//! 3. writes.
//!
//! A competitor that loses gets [`BookingError::Unavailable`].

pub mod events;
pub mod linking;
pub mod links;
pub mod write;

use chrono::{DateTime, Utc};
use portico_domain::booking::{Refusal, occupying_sql};
use portico_domain::policy;
use portico_domain::{
    BlockId, BookingId, ClientId, Instant, SeriesId, ServiceId, StaffId, TenantId,
};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, FromRow, Row as _};

use crate::Db;
use crate::catalog::LocationKind;
use crate::tenants::Tenant;

pub use events::{HistoryLine, history};
pub use links::{Links, NewLink, by_link, create_link};
pub use portico_domain::booking::{Action, Actor, Status};

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
    /// The state machine refuses the change (e.g. completing a cancelled booking).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The tenant's rules do not let this person change the booking now (cut-off, not allowed).
    #[error("{0}")]
    NotAllowed(#[from] policy::Refusal),
    /// The client already has a place in this block, and the block does not allow several.
    #[error("you already have a place in this session")]
    AlreadyBooked,
    /// The service takes place at the client's address, and none was given.
    #[error("enter the address where the appointment takes place")]
    AddressRequired,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<crate::StoreError> for BookingError {
    fn from(error: crate::StoreError) -> Self {
        Self::Other(error.into())
    }
}

impl From<sqlx::Error> for BookingError {
    fn from(error: sqlx::Error) -> Self {
        Self::Other(error.into())
    }
}

pub(crate) type Result<T> = std::result::Result<T, BookingError>;

/// Who a booking is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Client(ClientId),
    Guest { name: String, email: String, phone: String },
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Booking {
    pub id: BookingId,
    pub tenant_id: TenantId,
    pub service_id: ServiceId,
    pub service_code: String,
    pub service_name: String,
    pub staff_id: Option<StaffId>,
    pub block_id: Option<BlockId>,
    pub client_id: Option<ClientId>,
    pub guest_name: String,
    pub guest_email: String,
    pub guest_phone: String,
    pub starts_at: Instant,
    pub ends_at: Instant,
    /// Decoded strictly: an unknown stored value fails the read, naming the column.
    pub status: Status,
    pub notes: String,
    pub price_minor: i64,
    pub currency: String,
    pub created_at: Instant,
    /// The recurring series this booking is an occurrence of.
    pub series_id: Option<SeriesId>,
    /// Where it takes place, as booked.
    pub location_kind: LocationKind,
    /// The client's address (kind `client`) or the meeting link (kind `online`); empty for
    /// `business`, where [`Booking::place`] gives the tenant's address.
    pub location: String,
}

impl<'r> FromRow<'r, AnyRow> for Booking {
    fn from_row(row: &'r AnyRow) -> std::result::Result<Self, sqlx::Error> {
        let status: String = row.try_get("status")?;
        let status = Status::parse(&status).map_err(|e| sqlx::Error::ColumnDecode {
            index: "bookings.status".to_owned(),
            source: Box::new(e),
        })?;
        let kind: String = row.try_get("location_kind")?;
        let location_kind =
            LocationKind::parse(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "bookings.location_kind".to_owned(),
                source: format!("unknown location kind {kind:?}").into(),
            })?;
        Ok(Self {
            id: BookingId::from_store(row.try_get("id")?),
            tenant_id: TenantId::from_store(row.try_get("tenant_id")?),
            service_id: ServiceId::from_store(row.try_get("service_id")?),
            service_code: row.try_get("service_code")?,
            service_name: row.try_get("service_name")?,
            staff_id: row.try_get::<Option<i64>, _>("staff_id")?.map(StaffId::from_store),
            block_id: row.try_get::<Option<i64>, _>("block_id")?.map(BlockId::from_store),
            client_id: row.try_get::<Option<i64>, _>("client_id")?.map(ClientId::from_store),
            guest_name: row.try_get("guest_name")?,
            guest_email: row.try_get("guest_email")?,
            guest_phone: row.try_get("guest_phone")?,
            starts_at: instant(row, "starts_at")?,
            ends_at: instant(row, "ends_at")?,
            status,
            notes: row.try_get("notes")?,
            price_minor: row.try_get("price_minor")?,
            currency: row.try_get("currency")?,
            created_at: instant(row, "created_at")?,
            series_id: row.try_get::<Option<i64>, _>("series_id")?.map(SeriesId::from_store),
            location_kind,
            location: row.try_get("location")?,
        })
    }
}

/// A `bookings` instant column, decoded strictly: a number that is no date fails the read,
/// naming the column.
fn instant(row: &AnyRow, column: &'static str) -> std::result::Result<Instant, sqlx::Error> {
    let secs: i64 = row.try_get(column)?;
    Instant::from_unix(secs).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: format!("bookings.{column}"),
        source: format!("{secs} is not a date").into(),
    })
}

impl Booking {
    pub fn status(&self) -> Status {
        self.status
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.starts_at.utc()
    }

    /// Where the booking takes place, in words for the client and the business: the
    /// business's address, the client's address or the meeting link; `None` when the
    /// business has not given its address.
    pub fn place(&self, tenant: &Tenant) -> Option<String> {
        let place = match self.location_kind {
            LocationKind::Business => tenant.contact.address.trim(),
            LocationKind::Client | LocationKind::Online => self.location.trim(),
        };
        (!place.is_empty()).then(|| place.to_owned())
    }

    /// Where the booking takes place in one short line, for lists, the calendar and texts:
    /// the business's address, "At your address: …" (to the client) or "At the client's
    /// address: …", "Online: <link>"; `None` at a business that has given no address.
    pub fn place_line(&self, tenant: &Tenant, to_client: bool) -> Option<String> {
        let (label, text) = self.place_parts(tenant, to_client);
        match (label, text) {
            (Some(label), Some(text)) => Some(format!("{label}: {text}")),
            (Some(label), None) => Some(label.to_owned()),
            (None, text) => text,
        }
    }

    /// [`Self::place_line`] in parts: the words before the place (none at the business) and
    /// the place itself on one line (the meeting link of an online booking).
    pub fn place_parts(
        &self,
        tenant: &Tenant,
        to_client: bool,
    ) -> (Option<&'static str>, Option<String>) {
        let one_line = |text: String| {
            text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", ")
        };
        let text = self.place(tenant).map(one_line);
        let label = match self.location_kind {
            LocationKind::Business => None,
            LocationKind::Client if to_client => Some("At your address"),
            LocationKind::Client => Some("At the client's address"),
            LocationKind::Online => Some("Online"),
        };
        (label, text)
    }

    /// The meeting link of an online booking.
    pub fn meeting_link(&self) -> Option<&str> {
        (self.location_kind == LocationKind::Online && !self.location.is_empty())
            .then_some(self.location.as_str())
    }

    /// Whether the booking has started at `now`.
    pub fn started(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= Instant::from(now)
    }
}

pub(crate) const SELECT: &str = "select b.id, b.tenant_id, b.service_id, s.code as service_code, \
    s.name as service_name, b.staff_id, b.block_id, b.client_id, b.guest_name, b.guest_email, \
    b.guest_phone, b.starts_at, b.ends_at, b.status, b.notes, b.price_minor, b.currency, \
    b.created_at, b.series_id, b.location_kind, b.location from bookings b join services s on s.id = b.service_id";

/// One booking of the tenant, on the given connection (inside a workflow's transaction).
pub async fn get_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    id: i64,
) -> anyhow::Result<Option<Booking>> {
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.id = $2"
    )))
    .bind(tenant.id.get())
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn get(db: &Db, tenant: &Tenant, id: i64) -> anyhow::Result<Option<Booking>> {
    get_in(&mut *db.pool().acquire().await?, tenant, id).await
}

/// Which of the tenant's bookings a viewer may see, applied in SQL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Visibility {
    /// The owner, the API.
    #[default]
    All,
    /// A staff login: the bookings of its staff member (if the login is linked to one) and
    /// every booking in a timetable block.
    Staff(Option<StaffId>),
}

impl Visibility {
    /// `(everything, staff id)` for the shared SQL condition [`VISIBLE`].
    fn binds(self) -> (bool, i64) {
        match self {
            Self::All => (true, 0),
            Self::Staff(me) => (false, me.map_or(0, StaffId::get)),
        }
    }
}

/// The visibility condition; `$v1` = everything, `$v2` = the staff member (0 = none).
const VISIBLE: &str =
    "($v1 or b.block_id is not null or (b.staff_id is not null and b.staff_id = $v2))";

fn visible(first: usize) -> String {
    VISIBLE.replace("$v1", &format!("${first}")).replace("$v2", &format!("${}", first + 1))
}

/// One booking of the tenant that `visibility` lets its viewer see.
pub async fn get_visible(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    visibility: Visibility,
) -> anyhow::Result<Option<Booking>> {
    let (all, me) = visibility.binds();
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.id = $2 and {}",
        visible(3)
    )))
    .bind(tenant.id.get())
    .bind(id)
    .bind(all)
    .bind(me)
    .fetch_optional(db.pool())
    .await?)
}

/// Filters for listing bookings.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Whose bookings the viewer may see.
    pub visibility: Visibility,
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
         and ($6 = 0 or b.client_id = $6) and {} order by b.starts_at {order}, b.id {order} limit $7",
        visible(8)
    )))
    .bind(tenant.id.get())
    .bind(f.from.unwrap_or(i64::MIN))
    .bind(f.to.unwrap_or(i64::MAX))
    .bind(f.status.map_or("", Status::as_str))
    .bind(f.staff.unwrap_or(0))
    .bind(f.client.unwrap_or(0))
    .bind(f.limit.unwrap_or(1000))
    .bind(f.visibility.binds().0)
    .bind(f.visibility.binds().1)
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
         and status in {}",
        occupying_sql()
    )))
    .bind(tenant.id.get())
    .bind(block)
    .bind(service)
    .fetch_one(db.pool())
    .await?)
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
    .bind(tenant.id.get())
    .bind(client.get())
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
         and b.status in {} order by b.starts_at, b.id limit $4",
        occupying_sql()
    )))
    .bind(tenant.id.get())
    .bind(client.get())
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
         and (b.starts_at <= $3 or b.status not in {}) \
         order by b.starts_at desc, b.id desc limit $4",
        occupying_sql()
    )))
    .bind(tenant.id.get())
    .bind(client.get())
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
    .bind(tenant.id.get())
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?)
}

/// Deletes holds that expired (or were used) before `before`. Their places were already free.
pub async fn purge_holds(db: &Db, before: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("delete from holds where expires_at <= $1 or consumed_at is not null")
        .bind(before)
        .execute(db.writes())
        .await?;
    Ok(result.rows_affected())
}

/// Gives a hold's place back at once (its checkout was abandoned for another choice).
pub async fn release_hold(db: &Db, tenant: &Tenant, token: &str, now: i64) -> anyhow::Result<()> {
    let mut tx = crate::versions::begin(db, tenant.id).await?;
    release_hold_in(&mut tx, tenant, token, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`release_hold`] in the caller's transaction (begun with `versions::begin`).
pub async fn release_hold_in(
    tx: &mut crate::Tx,
    tenant: &Tenant,
    token: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query("update holds set expires_at = $1 where token_hash = $2 and tenant_id = $3 and consumed_at is null and expires_at > $1")
        .bind(now)
        .bind(crate::tokens::hash(token))
        .bind(tenant.id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
