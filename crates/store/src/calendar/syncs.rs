//! What Portico last wrote to Google per booking and connection.

use portico_domain::{BookingId, CalendarConnectionId, Instant, TenantId};
use sqlx::{Any, FromRow};

use crate::Db;
use crate::stored::{Stored, StoredAt};

pub const PRESENT: &str = "present";
pub const DELETED: &str = "deleted";

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EventSync {
    pub id: i64,
    #[sqlx(try_from = "Stored")]
    pub booking_id: BookingId,
    #[sqlx(try_from = "Stored")]
    pub connection_id: CalendarConnectionId,
    pub calendar_id: String,
    pub event_id: String,
    pub etag: String,
    pub state: String,
    pub version: i64,
    #[sqlx(try_from = "StoredAt")]
    pub starts_at: Instant,
    #[sqlx(try_from = "StoredAt")]
    pub ends_at: Instant,
}

impl EventSync {
    pub fn is_present(&self) -> bool {
        self.state == PRESENT
    }
}

const COLUMNS: &str = "id, booking_id, connection_id, calendar_id, event_id, etag, state, \
    version, starts_at, ends_at";

/// Every connection's record of the booking.
pub async fn for_booking(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
) -> anyhow::Result<Vec<EventSync>> {
    Ok(sqlx::query_as::<Any, EventSync>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from calendar_event_syncs where tenant_id = $1 and booking_id = $2 \
         order by id"
    )))
    .bind(tenant.get())
    .bind(booking.get())
    .fetch_all(db.pool())
    .await?)
}

/// What was written, as one upsert per (booking, connection).
#[derive(Debug, Clone)]
pub struct Written<'a> {
    pub booking: BookingId,
    pub connection: CalendarConnectionId,
    pub calendar_id: &'a str,
    pub event_id: &'a str,
    pub etag: &'a str,
    pub state: &'a str,
    pub version: i64,
    pub starts_at: i64,
    pub ends_at: i64,
}

pub async fn record(db: &Db, tenant: TenantId, w: &Written<'_>, now: i64) -> anyhow::Result<()> {
    sqlx::query(
        "insert into calendar_event_syncs (tenant_id, booking_id, connection_id, calendar_id, \
         event_id, etag, state, version, starts_at, ends_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         on conflict (tenant_id, booking_id, connection_id) do update set \
         calendar_id = excluded.calendar_id, event_id = excluded.event_id, etag = excluded.etag, \
         state = excluded.state, version = excluded.version, starts_at = excluded.starts_at, \
         ends_at = excluded.ends_at, updated_at = excluded.updated_at",
    )
    .bind(tenant.get())
    .bind(w.booking.get())
    .bind(w.connection.get())
    .bind(w.calendar_id)
    .bind(w.event_id)
    .bind(w.etag)
    .bind(w.state)
    .bind(w.version)
    .bind(w.starts_at)
    .bind(w.ends_at)
    .bind(now)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// The booking's version: its latest history row (0 before any).
pub async fn booking_version(db: &Db, tenant: TenantId, booking: BookingId) -> anyhow::Result<i64> {
    let version: Option<i64> = sqlx::query_scalar(
        "select max(id) from booking_events where tenant_id = $1 and booking_id = $2",
    )
    .bind(tenant.get())
    .bind(booking.get())
    .fetch_one(db.pool())
    .await?;
    Ok(version.unwrap_or(0))
}

/// Events Portico holds in a connection's calendar (for subtracting them from busy times).
pub async fn present_intervals(
    db: &Db,
    tenant: TenantId,
    connection: CalendarConnectionId,
) -> anyhow::Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "select starts_at, ends_at from calendar_event_syncs where tenant_id = $1 \
         and connection_id = $2 and state = $3",
    )
    .bind(tenant.get())
    .bind(connection.get())
    .bind(PRESENT)
    .fetch_all(db.pool())
    .await?)
}
