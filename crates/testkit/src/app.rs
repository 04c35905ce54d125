//! [`TestApp`]: the real application on a fresh database of the chosen backend, served on
//! `127.0.0.1:0`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use portico_config::{Config, Sources};
use portico_domain::Clock as _;
use portico_jobs::{Job, Queue};
use portico_store::{Db, PoolSettings, outbox};
use portico_web::{App, AppState};
use portico_workers::{Deps, WorkerSettings};
use rand::Rng as _;
use tokio_util::sync::CancellationToken;

use crate::backend::{Backend, postgres_admin_url, redis_url};
use crate::browser::Browser;
use crate::clock::ManualClock;
use crate::smtp::SmtpListener;

/// A running application for one test. Dropping it stops the server and removes its
/// database (and its Redis keys).
pub struct TestApp {
    pub backend: Backend,
    /// Receives every email the app sends.
    pub mail: SmtpListener,
    pub address: SocketAddr,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    /// A client that keeps cookies, like a browser.
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    resources: Resources,
}

/// What must be cleaned up after the test: the temp dir, the PostgreSQL database, the Redis
/// namespace.
struct Resources {
    dir: tempfile::TempDir,
    pg_database: Option<String>,
    redis_namespace: Option<String>,
}

impl TestApp {
    /// Starts the app on `backend` with a fresh, migrated database.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |sources| sources).await
    }

    /// Like [`spawn`](Self::spawn), with extra configuration.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(Sources) -> Sources) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let suffix = format!("{:016x}", rand::rng().random::<u64>());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");

        let mail = SmtpListener::start().await;
        let mut sources = Sources::default()
            .set("mail.smtp_url", mail.url())
            .set("data_dir", dir.path().display().to_string())
            .set("bind", address.to_string())
            .set("queue.poll_interval_ms", "50");
        let mut resources = Resources { dir, pg_database: None, redis_namespace: None };
        if backend == Backend::Postgres {
            let name = format!("portico_test_{suffix}");
            let url = create_pg_database(&name).await;
            resources.pg_database = Some(name);
            let namespace = format!("t{suffix}");
            resources.redis_namespace = Some(namespace.clone());
            sources = sources
                .set("database_url", url)
                .set("redis_url", redis_url())
                .set("queue.namespace", namespace);
        }
        let config = portico_config::load(&configure(sources)).expect("test configuration");

        let db = connect(&config).await;
        let queue = Queue::connect(&config.queue_target, &config.queue.namespace)
            .await
            .expect("connect the test queue");
        let clock = Arc::new(ManualClock::new(ManualClock::default_start()));
        let state =
            AppState::new(App::new(config, db, queue, clock.clone()).expect("build app state"));

        let shutdown = CancellationToken::new();
        let router = portico_web::app(state.clone());
        let server =
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        tokio::spawn(async move {
            if let Err(error) = server.await {
                eprintln!("test server stopped: {error}");
            }
        });

        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Self { backend, mail, address, state, clock, client, shutdown, resources }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn config(&self) -> &Config {
        &self.state.config
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Writes `job` to the outbox in its own committed transaction.
    pub async fn enqueue<J: Job>(&self, job: &J) {
        let mut tx = self.db().begin().await.expect("begin");
        portico_jobs::enqueue(&mut tx, job, self.clock.now_ts()).await.expect("enqueue");
        tx.commit().await.expect("commit");
    }

    /// What the workers' handlers get, for tests that run one job by hand.
    pub fn deps(&self) -> Deps {
        Deps::new(self.config(), self.db().clone(), self.clock.clone()).expect("worker deps")
    }

    /// A new browser with its own cookies.
    pub fn browser(&self) -> Browser {
        Browser::new(format!("http://{}", self.address))
    }

    /// Runs every job waiting in the outbox (and any they enqueue) in this task, through the
    /// same handlers the workers use. Returns how many ran. Panics if one fails.
    pub async fn run_pending_jobs(&self) -> usize {
        let deps = self.deps();
        let mut ran = 0;
        loop {
            let now = chrono::Utc::now().timestamp();
            let rows = outbox::claim(self.db(), "test-drain", now, now + 60, 100)
                .await
                .expect("claim outbox rows");
            if rows.is_empty() {
                return ran;
            }
            for row in rows {
                if let Err(error) = portico_workers::dispatch(&deps, &row.queue, &row.payload).await
                {
                    panic!("job on queue `{}` failed: {error}", row.queue);
                }
                outbox::delete(self.db(), row.id).await.expect("delete outbox row");
                ran += 1;
            }
        }
    }

    /// Starts the real worker machinery (relay + apalis workers) on this app's queue.
    pub fn start_worker(&self) -> WorkerHandle {
        let token = CancellationToken::new();
        let config = self.config();
        let settings = WorkerSettings {
            name: "test".to_owned(),
            concurrency: 2,
            message_concurrency: 2,
            fetch_batch: config.queue.fetch_batch,
            max_attempts: 3,
            poll_interval: config.queue.poll_interval(),
            relay_batch: config.queue.relay_batch,
            maintenance_interval: Duration::from_secs(config.queue.maintenance_secs),
        };
        let join = tokio::spawn(portico_workers::run(
            self.deps(),
            self.state.queue.clone(),
            settings,
            token.clone(),
        ));
        WorkerHandle { token, join }
    }

    /// Makes the database unreachable for the app: PostgreSQL's database is dropped with its
    /// connections; SQLite's pool is closed.
    pub async fn kill_database(&self) {
        if let Some(name) = &self.resources.pg_database {
            drop_pg_database(name).await;
        }
        self.db().close().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let pg = self.resources.pg_database.take();
        let ns = self.resources.redis_namespace.take();
        if pg.is_none() && ns.is_none() {
            return;
        }
        // Drop cannot await; clean up on a thread with its own runtime.
        let cleanup = std::thread::spawn(move || {
            // A fresh runtime: the test's own may already be shutting down.
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            let Ok(runtime) = runtime else { return };
            runtime.block_on(async move {
                if let Some(name) = pg {
                    drop_pg_database(&name).await;
                }
                if let Some(ns) = ns {
                    clear_redis_namespace(&ns).await;
                }
            });
        });
        let _ = cleanup.join();
        let _ = &self.resources.dir;
    }
}

