//! Timetable blocks: labelled time ranges on a local date with a capacity per service, and
//! how many places are booked and held.

use chrono::NaiveDate;
use portico_domain::booking::occupying_sql;
use portico_domain::{BlockId, TenantId};
use serde::Serialize;
use sqlx::FromRow;

use crate::stored::Stored;
use crate::{Db, Tx, versions};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub service_id: i64,
    pub code: String,
    pub name: String,
    pub capacity: u32,
    pub allow_overlap: bool,
    pub booked: u32,
    pub held: u32,
}

impl Capacity {
    pub fn remaining(&self) -> u32 {
        portico_domain::schedule::remaining(self.capacity, self.booked + self.held)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    pub id: BlockId,
    pub date: NaiveDate,
    pub start_minute: u16,
    pub end_minute: u16,
    pub label: String,
    pub capacities: Vec<Capacity>,
}

/// A block's capacity for one service, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityFields {
    pub service_id: i64,
    pub capacity: u32,
    pub allow_overlap: bool,
}

/// A block as written (validated: start < end, minutes within the day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockFields {
    pub date: NaiveDate,
    pub start_minute: u16,
    pub end_minute: u16,
    pub label: String,
    pub capacities: Vec<CapacityFields>,
}

#[derive(FromRow)]
struct BlockRow {
    #[sqlx(try_from = "Stored")]
    id: BlockId,
    local_date: String,
    start_minute: i64,
    end_minute: i64,
    label: String,
}

