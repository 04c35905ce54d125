//! The writes a booking workflow composes inside its transaction: lock, re-check, insert or
//! update. Each takes the caller's transaction, opened with [`crate::versions::begin`] so the
//! tenant's schedule version moves with it; none commits.

use chrono::{DateTime, Utc};
use portico_domain::booking::occupying_sql;
use portico_domain::{BookingId, SeriesId};

use sqlx::{Any, FromRow as _, Row as _};

use super::events::{self, INSERT_INTO, NewEvent};
use super::{Booking, BookingError, Party, Result, Slot, Status};
use crate::availability::{self, Query};
use crate::catalog::{Mode, Service};
use crate::tenants::Tenant;
use crate::versions::{self, Landing, RowLock, ScheduleTx};
use crate::{Backend, Db, Tx, tokens};

/// Where a booking or hold lands after the re-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub start: i64,
    pub end: i64,
    pub busy_from: i64,
    pub busy_until: i64,
    pub staff: Option<i64>,
    pub block: Option<i64>,
}

/// The row whose lock serializes everyone competing for `slot`'s capacity, when that is known
/// before reading anything: the block, or the chosen staff member. (A slot open to anyone
/// locks every bookable person, which takes a read first.)
fn first_lock(service: &Service, slot: &Slot) -> Option<RowLock> {
    match service.mode {
        Mode::Block => slot.block.map(RowLock::Block),
        Mode::Slot => slot.staff.map(RowLock::Staff),
    }
}

/// Begins the transaction of a booking or hold for `slot`. On PostgreSQL the lock [`lock`]
/// will take, when known up front, is sent with the `BEGIN` (one round trip instead of two);
/// elsewhere this is [`versions::begin`] and [`lock`] takes it.
pub async fn begin(
    db: &Db,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
) -> anyhow::Result<ScheduleTx> {
    match (db.backend(), first_lock(service, slot)) {
        (Backend::Postgres, Some(row)) => versions::begin_locked(db, tenant.id, row).await,
        _ => versions::begin(db, tenant.id).await,
    }
}

/// Takes the locks that serialize everyone competing for `slot`'s capacity — unless the
/// transaction took it with its `BEGIN` (PostgreSQL, see [`begin`]) or excludes every other
/// writer anyway (SQLite's writer: the locks would cost a statement each and add nothing). An
/// unknown block or staff member is refused here, or — when no lock statement ran — by the
/// re-check, which finds no place with them.
pub async fn lock(
    tx: &mut ScheduleTx,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
    now: DateTime<Utc>,
) -> Result<()> {
    if tx.excludes_writers() {
        return Ok(());
    }
    let rows: Vec<Option<RowLock>> = match (service.mode, first_lock(service, slot)) {
        (Mode::Block, None) => return Err(BookingError::Unavailable),
        (_, Some(row)) => vec![Some(row)],
        (Mode::Slot, None) => {
            let mut people = availability::people_in(tx, tenant, service, now).await?;
            people.sort_unstable();
            people.into_iter().map(|person| person.map(RowLock::Staff)).collect()
        }
    };
    let tenant_id = tenant.id.get();
    let postgres = tx.backend() == Backend::Postgres;
    for row in rows {
        if row.is_some_and(|row| tx.holds(row)) {
            continue;
        }
        let locked = match row {
            // PostgreSQL: a row lock (`for no key update`, what an update of the row takes),
            // without writing a new row version. SQLite (a transaction not begun on the
            // writer): the update takes the database's write lock.
            Some(row) if postgres => sqlx::query(sqlx::AssertSqlSafe(row.select_for_update()))
                .bind(row.id())
                .bind(tenant_id)
                .fetch_optional(&mut ***tx)
                .await?
                .is_some(),
            Some(row) => {
                sqlx::query(sqlx::AssertSqlSafe(row.touch()))
                    .bind(row.id())
                    .bind(tenant_id)
                    .execute(&mut ***tx)
                    .await?
                    .rows_affected()
                    == 1
            }
            // The owner, who takes bookings without a staff row.
            None if postgres => {
                sqlx::query("select 1 from tenants where id = $1 for no key update")
                    .bind(tenant_id)
                    .fetch_optional(&mut ***tx)
                    .await?
                    .is_some()
            }
            None => {
                sqlx::query("update tenants set updated_at = updated_at where id = $1")
                    .bind(tenant_id)
                    .execute(&mut ***tx)
                    .await?
                    .rows_affected()
                    == 1
            }
        };
        if !locked {
            return Err(BookingError::Unavailable);
        }
    }
    Ok(())
}

