//! Connecting, migrating and health-checking the database.

use std::sync::Once;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor as _};

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, Any>;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("unsupported database URL (expected sqlite: or postgres://)")
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Pool sizing.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout: Duration::from_secs(5) }
    }
}

/// The application database: a pool plus the knowledge of which engine is behind it.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

static DRIVERS: Once = Once::new();

/// How long a SQLite connection waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

impl Db {
    /// Opens a pool. For SQLite the file is created if missing and every connection gets WAL,
    /// a busy timeout and foreign keys.
    pub async fn connect(url: &str, settings: PoolSettings) -> anyhow::Result<Self> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::from_url(url)?;
        let options: AnyConnectOptions = url.parse().context("parsing the database URL")?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout);
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "pragma journal_mode = wal; pragma busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                         pragma foreign_keys = on; pragma synchronous = normal;"
                    )))
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = pool
            .connect_with(options)
            .await
            .with_context(|| format!("connecting to the {} database", backend.name()))?;
        Ok(Self { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations from `migrations/<backend>/`, recorded in our own table so
    /// they never clash with apalis's.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let mut migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("../../migrations/postgres"),
        };
        migrator.dangerous_set_table_name("_portico_migrations");
        run_migrator(&migrator, &self.pool).await
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        Ok(self.pool.begin().await?)
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so read-then-write transactions wait for each other instead of
    /// failing with `SQLITE_BUSY`; on PostgreSQL it is a normal transaction.
    pub async fn begin_write(&self) -> anyhow::Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("begin immediate").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Closes every connection; later queries fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn run_migrator(migrator: &Migrator, pool: &AnyPool) -> anyhow::Result<()> {
    migrator.run(pool).await.context("running database migrations")
}
