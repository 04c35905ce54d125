//! The per-tenant schedule version: the one number that says whether a cached copy of a
//! tenant's schedule (see [`crate::schedule_cache`]) is still current.
//!
//! Every write that changes what can be booked goes through [`begin`] (a write transaction
//! whose first statement is the bump) or calls [`bump`] first thing in the caller's
//! transaction. Bumping first keeps the lock order the same everywhere on PostgreSQL (the
//! version row, then the staff, block or booking rows), so the bump adds no deadlock; on
//! SQLite the write lock already serializes writers. A rolled-back write rolls its bump back.

use portico_domain::TenantId;
use sqlx::AnyConnection;

use crate::{Db, StoreError, Tx};

/// Marks the tenant's schedule changed, inside the caller's transaction.
pub async fn bump(conn: &mut AnyConnection, tenant: TenantId) -> anyhow::Result<()> {
    sqlx::query(
        "insert into schedule_versions (tenant_id, version) values ($1, 1) \
         on conflict (tenant_id) do update set version = schedule_versions.version + 1",
    )
    .bind(tenant.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// A write transaction that changes the tenant's schedule, already bumped.
pub async fn begin(db: &Db, tenant: TenantId) -> anyhow::Result<Tx> {
    let mut tx = db.begin_write().await?;
    bump(&mut tx, tenant).await?;
    Ok(tx)
}

/// The tenant with this slug and its current schedule version, in one indexed read.
pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<(TenantId, i64)>, StoreError> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "select t.id, coalesce(v.version, 0) from tenants t \
         left join schedule_versions v on v.tenant_id = t.id where t.slug = $1",
    )
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(id, version)| (TenantId(id), version)))
}

/// The tenant's current schedule version.
pub async fn current(db: &Db, tenant: TenantId) -> anyhow::Result<i64> {
    let version: Option<i64> =
        sqlx::query_scalar("select version from schedule_versions where tenant_id = $1")
            .bind(tenant.0)
            .fetch_optional(db.pool())
            .await?;
    Ok(version.unwrap_or(0))
}
