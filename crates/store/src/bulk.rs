//! Bulk inserts for scale benchmarks (`portico bench seed`): many rows per statement, many
//! statements per transaction, the same SQL on both backends.

use portico_domain::TenantId;

use crate::{Backend, Db, Tx};

/// Rows per multi-row `insert` (at most 7 parameters each: well under both backends' limits).
pub const ROWS_PER_STATEMENT: usize = 500;

/// A finished booking in a tenant's history.
#[derive(Debug, Clone, Copy)]
pub struct PastBooking<'a> {
    pub tenant: TenantId,
    pub currency: &'a str,
    pub service: i64,
    pub staff: Option<i64>,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Inserts `rows` as completed guest bookings, [`ROWS_PER_STATEMENT`] per statement. They
/// end before now, so they change no availability; the caller bumps the tenants' schedule
/// versions anyway ([`crate::versions::bump`]).
pub async fn past_bookings(tx: &mut Tx, rows: &[PastBooking<'_>]) -> anyhow::Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "insert into bookings (tenant_id, service_id, staff_id, guest_name, guest_email, \
             starts_at, ends_at, busy_from, busy_until, status, currency, created_at, updated_at) \
             values ",
        );
        for i in 0..chunk.len() {
            let p = i * 7;
            if i > 0 {
                sql.push(',');
            }
            // tenant, service, staff, start, end, currency, created: 7 parameters per row;
            // the busy interval is the booking's own (no buffers).
            let [tenant, service, staff, start, end, money, created] =
                std::array::from_fn::<usize, 7, _>(|k| p + k + 1);
            sql.push_str(&format!(
                "(${tenant}, ${service}, ${staff}, 'Past guest', 'past@example.com', ${start}, \
                 ${end}, ${start}, ${end}, 'completed', ${money}, ${created}, ${created})"
            ));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            query = query
                .bind(row.tenant.get())
                .bind(row.service)
                .bind(row.staff)
                .bind(row.starts_at)
                .bind(row.ends_at)
                .bind(row.currency.to_owned())
                .bind(row.starts_at);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Adds an active 30-minute slot service `walk` to each tenant, in one statement per
/// [`ROWS_PER_STATEMENT`] tenants. Returns nothing: look services up by code.
pub async fn walk_services(
    tx: &mut Tx,
    tenants: &[TenantId],
    currency: &str,
    now: i64,
) -> anyhow::Result<()> {
    for chunk in tenants.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "insert into services (tenant_id, code, name, duration_minutes, price_minor, \
             currency, mode, created_at, updated_at) values ",
        );
        for i in 0..chunk.len() {
            let p = i * 3;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, 'walk', 'Walk', 30, 2500, ${}, 'slot', ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 3
            ));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for tenant in chunk {
            query = query.bind(tenant.get()).bind(currency.to_owned()).bind(now);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// After a bulk load, on PostgreSQL: what autovacuum and the checkpointer would do soon anyway
/// (fresh planner statistics, visibility maps; the loaded pages written out), done at once so
/// that it does not run in the middle of whatever comes next (a benchmark's measurement).
/// `checkpoint` needs a superuser or the `pg_checkpoint` role; without it that part is left to
/// the server. Nothing on SQLite, whose planner works without statistics as it does in every
/// deployment.
pub async fn settle(db: &Db) -> anyhow::Result<()> {
    if db.backend() == Backend::Postgres {
        sqlx::query("vacuum analyze").execute(db.pool()).await?;
        if let Err(error) = sqlx::query("checkpoint").execute(db.pool()).await {
            tracing::info!("no checkpoint after the bulk load: {error}");
        }
    }
    Ok(())
}
