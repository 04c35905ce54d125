//! The background workers: one job handler per file, each a plain `run(deps, job)` that
//! tests call directly; the apalis wiring in [`monitor`] stays thin.
//!
//! Every handler is idempotent: delivery is at-least-once.

pub mod monitor;
pub mod ping;

use std::sync::Arc;

use portico_domain::Clock;
use portico_store::Db;

pub use monitor::{WorkerSettings, run};

/// What handlers need from the outside world.
#[derive(Debug, Clone)]
pub struct Deps {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

/// How a job attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth retrying later (network blip, lock timeout, 5xx).
    #[error("transient: {0:#}")]
    Transient(anyhow::Error),
    /// Retrying cannot help (bad request, revoked grant): stop now and surface it.
    #[error("permanent: {0:#}")]
    Permanent(anyhow::Error),
}

impl From<anyhow::Error> for JobError {
    fn from(error: anyhow::Error) -> Self {
        Self::Transient(error)
    }
}

/// Runs the job stored as `payload` on `queue` right now, in this task. Tests use it to drain
/// the outbox synchronously; the apalis workers call the same handlers.
pub async fn dispatch(deps: &Deps, queue: &str, payload: &str) -> Result<(), JobError> {
    use portico_jobs::Job as _;
    let decode = |e: serde_json::Error| JobError::Permanent(anyhow::anyhow!("bad payload: {e}"));
    match queue {
        portico_jobs::Ping::QUEUE => {
            ping::run(deps, serde_json::from_str(payload).map_err(decode)?).await
        }
        other => Err(JobError::Permanent(anyhow::anyhow!("no handler for queue `{other}`"))),
    }
}
