//! Connecting, migrating and health-checking the database.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor as _};

use crate::bookings::Links;
use crate::bookings::events::Ledger;
use crate::schedule_cache::ScheduleCache;

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
    /// Connections in the pool (on SQLite: the readers; writes have a connection of their own).
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// A connection unused for this long is closed (none is kept open for its own sake), so
    /// an idle process holds no connection threads, page caches or prepared statements; the
    /// next request opens one again. `None`: connections stay open.
    pub idle_timeout: Option<Duration>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// The application database: a pool plus the knowledge of which engine is behind it, and
/// this process's in-memory copies of tenants' schedules (shared by every clone).
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// SQLite: the one connection write transactions run on.
    writer: Option<AnyPool>,
    /// SQLite: where write transactions ([`Db::begin_write`]) wait for their turn at the
    /// writer, so that at most one of them is queued at the writer itself.
    write_turns: Arc<WriteTurns>,
    backend: Backend,
    schedules: Arc<ScheduleCache>,
    /// Delivery ledger rows queued to be written together ([`crate::bookings::events`]).
    ledger: Arc<Ledger>,
    /// Guest manage links queued to be inserted together ([`crate::bookings::create_link`]).
    links: Arc<Links>,
}

static DRIVERS: Once = Once::new();

/// SQLite write transactions' turns at the writer ([`Db::begin_write`]).
#[derive(Debug, Default)]
struct WriteTurns {
    turn: tokio::sync::Mutex<()>,
    /// Transactions waiting for the writer, for [`Db::write_transactions_waiting`].
    waiting: AtomicUsize,
}

impl WriteTurns {
    /// Counts one waiter until the guard is dropped (it got the writer, failed or gave up).
    fn wait(&self) -> impl Drop + '_ {
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        Waiting(&self.waiting)
    }
}

/// How long a SQLite connection waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

/// How long a SQLite write transaction may queue for the writer connection.
const WRITER_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Page cache of each SQLite reader connection, in KiB. SQLite's default (2 MiB) is per
/// connection and fills as pages are read, so a pool of readers held most of the database
/// several times over in the process's memory; availability comes from the schedule cache,
/// and what readers read again is in the operating system's file cache anyway. The writer
/// keeps the default: the booking transactions' re-checks run on it.
const SQLITE_READER_CACHE_KIB: u32 = 512;

/// Set on every PostgreSQL connection: no parallel plans. Our statements read a handful of
/// rows through an index; a parallel plan starts two background workers per statement, which
/// costs far more than the read. PostgreSQL chose one for the provider's day of bookings
/// once the tenant had 1,000,000 past bookings: the prepared statement's generic plan (after
/// five runs), which does not know the window's bounds, took 9.1 ms instead of 0.9 ms, almost
/// all of it starting the workers (bench/README.md, 2026-12-04).
const POSTGRES_SESSION: &str = "set max_parallel_workers_per_gather = 0";

/// Pool options; PostgreSQL connections get [`POSTGRES_SESSION`]; SQLite connections get WAL, `synchronous = normal` (a commit survives a
/// crash of the process; a power loss may lose the last commits, never corrupts), a busy
/// timeout and foreign keys; readers (`reader`) a smaller page cache.
fn pool_options(
    backend: Backend,
    max: u32,
    settings: PoolSettings,
    reader: bool,
) -> AnyPoolOptions {
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .idle_timeout(settings.idle_timeout)
        .acquire_timeout(settings.acquire_timeout);
    if backend == Backend::Postgres {
        return pool.after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(POSTGRES_SESSION).await?;
                Ok(())
            })
        });
    }
    let cache = if reader {
        format!(" pragma cache_size = -{SQLITE_READER_CACHE_KIB};")
    } else {
        String::new()
    };
    pool.after_connect(move |conn, _meta| {
        let cache = cache.clone();
        Box::pin(async move {
            conn.execute(sqlx::AssertSqlSafe(format!(
                "pragma journal_mode = wal; pragma busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                 pragma foreign_keys = on; pragma synchronous = normal;{cache}"
            )))
            .await?;
            Ok(())
        })
    })
}

