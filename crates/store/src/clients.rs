//! A tenant's clients. Every query is scoped by the tenant id.

use portico_domain::{ClientId, Instant, TenantId, UserId};
use sqlx::{Any, FromRow};

use crate::stored::{Stored, StoredAt, StoredOpt};
use crate::{Db, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct Client {
    #[sqlx(try_from = "Stored")]
    pub id: ClientId,
    /// The business the record belongs to.
    #[sqlx(try_from = "Stored")]
    pub tenant_id: TenantId,
    /// The portal login linked to the record, if any.
    #[sqlx(try_from = "StoredOpt")]
    pub user_id: Option<UserId>,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub notes: String,
    pub portal_login_disabled: i64,
    pub can_self_reschedule: i64,
    #[sqlx(try_from = "StoredAt")]
    pub created_at: Instant,
}

impl Client {
    pub fn login_disabled(&self) -> bool {
        self.portal_login_disabled != 0
    }
}

const COLUMNS: &str = "id, tenant_id, user_id, name, email, phone, address, notes, \
                       portal_login_disabled, can_self_reschedule, created_at";

/// The editable fields of a client.
#[derive(Debug, Clone, Default)]
pub struct ClientFields {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub notes: String,
    pub can_self_reschedule: bool,
}

pub async fn insert(
    tx: &mut Tx,
    tenant: TenantId,
    fields: &ClientFields,
    user: Option<UserId>,
    now: i64,
) -> anyhow::Result<ClientId> {
    let id: i64 = sqlx::query_scalar(
        "insert into clients (tenant_id, user_id, name, email, phone, address, notes, \
         can_self_reschedule, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) returning id",
    )
    .bind(tenant.get())
    .bind(user.map(|u| u.get()))
    .bind(&fields.name)
    .bind(&fields.email)
    .bind(&fields.phone)
    .bind(&fields.address)
    .bind(&fields.notes)
    .bind(i64::from(fields.can_self_reschedule))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(ClientId::from_store(id))
}

pub async fn update(
    db: &Db,
    tenant: TenantId,
    id: ClientId,
    fields: &ClientFields,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "update clients set name = $1, email = $2, phone = $3, address = $4, notes = $5, \
         can_self_reschedule = $6, updated_at = $7 where id = $8 and tenant_id = $9",
    )
    .bind(&fields.name)
    .bind(&fields.email)
    .bind(&fields.phone)
    .bind(&fields.address)
    .bind(&fields.notes)
    .bind(i64::from(fields.can_self_reschedule))
    .bind(now)
    .bind(id.get())
    .bind(tenant.get())
    .execute(db.writes())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// What a client may change about themselves in the portal.
pub async fn update_contact(
    db: &Db,
    tenant: TenantId,
    id: ClientId,
    name: &str,
    phone: &str,
    address: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "update clients set name = $1, phone = $2, address = $3, updated_at = $4 \
         where id = $5 and tenant_id = $6",
    )
    .bind(name)
    .bind(phone)
    .bind(address)
    .bind(now)
    .bind(id.get())
    .bind(tenant.get())
    .execute(db.writes())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The tenant's client with the number `id` (from a path, a form or a stored request): the
/// way an untrusted number becomes a [`ClientId`].
pub async fn get(db: &Db, tenant: TenantId, id: i64) -> anyhow::Result<Option<Client>> {
    Ok(sqlx::query_as::<Any, Client>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from clients where id = $1 and tenant_id = $2"
    )))
    .bind(id)
    .bind(tenant.get())
    .fetch_optional(db.pool())
    .await?)
}

/// The user's client record at the tenant.
pub async fn for_user(db: &Db, tenant: TenantId, user: UserId) -> anyhow::Result<Option<Client>> {
    Ok(sqlx::query_as::<Any, Client>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from clients where tenant_id = $1 and user_id = $2"
    )))
    .bind(tenant.get())
    .bind(user.get())
    .fetch_optional(db.pool())
    .await?)
}

