//! The availability engine: turns scheduling rules into bookable options.
//!
//! Everything here is pure. The caller loads the rules (weekly hours, time off, timetable
//! blocks) and what already occupies them (bookings, active holds, recurring-series occurrences,
//! external busy times), picks a [`Window`] with the current instant, and asks:
//!
//! - [`slot_options`] for `slot` services: a staff member (or the owner) is occupied for the
//!   service's duration, starts are on a grid inside the weekly hours;
//! - [`block_options`] for `block` services: a place in a labelled timetable block with a
//!   capacity.
//!
//! Wall-clock rules are read in the tenant's time zone and converted with [`local_instant`],
//! which decides what skipped and repeated hours mean. The web layer and the booking
//! transaction call the same functions, so what is shown is what is checked.

mod blocks;
mod query;
mod rules;
mod slots;
mod time;

#[cfg(test)]
mod dst_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod slot_tests;

pub use blocks::{block_options, remaining};
pub use query::{BookingOption, Policy, Window};
pub use rules::{BlockSlot, Interval, Resource, ServiceSpec, WeeklyRange};
pub use slots::slot_options;
pub use time::{LocalMinutes, local_instant};

/// Why a scheduling rule could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The text is not `HH:MM` with two digits on each side.
    #[error("expected a time as HH:MM, got {0:?}")]
    Malformed(String),
    /// The hour is past 23 (or past 24 for the end of a range).
    #[error("hour out of range in {0:?}: use 00–23, or 24:00 to end a range")]
    HourOutOfRange(String),
    /// The minute is past 59.
    #[error("minute out of range in {0:?}: use 00–59")]
    MinuteOutOfRange(String),
    /// "24:00" was given where a range starts.
    #[error("24:00 can only end a range")]
    EndOfDayAsStart,
    /// A minute count past the end of the day.
    #[error("{0} minutes is past the end of the day (at most 1440)")]
    PastEndOfDay(u16),
    /// A range whose start is not before its end.
    #[error("a range must start before it ends, got {start}–{end}")]
    EmptyRange {
        /// Where the range was meant to start.
        start: LocalMinutes,
        /// Where the range was meant to end.
        end: LocalMinutes,
    },
}
