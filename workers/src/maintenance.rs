//! `maintenance`: periodic upkeep. Expired holds stopped counting the moment they expired;
//! this only removes the rows, as it does for expired sessions. Series occurrences are booked
//! up to the rolling horizon. Everything is measured on the application clock.

use portico_jobs::Maintenance;
use portico_store::{bookings, sessions};

use crate::{Deps, JobError};

/// Rows older than this past their expiry are removed.
const GRACE_SECS: i64 = 3600;

#[tracing::instrument(skip_all)]
pub async fn run(deps: &Deps, _job: Maintenance) -> Result<(), JobError> {
    let now = deps.clock.now();
    let ts = now.timestamp();
    let holds = bookings::purge_holds(&deps.db, ts - GRACE_SECS).await?;
    let sessions = sessions::purge_expired(&deps.db, ts).await?;
    let ctx = portico_core::Context::system(now)
        .with_meeting_base(&deps.meeting_base)
        .with_calendar_sync(deps.google.is_some());
    let occurrences = portico_core::series::materialize_all(&deps.db, &ctx).await?;
    tracing::info!(holds, sessions, occurrences, "maintenance done");
    Ok(())
}
