//! Services a tenant offers, and default durations per service code.

use portico_domain::{Currency, Money, ServiceId, TenantId};
use serde::{Deserialize, Serialize};
use sqlx::{Any, FromRow};

use crate::error::constraints::SERVICE_CODE;
use crate::stored::Stored;
use crate::{Db, ResultExt as _, StoreError, versions};

/// How a service is booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A person is occupied for the duration; starts on a grid.
    Slot,
    /// A place in a timetable block with capacity for the service.
    Block,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slot => "slot",
            Self::Block => "block",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "slot" => Some(Self::Slot),
            "block" => Some(Self::Block),
            _ => None,
        }
    }
}

/// Where a service takes place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationKind {
    /// At the business: the tenant's address.
    #[default]
    Business,
    /// At the client's address, which the client enters when booking.
    Client,
    /// Online: a meeting link per booking.
    Online,
}

impl LocationKind {
    pub const ALL: [Self; 3] = [Self::Business, Self::Client, Self::Online];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Business => "business",
            Self::Client => "client",
            Self::Online => "online",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// How pages name the kind.
    pub fn label(self) -> &'static str {
        match self {
            Self::Business => "At the business",
            Self::Client => "At the client's address",
            Self::Online => "Online",
        }
    }
}

#[derive(Debug, Clone, FromRow)]
struct ServiceRow {
    #[sqlx(try_from = "Stored")]
    id: ServiceId,
    code: String,
    name: String,
    description: String,
    duration_minutes: i64,
    buffer_before_minutes: i64,
    buffer_after_minutes: i64,
    price_minor: i64,
    currency: String,
    mode: String,
    active: i64,
    display_order: i64,
    location_kind: String,
    meeting_url: String,
    prepay: i64,
}

/// A service as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub code: String,
    pub name: String,
    pub description: String,
    pub duration_minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    pub price_minor: i64,
    pub currency: String,
    pub mode: Mode,
    pub active: bool,
    pub display_order: i64,
    pub location_kind: LocationKind,
    /// The owner's meeting room for an online service; empty = a new room per booking.
    pub meeting_url: String,
    /// Payment is required to book it: the booking is made once the payment comes in.
    pub prepay: bool,
}

impl Service {
    /// The price in the service's currency.
    ///
    /// # Panics
    /// If the currency is unknown, which decoding rules out for every stored service.
    pub fn price(&self) -> Money {
        // Rows are decoded only with a known currency; a hand-built `Service` with an unknown
        // one is a programming error.
        let currency = Currency::parse(&self.currency)
            .unwrap_or_else(|_| panic!("service {} has an unknown currency", self.id));
        Money::new(self.price_minor, currency)
    }
}

/// A stored count of minutes; a negative or huge one is corrupt, not clamped.
fn minutes(column: &'static str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::corrupt(column, value))
}

impl TryFrom<ServiceRow> for Service {
    type Error = StoreError;

    fn try_from(r: ServiceRow) -> Result<Self, StoreError> {
        Currency::parse(&r.currency)
            .map_err(|_| StoreError::corrupt("services.currency", &r.currency))?;
        Ok(Self {
            id: r.id,
            duration_minutes: minutes("services.duration_minutes", r.duration_minutes)?,
            buffer_before_minutes: minutes(
                "services.buffer_before_minutes",
                r.buffer_before_minutes,
            )?,
            buffer_after_minutes: minutes("services.buffer_after_minutes", r.buffer_after_minutes)?,
            mode: Mode::parse(&r.mode)
                .ok_or_else(|| StoreError::corrupt("services.mode", &r.mode))?,
            location_kind: LocationKind::parse(&r.location_kind)
                .ok_or_else(|| StoreError::corrupt("services.location_kind", &r.location_kind))?,
            meeting_url: r.meeting_url,
            code: r.code,
            name: r.name,
            description: r.description,
            price_minor: r.price_minor,
            currency: r.currency,
            active: r.active != 0,
            display_order: r.display_order,
            prepay: r.prepay != 0,
        })
    }
}

/// The fields of a service as a form or the API gives them (already validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub duration_minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    pub price_minor: i64,
    pub currency: String,
    pub mode: Mode,
    pub active: bool,
    pub display_order: i64,
    pub location_kind: LocationKind,
    pub meeting_url: String,
    pub prepay: bool,
}

const COLUMNS: &str = "id, code, name, description, duration_minutes, buffer_before_minutes, \
    buffer_after_minutes, price_minor, currency, mode, active, display_order, location_kind, \
    meeting_url, prepay";

/// Inserts a service; `None` if the code is taken at this tenant.
pub async fn insert(
    db: &Db,
    tenant: TenantId,
    f: &ServiceFields,
    now: i64,
) -> Result<Option<Service>, StoreError> {
    let mut tx = versions::begin(db, tenant).await?;
    let row = sqlx::query_as::<Any, ServiceRow>(sqlx::AssertSqlSafe(format!(
        "insert into services (tenant_id, code, name, description, duration_minutes, \
         buffer_before_minutes, buffer_after_minutes, price_minor, currency, mode, active, \
         display_order, location_kind, meeting_url, prepay, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14, $15, $16, $13, $13) \
         on conflict (tenant_id, code) do nothing returning {COLUMNS}"
    )))
    .bind(tenant.get())
    .bind(&f.code)
    .bind(&f.name)
    .bind(&f.description)
    .bind(i64::from(f.duration_minutes))
    .bind(i64::from(f.buffer_before_minutes))
    .bind(i64::from(f.buffer_after_minutes))
    .bind(f.price_minor)
    .bind(&f.currency)
    .bind(f.mode.as_str())
    .bind(i64::from(f.active))
    .bind(f.display_order)
    .bind(now)
    .bind(f.location_kind.as_str())
    .bind(&f.meeting_url)
    .bind(i64::from(f.prepay))
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    row.map(Service::try_from).transpose()
}