/// Lists clients, optionally filtered by a search over name, email and phone.
pub async fn search(
    db: &Db,
    tenant: TenantId,
    query: &str,
    limit: i64,
) -> anyhow::Result<Vec<Client>> {
    let pattern = format!("%{}%", query.trim().to_lowercase().replace(['%', '_'], ""));
    Ok(sqlx::query_as::<Any, Client>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from clients where tenant_id = $1 and \
         (lower(name) like $2 or lower(email) like $2 or phone like $2) \
         order by lower(name), id limit $3"
    )))
    .bind(tenant.get())
    .bind(pattern)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Links a login to the client record (after the person proved they own the email).
/// `false` if the user already has another client record at this tenant.
pub async fn link_user(
    tx: &mut Tx,
    tenant: TenantId,
    id: ClientId,
    user: UserId,
    now: i64,
) -> anyhow::Result<bool> {
    let other: i64 = sqlx::query_scalar(
        "select count(*) from clients where tenant_id = $1 and user_id = $2 and id <> $3",
    )
    .bind(tenant.get())
    .bind(user.get())
    .bind(id.get())
    .fetch_one(&mut **tx)
    .await?;
    if other > 0 {
        return Ok(false);
    }
    let result = sqlx::query(
        "update clients set user_id = $1, portal_login_disabled = 0, updated_at = $2 \
         where id = $3 and tenant_id = $4",
    )
    .bind(user.get())
    .bind(now)
    .bind(id.get())
    .bind(tenant.get())
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn set_login_disabled(
    db: &Db,
    tenant: TenantId,
    id: ClientId,
    disabled: bool,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "update clients set portal_login_disabled = $1, updated_at = $2 where id = $3 and tenant_id = $4",
    )
    .bind(i64::from(disabled))
    .bind(now)
    .bind(id.get())
    .bind(tenant.get())
    .execute(db.writes())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Unlinks the login from the client record; returns the user it was linked to.
pub async fn unlink_user(
    tx: &mut Tx,
    tenant: TenantId,
    id: ClientId,
    now: i64,
) -> anyhow::Result<Option<UserId>> {
    let user: Option<Option<i64>> =
        sqlx::query_scalar("select user_id from clients where id = $1 and tenant_id = $2")
            .bind(id.get())
            .bind(tenant.get())
            .fetch_optional(&mut **tx)
            .await?;
    let Some(Some(user)) = user else { return Ok(None) };
    sqlx::query(
        "update clients set user_id = null, portal_login_disabled = 0, updated_at = $1 \
         where id = $2 and tenant_id = $3",
    )
    .bind(now)
    .bind(id.get())
    .bind(tenant.get())
    .execute(&mut **tx)
    .await?;
    Ok(Some(UserId::from_store(user)))
}

/// A provider the user is a client of, for `/portal`.
#[derive(Debug, Clone, FromRow)]
pub struct Provider {
    pub slug: String,
    pub name: String,
}

pub async fn providers_of(db: &Db, user: UserId) -> anyhow::Result<Vec<Provider>> {
    Ok(sqlx::query_as::<Any, Provider>(
        "select t.slug, t.name from clients c join tenants t on t.id = c.tenant_id \
         where c.user_id = $1 and c.portal_login_disabled = 0 and t.portal_enabled = 1 \
         order by t.name",
    )
    .bind(user.get())
    .fetch_all(db.pool())
    .await?)
}

/// Every client record linked to the user, across tenants.
pub async fn records_of_user(db: &Db, user: UserId) -> anyhow::Result<Vec<Client>> {
    Ok(sqlx::query_as::<Any, Client>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from clients where user_id = $1"
    )))
    .bind(user.get())
    .fetch_all(db.pool())
    .await?)
}

/// The oldest client record at the tenant with this email and no login yet.
pub async fn unlinked_with_email(
    db: &Db,
    tenant: TenantId,
    email: &str,
) -> anyhow::Result<Option<ClientId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "select id from clients where tenant_id = $1 and lower(email) = lower($2) and user_id is null \
         order by id limit 1",
    )
    .bind(tenant.get())
    .bind(email)
    .fetch_optional(db.pool())
    .await?;
    Ok(id.map(ClientId::from_store))
}

