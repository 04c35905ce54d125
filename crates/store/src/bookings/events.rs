//! A booking's history (`booking_events`) and the ledger of messages sent for each event.

use portico_domain::booking::Actor;
use portico_domain::{BookingId, Instant, StaffId};
use serde::Serialize;
use sqlx::{Any, FromRow, Row as _};

use std::collections::HashSet;

use super::Booking;

use crate::group_commit::{GroupCommit, Rows, placeholders};
use crate::stored::{StoredAt, StoredAtOpt, StoredOpt};
use crate::tenants::Tenant;
use crate::{Db, Tx};

/// A change to record: what happened, who did it, and the place before and after.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// `created`, `rescheduled`, `cancelled`, `completed`, `no_show`.
    pub action: &'a str,
    pub actor: Actor,
    /// Start and staff member before the change.
    pub from: Option<(i64, Option<i64>)>,
    /// Start and staff member after the change.
    pub to: Option<(i64, Option<i64>)>,
    pub detail: &'a str,
}

/// The start of an event's insert, up to its columns (literal, for `concat!`).
macro_rules! insert_into {
    () => {
        "insert into booking_events (tenant_id, booking_id, action, actor_kind, actor_user_id, \
         from_starts_at, to_starts_at, from_staff_id, to_staff_id, detail, created_at)"
    };
}

/// An event's insert up to its columns, for statements that supply the values their own way.
pub(crate) const INSERT_INTO: &str = insert_into!();

/// The event's insert: $1 tenant, $2 booking, then the event ([`insert_query`]).
macro_rules! insert_values {
    () => {
        concat!(insert_into!(), " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
    };
}

const INSERT_VALUES: &str = insert_values!();
const INSERT: &str = concat!(insert_values!(), " returning id");

/// On SQLite, the event just inserted (`last_insert_rowid()`) and its booking, for
/// [`select_with_event`].
pub(crate) const FROM_LAST_EVENT: &str = "booking_events e join bookings b on b.id = e.booking_id";

/// The booking's select ([`super::SELECT`]) with the event's id first (`event_id`), reading
/// the booking from `from` (which names the event `e`) instead of `bookings b`.
pub(crate) fn select_with_event(from: &str) -> String {
    super::SELECT.replacen("select ", "select e.id as event_id, ", 1).replacen(
        " from bookings b ",
        &format!(" from {from} "),
        1,
    )
}

/// The event's statement with its parameters: $1 tenant, $2 booking, then the event.
fn insert_query<'q>(
    sql: impl sqlx::SqlSafeStr,
    tenant: &Tenant,
    booking: i64,
    e: &NewEvent<'q>,
    now: i64,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    bind_event(sqlx::query(sql).bind(tenant.id.get()).bind(booking), e).bind(now)
}

/// Binds the event's own columns, in [`INSERT`]'s order from `action` to `detail` (8
/// parameters).
pub(crate) fn bind_event<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    e: &NewEvent<'q>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    let (kind, user) = e.actor.parts();
    query
        .bind(e.action)
        .bind(kind)
        .bind(user.map(|u| u.get()))
        .bind(e.from.map(|f| f.0))
        .bind(e.to.map(|t| t.0))
        .bind(e.from.and_then(|f| f.1))
        .bind(e.to.and_then(|t| t.1))
        .bind(e.detail)
}

/// Writes the event in the caller's transaction; returns its id.
pub async fn record(
    tx: &mut Tx,
    tenant: &Tenant,
    booking: BookingId,
    e: &NewEvent<'_>,
    now: i64,
) -> anyhow::Result<i64> {
    Ok(insert_query(INSERT, tenant, booking.get(), e, now)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?)
}

/// Writes the event in the caller's transaction and reads the booking as it is now; returns
/// the event's id and the booking (`None`: not the tenant's). One call: on PostgreSQL one
/// statement (the insert in a `WITH`); on SQLite, which has no data-modifying `WITH`, the
/// insert and the read (of the event's `last_insert_rowid()`) sent together.
pub async fn record_and_get(
    tx: &mut Tx,
    tenant: &Tenant,
    booking: BookingId,
    e: &NewEvent<'_>,
    now: i64,
) -> anyhow::Result<(i64, Option<Booking>)> {
    let sql = if tx.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        format!(
            "with e as ({INSERT}) {} cross join e where b.tenant_id = $1 and b.id = $2",
            select_with_event("bookings b")
        )
    } else {
        format!(
            "{INSERT_VALUES}; {} where e.id = last_insert_rowid() and b.tenant_id = $1 \
             and b.id = $2",
            select_with_event(FROM_LAST_EVENT)
        )
    };
    // `fetch_all`: on SQLite the row comes from the second statement.
    let rows = insert_query(sqlx::AssertSqlSafe(sql), tenant, booking.get(), e, now)
        .fetch_all(&mut **tx)
        .await?;
    match rows.first() {
        Some(row) => Ok((row.try_get("event_id")?, Some(Booking::from_row(row)?))),
        // The insert ran (every `WITH` part does) but the booking is not there: the caller
        // refuses, and its transaction rolls back.
        None => Ok((0, None)),
    }
}

/// One line of a booking's history.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, Serialize)]
pub struct HistoryLine {
    pub action: String,
    pub actor_kind: String,
    pub actor_email: Option<String>,
    #[sqlx(try_from = "StoredAtOpt")]
    pub from_starts_at: Option<Instant>,
    #[sqlx(try_from = "StoredAtOpt")]
    pub to_starts_at: Option<Instant>,
    #[sqlx(try_from = "StoredOpt")]
    pub from_staff_id: Option<StaffId>,
    #[sqlx(try_from = "StoredOpt")]
    pub to_staff_id: Option<StaffId>,
    #[sqlx(try_from = "StoredAt")]
    pub created_at: Instant,
}

