//! Busy times fetched from Google, stored so availability never waits on Google.

use portico_domain::{CalendarConnectionId, TenantId};

use crate::Db;

/// Replaces the connection's busy intervals in `[from, to)` with `intervals` (epoch seconds)
/// and notes when they were fetched.
pub async fn replace(
    db: &Db,
    tenant: TenantId,
    connection: CalendarConnectionId,
    intervals: &[(i64, i64)],
    now: i64,
) -> anyhow::Result<()> {
    let mut tx = crate::versions::begin(db, tenant).await?;
    sqlx::query("delete from calendar_busy where tenant_id = $1 and connection_id = $2")
        .bind(tenant.get())
        .bind(connection.get())
        .execute(tx.conn())
        .await?;
    for (start, end) in intervals {
        sqlx::query(
            "insert into calendar_busy (tenant_id, connection_id, starts_at, ends_at) \
             values ($1, $2, $3, $4)",
        )
        .bind(tenant.get())
        .bind(connection.get())
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
    .bind(connection.get())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whose calendars count for a person: for a staff member (`staff`) the connections of their
/// login, `param` being their id; for the owner (`param` = 0) the owners' logins. A condition
/// on `c` (calendar_connections) with `$1` the tenant.
pub(crate) fn who_sql(staff: bool, param: &str) -> String {
    if staff {
        format!(
            "c.user_id = (select s.user_id from staff_members s where s.tenant_id = $1 and s.id = {param})"
        )
    } else {
        format!(
            "{param} = 0 and exists (select 1 from memberships m where m.tenant_id = c.tenant_id \
             and m.user_id = c.user_id and m.role = 'owner')"
        )
    }
}
