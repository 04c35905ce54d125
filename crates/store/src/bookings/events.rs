//! A booking's history (`booking_events`) and the ledger of messages sent for each event.

use portico_domain::BookingId;
use portico_domain::booking::Actor;
use serde::Serialize;
use sqlx::{Any, FromRow};

use crate::tenants::Tenant;
use crate::{Db, Tx};

/// A change to record: what happened, who did it, and the place before and after.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// `created`, `rescheduled`, `cancelled`, `completed`, `no_show`.
    pub action: &'a str,
    pub actor: Actor,
    /// Start and staff member before the change.
    pub from: Option<(i64, Option<i64>)>,
    /// Start and staff member after the change.
    pub to: Option<(i64, Option<i64>)>,
    pub detail: &'a str,
}

/// Writes the event in the caller's transaction; returns its id.
pub async fn record(
    tx: &mut Tx,
    tenant: &Tenant,
    booking: BookingId,
    e: &NewEvent<'_>,
    now: i64,
) -> anyhow::Result<i64> {
    let (kind, user) = e.actor.parts();
    Ok(sqlx::query_scalar(
        "insert into booking_events (tenant_id, booking_id, action, actor_kind, actor_user_id, \
         from_starts_at, to_starts_at, from_staff_id, to_staff_id, detail, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
    )
    .bind(tenant.id.get())
    .bind(booking.get())
    .bind(e.action)
    .bind(kind)
    .bind(user.map(|u| u.get()))
    .bind(e.from.map(|f| f.0))
    .bind(e.to.map(|t| t.0))
    .bind(e.from.and_then(|f| f.1))
    .bind(e.to.and_then(|t| t.1))
    .bind(e.detail)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
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

pub async fn history(
    db: &Db,
    tenant: &Tenant,
    booking: BookingId,
) -> anyhow::Result<Vec<HistoryLine>> {
    Ok(sqlx::query_as::<Any, HistoryLine>(
        "select e.action, e.actor_kind, u.email as actor_email, e.from_starts_at, e.to_starts_at, \
         e.from_staff_id, e.to_staff_id, e.created_at from booking_events e \
         left join users u on u.id = e.actor_user_id \
         where e.tenant_id = $1 and e.booking_id = $2 order by e.id",
    )
    .bind(tenant.id.get())
    .bind(booking.get())
    .fetch_all(db.pool())
    .await?)
}

/// Whether the message of `channel` for `event` already went to `recipient`.
pub async fn delivered(
    db: &Db,
    tenant: &Tenant,
    event: i64,
    channel: &str,
    recipient: &str,
) -> anyhow::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "select 1 from notice_deliveries where tenant_id = $1 and event_id = $2 and channel = $3 \
         and recipient = $4",
    )
    .bind(tenant.id.get())
    .bind(event)
    .bind(channel)
    .bind(recipient)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// Records that the message of `channel` for `event` went to `recipient` (idempotent).
pub async fn mark_delivered(
    db: &Db,
    tenant: &Tenant,
    event: i64,
    channel: &str,
    recipient: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into notice_deliveries (tenant_id, event_id, channel, recipient, sent_at) \
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(tenant.id.get())
    .bind(event)
    .bind(channel)
    .bind(recipient)
    .bind(now)
    .execute(db.writes())
    .await?;
    Ok(())
}
