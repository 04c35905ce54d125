//! Recurring series: a stored rule whose occurrences become ordinary bookings over a rolling
//! horizon. Each occurrence is created — and an ended series' occurrences cancelled — through
//! the booking workflows, so every one has its event, jobs and audit row like any booking.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use portico_domain::booking::Action;
use portico_domain::policy::{Changer, Refusal, may_cancel};
use portico_domain::recurrence::Rule;
use portico_domain::schedule::{LocalMinutes, local_instant};
use portico_domain::{ClientId, StaffId};
use portico_store::bookings::{BookingError, Party, Slot};
use portico_store::catalog::{self, Mode, Service};
use portico_store::series::{self, Series};
use portico_store::tenants::{self, Tenant};
use portico_store::{Db, availability, blocks};

use crate::Context;
use crate::bookings::{self, NewBooking};
use crate::effects::{Cause, EventKind};

/// What materializing produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub booked: Vec<NaiveDate>,
    /// Dates that could not be booked, with the reason.
    pub skipped: Vec<(NaiveDate, String)>,
}

impl Outcome {
    /// Dates were due and none could be booked: the series would book nothing.
    pub fn refused(&self) -> bool {
        self.booked.is_empty() && !self.skipped.is_empty()
    }
}

/// What a new series is.
#[derive(Debug, Clone)]
pub struct NewSeries<'a> {
    pub client: ClientId,
    pub service: &'a Service,
    pub staff: Option<i64>,
    pub rule: &'a Rule,
    pub local_start: LocalMinutes,
}

/// Stores a series (with its audit row) and books its occurrences up to the horizon. A series
/// whose dates in the horizon could all not be booked is not kept: the outcome then has no
/// booked date and says why each was skipped, and the caller refuses it with those reasons.
pub async fn create(
    db: &Db,
    tenant: &Tenant,
    new: &NewSeries<'_>,
    ctx: &Context,
) -> anyhow::Result<(Series, Outcome)> {
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    let series = series::insert(
        &mut tx,
        tenant,
        new.client,
        new.service,
        new.staff,
        new.rule,
        new.local_start,
        now,
    )
    .await?;
    let (_, actor) = ctx.actor.parts();
    let entry = portico_store::audit::Entry {
        tenant: Some(tenant.id),
        actor,
        action: "series.created",
        detail: format!("#{} {}", series.id, series.rrule),
        ip: &ctx.ip,
    };
    portico_store::audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await?;
    let outcome = materialize(db, tenant, &series, ctx).await?;
    if outcome.refused() {
        series::delete_unbooked(db, &series).await?;
    }
    Ok((series, outcome))
}

/// Books the occurrences not yet booked, from today up to the horizon. Idempotent: dates up
/// to `materialized_until` are never booked twice (a cancelled occurrence stays cancelled).
/// Portico books them, at `ctx`'s now.
pub async fn materialize(
    db: &Db,
    tenant: &Tenant,
    series: &Series,
    ctx: &Context,
) -> anyhow::Result<Outcome> {
    let now = ctx.now;
    let rule = series.rule()?;
    let today = availability::local_date(tenant, now);
    let mut through = series::horizon(tenant, today);
    if let Some(cancelled) = series.cancelled_from() {
        through = through.min(cancelled - Duration::days(1));
    }
    let after: Option<NaiveDate> = series.materialized_until.parse().ok();
    let from = after.map_or(today, |d| (d + Duration::days(1)).max(today));
    let mut outcome = Outcome::default();
    if from > through {
        return Ok(outcome);
    }
    let service = catalog::by_id(db, tenant.id, series.service_id.get())
        .await?
        .ok_or_else(|| anyhow::anyhow!("series {} has no service", series.id))?;
    let minute = LocalMinutes::new(u16::try_from(series.local_start_minute)?)?;
    let ctx = ctx.as_system();
    for date in rule.dates_between(from, through) {
        match book_occurrence(db, tenant, series, &service, date, minute, &ctx).await {
            Ok(()) => outcome.booked.push(date),
            Err(reason) => {
                series::record_skip(db, series, date, &reason, now.timestamp()).await?;
                outcome.skipped.push((date, reason));
            }
        }
    }
    series::set_materialized_until(db, series, through, now.timestamp()).await?;
    Ok(outcome)
}

