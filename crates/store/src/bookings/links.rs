//! Manage links for guest bookings: only their hashes are stored.

use std::collections::HashSet;

use crate::group_commit::{GroupCommit, Rows, placeholders};
use crate::tenants::Tenant;
use crate::{Db, tokens};
use portico_domain::BookingId;

use super::Booking;

/// A manage link for one of the tenant's bookings: returns the plain token (it goes into the
/// email only). Another tenant's booking id gets no link.
///
/// Links minted at the same moment (notices and reminders run many at once) are inserted
/// together ([`crate::group_commit`]); each caller returns once its own link is stored.
pub async fn create_link(
    db: &Db,
    tenant: &Tenant,
    booking: BookingId,
    expires_at: i64,
    now: i64,
) -> anyhow::Result<String> {
    let token = tokens::generate();
    let link = NewLink {
        tenant: tenant.id.get(),
        booking: booking.get(),
        token_hash: tokens::hash(&token),
        expires_at,
        created_at: now,
    };
    let written = db.links().write(db, link).await?;
    anyhow::ensure!(written, "booking {booking} is not the tenant's");
    Ok(token)
}

/// A `booking_links` row to insert, for the booking if it is the tenant's.
#[derive(Debug)]
pub struct NewLink {
    tenant: i64,
    booking: i64,
    token_hash: String,
    expires_at: i64,
    created_at: i64,
}

/// The manage links waiting to be inserted.
pub type Links = GroupCommit<NewLink>;

impl Rows for NewLink {
    /// Whether the link was stored (false: the booking is not that tenant's).
    type Outcome = bool;
    /// 5 parameters each, well under both backends' limit.
    const BATCH: usize = 500;

    async fn write(db: &Db, rows: &[Self]) -> anyhow::Result<Vec<bool>> {
        // Both engines name a VALUES list's columns column1, column2, …
        let sql = format!(
            "insert into booking_links (booking_id, token_hash, expires_at, created_at) \
             select b.id, v.column3, v.column4, v.column5 from (values {}) as v \
             join bookings b on b.id = v.column2 and b.tenant_id = v.column1 \
             returning token_hash",
            placeholders(rows.len(), 5)
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for row in rows {
            query = query
                .bind(row.tenant)
                .bind(row.booking)
                .bind(&row.token_hash)
                .bind(row.expires_at)
                .bind(row.created_at);
        }
        let stored: HashSet<String> = query.fetch_all(db.writes()).await?.into_iter().collect();
        Ok(rows.iter().map(|row| stored.contains(&row.token_hash)).collect())
    }
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
