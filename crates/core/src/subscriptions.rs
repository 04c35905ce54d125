//! Self-serve PRO: what the platform's Stripe account reports about a business's
//! subscription, applied once per event in one transaction — the event noted by id (a replay
//! changes nothing), the subscription stored, PRO extended to the end of a paid period, and an
//! audit row for every plan change.
//!
//! A paid invoice, or an active subscription's new period, extends `pro_until` (never
//! shortens it; PRO granted for good by the operator is left alone). A canceled subscription
//! extends nothing more, even if an older event about it arrives late: PRO lapses when
//! `pro_until` passes, as an operator-granted period does.

use chrono::DateTime;
use portico_domain::TenantId;
use portico_store::platform::{self, Subscription};
use portico_store::{Db, StoreError};

use crate::Context;

/// What one platform event says about a business's subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct News {
    pub customer: String,
    pub subscription: String,
    /// Stripe's subscription status, when the event carries the subscription.
    pub status: Option<String>,
    /// Paid (or active) through this instant (epoch seconds): PRO until then.
    pub paid_through: Option<i64>,
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The event was applied before: nothing changed.
    Replay,
    /// Stored; PRO was extended (or not) as reported.
    Noted { extended: bool },
    /// About a canceled subscription: stored nothing new, extended nothing.
    Canceled,
}

/// Applies event `event` (of type `kind`) about `tenant`'s subscription, once.
pub async fn apply(
    db: &Db,
    tenant: TenantId,
    event: &str,
    kind: &str,
    news: &News,
    ctx: &Context,
) -> Result<Applied, StoreError> {
    let now = ctx.now.timestamp();
    let mut tx = db.begin_write().await?;
    if !platform::note_event_in(&mut tx, event, kind, now).await? {
        return Ok(Applied::Replay);
    }
    let stored = platform::subscription_in(&mut tx, tenant).await?.unwrap_or(Subscription {
        customer_id: String::new(),
        subscription_id: String::new(),
        status: String::new(),
        period_end: None,
    });
    let same = !news.subscription.is_empty() && news.subscription == stored.subscription_id;
    if same && stored.is_canceled() {
        tx.commit().await.map_err(anyhow::Error::from)?;
        return Ok(Applied::Canceled);
    }
    // Another subscription's news (an old one's late event) must not overwrite the current
    // one's, unless the current one is over or none is known yet.
    let replaces = news.subscription.is_empty()
        || same
        || stored.subscription_id.is_empty()
        || stored.is_canceled()
        || news.status.as_deref().is_some_and(|s| s != "canceled");
    let mut next = stored.clone();
    if replaces {
        if !news.customer.is_empty() {
            next.customer_id = news.customer.clone();
        }
        if !news.subscription.is_empty() {
            next.subscription_id = news.subscription.clone();
        }
        if let Some(status) = &news.status {
            next.status = status.clone();
        }
        if news.paid_through.is_some() {
            next.period_end = news.paid_through.max(if same { stored.period_end } else { None });
        }
    }
    platform::save_in(&mut tx, tenant, &next, now).await?;
    let canceled_now = replaces && next.is_canceled() && !stored.is_canceled();
    if canceled_now {
        let detail = format!(
            "PRO subscription {} canceled at Stripe; PRO lapses at the end of the paid period",
            next.subscription_id
        );
        crate::audit_in(&mut tx, tenant, "plan.subscription_canceled", detail, ctx).await?;
    }
    let active = news.status.as_deref().is_none_or(|s| matches!(s, "active" | "trialing"));
    let mut extended = false;
    if let Some(until) = news.paid_through.filter(|_| replaces && active && !next.is_canceled())
        && let Some(until) = DateTime::from_timestamp(until, 0)
    {
        extended = platform::extend_pro_in(&mut tx, tenant, until, now).await?;
        if extended {
            let detail = format!(
                "plan PRO until {} (Stripe subscription {}, {kind})",
                until.format("%Y-%m-%d %H:%M UTC"),
                next.subscription_id
            );
            crate::audit_in(&mut tx, tenant, "plan.changed", detail, ctx).await?;
        }
    }
    if extended {
        // The plan is part of the tenant that the schedule cache (booking pages, notices)
        // keeps a copy of: its version moves with it, as the last statement before commit.
        portico_store::versions::bump(&mut tx, tenant).await?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(if canceled_now { Applied::Canceled } else { Applied::Noted { extended } })
}

/// Notes that the owner started a subscription checkout (audit only: nothing is paid yet).
pub async fn checkout_started(
    db: &Db,
    tenant: TenantId,
    session: &str,
    ctx: &Context,
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let detail = format!("PRO subscription checkout {session} started");
    crate::audit_in(&mut tx, tenant, "plan.checkout_started", detail, ctx).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok(())
}