/// How many clients the tenant has.
pub async fn count(db: &Db, tenant: TenantId) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from clients where tenant_id = $1")
        .bind(tenant.get())
        .fetch_one(db.pool())
        .await?)
}

/// What [`adopt_unlinked`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// The record the login now has at the tenant.
    pub record: ClientId,
    /// The bookings that record already had (now the login's), in id order.
    pub bookings: Vec<i64>,
}

/// After the login's address is verified: if the tenant has an unlinked client record with
/// that address that is older than the login's own record `own` (typically the provider's
/// record of a person who then registered at the portal, which made `own`), the login takes
/// the older record instead — a login has one record per tenant. `own`'s bookings and series
/// move to it, its phone fills an empty one, and `own` is deleted when nothing else refers to
/// it (otherwise it stays, unlinked). Nothing happens if `own` is no longer the login's.
/// Idempotent: afterwards the login's record is the oldest with the address.
pub async fn adopt_unlinked(
    tx: &mut Tx,
    tenant: TenantId,
    own: ClientId,
    user: UserId,
    email: &str,
    now: i64,
) -> anyhow::Result<Option<Adopted>> {
    let email = email.trim().to_lowercase();
    let older: Option<i64> = sqlx::query_scalar(
        "select id from clients where tenant_id = $1 and user_id is null and lower(email) = $2 \
         and id < $3 order by id limit 1",
    )
    .bind(tenant.get())
    .bind(&email)
    .bind(own.get())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(older) = older else { return Ok(None) };
    let phone: Option<String> = sqlx::query_scalar(
        "update clients set user_id = null, updated_at = $1 \
         where id = $2 and tenant_id = $3 and user_id = $4 returning phone",
    )
    .bind(now)
    .bind(own.get())
    .bind(tenant.get())
    .bind(user.get())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(phone) = phone else { return Ok(None) };
    sqlx::query(
        "update clients set user_id = $1, phone = case when phone = '' then $2 else phone end, \
         updated_at = $3 where id = $4 and tenant_id = $5",
    )
    .bind(user.get())
    .bind(&phone)
    .bind(now)
    .bind(older)
    .bind(tenant.get())
    .execute(&mut **tx)
    .await?;
    let bookings: Vec<i64> = sqlx::query_scalar(
        "select id from bookings where tenant_id = $1 and client_id = $2 order by id",
    )
    .bind(tenant.get())
    .bind(older)
    .fetch_all(&mut **tx)
    .await?;
    for table in ["bookings", "series"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "update {table} set client_id = $1, updated_at = $2 \
             where tenant_id = $3 and client_id = $4"
        )))
        .bind(older)
        .bind(now)
        .bind(tenant.get())
        .bind(own.get())
        .execute(&mut **tx)
        .await?;
    }
    // The emptied record goes, unless some other row still refers to it: a savepoint keeps
    // a refused delete (a foreign key) from aborting the whole transaction.
    sqlx::query("savepoint adopt_unlinked").execute(&mut **tx).await?;
    let deleted = sqlx::query("delete from clients where id = $1 and tenant_id = $2")
        .bind(own.get())
        .bind(tenant.get())
        .execute(&mut **tx)
        .await;
    match deleted {
        Ok(_) => sqlx::query("release savepoint adopt_unlinked").execute(&mut **tx).await?,
        Err(error) => {
            tracing::info!(client = own.get(), %error, "kept the emptied client record");
            sqlx::query("rollback to savepoint adopt_unlinked").execute(&mut **tx).await?;
            sqlx::query("release savepoint adopt_unlinked").execute(&mut **tx).await?
        }
    };
    Ok(Some(Adopted { record: ClientId::from_store(older), bookings }))
}

/// The client's stored address (empty if none, or no such client), inside a transaction.
pub async fn address_in(tx: &mut Tx, tenant: TenantId, id: ClientId) -> anyhow::Result<String> {
    let address: Option<String> =
        sqlx::query_scalar("select address from clients where tenant_id = $1 and id = $2")
            .bind(tenant.get())
            .bind(id.get())
            .fetch_optional(&mut **tx)
            .await?;
    Ok(address.unwrap_or_default())
}
