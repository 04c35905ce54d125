//! Overdue-invoice notices. [`scan`] runs every quarter hour: for each open invoice that is
//! overdue on its tenant's date it works out the stage reached (0 when it fell overdue, then
//! one per `billing.overdue_notice_days`) and claims that stage's notice, queueing its
//! [`OverdueNotice`] in the same transaction, so each stage is queued once per invoice however
//! many scans run. After downtime only the latest stage reached is sent, not a burst of all.
//! [`send`] decides at send time: the invoice must still be overdue with a balance and the
//! client must still want invoice emails.

use chrono::{Duration, NaiveDate};
use portico_domain::invoice::overdue_stage;
use portico_jobs::{OverdueNotice, OverdueScan};
use portico_store::notify::overdue;
use portico_store::{invoices, tenants};
use serde_json::json;

use crate::{Deps, JobError};

/// Invoices read per query; the scan pages on by id until none are left.
const BATCH: i64 = 200;

#[tracing::instrument(skip_all)]
pub async fn scan(deps: &Deps, _job: OverdueScan) -> Result<(), JobError> {
    let now = deps.clock.now();
    let intervals = &deps.billing.overdue_notice_days;
    let last_stage = u32::try_from(intervals.len()).unwrap_or(u32::MAX);
    // No time zone is more than 14 hours ahead of UTC.
    let latest_today = (now + Duration::hours(14)).date_naive();
    let mut after = 0;
    let mut queued = 0;
    loop {
        let batch = overdue::candidates(&deps.db, latest_today, last_stage, after, BATCH).await?;
        for candidate in &batch {
            after = candidate.id.get();
            let tenant_id = candidate.tenant_id;
            let Some(tenant) = tenants::by_id(&deps.db, tenant_id.get()).await? else { continue };
            let Some(invoice) = invoices::get(&deps.db, tenant_id, candidate.id.get()).await?
            else {
                continue;
            };
            let today = now.with_timezone(&tenant.timezone).date_naive();
            let Some(since) = invoice.overdue_since(today).map_err(anyhow::Error::from)? else {
                continue;
            };
            let Some(stage) = overdue_stage((today - since).num_days(), intervals) else {
                continue;
            };
            let mut tx = deps.db.begin().await?;
            if overdue::claim(&mut tx, tenant_id, invoice.id, stage, now.timestamp()).await? {
                let invoice_id = invoice.id.get();
                let job = OverdueNotice { tenant_id: tenant_id.get(), invoice_id, stage };
                portico_jobs::enqueue(&mut tx, &job, now.timestamp()).await?;
                queued += 1;
            }
            tx.commit().await.map_err(anyhow::Error::from)?;
        }
        if batch.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            break;
        }
    }
    if queued > 0 {
        tracing::info!(queued, "overdue notices queued");
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(invoice = job.invoice_id, stage = job.stage))]
pub async fn send(deps: &Deps, job: OverdueNotice) -> Result<(), JobError> {
    let Some(tenant) = tenants::by_id(&deps.db, job.tenant_id).await? else { return Ok(()) };
    let tenant_id = tenant.id;
    // The job's number becomes the tenant's invoice (whose notice was claimed), or nothing.
    let Some(invoice) = invoices::get(&deps.db, tenant_id, job.invoice_id).await? else {
        return Ok(());
    };
    if overdue::settled(&deps.db, tenant_id, invoice.id, job.stage).await? {
        return Ok(());
    }
    let now = deps.clock.now();
    let invoice_id = invoice.id;
    let settle = || overdue::settle(&deps.db, tenant_id, invoice_id, job.stage, now.timestamp());
    let today = now.with_timezone(&tenant.timezone).date_naive();
    // Paid, voided or given a later plan since the scan: nothing to say.
    let Some(invoice) = Some(invoice).filter(|i| matches!(i.overdue(today), Ok(true))) else {
        settle().await?;
        return Ok(());
    };
    let Some(to) = crate::notify::invoice_recipient(deps, &tenant, &invoice).await? else {
        settle().await?;
        return Ok(());
    };
    let balance = invoice.balance().map_err(|e| JobError::Permanent(e.into()))?;
    let context = json!({
        "name": to.client.name,
        "tenant": tenant.name,
        "number": invoice.number,
        "amount_due": format!("{} {}", balance.currency, balance.amount()),
        "due_date": long_date(invoice.due_date),
        "overdue_since": invoice.overdue_since(today).ok().flatten().map(long_date),
        "stage": job.stage,
        "link": to.link,
        "unsubscribe": to.unsubscribe,
    });
    let mut mail =
        deps.render_business_email("invoice_overdue", &to.client.email, &tenant, &context)?;
    crate::notify::one_click(&mut mail, &to.unsubscribe);
    deps.mailer.send(&mail).await?;
    settle().await?;
    Ok(())
}

/// `Tue 1 Dec 2026`, as the other emails write dates.
pub(crate) fn long_date(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}
