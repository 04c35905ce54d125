//! Logins. Users are global: one per email, related to tenants by memberships and client
//! records.

use portico_domain::accounts::Email;
use portico_domain::{Instant, UserId};
use sqlx::{Any, FromRow};

use crate::stored::{Stored, StoredAtOpt};
use crate::{Db, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct User {
    #[sqlx(try_from = "Stored")]
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    #[sqlx(try_from = "StoredAtOpt")]
    pub email_verified_at: Option<Instant>,
}

const COLUMNS: &str = "id, email, name, password_hash, email_verified_at";

/// Inserts a user; `None` if the email is taken.
pub async fn insert(
    tx: &mut Tx,
    email: &Email,
    name: &str,
    password_hash: Option<&str>,
    verified_at: Option<i64>,
    now: i64,
) -> anyhow::Result<Option<UserId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "insert into users (email, name, password_hash, email_verified_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5) on conflict (email) do nothing returning id",
    )
    .bind(email.as_str())
    .bind(name)
    .bind(password_hash)
    .bind(verified_at)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id.map(UserId::from_store))
}

pub async fn by_email(db: &Db, email: &Email) -> anyhow::Result<Option<User>> {
    Ok(sqlx::query_as::<Any, User>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from users where email = $1"
    )))
    .bind(email.as_str())
    .fetch_optional(db.pool())
    .await?)
}

/// By number (from a session, a link or a job): the way an untrusted number becomes a
/// typed id.
pub async fn by_id(db: &Db, id: i64) -> anyhow::Result<Option<User>> {
    Ok(sqlx::query_as::<Any, User>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from users where id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn set_password(tx: &mut Tx, id: UserId, hash: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("update users set password_hash = $1, updated_at = $2 where id = $3")
        .bind(hash)
        .bind(now)
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn mark_verified(tx: &mut Tx, id: UserId, now: i64) -> anyhow::Result<()> {
    sqlx::query(
        "update users set email_verified_at = coalesce(email_verified_at, $1), updated_at = $1 \
         where id = $2",
    )
    .bind(now)
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_name(db: &Db, id: UserId, name: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("update users set name = $1, updated_at = $2 where id = $3")
        .bind(name)
        .bind(now)
        .bind(id.get())
        .execute(db.writes())
        .await?;
    Ok(())
}

/// Deletes a login only if nothing links to it any more (no membership, no client record).
/// Returns whether it was deleted.
pub async fn delete_if_unlinked(tx: &mut Tx, id: UserId) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "delete from users where id = $1 \
         and not exists (select 1 from memberships where user_id = $1) \
         and not exists (select 1 from clients where user_id = $1)",
    )
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}
