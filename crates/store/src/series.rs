//! Recurring series: stored rules whose occurrences become ordinary bookings over a rolling
//! horizon. An occurrence holds capacity exactly like any booking, because it is one; the
//! horizon is never shorter than how far ahead anyone may book, so a slot of a series is
//! never sold to someone else before the series has taken it.

use chrono::{Duration, NaiveDate};
use portico_domain::recurrence::Rule;
use portico_domain::schedule::{LocalMinutes, local_instant};
use portico_domain::{BookingId, ClientId, SeriesId, ServiceId, StaffId, TenantId};
use serde::Serialize;
use sqlx::{Any, FromRow};

use portico_domain::booking::occupying_sql;

use crate::catalog::Service;
use crate::stored::{Stored, StoredOpt};
use crate::tenants::Tenant;
use crate::{Db, Tx};

/// Minimum rolling horizon over which occurrences are booked.
pub const MIN_HORIZON_WEEKS: i64 = 8;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct Series {
    #[sqlx(try_from = "Stored")]
    pub id: SeriesId,
    #[sqlx(try_from = "Stored")]
    pub tenant_id: TenantId,
    /// The client the series books for.
    #[sqlx(try_from = "Stored")]
    pub client_id: ClientId,
    #[sqlx(try_from = "Stored")]
    pub service_id: ServiceId,
    #[sqlx(try_from = "StoredOpt")]
    pub staff_id: Option<StaffId>,
    pub rrule: String,
    pub starts_on: String,
    pub local_start_minute: i64,
    pub cancelled_from: String,
    pub materialized_until: String,
}

impl Series {
    pub fn rule(&self) -> anyhow::Result<Rule> {
        Ok(Rule::parse(&self.rrule, self.starts_on.parse()?)?)
    }

    pub fn cancelled_from(&self) -> Option<NaiveDate> {
        self.cancelled_from.parse().ok()
    }
}

const COLUMNS: &str = "id, tenant_id, client_id, service_id, staff_id, rrule, starts_on, \
    local_start_minute, cancelled_from, materialized_until";

/// Stores a series (its occurrences are booked by the workflow that calls this).
#[expect(clippy::too_many_arguments, reason = "one series' whole definition")]
pub async fn insert(
    tx: &mut Tx,
    tenant: &Tenant,
    client: ClientId,
    service: &Service,
    staff: Option<i64>,
    rule: &Rule,
    local_start: LocalMinutes,
    now: i64,
) -> anyhow::Result<Series> {
    Ok(sqlx::query_as::<Any, Series>(sqlx::AssertSqlSafe(format!(
        "insert into series (tenant_id, client_id, service_id, staff_id, rrule, starts_on, \
         local_start_minute, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         returning {COLUMNS}"
    )))
    .bind(tenant.id.get())
    .bind(client.get())
    .bind(service.id.get())
    .bind(staff)
    .bind(rule.to_string())
    .bind(rule.starts_on.to_string())
    .bind(i64::from(local_start.get()))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn get(db: &Db, tenant: TenantId, id: i64) -> anyhow::Result<Option<Series>> {
    Ok(sqlx::query_as::<Any, Series>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from series where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn for_client(
    db: &Db,
    tenant: TenantId,
    client: ClientId,
) -> anyhow::Result<Vec<Series>> {
    Ok(sqlx::query_as::<Any, Series>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from series where tenant_id = $1 and client_id = $2 order by id"
    )))
    .bind(tenant.get())
    .bind(client.get())
    .fetch_all(db.pool())
    .await?)
}

/// The last date to have booked by now: the longer of the minimum horizon and how far ahead
/// the tenant lets anyone book.
pub fn horizon(tenant: &Tenant, today: NaiveDate) -> NaiveDate {
    let days = (MIN_HORIZON_WEEKS * 7).max(i64::from(tenant.scheduling.max_advance_days));
    today + Duration::days(days)
}

/// Notes a date that could not be booked (once per date).
pub async fn record_skip(
    db: &Db,
    series: &Series,
    date: NaiveDate,
    reason: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into series_skips (series_id, local_date, reason, created_at) values ($1, $2, $3, $4) \
         on conflict (series_id, local_date) do nothing",
    )
    .bind(series.id.get())
    .bind(date.to_string())
    .bind(reason)
    .bind(now)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// Occurrences up to `through` are booked (or skipped).
pub async fn set_materialized_until(
    db: &Db,
    series: &Series,
    through: NaiveDate,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query("update series set materialized_until = $1, updated_at = $2 where id = $3 and tenant_id = $4")
        .bind(through.to_string())
        .bind(now)
        .bind(series.id.get())
        .bind(series.tenant_id.get())
        .execute(db.writes())
        .await?;
    Ok(())
}

/// Ends the series from `from` on (no more occurrences); returns the ids of its booked
/// occurrences on or after that date that still hold a place, for the caller to cancel.
pub async fn end_from(
    tx: &mut Tx,
    tenant: &Tenant,
    series: &Series,
    from: NaiveDate,
    now: i64,
) -> anyhow::Result<Vec<BookingId>> {
    sqlx::query(
        "update series set cancelled_from = $1, updated_at = $2 where id = $3 and tenant_id = $4",
    )
    .bind(from.to_string())
    .bind(now)
    .bind(series.id.get())
    .bind(tenant.id.get())
    .execute(&mut **tx)
    .await?;
    let cutoff = local_instant(tenant.timezone, from, LocalMinutes::MIDNIGHT).timestamp();
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select id from bookings where tenant_id = $1 and series_id = $2 and starts_at >= $3 \
         and status in {} order by starts_at",
        occupying_sql()
    )))
    .bind(tenant.id.get())
    .bind(series.id.get())
    .bind(cutoff)
    .fetch_all(&mut **tx)
    .await?;
    Ok(ids.into_iter().map(BookingId::from_store).collect())
}

