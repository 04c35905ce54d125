//! Google Calendar connections (PRO): one per person and tenant, with what the calendar page
//! shows (account, target calendar, sync on/off, last sync, last error, backfill progress).
//! The tokens are sealed in `tenant_secrets` under [`token_slot`]; nothing here holds them.

pub mod busy;
pub mod syncs;

use portico_domain::{BookingId, CalendarConnectionId, Instant, TenantId, UserId};
use sqlx::{Any, FromRow};

use crate::sealed::{SecretKind, Slot};
use crate::stored::{Stored, StoredAt, StoredAtOpt};
use crate::{Db, Tx};

/// A connection's status.
pub const CONNECTED: &str = "connected";
pub const DISCONNECTED: &str = "disconnected";

/// A person's calendar connection.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Connection {
    #[sqlx(try_from = "Stored")]
    pub id: CalendarConnectionId,
    #[sqlx(try_from = "Stored")]
    pub tenant_id: TenantId,
    #[sqlx(try_from = "Stored")]
    pub user_id: UserId,
    pub status: String,
    pub google_account: String,
    pub calendar_id: String,
    pub sync_enabled: i64,
    #[sqlx(try_from = "StoredAt")]
    pub access_expires_at: Instant,
    #[sqlx(try_from = "StoredAtOpt")]
    pub last_synced_at: Option<Instant>,
    pub last_error: Option<String>,
    #[sqlx(try_from = "StoredAtOpt")]
    pub disconnect_notified_at: Option<Instant>,
    pub backfill_total: i64,
    pub backfill_done: i64,
    #[sqlx(try_from = "StoredAtOpt")]
    pub busy_refreshed_at: Option<Instant>,
    #[sqlx(try_from = "StoredAtOpt")]
    pub reconciled_at: Option<Instant>,
    /// JSON array of `{"id","summary"}`.
    pub calendars: String,
    /// No calls to Google before this (epoch seconds): Google answered 429/503 with
    /// `Retry-After`.
    #[sqlx(try_from = "StoredAtOpt")]
    pub hold_until: Option<Instant>,
}

impl Connection {
    pub fn is_connected(&self) -> bool {
        self.status == CONNECTED
    }

    /// Connected with sync switched on: bookings go to Google.
    pub fn syncs(&self) -> bool {
        self.is_connected() && self.sync_enabled != 0
    }
}

/// Where a connection's tokens are sealed: the connection id is the subject, so it is part of
/// the associated data.
pub fn token_slot(kind: SecretKind, connection: CalendarConnectionId) -> Slot {
    Slot::integration(kind, connection.get())
}

const COLUMNS: &str = "id, tenant_id, user_id, status, google_account, calendar_id, \
    sync_enabled, access_expires_at, last_synced_at, last_error, disconnect_notified_at, \
    backfill_total, backfill_done, busy_refreshed_at, reconciled_at, calendars, hold_until";

/// The person's connection at the tenant, connected or not.
pub async fn for_user(
    db: &Db,
    tenant: TenantId,
    user: UserId,
) -> anyhow::Result<Option<Connection>> {
    Ok(sqlx::query_as::<Any, Connection>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from calendar_connections where tenant_id = $1 and user_id = $2"
    )))
    .bind(tenant.get())
    .bind(user.get())
    .fetch_optional(db.pool())
    .await?)
}

pub async fn get(db: &Db, tenant: TenantId, id: i64) -> anyhow::Result<Option<Connection>> {
    Ok(sqlx::query_as::<Any, Connection>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from calendar_connections where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

/// Every connection of the tenant (the owner's page lists the team's).
pub async fn list(db: &Db, tenant: TenantId) -> anyhow::Result<Vec<Connection>> {
    Ok(sqlx::query_as::<Any, Connection>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from calendar_connections where tenant_id = $1 order by id"
    )))
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?)
}

