//! Loads what the availability engine needs from the database and runs it: the same code
//! serves booking pages, the API and the re-check inside the booking transaction.

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Utc, Weekday};
use portico_domain::booking::occupying_sql;
use portico_domain::plans::Feature;
use portico_domain::schedule::{
    self, BlockSlot, BookingOption, Interval, LocalMinutes, Policy, Resource, ServiceSpec,
    WeeklyRange, Window,
};
use portico_domain::{BookingId, ServiceId};

use crate::catalog::{Mode, Service};
use sqlx::AnyConnection;

use crate::blocks::Block;
use crate::tenants::Tenant;
use crate::{Db, blocks, staff};

/// What to look for.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    pub from: NaiveDate,
    pub days: u32,
    /// Only this staff member (slot mode).
    pub staff: Option<i64>,
    pub now: DateTime<Utc>,
    /// Ignore this booking's own occupation (when rescheduling it).
    pub except_booking: Option<BookingId>,
}

/// The tenant's booking rules as the engine's policy.
pub fn policy(tenant: &Tenant) -> Policy {
    Policy {
        grid_minutes: tenant.scheduling.slot_interval_minutes.max(1),
        min_notice: Duration::minutes(i64::from(tenant.scheduling.min_notice_minutes)),
        max_advance: Duration::days(i64::from(tenant.scheduling.max_advance_days)),
    }
}

/// Who can be booked for `service`: the staff providing it within the plan's limit, or the
/// owner (`None`) when the plan has no staff or nobody provides it.
pub async fn people(
    db: &Db,
    tenant: &Tenant,
    service: &Service,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Option<i64>>> {
    people_in(&mut *db.pool().acquire().await?, tenant, service, now).await
}

/// [`people`] on a given connection.
pub async fn people_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    service: &Service,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Option<i64>>> {
    let limit = portico_domain::plans::max_active_staff(tenant.effective_plan(now));
    if limit == 0 {
        return Ok(vec![None]);
    }
    let staff = staff::bookable_for_in(conn, tenant.id, service.id, limit).await?;
    Ok(if staff.is_empty() {
        vec![None]
    } else {
        staff.into_iter().map(|s| Some(s.get())).collect()
    })
}

fn weekday(n: i64) -> Option<Weekday> {
    Weekday::try_from(u8::try_from(n.checked_sub(1)?).ok()?).ok()
}

fn instant(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or_default()
}

/// Bookable options for `service` over the query's window.
pub async fn options(
    db: &Db,
    tenant: &Tenant,
    service: &Service,
    q: &Query,
) -> anyhow::Result<Vec<BookingOption>> {
    options_in(&mut *db.pool().acquire().await?, tenant, service, q).await
}

/// [`options`] on a given connection: inside a booking transaction, after the lock, this is
/// the re-check with fresh data.
pub async fn options_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    service: &Service,
    q: &Query,
) -> anyhow::Result<Vec<BookingOption>> {
    match service.mode {
        Mode::Block => {
            let (from, to) = block_dates(q);
            let blocks = blocks::between_in(conn, tenant.id, from, to, q.now.timestamp()).await?;
            Ok(block_options(tenant, service, q, &blocks))
        }
        Mode::Slot => {
            let (from, to) = slot_window(tenant, q);
            let limit = portico_domain::plans::max_active_staff(tenant.effective_plan(q.now));
            if let (Some(staff), true) = (q.staff, limit > 0) {
                // One staff member asked for (as in a booking's re-check): whether they can be
                // booked for the service ([`people_in`]) and their time, in one statement.
                let (raw, active) =
                    RawResource::fetch(conn, tenant, Some(staff), (from, to), q, Some(service.id))
                        .await?;
                let bookable =
                    active.into_iter().take(limit).any(|(id, provides)| id == staff && provides);
                let resources: Vec<Resource> =
                    bookable.then(|| raw.at(tenant, Some(staff), q.now)).into_iter().collect();
                return Ok(slot_options(tenant, service, q, &resources));
            }
            let mut resources = Vec::new();
            for person in people_in(conn, tenant, service, q.now).await? {
                if q.staff.is_some() && person != q.staff {
                    continue;
                }
                resources.push(resource(conn, tenant, person, from, to, q).await?);
            }
            Ok(slot_options(tenant, service, q, &resources))
        }
    }
}

