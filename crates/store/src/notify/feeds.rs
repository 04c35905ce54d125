//! Private calendar feeds: one per team member (their own bookings) and per client (theirs),
//! reached by a random token whose hash is stored. Regenerating replaces the row, so the old
//! URL stops working at once.

use portico_domain::booking::occupying_sql;
use portico_domain::{BookingId, ClientId, TenantId, UserId};
use sqlx::{Any, FromRow};

use crate::bookings::{Booking, SELECT};
use crate::tenants::Tenant;
use crate::{Db, tokens};

/// Whose bookings a feed lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A team member: the bookings of their staff record, and for an owner also the bookings
    /// with no staff member (the owner's own).
    Member(UserId),
    Client(ClientId),
}

#[derive(Debug, FromRow)]
struct Row {
    tenant_id: i64,
    user_id: Option<i64>,
    client_id: Option<i64>,
}

/// Makes a new feed token for `owner`, revoking the previous one. Returns the plain token
/// (shown on the page once per regeneration; only its hash is kept).
pub async fn regenerate(
    db: &Db,
    tenant: TenantId,
    owner: Owner,
    now: i64,
) -> anyhow::Result<String> {
    let (user, client) = match owner {
        Owner::Member(user) => (Some(user.get()), None),
        Owner::Client(client) => (None, Some(client.get())),
    };
    let token = tokens::generate();
    let mut tx = db.begin().await?;
    sqlx::query(
        "delete from calendar_feeds where tenant_id = $1 and (user_id = $2 or client_id = $3)",
    )
    .bind(tenant.get())
    .bind(user)
    .bind(client)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into calendar_feeds (tenant_id, user_id, client_id, token_hash, created_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.get())
    .bind(user)
    .bind(client)
    .bind(tokens::hash(&token))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Whether `owner` has a feed (the page offers to create or to replace it).
pub async fn exists(db: &Db, tenant: TenantId, owner: Owner) -> anyhow::Result<bool> {
    let (user, client) = match owner {
        Owner::Member(user) => (Some(user.get()), None),
        Owner::Client(client) => (None, Some(client.get())),
    };
    let found: Option<i64> = sqlx::query_scalar(
        "select id from calendar_feeds where tenant_id = $1 and (user_id = $2 or client_id = $3)",
    )
    .bind(tenant.get())
    .bind(user)
    .bind(client)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// The tenant and owner of a feed token; `None` for an unknown or revoked one.
pub async fn by_token(db: &Db, token: &str) -> anyhow::Result<Option<(TenantId, Owner)>> {
    let row = sqlx::query_as::<Any, Row>(
        "select tenant_id, user_id, client_id from calendar_feeds where token_hash = $1",
    )
    .bind(tokens::hash(token))
    .fetch_optional(db.pool())
    .await?;
    Ok(row.and_then(|row| {
        let owner = match (row.user_id, row.client_id) {
            (Some(user), None) => Owner::Member(UserId::from_store(user)),
            (None, Some(client)) => Owner::Client(ClientId::from_store(client)),
            _ => return None,
        };
        Some((TenantId::from_store(row.tenant_id), owner))
    }))
}

/// The bookings a feed lists: those that still hold a place and have not ended by `now`,
/// soonest first, at most 200. `staff` is the member's staff record; `own` adds the owner's bookings.
pub async fn member_bookings(
    db: &Db,
    tenant: &Tenant,
    staff: Option<i64>,
    own: bool,
    now: i64,
) -> anyhow::Result<Vec<Booking>> {
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.ends_at > $2 and b.status in {} \
         and (b.staff_id = $3 or ($4 = 1 and b.staff_id is null)) order by b.starts_at, b.id \
         limit 200",
        occupying_sql()
    )))
    .bind(tenant.id.get())
    .bind(now)
    .bind(staff.unwrap_or(0))
    .bind(i64::from(own))
    .fetch_all(db.pool())
    .await?)
}

/// A client's bookings for their feed, as [`member_bookings`].
pub async fn client_bookings(
    db: &Db,
    tenant: &Tenant,
    client: ClientId,
    now: i64,
) -> anyhow::Result<Vec<Booking>> {
    Ok(sqlx::query_as::<Any, Booking>(sqlx::AssertSqlSafe(format!(
        "{SELECT} where b.tenant_id = $1 and b.client_id = $2 and b.ends_at > $3 \
         and b.status in {} order by b.starts_at, b.id limit 200",
        occupying_sql()
    )))
    .bind(tenant.id.get())
    .bind(client.get())
    .bind(now)
    .fetch_all(db.pool())
    .await?)
}

/// The calendar `SEQUENCE` of a booking as of event `upto` (all events when `None`): how many
/// changes came before, so each change supersedes the previous invitation.
pub async fn sequence(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
    upto: Option<i64>,
) -> anyhow::Result<u32> {
    let count: i64 = sqlx::query_scalar(
        "select count(*) from booking_events where tenant_id = $1 and booking_id = $2 \
         and id <= $3",
    )
    .bind(tenant.get())
    .bind(booking.get())
    .bind(upto.unwrap_or(i64::MAX))
    .fetch_one(db.pool())
    .await?;
    Ok(sequence_of(count))
}

/// The calendar `SEQUENCE` after `events` booking events: the changes before the last one.
pub(crate) fn sequence_of(events: i64) -> u32 {
    u32::try_from(events.saturating_sub(1)).unwrap_or(0)
}
