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
