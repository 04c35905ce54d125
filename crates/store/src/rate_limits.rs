//! Fixed-window counters in the database, shared by every web process.

use crate::Db;

/// Counts one hit on `key` in the window starting at `window_start`; returns the hits so far
/// in that window (including this one).
pub async fn hit(db: &Db, key: &str, window_start: i64) -> anyhow::Result<i64> {
    let hits: i64 = sqlx::query_scalar(
        "insert into rate_limits (key, window_start, hits) values ($1, $2, 1) \
         on conflict (key) do update set \
         hits = case when rate_limits.window_start = $2 then rate_limits.hits + 1 else 1 end, \
         window_start = $2 \
         returning hits",
    )
    .bind(key)
    .bind(window_start)
    .fetch_one(db.pool())
    .await?;
    Ok(hits)
}

/// Removes counters of windows that ended before `before`.
pub async fn purge(db: &Db, before: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("delete from rate_limits where window_start < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(result.rows_affected())
}
