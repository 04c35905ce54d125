//! Workflows: every state change of a booking (and of a recurring series' occurrences, and the
//! linking of guest bookings to a verified login) in one transaction — policy, the domain's state transition, the write, the `booking_events` row,
//! the outbox rows chosen by [`effects::jobs_for`] (one function of the event), and the audit
//! row. Web handlers and job handlers call these; nothing else writes bookings.
//!
//! Dependency direction: `domain` ← `store` ← `jobs` ← `core` ← (`web`, `workers`).

pub mod billing;
pub mod bookings;
pub mod credit;
pub mod effects;
pub mod gateway_refunds;
pub mod ics;
pub mod invoices;
pub mod linking;
pub mod online;
pub mod payments;
pub mod prepay;
pub mod series;
pub mod subscriptions;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use portico_domain::TenantId;

pub use portico_domain::booking::Actor;
pub use portico_store::bookings::BookingError;

/// Writes the audit row of `ctx`'s action at `tenant` in the workflow's transaction.
pub(crate) async fn audit_in(
    tx: &mut portico_store::Tx,
    tenant: portico_domain::TenantId,
    action: &str,
    detail: String,
    ctx: &Context,
) -> Result<(), portico_store::StoreError> {
    let entry = portico_store::audit::Entry {
        tenant: Some(tenant),
        actor: ctx.actor.parts().1,
        action,
        detail,
        ip: &ctx.ip,
    };
    portico_store::audit::record_in(tx, &entry, ctx.now.timestamp()).await?;
    Ok(())
}

/// The public meeting service whose rooms exist as soon as someone opens their link: where
/// an online booking's room is made when its service has no room of its own, unless the
/// operator configured another (`[meetings] base_url`).
pub const DEFAULT_MEETING_BASE: &str = "https://meet.jit.si";

/// Who acts, from where, and when; and where new meeting rooms are made.
#[derive(Debug, Clone)]
pub struct Context {
    pub actor: Actor,
    /// The caller's address, for the audit log (empty for Portico's own work).
    pub ip: String,
    pub now: DateTime<Utc>,
    /// The base URL of a new online booking's meeting room, without a trailing slash.
    pub meeting_base: Arc<str>,
    /// A tenant's billing settings when the caller already has them as of this request's
    /// schedule version (the schedule cache keeps them; saving them moves the version), so a
    /// booking's transaction need not read them again. Used only for that tenant.
    billing: Option<(TenantId, portico_store::billing::Settings)>,
    /// Whether this deployment syncs Google Calendar: false when it has no OAuth client
    /// configured, so no calendar can be connected and a PRO booking's event queues no sync
    /// job that would only find nothing to do. True unless the caller says otherwise.
    calendar_sync: bool,
}

impl Context {
    pub fn new(actor: Actor, ip: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            actor,
            ip: ip.into(),
            now,
            meeting_base: Arc::from(DEFAULT_MEETING_BASE),
            billing: None,
            calendar_sync: true,
        }
    }

    /// Portico itself (series materialization, expiry), at `now`.
    pub fn system(now: DateTime<Utc>) -> Self {
        Self::new(Actor::System, String::new(), now)
    }

    /// The same context with new meeting rooms made under `base` (the configured one).
    #[must_use]
    pub fn with_meeting_base(mut self, base: &str) -> Self {
        self.meeting_base = Arc::from(base.trim_end_matches('/'));
        self
    }

    /// The same context for a deployment that does (`true`) or does not sync Google Calendar
    /// (see [`Context`]'s field): the configuration's `google.is_configured()`.
    #[must_use]
    pub fn with_calendar_sync(mut self, configured: bool) -> Self {
        self.calendar_sync = configured;
        self
    }

    /// Whether booking events queue Google Calendar sync jobs here.
    pub fn calendar_sync(&self) -> bool {
        self.calendar_sync
    }

    /// The same context with `tenant`'s billing settings as read at the start of the request
    /// (see [`Context`]'s field).
    #[must_use]
    pub fn with_billing(
        mut self,
        tenant: TenantId,
        settings: portico_store::billing::Settings,
    ) -> Self {
        self.billing = Some((tenant, settings));
        self
    }

    /// `tenant`'s billing settings given with [`Context::with_billing`], if any.
    pub(crate) fn billing_of(&self, tenant: TenantId) -> Option<&portico_store::billing::Settings> {
        self.billing.as_ref().filter(|(t, _)| *t == tenant).map(|(_, s)| s)
    }

    /// Portico itself acting in the wake of this context (same clock and meeting base).
    #[must_use]
    pub fn as_system(&self) -> Self {
        Self { actor: Actor::System, ip: String::new(), ..self.clone() }
    }
}
