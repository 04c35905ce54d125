//! Deliveries of the `ping` job, which proves the outbox → relay → queue → worker path.

use crate::Db;

/// Records that the ping with `token` arrived; a repeated delivery bumps `deliveries`.
pub async fn record(db: &Db, token: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query(
        "insert into pings (token, received_at, deliveries) values ($1, $2, 1) \
         on conflict (token) do update set deliveries = pings.deliveries + 1",
    )
    .bind(token)
    .bind(now)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// How many times the ping with `token` was delivered (0 if never).
pub async fn deliveries(db: &Db, token: &str) -> anyhow::Result<i64> {
    let n: Option<i64> = sqlx::query_scalar("select deliveries from pings where token = $1")
        .bind(token)
        .fetch_optional(db.pool())
        .await?;
    Ok(n.unwrap_or(0))
}
