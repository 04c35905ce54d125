//! Staff members (PRO): bookable people with services, hours, time off and an optional login.

use portico_domain::{ServiceId, StaffId, TenantId, UserId};
use serde::Serialize;
use sqlx::{Any, FromRow};

use crate::error::constraints::STAFF_SERVICE;
use crate::stored::{Stored, StoredOpt};
use crate::{Db, ResultExt as _, StoreError, Tx, versions};

#[derive(Debug, Clone, FromRow)]
struct StaffRow {
    #[sqlx(try_from = "Stored")]
    id: StaffId,
    name: String,
    email: String,
    phone: String,
    bio: String,
    #[sqlx(try_from = "StoredOpt")]
    user_id: Option<UserId>,
    active: i64,
    display_order: i64,
    photo_version: i64,
}

/// A staff member with the codes of the services they provide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub id: StaffId,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub bio: String,
    pub user_id: Option<UserId>,
    pub active: bool,
    pub display_order: i64,
    pub services: Vec<String>,
    /// When their photo was uploaded (links carry it as `?v=`); `None` = no photo.
    pub photo_version: Option<i64>,
}

/// Validated fields; `services` are service ids of the same tenant.
#[derive(Debug, Clone, Default)]
pub struct StaffFields {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub bio: String,
    pub active: bool,
    pub display_order: i64,
    pub services: Vec<ServiceId>,
}

const COLUMNS: &str = "id, name, email, phone, bio, user_id, active, display_order, photo_version";

async fn with_services(
    db: &Db,
    tenant: TenantId,
    rows: Vec<StaffRow>,
) -> anyhow::Result<Vec<StaffMember>> {
    let links: Vec<(i64, String)> = sqlx::query_as(
        "select ss.staff_id, s.code from staff_services ss join services s on s.id = ss.service_id \
         where s.tenant_id = $1 order by s.display_order, s.code",
    )
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StaffMember {
            services: links
                .iter()
                .filter(|(id, _)| *id == r.id.get())
                .map(|(_, code)| code.clone())
                .collect(),
            id: r.id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            bio: r.bio,
            user_id: r.user_id,
            active: r.active != 0,
            photo_version: (r.photo_version > 0).then_some(r.photo_version),
            display_order: r.display_order,
        })
        .collect())
}

pub async fn list(db: &Db, tenant: TenantId) -> anyhow::Result<Vec<StaffMember>> {
    let rows = sqlx::query_as::<Any, StaffRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from staff_members where tenant_id = $1 order by display_order, name, id"
    )))
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?;
    with_services(db, tenant, rows).await
}

pub async fn get(db: &Db, tenant: TenantId, id: i64) -> anyhow::Result<Option<StaffMember>> {
    let row = sqlx::query_as::<Any, StaffRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from staff_members where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(with_services(db, tenant, row.into_iter().collect()).await?.pop())
}

pub async fn count_active(db: &Db, tenant: TenantId) -> anyhow::Result<usize> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from staff_members where tenant_id = $1 and active = 1",
    )
    .bind(tenant.get())
    .fetch_one(db.pool())
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

async fn set_services(
    tx: &mut Tx,
    tenant: TenantId,
    staff: StaffId,
    services: &[ServiceId],
) -> Result<(), StoreError> {
    sqlx::query("delete from staff_services where staff_id = $1")
        .bind(staff.get())
        .execute(&mut **tx)
        .await?;
    for service in services {
        // Only services of the same tenant can be linked.
        sqlx::query(
            "insert into staff_services (staff_id, service_id) \
             select $1, id from services where id = $2 and tenant_id = $3 \
             on conflict (staff_id, service_id) do nothing",
        )
        .bind(staff.get())
        .bind(service.get())
        .bind(tenant.get())
        .execute(&mut **tx)
        .await
        // A service deleted meanwhile (PostgreSQL; SQLite writes one at a time).
        .conflict_on(STAFF_SERVICE)?;
    }
    Ok(())
}

