//! The audit log: who did what, when, from where.

use portico_domain::{TenantId, UserId};
use sqlx::{Any, FromRow};

use crate::{Db, Tx};

/// One thing worth recording.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub tenant: Option<TenantId>,
    pub actor: Option<UserId>,
    pub action: &'a str,
    pub detail: String,
    pub ip: &'a str,
}

pub async fn record(db: &Db, entry: &Entry<'_>, now: i64) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    record_in(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn record_in(tx: &mut Tx, entry: &Entry<'_>, now: i64) -> anyhow::Result<()> {
    sqlx::query(
        "insert into audit_log (tenant_id, actor_user_id, action, detail, ip, created_at) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.tenant.map(|t| t.get()))
    .bind(entry.actor.map(|u| u.get()))
    .bind(entry.action)
    .bind(&entry.detail)
    .bind(entry.ip)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The insert of `rows` audit rows whose parameters are numbered from `$first` on: each row's
/// tenant, actor, action, detail, ip and time (for a commit that writes them with other rows,
/// [`crate::versions::ScheduleTx::commit`]).
pub(crate) fn insert_sql(first: usize, rows: usize) -> String {
    let rows: Vec<String> = (0..rows)
        .map(|i| {
            let marks: Vec<String> =
                (first + 6 * i..first + 6 * (i + 1)).map(|n| format!("${n}")).collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    format!(
        "insert into audit_log (tenant_id, actor_user_id, action, detail, ip, created_at) values {}",
        rows.join(", ")
    )
}

#[derive(Debug, Clone, FromRow)]
pub struct LogLine {
    pub id: i64,
    pub action: String,
    pub detail: String,
    pub ip: String,
    pub created_at: i64,
    pub actor: Option<String>,
}

/// The tenant's log, newest first.
pub async fn for_tenant(db: &Db, tenant: TenantId, limit: i64) -> anyhow::Result<Vec<LogLine>> {
    Ok(sqlx::query_as::<Any, LogLine>(
        "select a.id, a.action, a.detail, a.ip, a.created_at, u.email as actor \
         from audit_log a left join users u on u.id = a.actor_user_id \
         where a.tenant_id = $1 order by a.id desc limit $2",
    )
    .bind(tenant.get())
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Entries about a user, across tenants (login events have no tenant).
pub async fn for_actor(db: &Db, user: UserId, limit: i64) -> anyhow::Result<Vec<LogLine>> {
    Ok(sqlx::query_as::<Any, LogLine>(
        "select a.id, a.action, a.detail, a.ip, a.created_at, u.email as actor \
         from audit_log a left join users u on u.id = a.actor_user_id \
         where a.actor_user_id = $1 order by a.id desc limit $2",
    )
    .bind(user.get())
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}
