//! Recurring series: stored rules whose occurrences become ordinary bookings over a rolling
//! horizon. An occurrence holds capacity exactly like any booking, because it is one; the
//! horizon is never shorter than how far ahead anyone may book, so a slot of a series is
//! never sold to someone else before the series has taken it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use portico_domain::recurrence::Rule;
use portico_domain::schedule::{LocalMinutes, local_instant};
use portico_domain::{ClientId, TenantId};
use serde::Serialize;
use sqlx::{Any, FromRow};

use crate::bookings::{self, Actor, BookingError, NewBooking, Party, Slot, Status};
use crate::catalog::{self, Mode, Service};
use crate::tenants::{self, Tenant};
use crate::{Db, availability, blocks};

/// Minimum rolling horizon over which occurrences are booked.
pub const MIN_HORIZON_WEEKS: i64 = 8;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct Series {
    pub id: i64,
    pub tenant_id: i64,
    pub client_id: i64,
    pub service_id: i64,
    pub staff_id: Option<i64>,
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

/// What materializing produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub booked: Vec<NaiveDate>,
    /// Dates that could not be booked, with the reason.
    pub skipped: Vec<(NaiveDate, String)>,
}

/// Stores a series and books its occurrences up to the horizon.
#[expect(clippy::too_many_arguments, reason = "one series' whole definition")]
pub async fn create(
    db: &Db,
    tenant: &Tenant,
    client: ClientId,
    service: &Service,
    staff: Option<i64>,
    rule: &Rule,
    local_start: LocalMinutes,
    now: DateTime<Utc>,
) -> anyhow::Result<(Series, Outcome)> {
    let id: i64 = sqlx::query_scalar(
        "insert into series (tenant_id, client_id, service_id, staff_id, rrule, starts_on, \
         local_start_minute, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning id",
    )
    .bind(tenant.id.0)
    .bind(client.0)
    .bind(service.id)
    .bind(staff)
    .bind(rule.to_string())
    .bind(rule.starts_on.to_string())
    .bind(i64::from(local_start.get()))
    .bind(now.timestamp())
    .fetch_one(db.pool())
    .await?;
    let series =
        get(db, tenant.id, id).await?.ok_or_else(|| anyhow::anyhow!("series {id} vanished"))?;
    let outcome = materialize(db, tenant, &series, now).await?;
    Ok((series, outcome))
}

pub async fn get(db: &Db, tenant: TenantId, id: i64) -> anyhow::Result<Option<Series>> {
    Ok(sqlx::query_as::<Any, Series>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from series where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
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
    .bind(tenant.0)
    .bind(client.0)
    .fetch_all(db.pool())
    .await?)
}

/// The last date to have booked by now: the longer of the minimum horizon and how far ahead
/// the tenant lets anyone book.
pub fn horizon(tenant: &Tenant, today: NaiveDate) -> NaiveDate {
    let days = (MIN_HORIZON_WEEKS * 7).max(i64::from(tenant.scheduling.max_advance_days));
    today + Duration::days(days)
}

/// Books the occurrences not yet booked, from today up to the horizon. Idempotent: dates up
/// to `materialized_until` are never booked twice (a cancelled occurrence stays cancelled).
pub async fn materialize(
    db: &Db,
    tenant: &Tenant,
    series: &Series,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let rule = series.rule()?;
    let today = availability::local_date(tenant, now);
    let mut through = horizon(tenant, today);
    if let Some(cancelled) = series.cancelled_from() {
        through = through.min(cancelled - Duration::days(1));
    }
    let after: Option<NaiveDate> = series.materialized_until.parse().ok();
    let from = after.map_or(today, |d| (d + Duration::days(1)).max(today));
    let mut outcome = Outcome::default();
    if from > through {
        return Ok(outcome);
    }
    let service = catalog::by_id(db, tenant.id, series.service_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("series {} has no service", series.id))?;
    let minute = LocalMinutes::new(u16::try_from(series.local_start_minute)?)?;
    for date in rule.dates_between(from, through) {
        match book_occurrence(db, tenant, series, &service, date, minute, now).await {
            Ok(()) => outcome.booked.push(date),
            Err(reason) => {
                sqlx::query(
                    "insert into series_skips (series_id, local_date, reason, created_at) values ($1, $2, $3, $4) \
                     on conflict (series_id, local_date) do nothing",
                )
                .bind(series.id)
                .bind(date.to_string())
                .bind(&reason)
                .bind(now.timestamp())
                .execute(db.pool())
                .await?;
                outcome.skipped.push((date, reason));
            }
        }
    }
    sqlx::query("update series set materialized_until = $1, updated_at = $2 where id = $3")
        .bind(through.to_string())
        .bind(now.timestamp())
        .bind(series.id)
        .execute(db.pool())
        .await?;
    Ok(outcome)
}

