//! `portico`: the one binary. Web server, background worker, migrations, demo and operator
//! commands.

mod bench;
mod demo;
mod demo_billing;
mod memory;
mod operator;
mod runtime;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use portico_config::{ConfigError, Sources};

/// Exit code for configuration errors (distinct from runtime failures).
const EXIT_CONFIG: u8 = 2;

#[derive(Debug, Parser)]
#[command(name = "portico", version, about = "Bookings and client portal for service businesses")]
struct Cli {
    /// Configuration file layered over the defaults (see config/default.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (overrides PORTICO_BIND).
    #[arg(long, global = true, value_name = "ADDR")]
    bind: Option<String>,
    /// Data directory for the embedded database, queue, secrets and mail (overrides
    /// PORTICO_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server, plus the worker and outbox relay unless --no-worker.
    Serve {
        /// Serve web requests only; run `portico worker` processes for background jobs.
        #[arg(long)]
        no_worker: bool,
    },
    /// Run background job workers and the outbox relay.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Serve on the embedded default (SQLite + embedded queue) with demo data.
    Demo,
    /// Validate the configuration and print a summary (no secrets).
    CheckConfig,
    /// Operator: tenants and their plans.
    #[command(subcommand)]
    Tenant(operator::TenantCommand),
    /// Operator: logins.
    #[command(subcommand)]
    User(operator::UserCommand),
    /// Operator: provider API tokens.
    #[command(subcommand)]
    Token(operator::TokenCommand),
    /// Operator: the key sealing secrets at rest (rotation).
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// Benchmarks: scale data (`bench seed --tenants N --bookings M`).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut sources = Sources::from_env();
    sources.file = cli.config.clone();
    if let Some(bind) = &cli.bind {
        sources = sources.set("bind", bind.clone());
    }
    if let Some(dir) = &cli.data_dir {
        sources = sources.set("data_dir", dir.display().to_string());
    }
    if matches!(cli.command, Command::Demo) {
        // The demo always runs on the embedded default, whatever the environment says.
        sources = sources.set("database_url", "").set("redis_url", "").set("production", "false");
    }

    let config = match portico_config::load(&sources) {
        Ok(config) => config,
        Err(error) => return config_failure(&error),
    };
    runtime::init_tracing(config.log_format == portico_config::LogFormat::Json);
    if matches!(cli.command, Command::Serve { .. } | Command::Worker | Command::Demo) {
        runtime::limit_malloc_arenas(config.runtime.malloc_arenas);
    }
    for notice in &config.notices {
        tracing::warn!("{notice}");
    }

    let tokio = match runtime::build_runtime(&config) {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("portico: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = tokio.block_on(async move {
        match cli.command {
            Command::Serve { no_worker } => runtime::serve(config, !no_worker, false).await,
            Command::Worker => runtime::worker(config).await,
            Command::Migrate => runtime::migrate(config).await,
            Command::Demo => runtime::serve(config, true, true).await,
            Command::CheckConfig => {
                runtime::print_config(&config);
                Ok(())
            }
            Command::Tenant(command) => {
                let db = runtime::connect_db(&config).await?;
                let keys = &config.keys;
                let ring = portico_store::sealed::Keyring::new(
                    (keys.token_key_id, keys.token),
                    &keys.old_token_keys,
                );
                operator::tenant(&db, &ring, command).await
            }
            Command::User(command) => {
                let db = runtime::connect_db(&config).await?;
                operator::user(&db, command).await
            }
            Command::Token(command) => {
                let db = runtime::connect_db(&config).await?;
                operator::token(&db, command).await
            }
            Command::Secrets(command) => {
                let db = runtime::connect_db(&config).await?;
                secrets::run(&db, &config.keys, command).await
            }
            Command::Bench(command) => {
                let db = runtime::connect_db(&config).await?;
                bench::run(&db, command).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "portico stopped with an error");
            eprintln!("portico: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_failure(error: &ConfigError) -> ExitCode {
    eprintln!("portico: {error}");
    ExitCode::from(EXIT_CONFIG)
}