/// The local dates a block-mode query covers.
pub(crate) fn block_dates(q: &Query) -> (NaiveDate, NaiveDate) {
    (q.from, q.from + Duration::days(i64::from(q.days.max(1)) - 1))
}

/// Options of a block-mode service among `blocks` (with their usage counted).
pub(crate) fn block_options(
    tenant: &Tenant,
    service: &Service,
    q: &Query,
    blocks: &[Block],
) -> Vec<BookingOption> {
    let window = Window { tz: tenant.timezone, from: q.from, days: q.days, now: q.now };
    let slots: Vec<BlockSlot> = blocks
        .iter()
        .filter_map(|b| {
            let c = b.capacities.iter().find(|c| c.service_id == service.id.get())?;
            Some(BlockSlot {
                block_id: b.id.get(),
                date: b.date,
                start: LocalMinutes::new(b.start_minute).ok()?,
                end: LocalMinutes::new(b.end_minute).ok()?,
                label: b.label.clone(),
                capacity: c.capacity,
                used: c.booked + c.held,
            })
        })
        .collect();
    schedule::block_options(&slots, &policy(tenant), &window)
}

/// The instants whose busy times a slot-mode query needs: wide enough for any time zone and
/// buffer.
pub(crate) fn slot_window(tenant: &Tenant, q: &Query) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = schedule::local_instant(tenant.timezone, q.from, LocalMinutes::MIDNIGHT)
        - Duration::days(1);
    (from, from + Duration::days(i64::from(q.days) + 2))
}

/// Options of a slot-mode service for these people.
pub(crate) fn slot_options(
    tenant: &Tenant,
    service: &Service,
    q: &Query,
    resources: &[Resource],
) -> Vec<BookingOption> {
    let window = Window { tz: tenant.timezone, from: q.from, days: q.days, now: q.now };
    let spec = ServiceSpec {
        duration_minutes: service.duration_minutes,
        buffer_before_minutes: service.buffer_before_minutes,
        buffer_after_minutes: service.buffer_after_minutes,
    };
    schedule::slot_options(&spec, resources, &policy(tenant), &window)
}

/// One person's hours, time off and busy intervals (bookings and active holds, padded, and
/// the busy times of their connected Google Calendar).
pub async fn resource(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    person: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    q: &Query,
) -> anyhow::Result<Resource> {
    let (raw, _) = RawResource::fetch(conn, tenant, person, (from, to), q, None).await?;
    Ok(raw.at(tenant, person, q.now))
}

/// A person's schedule data for a window as loaded, before the clock is applied: holds keep
/// their expiry, external busy times their plan gate. The schedule cache keeps these.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawResource {
    weekly: Vec<WeeklyRange>,
    time_off: Vec<Interval>,
    /// Occupying bookings, and holds with their expiry (`None` for bookings).
    busy: Vec<(Interval, Option<i64>)>,
    /// From the person's Google Calendar, loaded only when the plan included it.
    external: Vec<Interval>,
}

