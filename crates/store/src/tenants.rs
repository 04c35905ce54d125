//! Tenants (businesses) and memberships (owners and staff logins).

use chrono::{DateTime, Utc};
use portico_domain::accounts::{Role, Slug};
use portico_domain::contact::{BrandColor, Contact};
use portico_domain::plans::Plan;
use portico_domain::{Currency, TenantId, UserId};
use sqlx::{Any, FromRow};

use crate::stored::Stored;
use crate::{Db, StoreError, Tx};

/// A tenant as stored.
#[derive(Debug, Clone, FromRow)]
pub struct TenantRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub timezone: String,
    pub currency: String,
    pub plan: String,
    pub pro_until: Option<i64>,
    pub portal_enabled: i64,
    pub created_at: i64,
    pub slot_interval_minutes: i64,
    pub min_notice_minutes: i64,
    pub max_advance_days: i64,
    pub hold_minutes: i64,
    pub cancel_cutoff_hours: i64,
    pub series_cancel_grace_minutes: i64,
    pub staff_edit_own_hours: i64,
    pub contact_email: String,
    pub contact_phone: String,
    pub contact_address: String,
    pub contact_website: String,
    pub brand_color: String,
    pub logo_version: i64,
}

/// A tenant with typed fields.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub timezone: chrono_tz::Tz,
    pub currency: String,
    pub plan: Plan,
    pub pro_until: Option<DateTime<Utc>>,
    pub portal_enabled: bool,
    /// Staff logins may edit their own weekly hours and time off.
    pub staff_edit_own_hours: bool,
    pub scheduling: Scheduling,
    /// How clients reach the business.
    pub contact: Contact,
    /// The brand colour of its pages and emails; `None` = Portico's own.
    pub brand_color: Option<BrandColor>,
    /// When its logo was uploaded (links carry it as `?v=`); `None` = no logo.
    pub logo_version: Option<i64>,
}

/// A tenant's booking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduling {
    /// Grid of start times in slot mode.
    pub slot_interval_minutes: u32,
    /// Earliest booking: this long after now.
    pub min_notice_minutes: u32,
    /// Latest booking: this many days ahead.
    pub max_advance_days: u32,
    /// How long a checkout hold keeps its place.
    pub hold_minutes: u32,
    /// Clients and guests may cancel or reschedule until this long before the start.
    pub cancel_cutoff_hours: u32,
    /// A client may cancel a series occurrence booked this many minutes ago or less even
    /// past the cut-off.
    pub series_cancel_grace_minutes: u32,
}

impl Tenant {
    /// The plan in force at `now`.
    pub fn effective_plan(&self, now: DateTime<Utc>) -> Plan {
        Plan::effective(self.plan, self.pro_until, now)
    }
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;

    /// Every stored value must decode; a bad one names its column instead of becoming a
    /// default (a corrupt plan must not quietly become FREE, or PRO).
    fn try_from(row: TenantRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: TenantId::from_store(row.id),
            timezone: row
                .timezone
                .parse()
                .map_err(|_| StoreError::corrupt("tenants.timezone", &row.timezone))?,
            plan: Plan::parse(&row.plan)
                .ok_or_else(|| StoreError::corrupt("tenants.plan", &row.plan))?,
            pro_until: row
                .pro_until
                .map(|ts| {
                    DateTime::from_timestamp(ts, 0)
                        .ok_or_else(|| StoreError::corrupt("tenants.pro_until", ts))
                })
                .transpose()?,
            currency: Currency::parse(&row.currency)
                .map_err(|_| StoreError::corrupt("tenants.currency", &row.currency))?
                .code()
                .to_owned(),
            portal_enabled: row.portal_enabled != 0,
            staff_edit_own_hours: row.staff_edit_own_hours != 0,
            scheduling: Scheduling {
                slot_interval_minutes: count(
                    "tenants.slot_interval_minutes",
                    row.slot_interval_minutes,
                )?,
                min_notice_minutes: count("tenants.min_notice_minutes", row.min_notice_minutes)?,
                max_advance_days: count("tenants.max_advance_days", row.max_advance_days)?,
                hold_minutes: count("tenants.hold_minutes", row.hold_minutes)?,
                cancel_cutoff_hours: count("tenants.cancel_cutoff_hours", row.cancel_cutoff_hours)?,
                series_cancel_grace_minutes: count(
                    "tenants.series_cancel_grace_minutes",
                    row.series_cancel_grace_minutes,
                )?,
            },
            brand_color: match row.brand_color.as_str() {
                "" => None,
                hex => Some(
                    BrandColor::parse(hex)
                        .map_err(|_| StoreError::corrupt("tenants.brand_color", hex))?,
                ),
            },
            contact: Contact {
                email: row.contact_email,
                phone: row.contact_phone,
                address: row.contact_address,
                website: row.contact_website,
            },
            logo_version: (row.logo_version > 0).then_some(row.logo_version),
            slug: row.slug,
            name: row.name,
        })
    }
}