/// Connected connections of every tenant, for the periodic reconcile and busy refresh.
pub async fn all_connected(db: &Db) -> anyhow::Result<Vec<Connection>> {
    Ok(sqlx::query_as::<Any, Connection>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from calendar_connections where status = $1 order by id"
    )))
    .bind(CONNECTED)
    .fetch_all(db.pool())
    .await?)
}

/// The connections that should hold a booking of `person`: the staff member's login, or for
/// the owner's bookings (`None`) the owners' logins.
pub async fn for_person(
    db: &Db,
    tenant: TenantId,
    person: Option<i64>,
) -> anyhow::Result<Vec<Connection>> {
    let sql = match person {
        Some(_) => format!(
            "select {COLUMNS} from calendar_connections c where c.tenant_id = $1 and c.user_id = \
             (select s.user_id from staff_members s where s.tenant_id = $1 and s.id = $2) \
             order by c.id"
        ),
        None => format!(
            "select {COLUMNS} from calendar_connections c where c.tenant_id = $1 and $2 = 0 \
             and exists (select 1 from memberships m where m.tenant_id = c.tenant_id \
             and m.user_id = c.user_id and m.role = 'owner') order by c.id"
        ),
    };
    Ok(sqlx::query_as::<Any, Connection>(sqlx::AssertSqlSafe(sql))
        .bind(tenant.get())
        .bind(person.unwrap_or(0))
        .fetch_all(db.pool())
        .await?)
}

/// Creates or revives the person's connection as connected to `account`, clearing the last
/// error and the disconnect notice. Returns its id.
pub async fn connect(
    tx: &mut crate::versions::ScheduleTx,
    tenant: TenantId,
    user: UserId,
    account: &str,
    calendars: &str,
    now: i64,
) -> anyhow::Result<CalendarConnectionId> {
    sqlx::query(
        "insert into calendar_connections (tenant_id, user_id, status, google_account, \
         calendars, created_at, updated_at) values ($1, $2, $3, $4, $6, $5, $5) \
         on conflict (tenant_id, user_id) do update set status = excluded.status, \
         google_account = excluded.google_account, calendars = excluded.calendars, \
         last_error = null, \
         disconnect_notified_at = null, access_expires_at = 0, backfill_total = 0, \
         backfill_done = 0, updated_at = excluded.updated_at",
    )
    .bind(tenant.get())
    .bind(user.get())
    .bind(CONNECTED)
    .bind(account)
    .bind(now)
    .bind(calendars)
    .execute(tx.conn())
    .await?;
    let id: i64 = sqlx::query_scalar(
        "select id from calendar_connections where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant.get())
    .bind(user.get())
    .fetch_one(tx.conn())
    .await?;
    Ok(CalendarConnectionId::from_store(id))
}

/// The target calendar and whether sync is on.
pub async fn set_preferences(
    db: &Db,
    tenant: TenantId,
    id: CalendarConnectionId,
    calendar_id: &str,
    sync_enabled: bool,
    now: i64,
) -> anyhow::Result<bool> {
    let mut tx = crate::versions::begin(db, tenant).await?;
    let done = sqlx::query(
        "update calendar_connections set calendar_id = $1, sync_enabled = $2, updated_at = $3 \
         where tenant_id = $4 and id = $5",
    )
    .bind(calendar_id)
    .bind(i64::from(sync_enabled))
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Marks the connection disconnected with the reason in words. Returns whether it was
/// connected until now (so exactly one caller tells the person).
pub async fn disconnect(
    tx: &mut crate::versions::ScheduleTx,
    tenant: TenantId,
    id: CalendarConnectionId,
    reason: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "update calendar_connections set status = $1, last_error = $2, access_expires_at = 0, \
         updated_at = $3 where tenant_id = $4 and id = $5 and status = $6",
    )
    .bind(DISCONNECTED)
    .bind(reason)
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .bind(CONNECTED)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes the connection (its sync rows and busy times go with it).
pub async fn delete(
    tx: &mut crate::versions::ScheduleTx,
    tenant: TenantId,
    id: CalendarConnectionId,
) -> anyhow::Result<()> {
    for table in ["calendar_busy", "calendar_event_syncs"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "delete from {table} where tenant_id = $1 and connection_id = $2"
        )))
        .bind(tenant.get())
        .bind(id.get())
        .execute(tx.conn())
        .await?;
    }
    sqlx::query("delete from calendar_connections where tenant_id = $1 and id = $2")
        .bind(tenant.get())
        .bind(id.get())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Claims the one "you were disconnected" email: true for exactly one caller.
