//! Manage links for guest bookings: only their hashes are stored.

use crate::tenants::Tenant;
use crate::{Db, tokens};

use super::Booking;

/// A manage link for a booking: returns the plain token (goes into the email only).
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
        Some(id) => super::get(db, tenant, id).await,
        None => Ok(None),
    }
}
