//! The job queue: apalis storage on its own SQLite file (embedded default) or on Redis.

use std::str::FromStr as _;

use anyhow::Context as _;
use apalis::prelude::TaskSink as _;
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::SqliteStorage;
use portico_config::QueueTarget;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::Job;

#[derive(Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Redis(ConnectionManager),
}

/// A handle on the queue storage. Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    backend: Backend,
    namespace: String,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("backend", &self.backend_name())
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl Queue {
    /// Opens the queue storage (creating and migrating the SQLite file if needed).
    /// `namespace` prefixes every queue name, so several deployments or tests can share Redis.
    pub async fn connect(target: &QueueTarget, namespace: &str) -> anyhow::Result<Self> {
        let backend = match target {
            QueueTarget::Sqlite(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let options = SqliteConnectOptions::from_str("sqlite://")?
                    .filename(path)
                    .create_if_missing(true)
                    .busy_timeout(std::time::Duration::from_secs(10))
                    // A small page cache per connection (SQLite's default is 2 MiB each): the
                    // queue's rows are read once and the OS caches the file anyway.
                    .pragma("cache_size", "-512");
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .with_context(|| format!("opening the job queue {}", path.display()))?;
                SqliteStorage::setup(&pool).await.context("setting up the job queue")?;
                Backend::Sqlite(pool)
            }
            QueueTarget::Redis(url) => {
                let conn =
                    apalis_redis::connect(url.as_str()).await.context("connecting to Redis")?;
                Backend::Redis(conn)
            }
        };
        Ok(Self { backend, namespace: namespace.to_owned() })
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Redis(_) => "redis",
        }
    }

    /// The full name of a queue in storage.
    pub fn queue_name(&self, queue: &str) -> String {
        format!("{}:{queue}", self.namespace)
    }

    /// Pushes several already-serialized jobs onto `queue` in one go: on Redis one script
    /// call, on SQLite one transaction — all of them or none.
    pub async fn push_json_many(&self, queue: &str, payloads: &[&str]) -> anyhow::Result<()> {
        let values = payloads
            .iter()
            .map(|payload| serde_json::from_str::<serde_json::Value>(payload))
            .collect::<Result<Vec<_>, _>>()?;
        let name = self.queue_name(queue);
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut storage = SqliteStorage::<serde_json::Value>::new(pool)
                    .with_config(apalis_sqlite::Config::default().queue(&name));
                storage.push_bulk(values).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            Backend::Redis(conn) => {
                let mut storage = RedisStorage::<serde_json::Value>::new(conn.clone())
                    .with_config(apalis_redis::Config::default().queue(&name));
                storage.push_bulk(values).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
        Ok(())
    }

    /// Removes the jobs of `queues` that finished — done, killed, or failed with no attempt
    /// left — before `cutoff` (unix seconds: apalis stamps `done_at` with the wall clock in
    /// seconds, on both backends), and returns how many. apalis keeps every finished job (a
    /// row in the SQLite file; its payload, metadata and id in Redis) until told otherwise, so
    /// without this the queue grows with every booking for as long as the deployment runs.
    pub async fn purge_finished(&self, queues: &[&str], cutoff: u64) -> anyhow::Result<u64> {
        let mut removed = 0;
        for queue in queues {
            let name = self.queue_name(queue);
            removed += match &self.backend {
                Backend::Sqlite(pool) => purge_sqlite(pool, &name, cutoff).await?,
                Backend::Redis(conn) => purge_redis(conn, &name, cutoff).await?,
            };
        }
        Ok(removed)
    }

    /// What the storage holds for `queue`, finished or not: its rows in the SQLite file; in
    /// Redis its payloads plus the ids in its done and dead sets (so that ids left behind by
    /// a purge would show).
    pub async fn stored(&self, queue: &str) -> anyhow::Result<u64> {
        let name = self.queue_name(queue);
        match &self.backend {
            Backend::Sqlite(pool) => {
                let count: i64 = sqlx::query_scalar("select count(*) from Jobs where job_type = ?")
                    .bind(&name)
                    .fetch_one(pool)
                    .await?;
                Ok(u64::try_from(count)?)
            }
            Backend::Redis(conn) => {
                let config = apalis_redis::Config::default().queue(&name);
                let (payloads, done, dead): (u64, u64, u64) = redis::pipe()
                    .cmd("HLEN")
                    .arg(config.job_data_hash())
                    .cmd("SCARD")
                    .arg(config.done_jobs_set())
                    .cmd("SCARD")
                    .arg(config.dead_jobs_set())
                    .query_async(&mut conn.clone())
                    .await?;
                Ok(payloads + done + dead)
            }
        }
    }

    /// The Redis connection, when the queue lives on Redis (other shared counters use it too).
    pub fn redis(&self) -> Option<ConnectionManager> {
        match &self.backend {
            Backend::Redis(conn) => Some(conn.clone()),
            Backend::Sqlite(_) => None,
        }
    }

    /// Checks the queue storage answers.
    pub async fn ping(&self) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query("select 1").execute(pool).await?;
            }
            Backend::Redis(conn) => {
                let mut conn = conn.clone();
                let _: String = redis::cmd("PING").query_async(&mut conn).await?;
            }
        }
        Ok(())
    }

    /// Typed storage for consuming jobs of kind `J`, as the worker needs it.
    pub fn sqlite_storage<J: Job>(&self, batch: usize) -> Option<SqliteStorage<J>> {
        match &self.backend {
            Backend::Sqlite(pool) => Some(
                SqliteStorage::new(pool).with_config(
                    apalis_sqlite::Config::default()
                        .queue(self.queue_name(J::QUEUE))
                        .batch_size(batch.max(1)),
                ),
            ),
            Backend::Redis(_) => None,
        }
    }

    /// Typed storage for consuming jobs of kind `J`, as the worker needs it.
    pub fn redis_storage<J: Job>(&self, batch: usize) -> Option<RedisStorage<J>> {
        match &self.backend {
            Backend::Redis(conn) => Some(
                RedisStorage::new(conn.clone()).with_config(
                    apalis_redis::Config::default()
                        .queue(self.queue_name(J::QUEUE))
                        .batch_size(batch.max(1)),
                ),
            ),
            Backend::Sqlite(_) => None,
        }
    }
}