/// Re-checks, with the data visible now, that `slot` can be taken; returns where it lands,
/// and makes the transaction's commit bump the version part of that person or block (whose
/// lock [`lock`] took). `provider`: the business books inside the notice period and far ahead;
/// capacity and hours still hold.
pub async fn place(
    tx: &mut ScheduleTx,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
    now: DateTime<Utc>,
    provider: bool,
    except_booking: Option<BookingId>,
) -> Result<Placement> {
    let mut rules = tenant.clone();
    if provider {
        rules.scheduling.min_notice_minutes = 0;
        rules.scheduling.max_advance_days = 3650;
    }
    let from = availability::local_date(tenant, slot.start);
    let query = Query { from, days: 1, staff: slot.staff, now, except_booking };
    let options = availability::options_in(tx, &rules, service, &query).await?;
    let option = options
        .into_iter()
        .find(|o| o.start == slot.start && (service.mode == Mode::Slot || o.block_id == slot.block))
        .ok_or(BookingError::Unavailable)?;
    let (start, end) = (option.start.timestamp(), option.end.timestamp());
    let placement = match service.mode {
        Mode::Block => Placement {
            start,
            end,
            busy_from: start,
            busy_until: end,
            staff: None,
            block: option.block_id,
        },
        Mode::Slot => Placement {
            start,
            end,
            busy_from: start - i64::from(service.buffer_before_minutes) * 60,
            busy_until: end + i64::from(service.buffer_after_minutes) * 60,
            staff: option.staff_id,
            block: None,
        },
    };
    tx.bump_part_of(match placement.block {
        Some(block) => Landing::Block(block),
        None => Landing::Person(placement.staff),
    });
    Ok(placement)
}

/// In block mode, refuses a second place in the same block for the same client (or guest
/// email) unless the block's capacity for the service allows overlap.
pub async fn check_overlap(
    tx: &mut Tx,
    tenant: &Tenant,
    service: &Service,
    placement: &Placement,
    party: &Party,
    except_booking: Option<BookingId>,
) -> Result<()> {
    let Some(block) = placement.block else { return Ok(()) };
    let allow: Option<i64> = sqlx::query_scalar(
        "select c.allow_overlap from block_capacities c join timetable_blocks b on b.id = c.block_id \
         where c.block_id = $1 and c.service_id = $2 and b.tenant_id = $3",
    )
    .bind(block)
    .bind(service.id.get())
    .bind(tenant.id.get())
    .fetch_optional(&mut **tx)
    .await?;
    if allow.unwrap_or(0) != 0 {
        return Ok(());
    }
    let (client, email) = match party {
        Party::Client(id) => (id.get(), String::new()),
        Party::Guest { email, .. } => (0, email.to_lowercase()),
    };
    let taken: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select count(*) from bookings where tenant_id = $1 and block_id = $2 and service_id = $3 \
         and status in {} and id <> $4 \
         and (($5 <> 0 and client_id = $5) or ($6 <> '' and client_id is null and lower(guest_email) = $6))",
        occupying_sql()
    )))
    .bind(tenant.id.get())
    .bind(block)
    .bind(service.id.get())
    .bind(except_booking.map_or(0, BookingId::get))
    .bind(client)
    .bind(email)
    .fetch_one(&mut **tx)
    .await?;
    if taken > 0 { Err(BookingError::AlreadyBooked) } else { Ok(()) }
}

