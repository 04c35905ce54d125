//! Notification jobs, written to the outbox inside the transaction of the change.

use portico_domain::TenantId;
use portico_jobs::{BookingNotice, Job as _};
use portico_store::outbox::NewJob;

/// The emails about a booking event (`confirmed`, `cancelled`, `rescheduled`) for the client
/// or guest, the provider and the staff member.
pub fn booking(
    tenant: TenantId,
    event: &'static str,
) -> impl FnOnce(i64) -> anyhow::Result<Vec<NewJob>> + Send {
    move |booking_id| {
        let notice = BookingNotice { tenant_id: tenant.0, booking_id, event: event.to_owned() };
        Ok(vec![NewJob { queue: BookingNotice::QUEUE, payload: serde_json::to_string(&notice)? }])
    }
}
