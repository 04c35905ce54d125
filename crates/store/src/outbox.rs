//! The transactional outbox: jobs are written here in the same transaction as the change
//! that causes them, and a relay moves them into the job queue. A crash between commit and
//! enqueue loses nothing: the row stays until the relay has handed it over.

use sqlx::{Any, FromRow};

use crate::{Backend, Db, Tx};

/// A job waiting to be handed to the queue.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub queue: String,
    pub payload: String,
    pub created_at: i64,
}

/// A job to write to the outbox with some other change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub queue: &'static str,
    pub payload: String,
}

/// Writes a job for `queue` inside the caller's transaction.
pub async fn insert(tx: &mut Tx, queue: &str, payload: &str, now: i64) -> anyhow::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "insert into outbox (queue, payload, created_at, lease_until) values ($1, $2, $3, 0) \
         returning id",
    )
    .bind(queue)
    .bind(payload)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Writes several jobs inside the caller's transaction, in the order given, in one statement
/// (one round trip however many jobs a change causes; a thousand rows at most per statement,
/// well under both backends' limit on parameters).
pub async fn insert_many(tx: &mut Tx, jobs: &[NewJob], now: i64) -> anyhow::Result<()> {
    for chunk in jobs.chunks(1000) {
        // $1 is the time; each job adds its queue and payload.
        let rows: Vec<String> =
            (0..chunk.len()).map(|i| format!("(${}, ${}, $1, 0)", 2 * i + 2, 2 * i + 3)).collect();
        let sql = format!(
            "insert into outbox (queue, payload, created_at, lease_until) values {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for job in chunk {
            query = query.bind(job.queue).bind(&job.payload);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The insert of `rows` outbox rows whose parameters are numbered from `$first` on: each
/// row's queue, payload and time (for a commit that writes them with other rows,
/// [`crate::versions::ScheduleTx::commit`]).
pub(crate) fn insert_sql(first: usize, rows: usize) -> String {
    let rows: Vec<String> = (0..rows)
        .map(|i| {
            let n = first + 3 * i;
            format!("(${n}, ${}, ${}, 0)", n + 1, n + 2)
        })
        .collect();
    format!(
        "insert into outbox (queue, payload, created_at, lease_until) values {}",
        rows.join(", ")
    )
}

/// Leases up to `limit` rows to `owner` until `lease_until` and returns them, oldest first.
/// Rows leased by a relay that died become claimable again once their lease has passed; two
/// relays never hold the same row at once.
///
/// Both statements find the rows through the primary key in `id` order and touch no index
/// when leasing (migration 0033 dropped the one on `lease_until`). On PostgreSQL that matters:
/// every row is inserted, leased and deleted within seconds, and until vacuum comes by the
/// dead versions stay in the table and its indexes. A bitmap scan over `lease_until` (what the
/// planner chose for the old `id in (…)` form) visited every dead row on every claim — under
/// a booking burst 1,000 buffers and 38 ms per claim on this machine, growing with the burst;
/// an index scan marks dead entries once and skips them after, and the join by `id` leases
/// exactly the rows found.
pub async fn claim(
    db: &Db,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> anyhow::Result<Vec<OutboxRow>> {
    let sql = match db.backend() {
        // `skip locked`: a row another relay is leasing right now is passed over, and one it
        // leased since this statement's snapshot is locked, re-read and dropped by the repeated
        // `lease_until <= now` (PostgreSQL re-checks a row's conditions once it has locked it).
        Backend::Postgres => {
            "update outbox o set lease_owner = $1, lease_until = $2 \
             from (select id from outbox where lease_until <= $3 order by id limit $4 \
             for update skip locked) c \
             where o.id = c.id and o.lease_until <= $3 \
             returning o.id, o.queue, o.payload, o.created_at"
        }
        // One writer at a time: nothing else leases between the select and the update.
        Backend::Sqlite => {
            "update outbox set lease_owner = $1, lease_until = $2 \
             where id in (select id from outbox where lease_until <= $3 order by id limit $4) \
             returning id, queue, payload, created_at"
        }
    };
    let mut rows = sqlx::query_as::<Any, OutboxRow>(sql)
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(db.writes())
        .await?;
    rows.sort_by_key(|row| row.id);
    Ok(rows)
}

/// Removes a row once the queue has accepted it.
pub async fn delete(db: &Db, id: i64) -> anyhow::Result<()> {
    sqlx::query("delete from outbox where id = $1").bind(id).execute(db.writes()).await?;
    Ok(())
}

/// Deletes handed-over rows, in one statement (one turn of the SQLite writer, not one per row).
pub async fn delete_many(db: &Db, ids: &[i64]) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!("delete from outbox where id in ({})", marks.join(", "));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    query.execute(db.writes()).await?;
    Ok(())
}

/// Rows not yet handed over.
pub async fn pending_count(db: &Db) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from outbox").fetch_one(db.pool()).await?)
}
