//! Busy times fetched from Google, stored so availability never waits on Google.

use portico_domain::TenantId;
use sqlx::AnyConnection;

use crate::Db;

/// Replaces the connection's busy intervals in `[from, to)` with `intervals` (epoch seconds)
/// and notes when they were fetched.
pub async fn replace(
    db: &Db,
    tenant: TenantId,
    connection: i64,
    intervals: &[(i64, i64)],
    now: i64,
) -> anyhow::Result<()> {
    let mut tx = crate::versions::begin(db, tenant).await?;
    sqlx::query("delete from calendar_busy where tenant_id = $1 and connection_id = $2")
        .bind(tenant.get())
        .bind(connection)
        .execute(tx.conn())
        .await?;
    for (start, end) in intervals {
        sqlx::query(
            "insert into calendar_busy (tenant_id, connection_id, starts_at, ends_at) \
             values ($1, $2, $3, $4)",
        )
        .bind(tenant.get())
        .bind(connection)
        .bind(start)
        .bind(end)
        .execute(tx.conn())
        .await?;
    }
    sqlx::query(
        "update calendar_connections set busy_refreshed_at = $1 where tenant_id = $2 and id = $3",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(connection)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// External busy intervals of a person in `[from, to)`: from the connected calendar of the
/// staff member's login, or for the owner (`None`) of the owners' logins. Paused connections
/// (sync off, disconnected) do not block anything.
pub async fn for_person_in(
    conn: &mut AnyConnection,
    tenant: TenantId,
    person: Option<i64>,
    from: i64,
    to: i64,
) -> anyhow::Result<Vec<(i64, i64)>> {
    let who = match person {
        Some(_) => {
            "c.user_id = (select s.user_id from staff_members s where s.tenant_id = $1 \
             and s.id = $4)"
        }
        None => {
            "$4 = 0 and exists (select 1 from memberships m where m.tenant_id = c.tenant_id \
             and m.user_id = c.user_id and m.role = 'owner')"
        }
    };
    let sql = format!(
        "select b.starts_at, b.ends_at from calendar_busy b join calendar_connections c \
         on c.tenant_id = b.tenant_id and c.id = b.connection_id where b.tenant_id = $1 \
         and b.ends_at > $2 and b.starts_at < $3 and c.status = 'connected' \
         and c.sync_enabled = 1 and {who}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant.get())
        .bind(from)
        .bind(to)
        .bind(person.unwrap_or(0))
        .fetch_all(conn)
        .await?)
}