pub async fn claim_disconnect_notice(
    db: &Db,
    tenant: TenantId,
    id: CalendarConnectionId,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "update calendar_connections set disconnect_notified_at = $1 \
         where tenant_id = $2 and id = $3 and disconnect_notified_at is null",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .execute(db.writes())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Gives the claim back when the email could not be sent, so a retry sends it.
pub async fn release_disconnect_notice(
    db: &Db,
    tenant: TenantId,
    id: CalendarConnectionId,
) -> anyhow::Result<()> {
    sqlx::query(
        "update calendar_connections set disconnect_notified_at = null \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant.get())
    .bind(id.get())
    .execute(db.writes())
    .await?;
    Ok(())
}

/// A call to Google succeeded: the error is cleared.
pub async fn record_success(
    db: &Db,
    tenant: TenantId,
    id: CalendarConnectionId,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "update calendar_connections set last_synced_at = $1, last_error = null \
         where tenant_id = $2 and id = $3 and status = $4",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .bind(CONNECTED)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// A call to Google failed: the page shows `error` until the next success.
pub async fn record_error(
    db: &Db,
    tenant: TenantId,
    id: CalendarConnectionId,
    error: &str,
) -> anyhow::Result<()> {
    sqlx::query("update calendar_connections set last_error = $1 where tenant_id = $2 and id = $3")
        .bind(error)
        .bind(tenant.get())
        .bind(id.get())
        .execute(db.writes())
        .await?;
    Ok(())
}

/// When the sealed access token expires.
pub async fn set_access_expiry(
    tx: &mut Tx,
    tenant: TenantId,
    id: CalendarConnectionId,
    expires_at: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "update calendar_connections set access_expires_at = $1 where tenant_id = $2 and id = $3",
    )
    .bind(expires_at)
    .bind(tenant.get())
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Google asked for no calls before `until` (epoch seconds): a later hold wins.
pub async fn hold(
    db: &Db,
    tenant: TenantId,
    id: CalendarConnectionId,
    until: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "update calendar_connections set hold_until = $1 where tenant_id = $2 and id = $3 \
         and (hold_until is null or hold_until < $1)",
    )
    .bind(until)
    .bind(tenant.get())
    .bind(id.get())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Whether the tenant's events carry the client's contact details (the owner opts in).
pub async fn contact_details(db: &Db, tenant: TenantId) -> anyhow::Result<bool> {
    let on: Option<i64> =
        sqlx::query_scalar("select calendar_contact_details from tenants where id = $1")
            .bind(tenant.get())
            .fetch_optional(db.pool())
            .await?;
    Ok(on.unwrap_or(0) != 0)
}

/// Turns the contact details in events on or off, and marks every event Portico holds as
/// behind so the next refresh (or the backfill the caller queues) rewrites it. Returns the
/// tenant's connections whose events need rewriting.
pub async fn set_contact_details(
    tx: &mut Tx,
    tenant: TenantId,
    on: bool,
    now: i64,
) -> anyhow::Result<Vec<CalendarConnectionId>> {
    sqlx::query("update tenants set calendar_contact_details = $1, updated_at = $2 where id = $3")
        .bind(i64::from(on))
        .bind(now)
        .bind(tenant.get())
        .execute(&mut **tx)
        .await?;
    sqlx::query("update calendar_event_syncs set version = 0 where tenant_id = $1 and state = $2")
        .bind(tenant.get())
        .bind(syncs::PRESENT)
        .execute(&mut **tx)
        .await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "select id from calendar_connections where tenant_id = $1 and status = $2 order by id",
    )
    .bind(tenant.get())
    .bind(CONNECTED)
    .fetch_all(&mut **tx)
    .await?;
    Ok(ids.into_iter().map(CalendarConnectionId::from_store).collect())
}

/// Notes a reconcile pass (drift repair runs at most hourly per connection).
pub async fn set_reconciled(
    db: &Db,
    tenant: TenantId,
    id: CalendarConnectionId,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "update calendar_connections set reconciled_at = $1 where tenant_id = $2 and id = $3",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .execute(db.writes())
    .await?;
    Ok(())
}

/// Backfill progress: `done` of `total` upcoming bookings synced.
pub async fn set_backfill(
    db: &Db,
    tenant: TenantId,
    id: CalendarConnectionId,
    done: i64,
    total: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "update calendar_connections set backfill_done = $1, backfill_total = $2 \
         where tenant_id = $3 and id = $4",
    )
    .bind(done)
    .bind(total)
    .bind(tenant.get())
    .bind(id.get())
    .execute(db.writes())
    .await?;
    Ok(())
}

/// Which bookings a connection holds: its user's staff record's, or for an owner the bookings
/// of no staff member (the owner's own, timetable block sessions included). `$1` is the tenant,
/// `$4` the connection's user.
const HELD_BY_USER: &str = "(b.staff_id in (select s.id from staff_members s \
    where s.tenant_id = $1 and s.user_id = $4) \
    or (b.staff_id is null and exists (select 1 from memberships m \
    where m.tenant_id = $1 and m.user_id = $4 and m.role = 'owner')))";

/// Upcoming live (not cancelled) bookings of the people a connection holds, starting before
/// `until`.
pub async fn upcoming_bookings(
    db: &Db,
    connection: &Connection,
    from: i64,
    until: i64,
) -> anyhow::Result<Vec<BookingId>> {
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select b.id from bookings b where b.tenant_id = $1 and b.ends_at > $2 \
         and b.starts_at < $3 and b.status <> 'cancelled' and {HELD_BY_USER} \
         order by b.starts_at, b.id"
    )))
    .bind(connection.tenant_id.get())
    .bind(from)
    .bind(until)
    .bind(connection.user_id.get())
    .fetch_all(db.pool())
    .await?;
    Ok(ids.into_iter().map(BookingId::from_store).collect())
}