/// Replaces every field of the service with `code` (the code itself may change); `None` if
/// there is no such service. A code another service took meanwhile (callers check first, but
/// a concurrent rename can win between the check and this write) is
/// [`StoreError::Conflict`] on [`SERVICE_CODE`].
pub async fn update(
    db: &Db,
    tenant: TenantId,
    code: &str,
    f: &ServiceFields,
    now: i64,
) -> Result<Option<Service>, StoreError> {
    let mut tx = versions::begin(db, tenant).await?;
    let row = sqlx::query_as::<Any, ServiceRow>(sqlx::AssertSqlSafe(format!(
        "update services set code = $1, name = $2, description = $3, duration_minutes = $4, \
         buffer_before_minutes = $5, buffer_after_minutes = $6, price_minor = $7, currency = $8, \
         mode = $9, active = $10, display_order = $11, updated_at = $12, location_kind = $15, \
         meeting_url = $16, prepay = $17 where tenant_id = $13 and code = $14 returning {COLUMNS}"
    )))
    .bind(&f.code)
    .bind(&f.name)
    .bind(&f.description)
    .bind(i64::from(f.duration_minutes))
    .bind(i64::from(f.buffer_before_minutes))
    .bind(i64::from(f.buffer_after_minutes))
    .bind(f.price_minor)
    .bind(&f.currency)
    .bind(f.mode.as_str())
    .bind(i64::from(f.active))
    .bind(f.display_order)
    .bind(now)
    .bind(tenant.get())
    .bind(code)
    .bind(f.location_kind.as_str())
    .bind(&f.meeting_url)
    .bind(i64::from(f.prepay))
    .fetch_optional(tx.conn())
    .await
    .conflict_on(SERVICE_CODE)?;
    tx.commit().await?;
    row.map(Service::try_from).transpose()
}

pub async fn by_code(db: &Db, tenant: TenantId, code: &str) -> Result<Option<Service>, StoreError> {
    let row = sqlx::query_as::<Any, ServiceRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from services where tenant_id = $1 and code = $2"
    )))
    .bind(tenant.get())
    .bind(code)
    .fetch_optional(db.pool())
    .await?;
    row.map(Service::try_from).transpose()
}

pub async fn by_id(db: &Db, tenant: TenantId, id: i64) -> Result<Option<Service>, StoreError> {
    let row = sqlx::query_as::<Any, ServiceRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from services where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Service::try_from).transpose()
}

/// Every service, in display order (`active_only` for booking pages).
pub async fn list(
    db: &Db,
    tenant: TenantId,
    active_only: bool,
) -> Result<Vec<Service>, StoreError> {
    let rows = sqlx::query_as::<Any, ServiceRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from services where tenant_id = $1 and (active = 1 or $2 = 0) \
         order by display_order, name, id"
    )))
    .bind(tenant.get())
    .bind(i64::from(active_only))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(Service::try_from).collect()
}

/// Deletes a service that was never booked; a booked one is deactivated instead (history
/// keeps pointing at it). Returns `Some(true)` deleted, `Some(false)` deactivated, `None`
/// unknown.
pub async fn delete(
    db: &Db,
    tenant: TenantId,
    code: &str,
    now: i64,
) -> anyhow::Result<Option<bool>> {
    let Some(service) = by_code(db, tenant, code).await? else { return Ok(None) };
    let mut tx = versions::begin(db, tenant).await?;
    let booked: i64 = sqlx::query_scalar(
        "select (select count(*) from bookings where service_id = $1) + \
         (select count(*) from holds where service_id = $1)",
    )
    .bind(service.id.get())
    .fetch_one(tx.conn())
    .await?;
    if booked > 0 {
        sqlx::query(
            "update services set active = 0, updated_at = $1 where id = $2 and tenant_id = $3",
        )
        .bind(now)
        .bind(service.id.get())
        .bind(tenant.get())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        return Ok(Some(false));
    }
    sqlx::query("delete from services where id = $1 and tenant_id = $2")
        .bind(service.id.get())
        .bind(tenant.get())
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(Some(true))
}

/// A default duration per service code.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct ServiceDefault {
    pub code: String,
    pub duration_minutes: i64,
    pub notes: String,
}

pub async fn set_default(
    db: &Db,
    tenant: TenantId,
    code: &str,
    duration_minutes: u32,
    notes: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into service_defaults (tenant_id, code, duration_minutes, notes) values ($1, $2, $3, $4) \
         on conflict (tenant_id, code) do update set duration_minutes = excluded.duration_minutes, \
         notes = excluded.notes",
    )
    .bind(tenant.get())
    .bind(code)
    .bind(i64::from(duration_minutes))
    .bind(notes)
    .execute(db.writes())
    .await?;
    Ok(())
}

pub async fn default_duration(
    db: &Db,
    tenant: TenantId,
    code: &str,
) -> Result<Option<u32>, StoreError> {
    let minutes: Option<i64> = sqlx::query_scalar(
        "select duration_minutes from service_defaults where tenant_id = $1 and code = $2",
    )
    .bind(tenant.get())
    .bind(code)
    .fetch_optional(db.pool())
    .await?;
    minutes.map(|m| self::minutes("service_defaults.duration_minutes", m)).transpose()
}

pub async fn defaults(db: &Db, tenant: TenantId) -> anyhow::Result<Vec<ServiceDefault>> {
    Ok(sqlx::query_as::<Any, ServiceDefault>(
        "select code, duration_minutes, notes from service_defaults where tenant_id = $1 order by code",
    )
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?)
}
