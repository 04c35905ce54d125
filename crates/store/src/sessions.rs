//! Server-side sessions (the web layer adapts these to tower-sessions). Each row knows its
//! user, so "log out everywhere" and disabling a login can end every session at once.

use crate::Db;

/// Inserts a new session; `false` if the id already exists (the caller picks another).
pub async fn create(
    db: &Db,
    id: &str,
    user_id: Option<i64>,
    data: &str,
    expires_at: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "insert into sessions (id, user_id, data, expires_at) values ($1, $2, $3, $4) \
         on conflict (id) do nothing",
    )
    .bind(id)
    .bind(user_id)
    .bind(data)
    .bind(expires_at)
    .execute(db.writes())
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn save(
    db: &Db,
    id: &str,
    user_id: Option<i64>,
    data: &str,
    expires_at: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into sessions (id, user_id, data, expires_at) values ($1, $2, $3, $4) \
         on conflict (id) do update set user_id = excluded.user_id, data = excluded.data, \
         expires_at = excluded.expires_at",
    )
    .bind(id)
    .bind(user_id)
    .bind(data)
    .bind(expires_at)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// The session's data, unless it does not exist or expired before `now`.
pub async fn load(db: &Db, id: &str, now: i64) -> anyhow::Result<Option<(String, i64)>> {
    Ok(sqlx::query_as("select data, expires_at from sessions where id = $1 and expires_at > $2")
        .bind(id)
        .bind(now)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn delete(db: &Db, id: &str) -> anyhow::Result<()> {
    sqlx::query("delete from sessions where id = $1").bind(id).execute(db.writes()).await?;
    Ok(())
}

/// Ends every session of the user. Returns how many ended.
pub async fn delete_for_user(db: &Db, user_id: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("delete from sessions where user_id = $1")
        .bind(user_id)
        .execute(db.writes())
        .await?;
    Ok(result.rows_affected())
}

/// Removes expired sessions.
pub async fn purge_expired(db: &Db, now: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("delete from sessions where expires_at <= $1")
        .bind(now)
        .execute(db.writes())
        .await?;
    Ok(result.rows_affected())
}

pub async fn count_for_user(db: &Db, user_id: i64) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from sessions where user_id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await?)
}