impl RawResource {
    /// Loads the person's weekly hours, time off, busy times and (when the plan includes the
    /// calendar) external busy times in one statement: one round trip, as the booking
    /// transaction's re-check and every cache refresh need.
    pub(crate) async fn load(
        conn: &mut AnyConnection,
        tenant: &Tenant,
        person: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Self> {
        let q =
            Query { from: from.date_naive(), days: 1, staff: person, now, except_booking: None };
        Ok(Self::fetch(conn, tenant, person, (from, to), &q, None).await?.0)
    }

    /// [`Self::load`] for the window `[from, to)`, leaving out `q.except_booking`'s own
    /// occupation (only `q.now` and `q.except_booking` are read from `q`); with
    /// `people_of`, also every active staff member in order with whether they provide that
    /// service (what [`crate::staff::bookable_for_in`] reads), from the same statement.
    async fn fetch(
        conn: &mut AnyConnection,
        tenant: &Tenant,
        person: Option<i64>,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        q: &Query,
        people_of: Option<ServiceId>,
    ) -> anyhow::Result<(Self, Vec<(i64, bool)>)> {
        let external = calendar_applies(tenant, q.now);
        let sql = load_sql(person.is_some(), external, people_of.is_some());
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(tenant.id.get())
            .bind(from.timestamp())
            .bind(to.timestamp())
            .bind(q.except_booking.map_or(0, BookingId::get))
            .bind(q.now.timestamp())
            .bind(person.unwrap_or(0));
        if let Some(service) = people_of {
            query = query.bind(service.get());
        }
        let rows: Vec<(i64, i64, i64, i64)> = query.fetch_all(conn).await?;
        let mut raw = Self::default();
        let mut active = Vec::new();
        for (kind, a, b, c) in rows {
            match kind {
                // In order (`a` is the rank); `b` the staff member, `c` whether they provide it.
                ACTIVE_STAFF => active.push((b, c != 0)),
                WEEKLY => raw.weekly.extend(
                    weekday(a)
                        .zip(minutes(b))
                        .zip(minutes(c))
                        .and_then(|((day, start), end)| WeeklyRange::new(day, start, end).ok()),
                ),
                TIME_OFF => raw.time_off.push(Interval { start: instant(a), end: instant(b) }),
                BUSY => raw
                    .busy
                    .push((Interval { start: instant(a), end: instant(b) }, (c >= 0).then_some(c))),
                EXTERNAL => raw.external.push(Interval { start: instant(a), end: instant(b) }),
                _ => {}
            }
        }
        Ok((raw, active))
    }

    /// The engine's resource at `now`: expired holds and a lapsed plan's calendar dropped.
    pub(crate) fn at(&self, tenant: &Tenant, person: Option<i64>, now: DateTime<Utc>) -> Resource {
        let ts = now.timestamp();
        let mut busy: Vec<Interval> = self
            .busy
            .iter()
            .filter(|(_, expires)| expires.is_none_or(|e| e > ts))
            .map(|(interval, _)| *interval)
            .collect();
        if calendar_applies(tenant, now) {
            busy.extend(self.external.iter().copied());
        }
        Resource {
            staff_id: person,
            weekly: self.weekly.clone(),
            time_off: self.time_off.clone(),
            busy,
        }
    }
}

fn calendar_applies(tenant: &Tenant, now: DateTime<Utc>) -> bool {
    portico_domain::plans::allows(tenant.effective_plan(now), Feature::GoogleCalendar)
}

/// Row kinds of [`load_sql`].
const ACTIVE_STAFF: i64 = 0;
const WEEKLY: i64 = 1;
const TIME_OFF: i64 = 2;
const BUSY: i64 = 3;
const EXTERNAL: i64 = 4;

fn minutes(m: i64) -> Option<LocalMinutes> {
    LocalMinutes::new(u16::try_from(m).ok()?).ok()
}

/// The statement behind [`RawResource::load`]: rows `(kind, a, b, c)`, ordered by kind, then
/// `a`, `b`. Parameters: $1 tenant, $2/$3 the window [from, to), $4 a booking to ignore (0 =
/// none), $5 now, $6 the staff member (0 = the owner), $7 a service (only with `people`).
///
/// - [`ACTIVE_STAFF`] (only with `people`): rank, staff member, 1 if they provide service $7
///   else 0 — every active staff member, ranked by display order, name, id;
/// - [`WEEKLY`]: weekday, start minute, end minute;
/// - [`TIME_OFF`]: start, end, 0 — what overlaps the window;
/// - [`BUSY`]: busy from, busy until, the hold's expiry or -1 for a booking — occupying
///   bookings and holds unexpired at `now` that overlap the window;
/// - [`EXTERNAL`] (only with `external`): start, end, 0 — the busy times of the person's
///   connected Google Calendar, as last fetched.
fn load_sql(staff: bool, external: bool, people: bool) -> String {
    // Block-mode bookings do not occupy a person. The busy predicates follow the indexes
    // `bookings_person_until` / `holds_person_until` (tenant, person, end): an equality on
    // the person (`is null` for the owner — a `coalesce` would hide the column from the index)
    // and a lower bound on the end, so what ended before the window, i.e. the history, is
    // never read; what is left is the person's current and future time (bounded by the
    // booking horizon), checked against the start bound row by row. The unary `+` keeps
    // SQLite from choosing `bookings_tenant_time` (tenant, busy_from) / `holds_tenant_time`
    // for the owner's `is null` branch, which would read all history; PostgreSQL reads it as
    // the same number.
    let person = if staff { "staff_id = $6" } else { "staff_id is null" };
    let mut sql = String::new();
    if people {
        sql.push_str(&format!(
            "select cast({ACTIVE_STAFF} as bigint) as kind, \
             cast(row_number() over (order by s.display_order, s.name, s.id) as bigint) as a, \
             s.id as b, cast(case when exists (select 1 from staff_services p \
             where p.service_id = $7 and p.staff_id = s.id) then 1 else 0 end as bigint) as c \
             from staff_members s where s.tenant_id = $1 and s.active = 1 \
             union all "
        ));
    }
    sql.push_str(&format!(
        "select cast({WEEKLY} as bigint) as kind, weekday as a, start_minute as b, end_minute as c \
         from weekly_hours where tenant_id = $1 and coalesce(staff_id, 0) = $6 \
         union all \
         select {TIME_OFF}, starts_at, ends_at, 0 from time_off where tenant_id = $1 \
         and coalesce(staff_id, 0) = $6 and ends_at > $2 and starts_at < $3 \
         union all \
         select {BUSY}, busy_from, busy_until, -1 from bookings where tenant_id = $1 and {person} \
         and busy_until > $2 and +busy_from < $3 and block_id is null and status in {occupying} \
         and id <> $4 \
         union all \
         select {BUSY}, busy_from, busy_until, expires_at from holds where tenant_id = $1 \
         and {person} and busy_until > $2 and +busy_from < $3 and block_id is null \
         and consumed_at is null and +expires_at > $5",
        occupying = occupying_sql()
    ));
    if external {
        sql.push_str(&format!(
            " union all select {EXTERNAL}, b.starts_at, b.ends_at, 0 from calendar_busy b \
             join calendar_connections c on c.tenant_id = b.tenant_id and c.id = b.connection_id \
             where b.tenant_id = $1 and b.ends_at > $2 and b.starts_at < $3 \
             and c.status = 'connected' and c.sync_enabled = 1 and {}",
            crate::calendar::busy::who_sql(staff, "$6")
        ));
    }
    sql.push_str(" order by 1, 2, 3");
    sql
}

/// When a block ends, as an instant.
pub fn block_end(tenant: &Tenant, block: &crate::blocks::Block) -> DateTime<Utc> {
    let end = LocalMinutes::new(block.end_minute).unwrap_or(LocalMinutes::END_OF_DAY);
    schedule::local_instant(tenant.timezone, block.date, end)
}

/// The local date and time of an instant at the tenant.
pub fn local_date(tenant: &Tenant, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tenant.timezone).date_naive()
}

/// ISO weekday number of a date (Monday = 1).
pub fn iso_weekday(date: NaiveDate) -> u32 {
    date.weekday().number_from_monday()
}