/// Inserts a staff member. An active one is refused past `limit` active staff; the check runs
/// under the tenant row's lock, so concurrent saves cannot overshoot it.
pub async fn insert(
    db: &Db,
    tenant: TenantId,
    f: &StaffFields,
    limit: usize,
    now: i64,
) -> Result<StaffId, StoreError> {
    let mut tx = versions::begin(db, tenant).await?;
    check_limit(&mut tx, tenant, f.active, None, limit).await?;
    let id: i64 = sqlx::query_scalar(
        "insert into staff_members (tenant_id, name, email, phone, bio, active, display_order, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning id",
    )
    .bind(tenant.get())
    .bind(&f.name)
    .bind(&f.email)
    .bind(&f.phone)
    .bind(&f.bio)
    .bind(i64::from(f.active))
    .bind(f.display_order)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    let id = StaffId::from_store(id);
    set_services(&mut tx, tenant, id, &f.services).await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces the staff member's fields; `false` if unknown.
pub async fn update(
    db: &Db,
    tenant: TenantId,
    id: StaffId,
    f: &StaffFields,
    limit: usize,
    now: i64,
) -> Result<bool, StoreError> {
    let mut tx = versions::begin(db, tenant).await?;
    check_limit(&mut tx, tenant, f.active, Some(id), limit).await?;
    let result = sqlx::query(
        "update staff_members set name = $1, email = $2, phone = $3, bio = $4, active = $5, \
         display_order = $6, updated_at = $7 where id = $8 and tenant_id = $9",
    )
    .bind(&f.name)
    .bind(&f.email)
    .bind(&f.phone)
    .bind(&f.bio)
    .bind(i64::from(f.active))
    .bind(f.display_order)
    .bind(now)
    .bind(id.get())
    .bind(tenant.get())
    .execute(tx.conn())
    .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    set_services(&mut tx, tenant, id, &f.services).await?;
    tx.commit().await?;
    Ok(true)
}

/// Serializes staff writes of the tenant and refuses one more active member past `limit`.
async fn check_limit(
    tx: &mut Tx,
    tenant: TenantId,
    active: bool,
    except: Option<StaffId>,
    limit: usize,
) -> Result<(), StoreError> {
    sqlx::query("update tenants set updated_at = updated_at where id = $1")
        .bind(tenant.get())
        .execute(&mut **tx)
        .await?;
    if !active {
        return Ok(());
    }
    let others: i64 = sqlx::query_scalar(
        "select count(*) from staff_members where tenant_id = $1 and active = 1 and id <> $2",
    )
    .bind(tenant.get())
    .bind(except.map_or(0, StaffId::get))
    .fetch_one(&mut **tx)
    .await?;
    if usize::try_from(others).unwrap_or(usize::MAX) >= limit {
        return Err(StoreError::StaffLimit(limit));
    }
    Ok(())
}

/// Deletes a staff member who never had a booking; otherwise deactivates them so history
/// keeps its names. `None` if unknown; `Some(true)` deleted.
pub async fn delete(
    db: &Db,
    tenant: TenantId,
    id: StaffId,
    now: i64,
) -> anyhow::Result<Option<bool>> {
    if get(db, tenant, id.get()).await?.is_none() {
        return Ok(None);
    }
    let mut tx = versions::begin(db, tenant).await?;
    let booked: i64 = sqlx::query_scalar(
        "select (select count(*) from bookings where staff_id = $1) + (select count(*) from holds where staff_id = $1)",
    )
    .bind(id.get())
    .fetch_one(tx.conn())
    .await?;
    if booked > 0 {
        sqlx::query(
            "update staff_members set active = 0, updated_at = $1 where id = $2 and tenant_id = $3",
        )
        .bind(now)
        .bind(id.get())
        .bind(tenant.get())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        return Ok(Some(false));
    }
    sqlx::query("delete from staff_members where id = $1 and tenant_id = $2")
        .bind(id.get())
        .bind(tenant.get())
        .execute(tx.conn())
        .await?;
    // Their photo goes with them.
    sqlx::query(
        "delete from tenant_images where tenant_id = $1 and kind = 'staff' and item_id = $2",
    )
    .bind(tenant.get())
    .bind(id.get())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(Some(true))
}

/// Gives the staff member a login (after they accepted an invitation).
pub async fn link_user(
    tx: &mut crate::versions::ScheduleTx,
    tenant: TenantId,
    id: StaffId,
    user: UserId,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "update staff_members set user_id = $1, updated_at = $2 where id = $3 and tenant_id = $4",
    )
    .bind(user.get())
    .bind(now)
    .bind(id.get())
    .bind(tenant.get())
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The staff member whose login this is, at the tenant.
pub async fn for_user(
    db: &Db,
    tenant: TenantId,
    user: UserId,
) -> anyhow::Result<Option<StaffMember>> {
    let id: Option<i64> =
        sqlx::query_scalar("select id from staff_members where tenant_id = $1 and user_id = $2")
            .bind(tenant.get())
            .bind(user.get())
            .fetch_optional(db.pool())
            .await?;
    match id {
        Some(id) => get(db, tenant, id).await,
        None => Ok(None),
    }
}

/// Staff who may be booked for a service: active, providing it, and within the plan's limit
/// (the first `limit` active staff by display order; those past it pause until an upgrade).
pub async fn bookable_for(
    db: &Db,
    tenant: TenantId,
    service_id: ServiceId,
    limit: usize,
) -> anyhow::Result<Vec<StaffId>> {
    bookable_for_in(&mut *db.pool().acquire().await?, tenant, service_id, limit).await
}

/// [`bookable_for`] on a given connection.
pub async fn bookable_for_in(
    conn: &mut sqlx::AnyConnection,
    tenant: TenantId,
    service_id: ServiceId,
    limit: usize,
) -> anyhow::Result<Vec<StaffId>> {
    // One statement: every active member in order (the plan's limit counts them all), each
    // with whether they provide the service.
    let active: Vec<(Stored, i64)> = sqlx::query_as(
        "select s.id, cast(case when exists (select 1 from staff_services p \
         where p.service_id = $2 and p.staff_id = s.id) then 1 else 0 end as bigint) \
         from staff_members s where s.tenant_id = $1 and s.active = 1 \
         order by s.display_order, s.name, s.id",
    )
    .bind(tenant.get())
    .bind(service_id.get())
    .fetch_all(&mut *conn)
    .await?;
    Ok(active
        .into_iter()
        .take(limit)
        .filter(|&(_, provides)| provides != 0)
        .map(|(id, _)| StaffId::from(id))
        .collect())
}

/// Renumbers the display order: the staff members in `ids` get 0, 1, 2, … in that order.
/// Ids of other tenants change nothing.
pub async fn reorder(db: &Db, tenant: TenantId, ids: &[StaffId], now: i64) -> anyhow::Result<()> {
    let mut tx = versions::begin(db, tenant).await?;
    for (position, id) in ids.iter().enumerate() {
        sqlx::query(
            "update staff_members set display_order = $1, updated_at = $2 \
             where id = $3 and tenant_id = $4",
        )
        .bind(i64::try_from(position)?)
        .bind(now)
        .bind(id.get())
        .bind(tenant.get())
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Links a login that just accepted a staff invitation to the staff member of the tenant with
/// the same email (the first in display order that has no login yet), unless this login is
/// already some staff member's there. Returns the staff member linked.
pub async fn link_user_by_email(
    tx: &mut crate::versions::ScheduleTx,
    tenant: TenantId,
    email: &str,
    user: UserId,
    now: i64,
) -> anyhow::Result<Option<StaffId>> {
    let already: Option<i64> = sqlx::query_scalar(
        "select id from staff_members where tenant_id = $1 and user_id = $2 limit 1",
    )
    .bind(tenant.get())
    .bind(user.get())
    .fetch_optional(tx.conn())
    .await?;
    if already.is_some() {
        return Ok(None);
    }
    let id: Option<Stored> = sqlx::query_scalar(
        "select id from staff_members where tenant_id = $1 and user_id is null \
         and lower(email) = $2 order by display_order, id limit 1",
    )
    .bind(tenant.get())
    .bind(email.trim().to_lowercase())
    .fetch_optional(tx.conn())
    .await?;
    let Some(id) = id.map(StaffId::from) else { return Ok(None) };
    Ok(link_user(tx, tenant, id, user, now).await?.then_some(id))
}