pub async fn history(
    db: &Db,
    tenant: &Tenant,
    booking: BookingId,
) -> anyhow::Result<Vec<HistoryLine>> {
    Ok(sqlx::query_as::<Any, HistoryLine>(
        "select e.action, e.actor_kind, u.email as actor_email, e.from_starts_at, e.to_starts_at, \
         e.from_staff_id, e.to_staff_id, e.created_at from booking_events e \
         left join users u on u.id = e.actor_user_id \
         where e.tenant_id = $1 and e.booking_id = $2 order by e.id",
    )
    .bind(tenant.id.get())
    .bind(booking.get())
    .fetch_all(db.pool())
    .await?)
}

/// Whether the message of `channel` for `event` already went to `recipient`.
pub async fn delivered(
    db: &Db,
    tenant: &Tenant,
    event: i64,
    channel: &str,
    recipient: &str,
) -> anyhow::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "select 1 from notice_deliveries where tenant_id = $1 and event_id = $2 and channel = $3 \
         and recipient = $4",
    )
    .bind(tenant.id.get())
    .bind(event)
    .bind(channel)
    .bind(recipient)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// What a notice about booking event `event` reads of the booking, in one statement.
#[derive(Debug, Clone)]
pub struct ForNotice {
    pub booking: Booking,
    /// The calendar `SEQUENCE` as of the event (see `notify::feeds::sequence`).
    pub sequence: u32,
    /// Whether any message of the event was already sent (a retried job): only then is the
    /// ledger worth reading ([`deliveries`]).
    pub delivered: bool,
    /// The tenant's schedule version part 0 ([`crate::versions::Seen::base`]) as of this
    /// read, for taking the tenant from [`crate::schedule_cache::tenant_at`].
    pub tenant_base: i64,
}

/// The tenant's booking `id` as a notice of `event` (`None`: a job queued before events were
/// numbered) needs it: the booking, its calendar sequence, whether the event's ledger has
/// rows and the tenant's version — one round trip where a first run of the job used to make
/// four (tenant, booking, sequence, ledger).
///
/// The tenant is a number from the job; the booking read carries it back typed
/// (`booking.tenant_id`).
pub async fn for_notice(
    db: &Db,
    tenant: i64,
    id: i64,
    event: Option<i64>,
) -> anyhow::Result<Option<ForNotice>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select x.*, \
         (select count(*) from booking_events e where e.tenant_id = x.tenant_id \
          and e.booking_id = x.id and e.id <= $3) as notice_sequence, \
         (select count(*) from notice_deliveries d where d.tenant_id = x.tenant_id \
          and d.event_id = $3) as notice_delivered, \
         coalesce((select v.version from schedule_versions v where v.tenant_id = x.tenant_id \
          and v.part = 0), 0) as tenant_base \
         from ({} where b.tenant_id = $1 and b.id = $2) x",
        super::SELECT
    )))
    .bind(tenant)
    .bind(id)
    .bind(event.unwrap_or(i64::MAX))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let events: i64 = row.try_get("notice_sequence")?;
    let delivered: i64 = row.try_get("notice_delivered")?;
    Ok(Some(ForNotice {
        booking: Booking::from_row(&row)?,
        sequence: crate::notify::feeds::sequence_of(events),
        delivered: delivered > 0,
        tenant_base: row.try_get("tenant_base")?,
    }))
}

/// Every message already sent for `event`, as `(channel, recipient)`: a job reads its
/// ledger once and checks each message against it (see [`delivered`] for one message).
pub async fn deliveries(
    db: &Db,
    tenant: &Tenant,
    event: i64,
) -> anyhow::Result<HashSet<(String, String)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select channel, recipient from notice_deliveries where tenant_id = $1 and event_id = $2",
    )
    .bind(tenant.id.get())
    .bind(event)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().collect())
}

/// Records that the messages of `event` went out, each as `(channel, recipient)`
/// (idempotent); returns once every row is committed.
///
/// Deliveries recorded at the same time are written together ([`crate::group_commit`]); a
/// caller still returns only once its own rows are stored, so a job that dies after sending and
/// before this returns sends those messages again on retry.
pub async fn mark_delivered(
    db: &Db,
    tenant: &Tenant,
    event: i64,
    sent: &[(&str, &str)],
    now: i64,
) -> anyhow::Result<()> {
    let rows = sent
        .iter()
        .map(|(channel, recipient)| Delivery {
            tenant: tenant.id.get(),
            event,
            channel: (*channel).to_owned(),
            recipient: (*recipient).to_owned(),
            sent_at: now,
        })
        .collect();
    db.ledger().write_all(db, rows).await?;
    Ok(())
}

/// One row of `notice_deliveries`.
#[derive(Debug)]
pub struct Delivery {
    tenant: i64,
    event: i64,
    channel: String,
    recipient: String,
    sent_at: i64,
}

/// The delivery ledger's rows waiting to be written ([`mark_delivered`]).
pub type Ledger = GroupCommit<Delivery>;

impl Rows for Delivery {
    type Outcome = ();
    /// 5 parameters each, well under both backends' limit.
    const BATCH: usize = 500;

    async fn write(db: &Db, rows: &[Self]) -> anyhow::Result<Vec<()>> {
        let sql = format!(
            "insert into notice_deliveries (tenant_id, event_id, channel, recipient, sent_at) \
             values {} on conflict do nothing",
            placeholders(rows.len(), 5)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in rows {
            query = query
                .bind(row.tenant)
                .bind(row.event)
                .bind(&row.channel)
                .bind(&row.recipient)
                .bind(row.sent_at);
        }
        query.execute(db.writes()).await?;
        Ok(vec![(); rows.len()])
    }
}