/// Books one occurrence; `Err` carries a reason for the skip list.
async fn book_occurrence(
    db: &Db,
    tenant: &Tenant,
    series: &Series,
    service: &Service,
    date: NaiveDate,
    minute: LocalMinutes,
    ctx: &Context,
) -> Result<(), String> {
    let start = local_instant(tenant.timezone, date, minute);
    let block = match service.mode {
        Mode::Slot => None,
        Mode::Block => {
            let found = blocks::between(db, tenant.id, date, date, ctx.now.timestamp())
                .await
                .map_err(|e| format!("{e:#}"))?
                .into_iter()
                .find(|b| {
                    b.start_minute == minute.get()
                        && b.capacities.iter().any(|c| c.service_id == service.id.get())
                });
            Some(found.ok_or("no block at that time")?.id.get())
        }
    };
    let new = NewBooking {
        service,
        slot: Slot { start, staff: series.staff_id.map(StaffId::get), block },
        party: Party::Client(series.client_id),
        notes: String::new(),
        hold_token: None,
        address: String::new(),
    };
    match bookings::create_occurrence(db, tenant, &new, series.id, ctx).await {
        Ok(_) => Ok(()),
        Err(BookingError::Unavailable) => Err("the place was already taken".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

/// Whether `changer` may end the series from `from` on, under the rules of single bookings:
/// the first occurrence it would cancel must be past the cut-off — unless it was booked
/// within the tenant's grace period — and has not started. Without a booked occurrence from
/// that date, the date itself at the series' time counts.
pub async fn may_end_from(
    db: &Db,
    tenant: &Tenant,
    series: &Series,
    from: NaiveDate,
    changer: Changer,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<(), Refusal>> {
    let rules = &tenant.scheduling;
    let (start, booked_at) = match series::first_open_from(db, tenant, series, from).await? {
        Some((start, booked)) => {
            (DateTime::from_timestamp(start, 0), DateTime::from_timestamp(booked, 0))
        }
        None => {
            let minute = LocalMinutes::new(u16::try_from(series.local_start_minute)?)?;
            (Some(local_instant(tenant.timezone, from, minute)), None)
        }
    };
    let start = start.ok_or_else(|| anyhow::anyhow!("series {}: bad start", series.id))?;
    Ok(may_cancel(
        changer,
        now,
        start,
        rules.cancel_cutoff_hours,
        booked_at,
        rules.series_cancel_grace_minutes,
    ))
}

/// Ends the series from `from` on: no more occurrences are booked, and booked ones on or
/// after that date are cancelled (as part of the series: no email each). Returns how many
/// were cancelled.
pub async fn cancel_from(
    db: &Db,
    tenant: &Tenant,
    series: &Series,
    from: NaiveDate,
    ctx: &Context,
) -> anyhow::Result<usize> {
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    let ids = series::end_from(&mut tx, tenant, series, from, now).await?;
    let entry = portico_store::audit::Entry {
        tenant: Some(tenant.id),
        actor: ctx.actor.parts().1,
        action: "series.cancelled",
        detail: format!("#{} from {from}", series.id),
        ip: &ctx.ip,
    };
    portico_store::audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await?;
    for id in &ids {
        let cancelled = bookings::set_final(
            db,
            tenant,
            id.get(),
            Action::Cancel,
            EventKind::Cancelled,
            Cause::Series,
            ctx,
        )
        .await;
        match cancelled {
            // Cancelled meanwhile by someone else: nothing left to do.
            Ok(_) | Err(BookingError::Refused(_)) => {}
            Err(error) => anyhow::bail!("cancelling occurrence {id}: {error}"),
        }
    }
    Ok(ids.len())
}

/// Materializes every active series of every tenant (the periodic job, with Portico's
/// context).
pub async fn materialize_all(db: &Db, ctx: &Context) -> anyhow::Result<usize> {
    let mut booked = 0;
    let mut current: Option<Tenant> = None;
    for (tenant_id, id) in series::all_ids(db).await? {
        if current.as_ref().map(|t| t.id) != Some(tenant_id) {
            current = tenants::by_id(db, tenant_id.get()).await?;
        }
        let Some(tenant) = &current else { continue };
        let Some(series) = series::get(db, tenant.id, id.get()).await? else { continue };
        booked += materialize(db, tenant, &series, ctx).await?.booked.len();
    }
    Ok(booked)
}
