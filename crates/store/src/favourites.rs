//! A client's favourite services and staff members (listed first when they book). Callers
//! check that the item is the tenant's; every query is filtered by tenant and client, so a
//! client only ever sees their own.

use portico_domain::{ClientId, TenantId};

use crate::Db;

/// What a favourite is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Service,
    Staff,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Staff => "staff",
        }
    }
}

/// Marks (`on`) or unmarks `item` as one of the client's favourites; idempotent.
pub async fn set(
    db: &Db,
    tenant: TenantId,
    client: ClientId,
    kind: Kind,
    item: i64,
    on: bool,
    now: i64,
) -> anyhow::Result<()> {
    let query = if on {
        sqlx::query(
            "insert into client_favourites (tenant_id, client_id, kind, item_id, created_at) \
             values ($1, $2, $3, $4, $5) on conflict do nothing",
        )
        .bind(tenant.get())
        .bind(client.get())
        .bind(kind.as_str())
        .bind(item)
        .bind(now)
    } else {
        sqlx::query(
            "delete from client_favourites where tenant_id = $1 and client_id = $2 \
             and kind = $3 and item_id = $4",
        )
        .bind(tenant.get())
        .bind(client.get())
        .bind(kind.as_str())
        .bind(item)
    };
    query.execute(db.writes()).await?;
    Ok(())
}

/// The ids of the client's favourites of `kind`.
pub async fn of_client(
    db: &Db,
    tenant: TenantId,
    client: ClientId,
    kind: Kind,
) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select item_id from client_favourites where tenant_id = $1 and client_id = $2 \
         and kind = $3 order by item_id",
    )
    .bind(tenant.get())
    .bind(client.get())
    .bind(kind.as_str())
    .fetch_all(db.pool())
    .await?)
}
