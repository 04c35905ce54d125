//! The reminder ledger: one row per booking and start, claimed when the reminder is queued
//! and marked when it went out.

use portico_domain::{BookingId, Instant, TenantId};
use sqlx::{Any, FromRow};

use crate::stored::{Stored, StoredAt};
use crate::{Db, Tx};

/// A reminder that is due and not yet claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct Due {
    #[sqlx(try_from = "Stored")]
    pub tenant_id: TenantId,
    #[sqlx(try_from = "Stored")]
    pub booking_id: BookingId,
    #[sqlx(try_from = "StoredAt")]
    pub starts_at: Instant,
}

/// Reminders due at `now` that nobody claimed yet, oldest start first: confirmed bookings of
/// tenants with reminders on, whose due time (start minus the tenant's minutes) has come and
/// whose start has not. A booking that got its current start (made, or moved) only after its
/// reminder was due gets none: its confirmation already told the client.
pub async fn due(db: &Db, now: i64, limit: i64) -> anyhow::Result<Vec<Due>> {
    Ok(sqlx::query_as::<Any, Due>(
        "select b.tenant_id, b.id as booking_id, b.starts_at from bookings b \
         join tenants t on t.id = b.tenant_id \
         where b.status = 'confirmed' and b.starts_at > $1 \
         and t.reminder_minutes_before is not null \
         and b.starts_at - t.reminder_minutes_before * 60 <= $1 \
         and coalesce((select max(e.created_at) from booking_events e \
             where e.tenant_id = b.tenant_id and e.booking_id = b.id \
             and e.action in ('created', 'rescheduled')), b.created_at) \
             < b.starts_at - t.reminder_minutes_before * 60 \
         and not exists (select 1 from reminder_deliveries r where r.tenant_id = b.tenant_id \
             and r.booking_id = b.id and r.starts_at = b.starts_at) \
         order by b.starts_at limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Claims the reminder of `booking` at `starts_at`; `false` if it was claimed already (by an
/// earlier or a concurrent scan), so exactly one send job is queued per booking and start.
pub async fn claim(
    tx: &mut Tx,
    tenant: TenantId,
    booking: BookingId,
    starts_at: i64,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "insert into reminder_deliveries (tenant_id, booking_id, starts_at, queued_at) \
         values ($1, $2, $3, $4) on conflict do nothing",
    )
    .bind(tenant.get())
    .bind(booking.get())
    .bind(starts_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the reminder already went out (or was settled without sending).
pub async fn settled(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
    starts_at: i64,
) -> anyhow::Result<bool> {
    is_set(db, tenant, booking, starts_at, "sent_at").await
}

/// Marks the reminder settled: sent, or skipped for good (opted out, cancelled, moved).
pub async fn settle(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
    starts_at: i64,
    now: i64,
) -> anyhow::Result<()> {
    set_once(db, tenant, booking, starts_at, "sent_at", now).await
}

/// Whether the time `column` of the reminder's row is set.
async fn is_set(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
    starts_at: i64,
    column: &'static str,
) -> anyhow::Result<bool> {
    let sent: Option<Option<i64>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select {column} from reminder_deliveries where tenant_id = $1 and booking_id = $2 \
         and starts_at = $3"
    )))
    .bind(tenant.get())
    .bind(booking.get())
    .bind(starts_at)
    .fetch_optional(db.pool())
    .await?;
    Ok(matches!(sent, Some(Some(_))))
}

/// Sets the time `column` of the reminder's row to `now`, unless it is set already.
async fn set_once(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
    starts_at: i64,
    column: &'static str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "update reminder_deliveries set {column} = $1 where tenant_id = $2 and booking_id = $3 \
         and starts_at = $4 and {column} is null"
    )))
    .bind(now)
    .bind(tenant.get())
    .bind(booking.get())
    .bind(starts_at)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// How a reminder reaches the client; each is marked on its own once it went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Email,
    Sms,
}

impl Via {
    fn column(self) -> &'static str {
        match self {
            Self::Email => "email_sent_at",
            Self::Sms => "sms_sent_at",
        }
    }
}

/// Whether the reminder already went out `via` this channel (a retried job skips it).
pub async fn sent_via(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
    starts_at: i64,
    via: Via,
) -> anyhow::Result<bool> {
    is_set(db, tenant, booking, starts_at, via.column()).await
}

/// Records that the reminder went out `via` this channel, right after it did.
pub async fn mark_sent_via(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
    starts_at: i64,
    via: Via,
    now: i64,
) -> anyhow::Result<()> {
    set_once(db, tenant, booking, starts_at, via.column(), now).await
}