/// A stored count (minutes, days, hours); negative or huge is corrupt.
fn count(column: &'static str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::corrupt(column, value))
}

const COLUMNS: &str = "id, slug, name, timezone, currency, plan, pro_until, portal_enabled, \
                       created_at, slot_interval_minutes, min_notice_minutes, max_advance_days, \
                       hold_minutes, cancel_cutoff_hours, series_cancel_grace_minutes, \
                       staff_edit_own_hours, contact_email, contact_phone, contact_address, \
                       contact_website, brand_color, logo_version";

/// Saves the contact details and the brand colour (`None` = Portico's own).
pub async fn update_branding(
    db: &Db,
    id: TenantId,
    contact: &Contact,
    brand_color: Option<BrandColor>,
    now: i64,
) -> Result<(), StoreError> {
    let mut tx = crate::versions::begin(db, id).await?;
    sqlx::query(
        "update tenants set contact_email = $1, contact_phone = $2, contact_address = $3, \
         contact_website = $4, brand_color = $5, updated_at = $6 where id = $7",
    )
    .bind(&contact.email)
    .bind(&contact.phone)
    .bind(&contact.address)
    .bind(&contact.website)
    .bind(brand_color.map(BrandColor::hex).unwrap_or_default())
    .bind(now)
    .bind(id.get())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Saves the booking rules.
pub async fn update_scheduling(
    db: &Db,
    id: TenantId,
    s: &Scheduling,
    now: i64,
) -> anyhow::Result<()> {
    let mut tx = crate::versions::begin(db, id).await?;
    sqlx::query(
        "update tenants set slot_interval_minutes = $1, min_notice_minutes = $2, \
         max_advance_days = $3, hold_minutes = $4, cancel_cutoff_hours = $5, \
         series_cancel_grace_minutes = $6, updated_at = $7 where id = $8",
    )
    .bind(i64::from(s.slot_interval_minutes))
    .bind(i64::from(s.min_notice_minutes))
    .bind(i64::from(s.max_advance_days))
    .bind(i64::from(s.hold_minutes))
    .bind(i64::from(s.cancel_cutoff_hours))
    .bind(i64::from(s.series_cancel_grace_minutes))
    .bind(now)
    .bind(id.get())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What sign-up or the operator provides.
#[derive(Debug, Clone)]
pub struct NewTenant<'a> {
    pub slug: &'a Slug,
    pub name: &'a str,
    pub timezone: chrono_tz::Tz,
    pub currency: &'a str,
    pub plan: Plan,
    pub pro_until: Option<DateTime<Utc>>,
}

/// Inserts a tenant; `None` if the slug is taken.
pub async fn insert(
    tx: &mut Tx,
    new: &NewTenant<'_>,
    now: i64,
) -> anyhow::Result<Option<TenantId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "insert into tenants (slug, name, timezone, currency, plan, pro_until, portal_enabled, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, 1, $7, $7) \
         on conflict (slug) do nothing returning id",
    )
    .bind(new.slug.as_str())
    .bind(new.name)
    .bind(new.timezone.name())
    .bind(new.currency)
    .bind(new.plan.as_str())
    .bind(new.pro_until.map(|t| t.timestamp()))
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id.map(TenantId::from_store))
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Tenant>, StoreError> {
    let row = sqlx::query_as::<Any, TenantRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants where slug = $1"
    )))
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    row.map(Tenant::try_from).transpose()
}

