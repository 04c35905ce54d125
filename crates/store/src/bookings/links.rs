//! Manage links for guest bookings: only their hashes are stored.

use crate::tenants::Tenant;
use crate::{Db, tokens};
use portico_domain::BookingId;

use super::Booking;

/// A manage link for one of the tenant's bookings: returns the plain token (it goes into the
/// email only). Another tenant's booking id gets no link.
pub async fn create_link(
    db: &Db,
    tenant: &Tenant,
    booking: BookingId,
    expires_at: i64,
    now: i64,
) -> anyhow::Result<String> {
    let token = tokens::generate();
    let written = sqlx::query(
        "insert into booking_links (booking_id, token_hash, expires_at, created_at) \
         select id, $1, $2, $3 from bookings where id = $4 and tenant_id = $5",
    )
    .bind(tokens::hash(&token))
    .bind(expires_at)
    .bind(now)
    .bind(booking.get())
    .bind(tenant.id.get())
    .execute(db.writes())
    .await?;
    anyhow::ensure!(written.rows_affected() == 1, "booking {booking} is not the tenant's");
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
    .bind(tenant.id.get())
    .fetch_optional(db.pool())
    .await?;
    match id {
        Some(id) => super::get(db, tenant, id).await,
        None => Ok(None),
    }
}
