//! The per-tenant schedule version: the one number that says whether a cached copy of a
//! tenant's schedule (see [`crate::schedule_cache`]) is still current.
//!
//! The version is the sum of a few parts (rows of `schedule_versions`, migration 0029). Every
//! write that changes what can be booked runs in a [`ScheduleTx`] (from [`begin`], or
//! [`ScheduleTx::wrap`] when the tenant is known only part-way). Its [`ScheduleTx::commit`]
//! bumps **one** part as the **last** statement before `COMMIT`: part 0, or the part a booking
//! or hold chose with [`ScheduleTx::bump_part_of`] for the person or block it landed on.
//!
//! Why parts, and why last: on PostgreSQL whoever updates a version row holds that row's lock
//! until its commit has been flushed. Bumped first, one row per tenant serialized every booking
//! of a tenant over its whole transaction (measured: 424 → 104 guest bookings/s); bumped last
//! it is held for the bump and the commit — still one booking of a tenant at a time through
//! each commit's flush (about 1 ms on the benchmark machine), which bounds a tenant to a few
//! hundred bookings a second. With parts, bookings of different people commit side by side;
//! bookings of the same person are serialized by the person's row lock anyway.
//!
//! Why it is safe: every change bumps some part, parts only grow, so the sum read in one
//! statement changes with every commit and never goes back. A transaction bumps a single part
//! and locks nothing after it, so the version row is always the last lock it takes and adds no
//! deadlock. On SQLite the single writer already serializes writers. A rolled-back write rolls
//! its bump back, and a reader never sees a change without the new version (both land in the
//! same commit).
//!
//! Rows that nothing in the transaction reads back — a booking event's outbox jobs and its
//! audit row — may be handed to the transaction ([`ScheduleTx::jobs_at_commit`],
//! [`ScheduleTx::audit_at_commit`]) and are written by the commit together with the bump: on
//! PostgreSQL in one statement (data-modifying `WITH`), on SQLite as statements sent in one
//! call, so they cost no round trips of their own while the transaction holds its locks.

use std::ops::{Deref, DerefMut};

use portico_domain::{TenantId, UserId};
use sqlx::AnyConnection;

use crate::outbox::NewJob;
use crate::{Backend, Db, StoreError, Tx, audit, outbox};

/// Marks the tenant's schedule changed, inside the caller's transaction. Prefer a
/// [`ScheduleTx`], which does this at commit; call this directly only as the last statement
/// before committing (e.g. a bulk loader).
pub async fn bump(conn: &mut AnyConnection, tenant: TenantId) -> anyhow::Result<()> {
    bump_part(conn, tenant, 0).await
}

/// Bumps one part of the tenant's version (see the module docs).
async fn bump_part(conn: &mut AnyConnection, tenant: TenantId, part: i64) -> anyhow::Result<()> {
    sqlx::query(BUMP).bind(tenant.get()).bind(part).execute(conn).await?;
    Ok(())
}

/// The bump of tenant `$1`'s version part `$2`.
const BUMP: &str = "insert into schedule_versions (tenant_id, part, version) values ($1, $2, 1) \
    on conflict (tenant_id, part) do update set version = schedule_versions.version + 1";

/// How many parts bookings spread over (besides part 0, for everything else).
const PARTS: i64 = 16;

/// What a booking or hold landed on, for choosing its version part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// A staff member (`Some`) or the owner (`None`).
    Person(Option<i64>),
    /// A timetable block.
    Block(i64),
}

impl Landing {
    /// The part in 1..=16: spread by id, so that bookings of different people (or blocks)
    /// usually bump different rows. Two that share a part only queue on it at commit.
    fn part(self) -> i64 {
        match self {
            Self::Person(None) => 1,
            Self::Person(Some(id)) | Self::Block(id) => 1 + id.rem_euclid(PARTS),
        }
    }
}

/// A row whose lock serializes the bookings and holds competing for its capacity (see
/// [`crate::bookings::write::lock`]): a staff member's or a timetable block's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLock {
    Staff(i64),
    Block(i64),
}

