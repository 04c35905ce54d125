//! Guest → account linking: a verified login takes over the guest bookings made with its
//! address at a tenant where it is a client (the `link_guest` job).

use portico_domain::{ClientId, TenantId, UserId};

use crate::Tx;

/// Links the tenant's guest bookings whose guest email is `email` (case-insensitively) to the
/// client record `client`, but only while that record belongs to `user` — a record unlinked
/// or handed to another login meanwhile takes nothing. Returns the ids linked, in id
/// order; a second call finds none (a linked booking is no longer a guest booking).
pub async fn link_guest_bookings(
    tx: &mut Tx,
    tenant: TenantId,
    client: ClientId,
    user: UserId,
    email: &str,
    now: i64,
) -> anyhow::Result<Vec<i64>> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "update bookings set client_id = $1, updated_at = $2 \
         where tenant_id = $3 and client_id is null and lower(guest_email) = $4 \
         and exists (select 1 from clients c where c.id = $1 and c.tenant_id = $3 and c.user_id = $5) \
         returning id",
    )
    .bind(client.get())
    .bind(now)
    .bind(tenant.get())
    .bind(&email)
    .bind(user.get())
    .fetch_all(&mut **tx)
    .await?;
    ids.sort_unstable();
    Ok(ids)
}
