//! Shared application state: one `Arc` cloned into every request.

use std::ops::Deref;
use std::sync::Arc;

use portico_config::Config;
use portico_domain::Clock;
use portico_integrations::google::Google;
use portico_integrations::payments::Gateways;
use portico_jobs::Queue;
use portico_store::Db;
use portico_store::sealed::Keyring;

use crate::limits::Counters;
use crate::render::Templates;

/// Everything handlers share.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub db: Db,
    /// Only for health checks: web code writes jobs to the outbox, never to the queue.
    pub queue: Queue,
    pub templates: Templates,
    pub clock: Arc<dyn Clock>,
    /// Rate-limit counters (Redis when configured, else this process's memory).
    pub counters: Counters,
    /// Google Calendar, when the operator configured an OAuth client.
    pub google: Option<Google>,
    /// Seals and opens stored secrets (Google tokens, Stripe keys).
    pub keyring: Keyring,
    /// Online payment gateways (Stripe; the test gateway outside production).
    pub gateways: Gateways,
}

impl App {
    /// Assembles the state from connected parts, loading the templates.
    pub fn new(
        config: Config,
        db: Db,
        queue: Queue,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let counters = match queue.redis() {
            Some(conn) => Counters::Redis { conn, namespace: config.queue.namespace.clone() },
            None => Counters::memory(),
        };
        let google = if config.google.is_configured() {
            Some(Google::new(&config.google).map_err(|e| anyhow::anyhow!("google: {e}"))?)
        } else {
            None
        };
        let keyring = Keyring::new(
            (config.keys.token_key_id, config.keys.token),
            &config.keys.old_token_keys,
        );
        let gateways = Gateways::new(
            &config.payments.stripe_api_base,
            config.public_url.as_str(),
            config.production,
        )
        .map_err(|e| anyhow::anyhow!("payments: {e}"))?;
        Ok(Self {
            gateways,
            config,
            db,
            queue,
            templates: Templates::load()?,
            clock,
            counters,
            google,
            keyring,
        })
    }
}

/// Cheap-to-clone handle on [`App`].
#[derive(Debug, Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(app: App) -> Self {
        Self(Arc::new(app))
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