/// The series' first booked occurrence on or after `from` that still holds a place: its
/// start and when it was booked (both Unix seconds).
pub async fn first_open_from(
    db: &Db,
    tenant: &Tenant,
    series: &Series,
    from: NaiveDate,
) -> anyhow::Result<Option<(i64, i64)>> {
    let cutoff = local_instant(tenant.timezone, from, LocalMinutes::MIDNIGHT).timestamp();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select starts_at, created_at from bookings where tenant_id = $1 and series_id = $2 \
         and starts_at >= $3 and status in {} order by starts_at limit 1",
        occupying_sql()
    )))
    .bind(tenant.id.get())
    .bind(series.id.get())
    .bind(cutoff)
    .fetch_optional(db.pool())
    .await?)
}

/// Deletes a series none of whose occurrences was booked (with its skip list); a series with
/// any booking is kept. Returns whether it was deleted.
pub async fn delete_unbooked(db: &Db, series: &Series) -> anyhow::Result<bool> {
    let mut tx = db.begin_write().await?;
    let booked: i64 =
        sqlx::query_scalar("select count(*) from bookings where tenant_id = $1 and series_id = $2")
            .bind(series.tenant_id.get())
            .bind(series.id.get())
            .fetch_one(&mut *tx)
            .await?;
    if booked > 0 {
        return Ok(false);
    }
    sqlx::query("delete from series_skips where series_id = $1")
        .bind(series.id.get())
        .execute(&mut *tx)
        .await?;
    let deleted = sqlx::query("delete from series where id = $1 and tenant_id = $2")
        .bind(series.id.get())
        .bind(series.tenant_id.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(deleted == 1)
}

/// Every series of every tenant, as `(tenant, series)` ids (for the periodic job).
pub async fn all_ids(db: &Db) -> anyhow::Result<Vec<(TenantId, SeriesId)>> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("select tenant_id, id from series order by tenant_id, id")
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(t, id)| (TenantId::from_store(t), SeriesId::from_store(id)))
        .collect())
}

/// Dates of the tenant's series that could not be booked.
pub async fn skips(
    db: &Db,
    tenant: TenantId,
    series: i64,
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "select k.local_date, k.reason from series_skips k join series s on s.id = k.series_id \
         where k.series_id = $1 and s.tenant_id = $2 order by k.local_date",
    )
    .bind(series)
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?)
}