/// Real workers started by [`TestApp::start_worker`].
pub struct WorkerHandle {
    token: CancellationToken,
    join: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl WorkerHandle {
    /// Asks the workers to stop and waits until they have.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.token.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.join)
            .await
            .map_err(|_| anyhow::anyhow!("workers did not stop within 30 s"))?
            .map_err(|e| anyhow::anyhow!("worker task panicked: {e}"))?
    }
}

async fn connect(config: &Config) -> Db {
    let settings = PoolSettings {
        max_connections: 20,
        acquire_timeout: Duration::from_secs(10),
        ..PoolSettings::default()
    };
    let db = Db::connect(&config.database.url(), settings).await.expect("connect test database");
    db.migrate().await.expect("migrate test database");
    db
}

async fn admin() -> Db {
    let settings = PoolSettings {
        max_connections: 1,
        acquire_timeout: Duration::from_secs(10),
        ..PoolSettings::default()
    };
    Db::connect(&postgres_admin_url(), settings).await.expect("connect to PostgreSQL as admin")
}

/// A PostgreSQL database of its own, dropped (with its connections) when this is dropped.
/// For tests that run the `portico` binary against a fresh database.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        let name = format!("portico_test_{:016x}", rand::rng().random::<u64>());
        let url = create_pg_database(&name).await;
        Self { url, name }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build()
            {
                runtime.block_on(drop_pg_database(&name));
            }
        })
        .join();
    }
}

async fn create_pg_database(name: &str) -> String {
    let admin = admin().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(admin.pool())
        .await
        .expect("create test database");
    admin.close().await;
    let mut url = url::Url::parse(&postgres_admin_url()).expect("admin URL");
    url.set_path(name);
    url.to_string()
}

async fn drop_pg_database(name: &str) {
    let admin = admin().await;
    let _ =
        sqlx::query(sqlx::AssertSqlSafe(format!("drop database if exists {name} with (force)")))
            .execute(admin.pool())
            .await;
    admin.close().await;
}

async fn clear_redis_namespace(namespace: &str) {
    let Ok(client) = redis::Client::open(redis_url()) else { return };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else { return };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}:*"))
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
    }
}
