//! The transactional outbox: jobs are written here in the same transaction as the change
//! that causes them, and a relay moves them into the job queue. A crash between commit and
//! enqueue loses nothing: the row stays until the relay has handed it over.

use sqlx::{Any, FromRow};

use crate::{Db, Tx};

/// A job waiting to be handed to the queue.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub queue: String,
    pub payload: String,
    pub created_at: i64,
}

/// A job to write to the outbox with some other change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub queue: &'static str,
    pub payload: String,
}

/// Writes a job for `queue` inside the caller's transaction.
pub async fn insert(tx: &mut Tx, queue: &str, payload: &str, now: i64) -> anyhow::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "insert into outbox (queue, payload, created_at, lease_until) values ($1, $2, $3, 0) \
         returning id",
    )
    .bind(queue)
    .bind(payload)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Leases up to `limit` rows to `owner` until `lease_until` and returns them, oldest first.
/// Rows leased by a relay that died become claimable again once their lease has passed; two
/// relays never hold the same row at once.
pub async fn claim(
    db: &Db,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> anyhow::Result<Vec<OutboxRow>> {
    // The repeated `lease_until <= now` is re-checked by PostgreSQL after waiting on a row
    // lock, so a row another relay just leased is skipped rather than taken twice.
    sqlx::query(
        "update outbox set lease_owner = $1, lease_until = $2 \
         where lease_until <= $3 and id in \
         (select id from outbox where lease_until <= $3 order by id limit $4)",
    )
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .bind(i64::from(limit))
    .execute(db.pool())
    .await?;
    let rows = sqlx::query_as::<Any, OutboxRow>(
        "select id, queue, payload, created_at from outbox \
         where lease_owner = $1 and lease_until = $2 order by id",
    )
    .bind(owner)
    .bind(lease_until)
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

/// Removes a row once the queue has accepted it.
pub async fn delete(db: &Db, id: i64) -> anyhow::Result<()> {
    sqlx::query("delete from outbox where id = $1").bind(id).execute(db.pool()).await?;
    Ok(())
}

/// Rows not yet handed over.
pub async fn pending_count(db: &Db) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from outbox").fetch_one(db.pool()).await?)
}