/// Books one occurrence; `Err` carries a reason for the skip list.
async fn book_occurrence(
    db: &Db,
    tenant: &Tenant,
    series: &Series,
    service: &Service,
    date: NaiveDate,
    minute: LocalMinutes,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let start = local_instant(tenant.timezone, date, minute);
    let block = match service.mode {
        Mode::Slot => None,
        Mode::Block => {
            let found = blocks::between(db, tenant.id, date, date, now.timestamp())
                .await
                .map_err(|e| format!("{e:#}"))?
                .into_iter()
                .find(|b| {
                    b.start_minute == minute.get()
                        && b.capacities.iter().any(|c| c.service_id == service.id)
                });
            Some(found.ok_or("no block at that time")?.id)
        }
    };
    let new = NewBooking {
        service,
        slot: Slot { start, staff: series.staff_id, block },
        party: Party::Client(ClientId(series.client_id)),
        notes: String::new(),
        hold_token: None,
        actor: Actor::System,
    };
    match bookings::create_occurrence(db, tenant, &new, series.id, now).await {
        Ok(_) => Ok(()),
        Err(BookingError::Unavailable) => Err("the place was already taken".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

/// Ends the series from `from` on: no more occurrences are booked, and booked ones on or
/// after that date are cancelled. Returns how many were cancelled.
pub async fn cancel_from(
    db: &Db,
    tenant: &Tenant,
    series: &Series,
    from: NaiveDate,
    actor: Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    sqlx::query(
        "update series set cancelled_from = $1, updated_at = $2 where id = $3 and tenant_id = $4",
    )
    .bind(from.to_string())
    .bind(now.timestamp())
    .bind(series.id)
    .bind(tenant.id.0)
    .execute(db.pool())
    .await?;
    let cutoff = local_instant(tenant.timezone, from, LocalMinutes::MIDNIGHT).timestamp();
    let ids: Vec<i64> = sqlx::query_scalar(
        "select id from bookings where tenant_id = $1 and series_id = $2 and starts_at >= $3 \
         and status in ('pending', 'confirmed') order by starts_at",
    )
    .bind(tenant.id.0)
    .bind(series.id)
    .bind(cutoff)
    .fetch_all(db.pool())
    .await?;
    for id in &ids {
        bookings::set_status(db, tenant, *id, Status::Cancelled, actor, now, |_| Ok(Vec::new()))
            .await
            .map_err(|e| anyhow::anyhow!("cancelling occurrence {id}: {e}"))?;
    }
    Ok(ids.len())
}

/// Materializes every active series of every tenant (the periodic job).
pub async fn materialize_all(db: &Db, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("select id, tenant_id from series order by tenant_id, id")
            .fetch_all(db.pool())
            .await?;
    let mut booked = 0;
    for (id, tenant_id) in rows {
        let Some(tenant) = tenants::by_id(db, TenantId(tenant_id)).await? else { continue };
        let Some(series) = get(db, tenant.id, id).await? else { continue };
        booked += materialize(db, &tenant, &series, now).await?.booked.len();
    }
    Ok(booked)
}

/// Dates of the series that could not be booked.
pub async fn skips(db: &Db, series: i64) -> anyhow::Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "select local_date, reason from series_skips where series_id = $1 order by local_date",
    )
    .bind(series)
    .fetch_all(db.pool())
    .await?)
}
