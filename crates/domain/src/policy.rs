//! Who may cancel or reschedule a booking, and until when.

use chrono::{DateTime, Duration, Utc};

/// Who asks to change a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changer {
    /// A client in the portal; `can_self_reschedule` is set per client by the provider.
    Client { can_self_reschedule: bool },
    /// A guest through the emailed manage link.
    Guest,
    /// The owner, staff or the provider API: at any time.
    Provider,
}

/// Why a change is refused, in words for the person asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Changes online are not enabled for you; please contact the business.")]
    NotAllowed,
    #[error("Changes are possible until {0} hours before the start; please contact the business.")]
    TooLate(u32),
    #[error("This booking has already started.")]
    Started,
}

/// Whether `changer` may cancel or reschedule a booking starting at `start`, at `now`, under a
/// cut-off of `cutoff_hours` before the start.
pub fn may_change(
    changer: Changer,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    cutoff_hours: u32,
) -> Result<(), Refusal> {
    match changer {
        Changer::Provider => Ok(()),
        Changer::Client { can_self_reschedule: false } => Err(Refusal::NotAllowed),
        Changer::Client { .. } | Changer::Guest => {
            if now >= start {
                Err(Refusal::Started)
            } else if now > start - Duration::hours(i64::from(cutoff_hours)) {
                Err(Refusal::TooLate(cutoff_hours))
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn the_cut_off_applies_to_clients_and_guests_not_providers() {
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        let just_in_time = start - Duration::hours(24);
        let too_late = just_in_time + Duration::seconds(1);
        let client = Changer::Client { can_self_reschedule: true };
        assert_eq!(may_change(client, just_in_time, start, 24), Ok(()));
        assert_eq!(may_change(Changer::Guest, just_in_time, start, 24), Ok(()));
        assert_eq!(may_change(client, too_late, start, 24), Err(Refusal::TooLate(24)));
        assert_eq!(may_change(Changer::Guest, too_late, start, 24), Err(Refusal::TooLate(24)));
        assert_eq!(may_change(Changer::Guest, start, start, 0), Err(Refusal::Started));
        assert_eq!(may_change(Changer::Provider, start + Duration::hours(1), start, 24), Ok(()));
        let not_allowed = Changer::Client { can_self_reschedule: false };
        assert_eq!(may_change(not_allowed, just_in_time, start, 24), Err(Refusal::NotAllowed));
    }
}