impl RowLock {
    fn table(self) -> &'static str {
        match self {
            Self::Staff(_) => "staff_members",
            Self::Block(_) => "timetable_blocks",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Self::Staff(id) | Self::Block(id) => id,
        }
    }

    /// PostgreSQL's lock of row `$1` of tenant `$2`: what an update of the row would take
    /// (`for no key update`), without writing a new version of it.
    pub fn select_for_update(self) -> String {
        self.select_for_update_of("$1", "$2")
    }

    /// The same lock with the row's id and tenant written in (for a statement that cannot
    /// carry parameters, [`begin_locked`]).
    fn select_for_update_of(
        self,
        id: impl std::fmt::Display,
        tenant: impl std::fmt::Display,
    ) -> String {
        format!(
            "select 1 from {} where id = {id} and tenant_id = {tenant} for no key update",
            self.table()
        )
    }

    /// An update of row `$1` of tenant `$2` that changes nothing (SQLite: takes the write
    /// lock in a transaction begun without it).
    pub fn touch(self) -> String {
        format!(
            "update {} set updated_at = updated_at where id = $1 and tenant_id = $2",
            self.table()
        )
    }
}

/// A write transaction that changes a tenant's schedule: it derefs to the [`Tx`], and its
/// [`commit`](Self::commit) bumps the tenant's version just before committing. Dropped
/// without committing, it rolls back like any transaction.
#[must_use = "a schedule transaction rolls back unless committed"]
pub struct ScheduleTx {
    tx: Tx,
    tenant: TenantId,
    backend: Backend,
    /// The version part the commit bumps (0 unless a booking or hold chose one).
    part: i64,
    /// Batches of outbox rows the commit writes, each with its time.
    jobs: Vec<(Vec<NewJob>, i64)>,
    /// Audit rows the commit writes, with their time.
    audits: Vec<(AuditRow, i64)>,
    /// The row locked by the `BEGIN` ([`begin_locked`]).
    locked: Option<RowLock>,
    /// Begun by [`begin`] where that excludes every other writer ([`Db::write_excludes_writers`]).
    exclusive: bool,
}

/// An [`audit::Entry`] kept until the commit writes it.
#[derive(Debug, Clone)]
struct AuditRow {
    tenant: Option<TenantId>,
    actor: Option<UserId>,
    action: String,
    detail: String,
    ip: String,
}

impl ScheduleTx {
    /// Makes an open write transaction a schedule transaction of `tenant` (for a write that
    /// learns its tenant part-way, such as sign-up).
    pub fn wrap(tx: Tx, tenant: TenantId) -> Self {
        let backend = if tx.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        Self {
            tx,
            tenant,
            backend,
            part: 0,
            jobs: Vec::new(),
            audits: Vec::new(),
            locked: None,
            exclusive: false,
        }
    }

    /// Outbox rows for the commit to write (after any written directly in the transaction):
    /// like [`outbox::insert_many`] in the transaction, they are queued if and only if it
    /// commits.
    pub fn jobs_at_commit(&mut self, jobs: &[NewJob], now: i64) {
        if !jobs.is_empty() {
            self.jobs.push((jobs.to_vec(), now));
        }
    }

    /// An audit row for the commit to write, like [`audit::record_in`] in the transaction.
    pub fn audit_at_commit(&mut self, entry: &audit::Entry<'_>, now: i64) {
        let row = AuditRow {
            tenant: entry.tenant,
            actor: entry.actor,
            action: entry.action.to_owned(),
            detail: entry.detail.clone(),
            ip: entry.ip.to_owned(),
        };
        self.audits.push((row, now));
    }

    /// Makes the commit bump the version part of what a booking or hold landed on, instead
    /// of part 0, so that bookings of different people do not queue on one row. The caller
    /// holds that person's or block's lock already (see the module docs). Only for a
    /// transaction that changes nothing but bookings and holds: part 0 alone tells the
    /// schedule cache ([`crate::schedule_cache`]) that the tenant, services or staff changed.
    pub fn bump_part_of(&mut self, landing: Landing) {
        self.part = landing.part();
    }

    /// Whether the transaction's `BEGIN` took `row`'s lock ([`begin_locked`]).
    pub fn holds(&self, row: RowLock) -> bool {
        self.locked == Some(row)
    }

    /// Whether no other transaction can write until this one ends, so row locks would add
    /// nothing (SQLite's writer, see [`Db::write_excludes_writers`]).
    pub fn excludes_writers(&self) -> bool {
        self.exclusive
    }