/// Finished jobs removed per statement (SQLite) or script call (Redis), so neither the queue
/// file's write lock nor Redis is held for long.
const PURGE_BATCH: u64 = 1_000;

async fn purge_sqlite(pool: &SqlitePool, queue: &str, cutoff: u64) -> anyhow::Result<u64> {
    let cutoff = i64::try_from(cutoff)?;
    let mut removed = 0;
    loop {
        let deleted = sqlx::query(
            "delete from Jobs where rowid in (select rowid from Jobs where job_type = ?1 \
             and done_at < ?2 \
             and (status in ('Done', 'Killed') or (status = 'Failed' and attempts >= max_attempts)) \
             limit ?3)",
        )
        .bind(queue)
        .bind(cutoff)
        .bind(PURGE_BATCH as i64)
        .execute(pool)
        .await?
        .rows_affected();
        removed += deleted;
        if deleted < PURGE_BATCH {
            return Ok(removed);
        }
    }
}

/// apalis-redis's own `vacuum_before` leaves the ids in the done and dead sets and reads
/// every job of the queue in one script; this is handed a batch of ids from one of those sets
/// (KEYS[3]) and removes all of each job that finished before the cutoff.
const PURGE_REDIS: &str = r"
local removed = 0
local cutoff = tonumber(ARGV[1])
for i = 2, #ARGV do
  local id = ARGV[i]
  local meta = KEYS[2] .. ':' .. id
  local done_at = tonumber(redis.call('HGET', meta, 'done_at'))
  if done_at == nil or done_at < cutoff then
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2] .. ':result', id)
    redis.call('DEL', meta)
    redis.call('SREM', KEYS[3], id)
    removed = removed + 1
  end
end
return removed
";

/// Walks the queue's done and dead sets in batches (`SSCAN`), so Redis is never blocked for
/// long however many finished jobs it keeps.
async fn purge_redis(conn: &ConnectionManager, queue: &str, cutoff: u64) -> anyhow::Result<u64> {
    let config = apalis_redis::Config::default().queue(queue);
    let script = redis::Script::new(PURGE_REDIS);
    let mut conn = conn.clone();
    let mut removed = 0;
    for set in [config.done_jobs_set(), config.dead_jobs_set()] {
        let mut cursor = 0_u64;
        loop {
            let (next, ids): (u64, Vec<String>) = redis::cmd("SSCAN")
                .arg(&set)
                .arg(cursor)
                .arg("COUNT")
                .arg(PURGE_BATCH)
                .query_async(&mut conn)
                .await?;
            if !ids.is_empty() {
                let deleted: u64 = script
                    .key(config.job_data_hash())
                    .key(config.job_meta_hash())
                    .key(&set)
                    .arg(cutoff)
                    .arg(&ids)
                    .invoke_async(&mut conn)
                    .await?;
                removed += deleted;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok(removed)
}