#[derive(FromRow)]
struct CapacityRow {
    #[sqlx(try_from = "Stored")]
    block_id: BlockId,
    service_id: i64,
    code: String,
    name: String,
    capacity: i64,
    allow_overlap: i64,
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Blocks on local dates [from, to] with capacities and usage at `now`.
pub async fn between(
    db: &Db,
    tenant: TenantId,
    from: NaiveDate,
    to: NaiveDate,
    now: i64,
) -> anyhow::Result<Vec<Block>> {
    between_in(&mut *db.pool().acquire().await?, tenant, from, to, now).await
}

/// [`between`] on a given connection (e.g. inside a booking transaction).
pub async fn between_in(
    conn: &mut sqlx::AnyConnection,
    tenant: TenantId,
    from: NaiveDate,
    to: NaiveDate,
    now: i64,
) -> anyhow::Result<Vec<Block>> {
    Ok(between_raw_in(conn, tenant, from, to, now).await?.at(now))
}

/// Blocks with their booked counts and the unexpired holds on them, before the holds are
/// counted: what the schedule cache keeps, since holds expire by themselves.
#[derive(Debug, Clone, Default)]
pub struct RawBlocks {
    /// `held` is 0 here; [`RawBlocks::at`] counts it.
    blocks: Vec<Block>,
    /// (block, service, expires at) of every hold unexpired when loaded.
    holds: Vec<(i64, i64, i64)>,
}

impl RawBlocks {
    /// The blocks with the holds still unexpired at `now` counted.
    pub fn at(&self, now: i64) -> Vec<Block> {
        let mut blocks = self.blocks.clone();
        for (block, service, expires_at) in &self.holds {
            if *expires_at <= now {
                continue;
            }
            let capacity = blocks
                .iter_mut()
                .filter(|b| b.id.get() == *block)
                .flat_map(|b| b.capacities.iter_mut())
                .find(|c| c.service_id == *service);
            if let Some(capacity) = capacity {
                capacity.held += 1;
            }
        }
        blocks
    }
}

/// Blocks on local dates [from, to] with capacities, booked counts and the holds unexpired
/// at `now`.
pub async fn between_raw_in(
    conn: &mut sqlx::AnyConnection,
    tenant: TenantId,
    from: NaiveDate,
    to: NaiveDate,
    now: i64,
) -> anyhow::Result<RawBlocks> {
    let rows: Vec<BlockRow> = sqlx::query_as(
        "select id, local_date, start_minute, end_minute, label from timetable_blocks \
         where tenant_id = $1 and local_date >= $2 and local_date <= $3 \
         order by local_date, start_minute, id",
    )
    .bind(tenant.get())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(RawBlocks::default());
    }
    let capacities: Vec<CapacityRow> = sqlx::query_as(
        "select c.block_id, c.service_id, s.code, s.name, c.capacity, c.allow_overlap \
         from block_capacities c join timetable_blocks b on b.id = c.block_id \
         join services s on s.id = c.service_id \
         where b.tenant_id = $1 and b.local_date >= $2 and b.local_date <= $3 \
         order by s.display_order, s.code",
    )
    .bind(tenant.get())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let booked: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select k.block_id, k.service_id, count(*) from bookings k \
         join timetable_blocks b on b.id = k.block_id \
         where b.tenant_id = $1 and b.local_date >= $2 and b.local_date <= $3 \
         and k.status in {occupying} group by k.block_id, k.service_id",
        occupying = occupying_sql()
    )))
    .bind(tenant.get())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let holds: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select h.block_id, h.service_id, h.expires_at from holds h \
         join timetable_blocks b on b.id = h.block_id \
         where b.tenant_id = $1 and b.local_date >= $2 and b.local_date <= $3 \
         and h.consumed_at is null and h.expires_at > $4",
    )
    .bind(tenant.get())
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let usage = |list: &[(i64, i64, i64)], block: i64, service: i64| {
        list.iter().find(|(b, s, _)| *b == block && *s == service).map_or(0, |(_, _, n)| count(*n))
    };
    let blocks = rows
        .into_iter()
        .map(|r| {
            Ok(Block {
                date: r.local_date.parse()?,
                start_minute: u16::try_from(r.start_minute)?,
                end_minute: u16::try_from(r.end_minute)?,
                capacities: capacities
                    .iter()
                    .filter(|c| c.block_id == r.id)
                    .map(|c| Capacity {
                        service_id: c.service_id,
                        code: c.code.clone(),
                        name: c.name.clone(),
                        capacity: count(c.capacity),
                        allow_overlap: c.allow_overlap != 0,
                        booked: usage(&booked, r.id.get(), c.service_id),
                        held: 0,
                    })
                    .collect(),
                id: r.id,
                label: r.label,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(RawBlocks { blocks, holds })
}

pub async fn get(db: &Db, tenant: TenantId, id: i64, now: i64) -> anyhow::Result<Option<Block>> {
    let date: Option<String> = sqlx::query_scalar(
        "select local_date from timetable_blocks where id = $1 and tenant_id = $2",
    )
    .bind(id)
    .bind(tenant.get())
    .fetch_optional(db.pool())
    .await?;
    let Some(date) = date else { return Ok(None) };
    let date: NaiveDate = date.parse()?;
    Ok(between(db, tenant, date, date, now).await?.into_iter().find(|b| b.id.get() == id))
}

async fn write_capacities(
    tx: &mut Tx,
    tenant: TenantId,
    block: BlockId,
    capacities: &[CapacityFields],
) -> anyhow::Result<()> {
    sqlx::query("delete from block_capacities where block_id = $1")
        .bind(block.get())
        .execute(&mut **tx)
        .await?;
    for c in capacities {
        sqlx::query(
            "insert into block_capacities (block_id, service_id, capacity, allow_overlap) \
             select $1, id, $2, $3 from services where id = $4 and tenant_id = $5",
        )
        .bind(block.get())
        .bind(i64::from(c.capacity))
        .bind(i64::from(c.allow_overlap))
        .bind(c.service_id)
        .bind(tenant.get())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn insert(
    db: &Db,
    tenant: TenantId,
    f: &BlockFields,
    now: i64,
) -> anyhow::Result<BlockId> {
    let mut tx = versions::begin(db, tenant).await?;
    let id = insert_in(&mut tx, tenant, f, now).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_in(
    tx: &mut Tx,
    tenant: TenantId,
    f: &BlockFields,
    now: i64,
) -> anyhow::Result<BlockId> {
    let id: i64 = sqlx::query_scalar(
        "insert into timetable_blocks (tenant_id, local_date, start_minute, end_minute, label, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning id",
    )
    .bind(tenant.get())
    .bind(f.date.to_string())
    .bind(i64::from(f.start_minute))
    .bind(i64::from(f.end_minute))
    .bind(&f.label)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id = BlockId::from_store(id);
    write_capacities(tx, tenant, id, &f.capacities).await?;
    Ok(id)
}

/// Replaces a block's fields and capacities; `false` if unknown.
pub async fn update(
    db: &Db,
    tenant: TenantId,
    id: BlockId,
    f: &BlockFields,
    now: i64,
) -> anyhow::Result<bool> {
    let mut tx = versions::begin(db, tenant).await?;
    let result = sqlx::query(
        "update timetable_blocks set local_date = $1, start_minute = $2, end_minute = $3, \
         label = $4, updated_at = $5 where id = $6 and tenant_id = $7",
    )
    .bind(f.date.to_string())
    .bind(i64::from(f.start_minute))
    .bind(i64::from(f.end_minute))
    .bind(&f.label)
    .bind(now)
    .bind(id.get())
    .bind(tenant.get())
    .execute(tx.conn())
    .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    write_capacities(&mut tx, tenant, id, &f.capacities).await?;
    tx.commit().await?;
    Ok(true)
}

/// Why a block could not be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    NotFound,
    /// Bookings or holds point at it: cancel or move them first.
    InUse,
}

pub async fn delete(db: &Db, tenant: TenantId, id: BlockId) -> anyhow::Result<DeleteOutcome> {
    let mut tx = versions::begin(db, tenant).await?;
    let exists: i64 = sqlx::query_scalar(
        "select count(*) from timetable_blocks where id = $1 and tenant_id = $2",
    )
    .bind(id.get())
    .bind(tenant.get())
    .fetch_one(tx.conn())
    .await?;
    if exists == 0 {
        return Ok(DeleteOutcome::NotFound);
    }
    let used: i64 = sqlx::query_scalar(
        "select (select count(*) from bookings where block_id = $1) + (select count(*) from holds where block_id = $1)",
    )
    .bind(id.get())
    .fetch_one(tx.conn())
    .await?;
    if used > 0 {
        return Ok(DeleteOutcome::InUse);
    }
    sqlx::query("delete from timetable_blocks where id = $1 and tenant_id = $2")
        .bind(id.get())
        .bind(tenant.get())
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(DeleteOutcome::Deleted)
}

/// Copies the blocks (with capacities) of `from` onto every date in `targets` that has no
/// blocks yet. Returns the dates filled and the dates skipped because they had blocks.
pub async fn copy_day(
    db: &Db,
    tenant: TenantId,
    from: NaiveDate,
    targets: &[NaiveDate],
    now: i64,
) -> anyhow::Result<(Vec<NaiveDate>, Vec<NaiveDate>)> {
    let source = between(db, tenant, from, from, now).await?;
    let mut filled = Vec::new();
    let mut skipped = Vec::new();
    let mut tx = versions::begin(db, tenant).await?;
    for &date in targets {
        if date == from {
            continue;
        }
        let existing: i64 = sqlx::query_scalar(
            "select count(*) from timetable_blocks where tenant_id = $1 and local_date = $2",
        )
        .bind(tenant.get())
        .bind(date.to_string())
        .fetch_one(tx.conn())
        .await?;
        if existing > 0 {
            skipped.push(date);
            continue;
        }
        for block in &source {
            let fields = BlockFields {
                date,
                start_minute: block.start_minute,
                end_minute: block.end_minute,
                label: block.label.clone(),
                capacities: block
                    .capacities
                    .iter()
                    .map(|c| CapacityFields {
                        service_id: c.service_id,
                        capacity: c.capacity,
                        allow_overlap: c.allow_overlap,
                    })
                    .collect(),
            };
            insert_in(&mut tx, tenant, &fields, now).await?;
        }
        filled.push(date);
    }
    tx.commit().await?;
    Ok((filled, skipped))
}

/// Whether any booking or hold (of any status) points at the block: its date and times then
/// stay as they are, or those bookings would disagree with it.
pub async fn in_use(db: &Db, tenant: TenantId, id: BlockId) -> anyhow::Result<bool> {
    let used: i64 = sqlx::query_scalar(
        "select (select count(*) from bookings where block_id = $1 and tenant_id = $2) + \
         (select count(*) from holds where block_id = $1 and tenant_id = $2)",
    )
    .bind(id.get())
    .bind(tenant.get())
    .fetch_one(db.pool())
    .await?;
    Ok(used > 0)
}