    /// The backend the transaction runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The tenant whose version this transaction bumps.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// The connection, for running statements directly.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Writes the rows handed to it, bumps the tenant's version, then commits.
    pub async fn commit(mut self) -> anyhow::Result<()> {
        self.write_pending_with_bump().await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// The pending outbox and audit rows and the version bump in one call: on PostgreSQL one
    /// statement (every part of a data-modifying `WITH` runs, whether the statement reads it
    /// or not); on SQLite, which has no data-modifying `WITH`, the inserts and the bump as
    /// statements sent together, one trip to the connection's thread instead of one each.
    async fn write_pending_with_bump(&mut self) -> anyhow::Result<()> {
        let jobs: Vec<(&NewJob, i64)> =
            self.jobs.iter().flat_map(|(jobs, now)| jobs.iter().map(|job| (job, *now))).collect();
        // $1 and $2 are the bump's tenant and part; the rows' parameters follow.
        let mut inserts = Vec::new();
        if !jobs.is_empty() {
            inserts.push(("o", outbox::insert_sql(3, jobs.len())));
        }
        if !self.audits.is_empty() {
            let first = 3 + 3 * jobs.len();
            inserts.push(("a", audit::insert_sql(first, self.audits.len())));
        }
        let sql = match self.backend {
            _ if inserts.is_empty() => BUMP.to_owned(),
            Backend::Postgres => {
                let parts: Vec<String> =
                    inserts.iter().map(|(name, sql)| format!("{name} as ({sql})")).collect();
                format!("with {} {BUMP}", parts.join(", "))
            }
            Backend::Sqlite => {
                let parts: Vec<&str> = inserts.iter().map(|(_, sql)| sql.as_str()).collect();
                format!("{}; {BUMP}", parts.join("; "))
            }
        };
        let mut query =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(self.tenant.get()).bind(self.part);
        for (job, now) in jobs {
            query = query.bind(job.queue).bind(job.payload.as_str()).bind(now);
        }
        for (row, now) in &self.audits {
            query = query
                .bind(row.tenant.map(|t| t.get()))
                .bind(row.actor.map(|u| u.get()))
                .bind(row.action.as_str())
                .bind(row.detail.as_str())
                .bind(row.ip.as_str())
                .bind(*now);
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }
}

impl Deref for ScheduleTx {
    type Target = Tx;

    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for ScheduleTx {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}

/// A write transaction that changes the tenant's schedule; the version is bumped at commit.
pub async fn begin(db: &Db, tenant: TenantId) -> anyhow::Result<ScheduleTx> {
    let mut tx = ScheduleTx::wrap(db.begin_write().await?, tenant);
    tx.exclusive = db.write_excludes_writers();
    Ok(tx)
}

/// [`begin`] with `row`'s lock taken by the `BEGIN` itself on PostgreSQL, in the same round
/// trip (the ids are numbers written into the statement: the `BEGIN` cannot carry
/// parameters). The lock is the one [`crate::bookings::write::lock`] would take first, so the
/// order of locks, and with it the deadlock argument, is unchanged; whether the row exists is
/// left to the re-check that follows. On SQLite the lock is left to `lock`.
pub async fn begin_locked(db: &Db, tenant: TenantId, row: RowLock) -> anyhow::Result<ScheduleTx> {
    if db.backend() != Backend::Postgres {
        return begin(db, tenant).await;
    }
    let lock = row.select_for_update_of(row.id(), tenant.get());
    let mut tx = ScheduleTx::wrap(db.begin_write_with(&lock).await?, tenant);
    tx.locked = Some(row);
    Ok(tx)
}

/// A tenant's schedule version as read at the start of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub tenant: TenantId,
    /// Part 0: moved by every change except bookings and holds (the tenant, its services,
    /// staff, hours, time off, blocks and settings).
    pub base: i64,
    /// The sum of every part: moved by every change.
    pub version: i64,
}

/// The tenant with this slug and its current schedule version, in one indexed read.
pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Seen>, StoreError> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "select t.id, \
         coalesce((select v.version from schedule_versions v where v.tenant_id = t.id \
         and v.part = 0), 0), \
         coalesce((select cast(sum(v.version) as bigint) from schedule_versions v \
         where v.tenant_id = t.id), 0) from tenants t where t.slug = $1",
    )
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(id, base, version)| Seen { tenant: TenantId::from_store(id), base, version }))
}

/// The tenant's current schedule version.
pub async fn current(db: &Db, tenant: TenantId) -> anyhow::Result<i64> {
    let version: i64 = sqlx::query_scalar(
        "select coalesce(cast(sum(version) as bigint), 0) from schedule_versions \
         where tenant_id = $1",
    )
    .bind(tenant.get())
    .fetch_one(db.pool())
    .await?;
    Ok(version)
}
