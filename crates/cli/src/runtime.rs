//! Process assembly: connect, migrate, serve, work, and shut down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use portico_config::{Config, DatabaseTarget, LogFormat};
use portico_domain::SystemClock;
use portico_jobs::Queue;
use portico_store::{Db, PoolSettings};
use portico_web::{App, AppState};
use portico_workers::{Deps, WorkerSettings};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

pub fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,apalis=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub async fn connect_db(config: &Config) -> anyhow::Result<Db> {
    if let DatabaseTarget::Sqlite(path) = &config.database
        && let Some(dir) = path.parent()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let db = Db::connect(&config.database.url(), pool_settings(config)).await?;
    db.migrate().await?;
    Ok(db)
}

/// The pool's size and timeouts for the configured backend.
pub fn pool_settings(config: &Config) -> PoolSettings {
    let max_connections = match config.database {
        DatabaseTarget::Sqlite(_) => config.db_pool.sqlite_readers,
        DatabaseTarget::Postgres(_) => config.db_pool.max_connections,
    };
    PoolSettings {
        max_connections,
        acquire_timeout: Duration::from_secs(config.db_pool.acquire_timeout_secs),
        idle_timeout: config.db_pool.idle_timeout(),
    }
}

/// The async runtime, its threads as configured (`[runtime]`).
pub fn build_runtime(config: &Config) -> std::io::Result<tokio::runtime::Runtime> {
    let settings = &config.runtime;
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if settings.worker_threads > 0 {
        builder.worker_threads(settings.worker_threads);
    }
    builder
        .max_blocking_threads(settings.max_blocking_threads)
        .thread_keep_alive(Duration::from_secs(settings.blocking_keep_alive_secs))
        .enable_all()
        .build()
}

/// glibc's malloc reads its arena limit only from the environment, when the process starts
/// (setting it from the code needs `unsafe`, which the workspace forbids outside
/// [`crate::memory`]). So a long-running command re-executes itself once, same pid and
/// arguments, with `MALLOC_ARENA_MAX` set —
/// unless it is set already (by an operator, or by this on the first run). Call it before any
/// thread is started. Returns only if nothing was done or the exec failed (then the process
/// goes on with glibc's default, which is slower to give memory back but otherwise the same).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_malloc_arenas(arenas: usize) {
    use std::os::unix::process::CommandExt as _;
    const VAR: &str = "MALLOC_ARENA_MAX";
    if arenas == 0 || std::env::var_os(VAR).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(name) = args.next() {
        command.arg0(name);
    }
    let error = command.args(args).env(VAR, arenas.to_string()).exec();
    tracing::warn!("could not restart with {VAR}={arenas} (going on without it): {error}");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_malloc_arenas(_arenas: usize) {}

async fn connect_queue(config: &Config) -> anyhow::Result<Queue> {
    Queue::connect(&config.queue_target, &config.queue.namespace).await
}

pub fn worker_settings(config: &Config) -> WorkerSettings {
    let queue = &config.queue;
    // On SQLite every job's writes (a guest's manage link, the delivery ledger) queue at the
    // one writer connection, so more message jobs in flight only wait there: measured, no
    // faster drain and a slower booking p99 (bench/README.md, 2026-12-04 night).
    let message_concurrency = match config.database {
        DatabaseTarget::Sqlite(_) => queue.message_concurrency.min(queue.concurrency),
        DatabaseTarget::Postgres(_) => queue.message_concurrency,
    };
    WorkerSettings {
        name: "portico".to_owned(),
        concurrency: queue.concurrency,
        message_concurrency,
        fetch_batch: config.queue.fetch_batch,
        max_attempts: config.queue.max_attempts,
        poll_interval: config.queue.poll_interval(),
        relay_batch: config.queue.relay_batch,
        maintenance_interval: Duration::from_secs(config.queue.maintenance_secs),
    }
}

/// Cancels the token on SIGTERM or Ctrl-C.
fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            () = term => {}
        }
        tracing::info!("shutting down: finishing in-flight requests and jobs");
        trigger.cancel();
    });
    token
}

pub async fn serve(config: Config, with_worker: bool, demo: bool) -> anyhow::Result<()> {
    let shutdown = shutdown_on_signal();
    tokio::spawn(crate::memory::release_after_bursts(shutdown.clone()));
    let db = connect_db(&config).await?;
    let queue = connect_queue(&config).await?;
    let clock = Arc::new(SystemClock);
    if demo && crate::demo::seed(&db).await? {
        tracing::info!("demo data seeded");
    }

    let worker = with_worker.then(|| {
        let deps = Deps::new(&config, db.clone(), clock.clone())?;
        anyhow::Ok(tokio::spawn(portico_workers::run(
            deps,
            queue.clone(),
            worker_settings(&config),
            shutdown.clone(),
        )))
    });
    let mut worker = worker.transpose()?;

    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let address = listener.local_addr()?;
    let grace = Duration::from_secs(config.http.shutdown_grace_secs);
    let public_url = config.public_url.clone();
    let state = AppState::new(App::new(config, db, queue, clock)?);
    let app = portico_web::app(state);
    tracing::info!(%address, %public_url, worker = with_worker, "portico is listening");
    if demo {
        print_demo_banner(&public_url);
    }

    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let result = tokio::select! {
        result = server => result.context("web server"),
        // In-flight requests get `grace` to finish once shutdown starts.
        () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("in-flight requests did not finish within the grace period");
            Ok(())
        }
        // Workers that stop on their own take the process down, so a supervisor restarts it.
        joined = async {
            match worker.as_mut() {
                Some(handle) => handle.await,
                None => std::future::pending().await,
            }
        } => {
            worker = None;
            match joined {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(error),
                Err(panic) => Err(anyhow::anyhow!("worker task panicked: {panic}")),
            }
        }
    };
    shutdown.cancel();
    if let Some(worker) = worker {
        worker.await.context("worker task panicked")??;
    }
    result
}

