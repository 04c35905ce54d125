//! What the provider home counts: how far a new business has come with its setup, and the
//! week's numbers. Each is one statement; none reads more of the booking history than the
//! range it asks about.

use portico_domain::TenantId;
use portico_domain::booking::Status;
use sqlx::Row as _;

use crate::{Db, StoreError};

/// The steps of a new business's setup, each done or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Setup {
    /// An active service exists.
    pub service: bool,
    /// Weekly hours (the owner's or a staff member's) or a timetable block exist.
    pub schedule: bool,
    /// Somebody has booked (the booking link reached a client, or the owner booked for one).
    pub booked: bool,
    /// A client record exists.
    pub client: bool,
}

/// The setup steps of `tenant`. Existence checks (`limit 1`), so a long history costs nothing.
pub async fn setup(db: &Db, tenant: TenantId) -> Result<Setup, StoreError> {
    const SQL: &str = "select \
        (select count(*) from (select 1 from services where tenant_id = $1 and active <> 0 limit 1) a), \
        (select count(*) from (select 1 from weekly_hours where tenant_id = $1 limit 1) b), \
        (select count(*) from (select 1 from timetable_blocks where tenant_id = $1 limit 1) c), \
        (select count(*) from (select 1 from bookings where tenant_id = $1 limit 1) d), \
        (select count(*) from (select 1 from clients where tenant_id = $1 limit 1) e)";
    let row = sqlx::query(SQL).bind(tenant.get()).fetch_one(db.pool()).await?;
    let has = |i: usize| row.try_get::<i64, _>(i).map(|n| n > 0);
    Ok(Setup { service: has(0)?, schedule: has(1)? || has(2)?, booked: has(3)?, client: has(4)? })
}

/// Bookings by status among those starting in `[from, to)` (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusCounts {
    /// Pending or confirmed: still to happen (or to be marked).
    pub open: i64,
    pub completed: i64,
    pub cancelled: i64,
    pub no_show: i64,
}

impl StatusCounts {
    /// Every booking that was not cancelled.
    pub fn booked(&self) -> i64 {
        self.open + self.completed + self.no_show
    }
}

/// Counts the bookings of `tenant` starting in `[from, to)` by status. A status that does not
/// decode fails the read, naming the column.
pub async fn status_counts(
    db: &Db,
    tenant: TenantId,
    from: i64,
    to: i64,
) -> Result<StatusCounts, StoreError> {
    let rows = sqlx::query(
        "select status, count(*) from bookings \
         where tenant_id = $1 and busy_from >= $4 and busy_from < $3 \
           and starts_at >= $2 and starts_at < $3 \
         group by status",
    )
    .bind(tenant.get())
    .bind(from)
    .bind(to)
    // Through the (tenant, busy_from) index: busy time starts at most the longest buffer
    // (4 hours) before the booking, so a day's margin reads nothing older.
    .bind(from - 86_400)
    .fetch_all(db.pool())
    .await?;
    let mut counts = StatusCounts::default();
    for row in rows {
        let status: String = row.try_get(0)?;
        let n: i64 = row.try_get(1)?;
        let status =
            Status::parse(&status).map_err(|_| StoreError::corrupt("bookings.status", &status))?;
        match status {
            Status::Pending | Status::Confirmed => counts.open += n,
            Status::Completed => counts.completed += n,
            Status::Cancelled => counts.cancelled += n,
            Status::NoShow => counts.no_show += n,
        }
    }
    Ok(counts)
}