/// Writes a hold on `placement`; returns its plain token (shown once; only the hash is kept).
pub async fn insert_hold(
    tx: &mut Tx,
    tenant: &Tenant,
    service: &Service,
    placement: &Placement,
    expires_at: i64,
    now: i64,
) -> Result<String> {
    let token = tokens::generate();
    sqlx::query(
        "insert into holds (tenant_id, token_hash, service_id, staff_id, block_id, starts_at, ends_at, \
         busy_from, busy_until, expires_at, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant.id.get())
    .bind(tokens::hash(&token))
    .bind(service.id.get())
    .bind(placement.staff)
    .bind(placement.block)
    .bind(placement.start)
    .bind(placement.end)
    .bind(placement.busy_from)
    .bind(placement.busy_until)
    .bind(expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Marks the hold used, if it is valid for this tenant, service and start; returns the slot
/// it held (the booking goes exactly there).
pub async fn consume_hold(
    tx: &mut Tx,
    tenant: &Tenant,
    service: &Service,
    slot: &Slot,
    token: &str,
    now: i64,
) -> Result<Slot> {
    let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
        "update holds set consumed_at = $1 where token_hash = $2 and tenant_id = $3 and service_id = $4 \
         and starts_at = $5 and consumed_at is null and expires_at > $1 returning staff_id, block_id",
    )
    .bind(now)
    .bind(tokens::hash(token))
    .bind(tenant.id.get())
    .bind(service.id.get())
    .bind(slot.start.timestamp())
    .fetch_optional(&mut **tx)
    .await?;
    let (staff, block) = row.ok_or(BookingError::HoldInvalid)?;
    if (slot.staff.is_some() && slot.staff != staff)
        || (slot.block.is_some() && slot.block != block)
    {
        return Err(BookingError::HoldInvalid);
    }
    Ok(Slot { start: slot.start, staff, block })
}

/// A booking to insert, already placed.
#[derive(Debug, Clone)]
pub struct NewRow<'a> {
    pub service: &'a Service,
    pub placement: Placement,
    pub party: &'a Party,
    pub notes: &'a str,
    pub series: Option<SeriesId>,
    /// The client's address or the meeting link (see [`crate::bookings::Booking::location`]).
    pub location: &'a str,
}

/// The booking insert's statement: $1 tenant, $2–$20 the row (see [`bind_row`]).
const INSERT: &str = "insert into bookings (tenant_id, service_id, staff_id, block_id, client_id, \
    guest_name, guest_email, guest_phone, starts_at, ends_at, busy_from, busy_until, status, notes, \
    price_minor, currency, created_at, updated_at, series_id, location_kind, location) \
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, \
    $19, $20)";

/// [`INSERT`]'s parameters: the tenant, the row, `now` as $17.
fn bind_row<'q>(
    sql: impl sqlx::SqlSafeStr,
    tenant: &Tenant,
    row: &NewRow<'q>,
    now: i64,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    let (client, guest_name, guest_email, guest_phone) = match row.party {
        Party::Client(id) => (Some(id.get()), "", "", ""),
        Party::Guest { name, email, phone } => {
            (None, name.as_str(), email.as_str(), phone.as_str())
        }
    };
    let p = &row.placement;
    sqlx::query(sql)
        .bind(tenant.id.get())
        .bind(row.service.id.get())
        .bind(p.staff)
        .bind(p.block)
        .bind(client)
        .bind(guest_name)
        .bind(guest_email)
        .bind(guest_phone)
        .bind(p.start)
        .bind(p.end)
        .bind(p.busy_from)
        .bind(p.busy_until)
        .bind(Status::Confirmed.as_str())
        .bind(row.notes)
        .bind(row.service.price_minor)
        .bind(&row.service.currency)
        .bind(now)
        .bind(row.series.map(SeriesId::get))
        .bind(row.service.location_kind.as_str())
        .bind(row.location)
}

/// Inserts a confirmed booking and records its event ([`events::record`]); returns the
/// event's id and the booking as stored, in one call. On PostgreSQL one statement: the insert
/// and the event in a `WITH`, the booking read from the insert's `RETURNING` (a statement's
/// own inserts are not visible to its reads). SQLite has no data-modifying `WITH`: there the
/// insert, the event (on the booking's `last_insert_rowid()`) and the read of both are three
/// statements sent together — one trip to the connection's thread instead of three.
pub async fn insert_recorded(
    tx: &mut Tx,
    tenant: &Tenant,
    row: &NewRow<'_>,
    event: &NewEvent<'_>,
    now: i64,
) -> Result<(i64, Booking)> {
    // $21–$28 the event's columns; its time is the booking's ($17).
    let sql = if tx.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        format!(
            "with b as ({INSERT} returning *), \
             e as ({INSERT_INTO} select b.tenant_id, b.id, $21, $22, $23, $24, $25, $26, $27, \
             $28, $17 from b returning id) \
             {} cross join e",
            events::select_with_event("b")
        )
    } else {
        format!(
            "{INSERT}; \
             {INSERT_INTO} values ($1, last_insert_rowid(), $21, $22, $23, $24, $25, $26, $27, \
             $28, $17); \
             {} where e.id = last_insert_rowid()",
            events::select_with_event(events::FROM_LAST_EVENT)
        )
    };
    let query = bind_row(sqlx::AssertSqlSafe(sql), tenant, row, now);
    // `fetch_all`: on SQLite the row comes from the last of the statements.
    let rows = events::bind_event(query, event).fetch_all(&mut **tx).await?;
    let found = rows.first().ok_or(BookingError::NotFound)?;
    Ok((found.try_get("event_id")?, Booking::from_row(found)?))
}

/// Moves a booking to `placement`.
pub async fn move_to(
    tx: &mut Tx,
    tenant: &Tenant,
    id: BookingId,
    placement: &Placement,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "update bookings set staff_id = $1, block_id = $2, starts_at = $3, ends_at = $4, busy_from = $5, \
         busy_until = $6, updated_at = $7 where id = $8 and tenant_id = $9",
    )
    .bind(placement.staff)
    .bind(placement.block)
    .bind(placement.start)
    .bind(placement.end)
    .bind(placement.busy_from)
    .bind(placement.busy_until)
    .bind(now)
    .bind(id.get())
    .bind(tenant.id.get())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets the status, only if it is still `from` (the workflow checked the transition from it).
pub async fn set_status(
    tx: &mut Tx,
    tenant: &Tenant,
    id: BookingId,
    from: Status,
    to: Status,
    now: i64,
) -> Result<()> {
    let done = sqlx::query(
        "update bookings set status = $1, updated_at = $2 where id = $3 and tenant_id = $4 and status = $5",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(id.get())
    .bind(tenant.id.get())
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 { Ok(()) } else { Err(BookingError::NotFound) }
}