pub async fn worker(config: Config) -> anyhow::Result<()> {
    let shutdown = shutdown_on_signal();
    tokio::spawn(crate::memory::release_after_bursts(shutdown.clone()));
    let db = connect_db(&config).await?;
    let queue = connect_queue(&config).await?;
    let deps = Deps::new(&config, db, Arc::new(SystemClock))?;
    portico_workers::run(deps, queue, worker_settings(&config), shutdown).await
}

pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = connect_db(&config).await?;
    tracing::info!(backend = db.backend().name(), "migrations applied");
    db.close().await;
    Ok(())
}

fn print_demo_banner(public_url: &url::Url) {
    println!("{}", crate::demo::banner(public_url));
}

pub fn print_config(config: &Config) {
    println!("configuration is valid");
    println!("  production:   {}", config.production);
    println!("  bind:         {}", config.bind);
    println!("  public_url:   {}", config.public_url);
    println!("  data_dir:     {}", config.data_dir.display());
    let database = match &config.database {
        DatabaseTarget::Sqlite(path) => format!("sqlite {}", path.display()),
        DatabaseTarget::Postgres(_) => "postgres".to_owned(),
    };
    println!("  database:     {database}");
    let queue = match &config.queue_target {
        portico_config::QueueTarget::Sqlite(path) => format!("sqlite {}", path.display()),
        portico_config::QueueTarget::Redis(_) => "redis".to_owned(),
    };
    println!("  queue:        {queue}");
    println!(
        "  log format:   {}",
        if config.log_format == LogFormat::Json { "json" } else { "text" }
    );
    println!(
        "  mail:         {}",
        if config.mail.smtp_url.is_empty() { "files under <data_dir>/mail" } else { "smtp" }
    );
}

#[cfg(test)]
mod tests {
    use portico_config::Sources;

    use super::*;

    fn config(dir: &std::path::Path, database_url: &str) -> Config {
        let sources = Sources::default()
            .set("data_dir", dir.display().to_string())
            .set("database_url", database_url);
        portico_config::load(&sources).unwrap()
    }

    #[test]
    fn sqlite_pools_its_readers_and_postgres_its_connections_and_both_close_idle_ones() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = pool_settings(&config(dir.path(), ""));
        assert_eq!(sqlite.max_connections, 4);
        assert_eq!(sqlite.idle_timeout, Some(Duration::from_secs(30)));
        let postgres = pool_settings(&config(dir.path(), "postgres://postgres@127.0.0.1/x"));
        assert_eq!(postgres.max_connections, 10);
        assert_eq!(postgres.idle_timeout, Some(Duration::from_secs(30)));
        let sources = Sources::default()
            .set("data_dir", dir.path().display().to_string())
            .set("database.sqlite_readers", "2")
            .set("database.idle_timeout_secs", "0");
        let settings = pool_settings(&portico_config::load(&sources).unwrap());
        assert_eq!((settings.max_connections, settings.idle_timeout), (2, None));
    }

    /// Jobs that send emails or texts mostly wait on the mail or SMS provider, so on
    /// PostgreSQL a worker runs `queue.message_concurrency` of them at once per queue (more
    /// than the others by default); on SQLite, whose one writer they would queue at, no more
    /// than the rest. Every other kind runs `queue.concurrency`.
    #[test]
    fn message_jobs_run_more_at_once_on_postgres_than_the_rest() {
        use portico_jobs::{
            AccountEmail, BookingNotice, CalendarSync, CalendarWork, InvoiceIssued, LinkGuest,
            Maintenance, OverdueNotice, OverdueScan, Ping, PrepayRefunded, Reminder, Reminders,
        };
        let dir = tempfile::tempdir().unwrap();
        let postgres = config(dir.path(), "postgres://postgres@127.0.0.1/x");
        let (rest, messages) = (postgres.queue.concurrency, postgres.queue.message_concurrency);
        assert!(messages > rest, "{messages} message jobs at once, {rest} others");
        for (config, messages) in [(postgres, messages), (config(dir.path(), ""), rest)] {
            let settings = worker_settings(&config);
            let sending = [
                settings.concurrency_of::<AccountEmail>(),
                settings.concurrency_of::<BookingNotice>(),
                settings.concurrency_of::<LinkGuest>(),
                settings.concurrency_of::<Reminder>(),
                settings.concurrency_of::<OverdueNotice>(),
                settings.concurrency_of::<InvoiceIssued>(),
                settings.concurrency_of::<PrepayRefunded>(),
            ];
            assert_eq!(sending, [messages; 7]);
            let others = [
                settings.concurrency_of::<Ping>(),
                settings.concurrency_of::<CalendarSync>(),
                settings.concurrency_of::<CalendarWork>(),
                settings.concurrency_of::<Maintenance>(),
                settings.concurrency_of::<Reminders>(),
                settings.concurrency_of::<OverdueScan>(),
            ];
            assert_eq!(others, [rest; 6]);
        }
    }

    #[test]
    fn the_runtime_takes_its_thread_counts_from_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let sources = Sources::default()
            .set("data_dir", dir.path().display().to_string())
            .set("runtime.worker_threads", "3");
        let runtime = build_runtime(&portico_config::load(&sources).unwrap()).unwrap();
        assert_eq!(runtime.metrics().num_workers(), 3);
    }
}
