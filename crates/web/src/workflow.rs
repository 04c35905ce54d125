//! Handlers reach the booking workflows (`portico_core`) through these two helpers: the
//! context of a request, and the refusal a page shows before it offers a change.

use portico_core::Context;
use portico_domain::booking::{Action, Actor};
use portico_store::bookings::Booking;
use portico_store::tenants::Tenant;

use crate::AppState;

impl AppState {
    /// Who acts, from which address, at the app clock's now; new meeting rooms under the
    /// configured `[meetings] base_url`; calendar sync jobs only where Google is configured.
    pub fn context(&self, actor: Actor, ip: impl Into<String>) -> Context {
        Context::new(actor, ip, self.clock.now())
            .with_meeting_base(&self.config.meetings.base_url)
            .with_calendar_sync(self.config.google.is_configured())
    }
}

/// Why `actor` may not do `action` to `booking` now, in words — `None` when they may. The
/// workflow checks the same rules again under its lock.
pub fn refusal(
    state: &AppState,
    tenant: &Tenant,
    booking: &Booking,
    action: Action,
    actor: Actor,
    self_serve: bool,
) -> Option<String> {
    portico_core::bookings::check(tenant, booking, action, actor, self_serve, state.clock.now())
        .err()
        .map(|e| e.to_string())
}
