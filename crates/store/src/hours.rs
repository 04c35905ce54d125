//! Weekly hours and time off, of a staff member or (with `staff = None`) of the owner.

use portico_domain::{Instant, StaffId, TenantId, TimeOffId};
use serde::Serialize;
use sqlx::FromRow;

use sqlx::AnyConnection;

use crate::stored::{Stored, StoredAt, StoredOpt};
use crate::{Db, versions};

/// `staff_id` as stored: NULL for the owner. Queries compare `coalesce(staff_id, 0)`.
fn person(staff: Option<i64>) -> i64 {
    staff.unwrap_or(0)
}

/// One weekly range: ISO weekday (Monday = 1), local minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow, Serialize)]
pub struct HourRange {
    pub weekday: i64,
    pub start_minute: i64,
    pub end_minute: i64,
}

/// Replaces the person's weekly hours.
pub async fn replace_weekly(
    db: &Db,
    tenant: TenantId,
    staff: Option<i64>,
    ranges: &[HourRange],
) -> anyhow::Result<()> {
    let mut tx = versions::begin(db, tenant).await?;
    sqlx::query("delete from weekly_hours where tenant_id = $1 and coalesce(staff_id, 0) = $2")
        .bind(tenant.get())
        .bind(person(staff))
        .execute(tx.conn())
        .await?;
    for r in ranges {
        sqlx::query(
            "insert into weekly_hours (tenant_id, staff_id, weekday, start_minute, end_minute) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.get())
        .bind(staff)
        .bind(r.weekday)
        .bind(r.start_minute)
        .bind(r.end_minute)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn weekly(
    db: &Db,
    tenant: TenantId,
    staff: Option<i64>,
) -> anyhow::Result<Vec<HourRange>> {
    weekly_in(&mut *db.pool().acquire().await?, tenant, staff).await
}

/// [`weekly`] on a given connection (e.g. inside a booking transaction).
pub async fn weekly_in(
    conn: &mut AnyConnection,
    tenant: TenantId,
    staff: Option<i64>,
) -> anyhow::Result<Vec<HourRange>> {
    Ok(sqlx::query_as(
        "select weekday, start_minute, end_minute from weekly_hours \
         where tenant_id = $1 and coalesce(staff_id, 0) = $2 order by weekday, start_minute",
    )
    .bind(tenant.get())
    .bind(person(staff))
    .fetch_all(conn)
    .await?)
}

/// Every weekly range of the tenant with whose it is (`None` = the owner), for pages that lay
/// out everybody's day at once (one indexed read of a small table).
pub async fn weekly_of_tenant(
    db: &Db,
    tenant: TenantId,
) -> anyhow::Result<Vec<(Option<i64>, HourRange)>> {
    let rows: Vec<(Option<i64>, i64, i64, i64)> = sqlx::query_as(
        "select staff_id, weekday, start_minute, end_minute from weekly_hours \
         where tenant_id = $1 order by weekday, start_minute",
    )
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(staff, weekday, start_minute, end_minute)| {
            (staff, HourRange { weekday, start_minute, end_minute })
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct TimeOff {
    #[sqlx(try_from = "Stored")]
    pub id: TimeOffId,
    #[sqlx(try_from = "StoredOpt")]
    pub staff_id: Option<StaffId>,
    #[sqlx(try_from = "StoredAt")]
    pub starts_at: Instant,
    #[sqlx(try_from = "StoredAt")]
    pub ends_at: Instant,
    pub reason: String,
}

pub async fn add_time_off(
    db: &Db,
    tenant: TenantId,
    staff: Option<i64>,
    starts_at: i64,
    ends_at: i64,
    reason: &str,
    now: i64,
) -> anyhow::Result<TimeOff> {
    let mut tx = versions::begin(db, tenant).await?;
    let row: TimeOff = sqlx::query_as(
        "insert into time_off (tenant_id, staff_id, starts_at, ends_at, reason, created_at) \
         values ($1, $2, $3, $4, $5, $6) returning id, staff_id, starts_at, ends_at, reason",
    )
    .bind(tenant.get())
    .bind(staff)
    .bind(starts_at)
    .bind(ends_at)
    .bind(reason)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Time off of the person that overlaps [from, to).
pub async fn time_off(
    db: &Db,
    tenant: TenantId,
    staff: Option<i64>,
    from: i64,
    to: i64,
) -> anyhow::Result<Vec<TimeOff>> {
    time_off_in(&mut *db.pool().acquire().await?, tenant, staff, from, to).await
}

/// [`time_off`] on a given connection.
pub async fn time_off_in(
    conn: &mut AnyConnection,
    tenant: TenantId,
    staff: Option<i64>,
    from: i64,
    to: i64,
) -> anyhow::Result<Vec<TimeOff>> {
    Ok(sqlx::query_as(
        "select id, staff_id, starts_at, ends_at, reason from time_off \
         where tenant_id = $1 and coalesce(staff_id, 0) = $2 and ends_at > $3 and starts_at < $4 \
         order by starts_at",
    )
    .bind(tenant.get())
    .bind(person(staff))
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Everyone's upcoming time off (for the owner's page).
pub async fn upcoming_time_off(
    db: &Db,
    tenant: TenantId,
    from: i64,
) -> anyhow::Result<Vec<TimeOff>> {
    Ok(sqlx::query_as(
        "select id, staff_id, starts_at, ends_at, reason from time_off \
         where tenant_id = $1 and ends_at > $2 order by starts_at",
    )
    .bind(tenant.get())
    .bind(from)
    .fetch_all(db.pool())
    .await?)
}

pub async fn delete_time_off(db: &Db, tenant: TenantId, id: TimeOffId) -> anyhow::Result<bool> {
    let mut tx = versions::begin(db, tenant).await?;
    let result = sqlx::query("delete from time_off where id = $1 and tenant_id = $2")
        .bind(id.get())
        .bind(tenant.get())
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(result.rows_affected() == 1)
}

/// One time-off entry of the tenant, whoever it belongs to.
pub async fn get_time_off(db: &Db, tenant: TenantId, id: i64) -> anyhow::Result<Option<TimeOff>> {
    Ok(sqlx::query_as(
        "select id, staff_id, starts_at, ends_at, reason from time_off \
         where id = $1 and tenant_id = $2",
    )
    .bind(id)
    .bind(tenant.get())
    .fetch_optional(db.pool())
    .await?)
}