impl Db {
    /// Opens a pool. For SQLite the file is created if missing and every connection gets WAL,
    /// a busy timeout and foreign keys; write transactions get a connection of their own
    /// ([`Db::begin_write`]).
    pub async fn connect(url: &str, settings: PoolSettings) -> anyhow::Result<Self> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::from_url(url)?;
        let options: AnyConnectOptions = url.parse().context("parsing the database URL")?;
        let pool = pool_options(backend, settings.max_connections, settings, true)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("connecting to the {} database", backend.name()))?;
        // SQLite has one writer at a time. Rather than let every request's connection race
        // for the lock (SQLite's busy handler sleeps and polls), write transactions queue for
        // this single connection: waiters are woken in turn, nobody polls. The wait is as long
        // as a pool acquire may take, plus the busy timeout for writes made outside it.
        let writer = match backend {
            Backend::Sqlite => Some(
                pool_options(
                    backend,
                    1,
                    PoolSettings {
                        acquire_timeout: settings.acquire_timeout.max(WRITER_ACQUIRE_TIMEOUT),
                        ..settings
                    },
                    false,
                )
                .connect_with(options)
                .await
                .context("connecting the SQLite writer")?,
            ),
            Backend::Postgres => None,
        };
        Ok(Self {
            pool,
            writer,
            backend,
            write_turns: Arc::default(),
            schedules: Arc::default(),
            ledger: Arc::default(),
            links: Arc::default(),
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Where a single write statement outside a transaction runs: on SQLite the writer
    /// connection, so it queues for the lock instead of polling for it (SQLite's busy handler
    /// sleeps); on PostgreSQL the pool.
    ///
    /// On SQLite such a statement waits behind at most one write transaction: transactions
    /// queue for their turn before they queue at the writer ([`Db::begin_write`]), these
    /// statements queue at the writer directly. They are the background's batched writes (a
    /// group commit's rows, the outbox relay), and under a burst of bookings they would
    /// otherwise wait behind every booking queued — a notice's delivery record 50–86 ms
    /// (bench/README.md, 2026-12-04 late night).
    pub fn writes(&self) -> &AnyPool {
        self.writer.as_ref().unwrap_or(&self.pool)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The schedule copies availability is served from ([`crate::schedule_cache`]).
    pub fn schedules(&self) -> &ScheduleCache {
        &self.schedules
    }

    /// The delivery ledger's queue of rows to write ([`crate::bookings::events::mark_delivered`]).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The manage links' queue of rows to insert ([`crate::bookings::create_link`]).
    pub fn links(&self) -> &Links {
        &self.links
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

    /// Starts a transaction that will write. On SQLite it runs on the single writer
    /// connection (queued for in turn, never polled for) and takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so read-then-write transactions never fail with `SQLITE_BUSY`;
    /// on PostgreSQL it is a normal transaction.
    pub async fn begin_write(&self) -> anyhow::Result<Tx> {
        Ok(match &self.writer {
            Some(writer) => {
                // Held until this transaction has the writer: the others wait here, in turn,
                // so a single statement ([`Db::writes`]) finds at most one ahead of it. The
                // whole wait is bounded as the writer's acquire alone was.
                let timeout = writer.options().get_acquire_timeout();
                let turn = async {
                    let _waiting = self.write_turns.wait();
                    let _turn = self.write_turns.turn.lock().await;
                    writer.begin_with("begin immediate").await
                };
                tokio::time::timeout(timeout, turn)
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)??
            }
            None => self.pool.begin().await?,
        })
    }

    /// How many [`Db::begin_write`] transactions are waiting for the SQLite writer (always 0 on
    /// PostgreSQL).
    pub fn write_transactions_waiting(&self) -> usize {
        self.write_turns.waiting.load(Ordering::Relaxed)
    }

    /// Whether a [`Db::begin_write`] transaction excludes every other writer until it ends:
    /// on SQLite it holds the single writer connection and began with `BEGIN IMMEDIATE`, so
    /// no other transaction can write, and what it reads stays current, until it commits.
    pub fn write_excludes_writers(&self) -> bool {
        self.writer.is_some()
    }

    /// [`Db::begin_write`] on PostgreSQL with `statements` sent together with its `BEGIN`, in
    /// one round trip (the simple query protocol: no parameters, so whatever they need must be
    /// written into them, e.g. ids). PostgreSQL only: SQLite's writer begins with
    /// `BEGIN IMMEDIATE` alone.
    pub async fn begin_write_with(&self, statements: &str) -> anyhow::Result<Tx> {
        anyhow::ensure!(self.writer.is_none(), "begin_write_with is for PostgreSQL");
        let begin = format!("begin; {statements}");
        Ok(self.pool.begin_with(sqlx::AssertSqlSafe(begin)).await?)
    }

    /// Closes every connection; later queries fail.
    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
    }
}

async fn run_migrator(migrator: &Migrator, pool: &AnyPool) -> anyhow::Result<()> {
    migrator.run(pool).await.context("running database migrations")
}
