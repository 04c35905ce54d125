//! `ping`: records that a ping arrived. Proves outbox → relay → queue → worker end to end.

use portico_jobs::Ping;
use portico_store::pings;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(token = %job.token))]
pub async fn run(deps: &Deps, job: Ping) -> Result<(), JobError> {
    pings::record(&deps.db, &job.token, deps.clock.now_ts()).await?;
    tracing::info!("ping received");
    Ok(())
}
