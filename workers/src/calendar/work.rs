//! `calendar_work`: backfill after connecting, and the periodic refresh — catching up on
//! bookings changed while the sync was paused, busy times from freeBusy (stored, so
//! availability never waits on Google) and drift repair.

use chrono::{DateTime, Duration};
use portico_domain::Instant;
use portico_jobs::CalendarWork;
use portico_store::calendar::{self, Connection, busy, syncs};
use portico_store::tenants::{self, Tenant};

use super::sync::{active, sync_booking};
use super::{Session, settle};
use crate::{Deps, JobError};

/// How far ahead busy times are fetched and drift is repaired.
const HORIZON_DAYS: i64 = 60;
/// How far ahead a backfill copies bookings.
const BACKFILL_DAYS: i64 = 400;
/// Drift repair reads every event back from Google: at most this often per connection.
const RECONCILE_SECS: i64 = 3600;

#[tracing::instrument(skip_all)]
pub async fn run(deps: &Deps, job: CalendarWork) -> Result<(), JobError> {
    let (tenant_id, connection_id, backfill) = match job {
        CalendarWork::RefreshAll {} => return refresh_all(deps).await,
        CalendarWork::Backfill { tenant_id, connection_id } => (tenant_id, connection_id, true),
        CalendarWork::Refresh { tenant_id, connection_id } => (tenant_id, connection_id, false),
    };
    let Some(tenant) = tenants::by_id(&deps.db, tenant_id).await? else {
        return Ok(());
    };
    let Some(connection) = calendar::get(&deps.db, tenant.id, connection_id).await? else {
        return Ok(());
    };
    if !active(deps, &tenant) || !connection.syncs() {
        return Ok(());
    }
    let now = deps.clock.now_ts();
    if backfill {
        let until = now + BACKFILL_DAYS * 86_400;
        let ids = calendar::upcoming_bookings(&deps.db, &connection, now, until).await?;
        let total = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        calendar::set_backfill(&deps.db, tenant.id, connection.id, 0, total).await?;
        for (done, id) in (1..).zip(ids) {
            sync_booking(deps, &tenant, id.get(), false).await?;
            calendar::set_backfill(&deps.db, tenant.id, connection.id, done, total).await?;
        }
        return refresh_busy(deps, &connection).await;
    }
    // Whatever changed while the sync was paused (a downgrade, sync switched off) or whose
    // job was lost: Portico's own tables say which bookings are behind, so a refresh with
    // nothing behind calls nobody for this.
    let until = now + BACKFILL_DAYS * 86_400;
    for id in calendar::behind(&deps.db, &connection, now, until).await? {
        sync_booking(deps, &tenant, id.get(), false).await?;
    }
    let due = |at: Option<i64>, every: i64| at.is_none_or(|at| at + every <= now);
    let busy_every = deps.google.as_ref().map_or(300, |g| g.settings().busy_refresh_secs);
    if due(
        connection.busy_refreshed_at.map(Instant::unix),
        i64::try_from(busy_every).unwrap_or(300),
    ) {
        refresh_busy(deps, &connection).await?;
    }
    if due(connection.reconciled_at.map(Instant::unix), RECONCILE_SECS) {
        reconcile(deps, &tenant, &connection).await?;
    }
    Ok(())
}

/// Queues a refresh for every connected calendar.
async fn refresh_all(deps: &Deps) -> Result<(), JobError> {
    let connections = calendar::all_connected(&deps.db).await?;
    if connections.is_empty() {
        return Ok(());
    }
    let mut tx = deps.db.begin().await?;
    for c in connections {
        let job = CalendarWork::Refresh { tenant_id: c.tenant_id.get(), connection_id: c.id.get() };
        portico_jobs::enqueue(&mut tx, &job, deps.clock.now_ts()).await?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// Syncs and reads back every booking of the next 60 days.
async fn reconcile(deps: &Deps, tenant: &Tenant, connection: &Connection) -> Result<(), JobError> {
    let now = deps.clock.now_ts();
    let until = now + HORIZON_DAYS * 86_400;
    for id in calendar::upcoming_bookings(&deps.db, connection, now, until).await? {
        sync_booking(deps, tenant, id.get(), true).await?;
    }
    calendar::set_reconciled(&deps.db, tenant.id, connection.id, now).await?;
    Ok(())
}

/// Fetches the target calendar's busy times for the next 60 days and stores them, minus the
/// times of Portico's own events there (those bookings are busy in Portico already; counting
/// them again would keep a cancelled or moved booking's old time blocked until the next fetch).
async fn refresh_busy(deps: &Deps, connection: &Connection) -> Result<(), JobError> {
    let Some(google) = deps.google.as_ref() else { return Ok(()) };
    let now = deps.clock.now();
    let (from, to) = (now, now + Duration::days(HORIZON_DAYS));
    let mut session = Session::new(deps, google, connection.clone());
    let calendar_id = connection.calendar_id.clone();
    let fetched = session
        .call(|t| {
            let cal = calendar_id.clone();
            async move { google.free_busy(&t, &[cal.as_str()], from, to).await }
        })
        .await;
    let intervals = match fetched {
        Ok(intervals) => intervals,
        Err(error) => return settle(deps, connection, error).await,
    };
    let own = syncs::present_intervals(&deps.db, connection.tenant_id, connection.id).await?;
    let mut kept = Vec::new();
    for interval in intervals {
        kept.extend(subtract((interval.start.timestamp(), interval.end.timestamp()), &own));
    }
    let ts = now.timestamp();
    busy::replace(&deps.db, connection.tenant_id, connection.id, &kept, ts).await?;
    calendar::record_success(&deps.db, connection.tenant_id, connection.id, ts).await?;
    tracing::debug!(busy = kept.len(), until = %DateTime::from_timestamp(to.timestamp(), 0).unwrap_or_default(), "busy times stored");
    Ok(())
}

/// `span` minus every interval of `holes`, as the pieces left.
fn subtract(span: (i64, i64), holes: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut pieces = vec![span];
    for &(hole_start, hole_end) in holes {
        pieces = pieces
            .into_iter()
            .flat_map(|(start, end)| {
                if hole_end <= start || hole_start >= end {
                    return vec![(start, end)];
                }
                let mut left = Vec::new();
                if hole_start > start {
                    left.push((start, hole_start));
                }
                if hole_end < end {
                    left.push((hole_end, end));
                }
                left
            })
            .collect();
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::subtract;

    #[test]
    fn own_events_are_cut_out_of_busy_spans() {
        assert_eq!(subtract((0, 100), &[]), vec![(0, 100)]);
        assert_eq!(subtract((0, 100), &[(0, 100)]), vec![]);
        assert_eq!(subtract((0, 100), &[(20, 30), (50, 60)]), vec![(0, 20), (30, 50), (60, 100)]);
        assert_eq!(subtract((0, 100), &[(90, 120), (-5, 10)]), vec![(10, 90)]);
        assert_eq!(subtract((0, 100), &[(100, 120)]), vec![(0, 100)]);
    }
}