/// By number (from a session, a link or a job): the way an untrusted number becomes a
/// typed id.
pub async fn by_id(db: &Db, id: i64) -> Result<Option<Tenant>, StoreError> {
    let row = sqlx::query_as::<Any, TenantRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants where id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Tenant::try_from).transpose()
}

pub async fn slug_taken(db: &Db, slug: &str) -> anyhow::Result<bool> {
    let n: i64 = sqlx::query_scalar("select count(*) from tenants where slug = $1")
        .bind(slug)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

pub async fn list(db: &Db) -> Result<Vec<Tenant>, StoreError> {
    let rows = sqlx::query_as::<Any, TenantRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenants order by slug"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(Tenant::try_from).collect()
}

pub async fn set_plan(
    db: &Db,
    id: TenantId,
    plan: Plan,
    pro_until: Option<DateTime<Utc>>,
    now: i64,
) -> anyhow::Result<()> {
    let mut tx = crate::versions::begin(db, id).await?;
    sqlx::query("update tenants set plan = $1, pro_until = $2, updated_at = $3 where id = $4")
        .bind(plan.as_str())
        .bind(pro_until.map(|t| t.timestamp()))
        .bind(now)
        .bind(id.get())
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Editable business settings.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    pub name: &'a str,
    pub timezone: chrono_tz::Tz,
    pub currency: &'a str,
    pub portal_enabled: bool,
    pub staff_edit_own_hours: bool,
}

pub async fn update_settings(
    db: &Db,
    id: TenantId,
    s: &Settings<'_>,
    now: i64,
) -> anyhow::Result<()> {
    let mut tx = crate::versions::begin(db, id).await?;
    sqlx::query(
        "update tenants set name = $1, timezone = $2, currency = $3, portal_enabled = $4, \
         staff_edit_own_hours = $5, updated_at = $6 where id = $7",
    )
    .bind(s.name)
    .bind(s.timezone.name())
    .bind(s.currency)
    .bind(i64::from(s.portal_enabled))
    .bind(i64::from(s.staff_edit_own_hours))
    .bind(now)
    .bind(id.get())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_member(
    tx: &mut crate::versions::ScheduleTx,
    tenant: TenantId,
    user: UserId,
    role: Role,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into memberships (tenant_id, user_id, role, created_at) values ($1, $2, $3, $4) \
         on conflict (tenant_id, user_id) do update set role = excluded.role",
    )
    .bind(tenant.get())
    .bind(user.get())
    .bind(role.as_str())
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The user's role at the tenant, if they are a member.
pub async fn role_of(db: &Db, tenant: TenantId, user: UserId) -> Result<Option<Role>, StoreError> {
    let role: Option<String> =
        sqlx::query_scalar("select role from memberships where tenant_id = $1 and user_id = $2")
            .bind(tenant.get())
            .bind(user.get())
            .fetch_optional(db.pool())
            .await?;
    role.map(|role| Role::parse(&role).ok_or_else(|| StoreError::corrupt("memberships.role", role)))
        .transpose()
}

/// A tenant the user works at, for the tenant switcher.
#[derive(Debug, Clone, FromRow)]
pub struct Workplace {
    pub slug: String,
    pub name: String,
    pub role: String,
}

pub async fn workplaces(db: &Db, user: UserId) -> anyhow::Result<Vec<Workplace>> {
    Ok(sqlx::query_as::<Any, Workplace>(
        "select t.slug, t.name, m.role from memberships m join tenants t on t.id = m.tenant_id \
         where m.user_id = $1 order by t.name",
    )
    .bind(user.get())
    .fetch_all(db.pool())
    .await?)
}

/// A team member as the owner sees it.
#[derive(Debug, Clone, FromRow)]
pub struct Member {
    #[sqlx(try_from = "Stored")]
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: String,
}

pub async fn members(db: &Db, tenant: TenantId) -> anyhow::Result<Vec<Member>> {
    Ok(sqlx::query_as::<Any, Member>(
        "select u.id as user_id, u.name, u.email, m.role from memberships m \
         join users u on u.id = m.user_id where m.tenant_id = $1 order by m.role desc, u.name",
    )
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?)
}