/// Upcoming bookings whose last change this connection has not written yet: the connection's
/// people's live bookings it holds no record of, and any booking it recorded at an older
/// version (moved, cancelled or reassigned while the sync was paused, or a job was lost). Read
/// from Portico's own tables only, so it is cheap to ask on every refresh.
pub async fn behind(
    db: &Db,
    connection: &Connection,
    from: i64,
    until: i64,
) -> anyhow::Result<Vec<BookingId>> {
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select b.id from bookings b left join calendar_event_syncs s on s.tenant_id = b.tenant_id \
         and s.booking_id = b.id and s.connection_id = $5 \
         where b.tenant_id = $1 and b.ends_at > $2 and b.starts_at < $3 \
         and ((s.id is null and b.status <> 'cancelled' and {HELD_BY_USER}) \
           or (s.id is not null and s.version < (select max(e.id) from booking_events e \
             where e.tenant_id = b.tenant_id and e.booking_id = b.id))) \
         order by b.starts_at, b.id"
    )))
    .bind(connection.tenant_id.get())
    .bind(from)
    .bind(until)
    .bind(connection.user_id.get())
    .bind(connection.id.get())
    .fetch_all(db.pool())
    .await?;
    Ok(ids.into_iter().map(BookingId::from_store).collect())
}
