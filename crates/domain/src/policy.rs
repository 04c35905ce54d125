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

/// [`may_change`] for cancelling, with a grace period: a booking made at `booked_at` (a
/// series occurrence the client just booked; `None` for others) may still be cancelled within
/// `grace_minutes` of booking it even past the cut-off. Not once it has started, and not by a
/// client whom the business has not allowed online changes.
pub fn may_cancel(
    changer: Changer,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    cutoff_hours: u32,
    booked_at: Option<DateTime<Utc>>,
    grace_minutes: u32,
) -> Result<(), Refusal> {
    match may_change(changer, now, start, cutoff_hours) {
        Err(Refusal::TooLate(_))
            if booked_at.is_some_and(|at| now < at + Duration::minutes(grace_minutes.into())) =>
        {
            Ok(())
        }
        decided => decided,
    }
}

/// The cancellation and reschedule rules in words, for the help page. `client` is the reader's
/// own setting when they are a logged-in client (`Some(can_self_reschedule)`), `None` for
/// anyone else; `grace_minutes` is the series cancel grace period ([`may_cancel`]).
pub fn in_words(cutoff_hours: u32, grace_minutes: u32, client: Option<bool>) -> Vec<String> {
    let until = match cutoff_hours {
        0 => "until the booking starts".to_owned(),
        1 => "until 1 hour before it starts".to_owned(),
        hours if hours % 24 == 0 && hours >= 48 => {
            format!("until {} days ({hours} hours) before it starts", hours / 24)
        }
        hours => format!("until {hours} hours before it starts"),
    };
    let mut words = Vec::new();
    match client {
        Some(true) => {
            words.push(format!("You can cancel or move a booking yourself in the portal {until}."))
        }
        Some(false) => words.push(
            "Changes online are not enabled for your account: to cancel or move a booking, \
             contact us."
                .to_owned(),
        ),
        None => {
            words.push(format!(
                "If you booked as a guest, the link in your confirmation email lets you cancel \
                 or move the booking {until}."
            ));
            words.push(format!(
                "Clients we have enabled for online changes can cancel or move a booking in the \
                 portal {until}."
            ));
        }
    }
    if grace_minutes > 0 && client != Some(false) {
        let minutes = if grace_minutes == 1 { "minute" } else { "minutes" };
        words.push(format!(
            "A date of a recurring booking can still be cancelled in the portal within \
             {grace_minutes} {minutes} of booking it, even after that."
        ));
    }
    words.push(
        "After that, or for anything else, contact us: we can always change a booking for you."
            .to_owned(),
    );
    words
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

    #[test]
    fn a_series_occurrence_booked_moments_ago_may_be_cancelled_past_the_cut_off() {
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        let booked = start - Duration::hours(3);
        let client = Changer::Client { can_self_reschedule: true };
        let at = |minutes| booked + Duration::minutes(minutes);
        assert_eq!(may_cancel(client, at(14), start, 24, Some(booked), 15), Ok(()));
        assert_eq!(
            may_cancel(client, at(15), start, 24, Some(booked), 15),
            Err(Refusal::TooLate(24)),
            "the grace period is over"
        );
        assert_eq!(may_cancel(client, at(1), start, 24, None, 15), Err(Refusal::TooLate(24)));
        assert_eq!(
            may_cancel(client, at(1), start, 24, Some(booked), 0),
            Err(Refusal::TooLate(24))
        );
        let not_allowed = Changer::Client { can_self_reschedule: false };
        assert_eq!(
            may_cancel(not_allowed, at(1), start, 24, Some(booked), 15),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            may_cancel(client, start, start, 24, Some(start - Duration::minutes(5)), 15),
            Err(Refusal::Started)
        );
    }
}

/// Why a time-off span is refused, as `(field, message)`: it must end after it starts, and
/// after now (past time off would change nothing and hide a typing mistake).
pub fn time_off_span(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), (&'static str, &'static str)> {
    if end <= start {
        Err(("end", "The end must be after the start."))
    } else if end <= now {
        Err(("end", "Time off must end in the future."))
    } else {
        Ok(())
    }
}

/// Why a timetable block on `date` is refused, as `(field, message)`: a block on a past date
/// can never be booked. A block that already was on that date (`was_on`) may keep it.
pub fn block_date(
    date: chrono::NaiveDate,
    was_on: Option<chrono::NaiveDate>,
    today: chrono::NaiveDate,
) -> Result<(), (&'static str, &'static str)> {
    if date < today && was_on != Some(date) {
        Err(("date", "Choose today or a later date: a block in the past cannot be booked."))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod past_tests {
    use chrono::{NaiveDate, TimeZone as _};

    use super::*;

    #[test]
    fn past_time_off_and_blocks_are_refused() {
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap();
        assert_eq!(time_off_span(at(9), at(10), at(8)), Ok(()));
        assert_eq!(time_off_span(at(9), at(10), at(9)), Ok(()), "under way is fine");
        assert_eq!(time_off_span(at(9), at(10), at(10)).unwrap_err().0, "end");
        assert_eq!(
            time_off_span(at(10), at(9), at(8)).unwrap_err().1,
            "The end must be after the start."
        );
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert_eq!(block_date(day(1), None, day(1)), Ok(()));
        assert!(
            block_date(day(30).pred_opt().unwrap() - chrono::Duration::days(29), None, day(1))
                .is_err()
        );
        assert_eq!(block_date(day(1), Some(day(1)), day(2)), Ok(()), "a past block keeps its date");
        assert!(block_date(day(1), Some(day(3)), day(2)).is_err(), "but cannot move into the past");
    }

    #[test]
    fn the_policy_reads_from_the_rules() {
        let guest = in_words(24, 0, None).join(" ");
        assert!(guest.contains("until 24 hours before it starts"), "{guest}");
        assert!(!guest.contains("recurring"), "{guest}");
        assert!(in_words(48, 0, Some(true))[0].contains("until 2 days (48 hours) before"));
        assert!(in_words(0, 0, Some(true))[0].contains("until the booking starts"));
        assert!(in_words(1, 0, None)[0].contains("until 1 hour before"));
        assert!(in_words(24, 0, Some(false))[0].contains("not enabled for your account"));
        let grace = in_words(24, 15, Some(true)).join(" ");
        assert!(grace.contains("within 15 minutes of booking it"), "{grace}");
        assert!(!in_words(24, 15, Some(false)).join(" ").contains("recurring"));
    }
}
