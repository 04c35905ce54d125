//! The rules a tenant sets up and what already occupies them.

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::{LocalMinutes, ScheduleError};

/// Working hours on one weekday, `[start, end)` in local wall-clock time.
///
/// A day may have several ranges (a split shift). Built through [`WeeklyRange::new`], so the
/// start is always before the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawWeeklyRange")]
pub struct WeeklyRange {
    weekday: Weekday,
    start: LocalMinutes,
    end: LocalMinutes,
}

impl WeeklyRange {
    /// A range on `weekday` from `start` to `end`; `start` must come before `end`.
    pub fn new(
        weekday: Weekday,
        start: LocalMinutes,
        end: LocalMinutes,
    ) -> Result<Self, ScheduleError> {
        if start >= end {
            return Err(ScheduleError::EmptyRange { start, end });
        }
        Ok(Self { weekday, start, end })
    }

    /// Parses `"HH:MM"` times, as typed into the weekly-hours form (`end` may be `"24:00"`).
    pub fn parse(weekday: Weekday, start: &str, end: &str) -> Result<Self, ScheduleError> {
        Self::new(weekday, LocalMinutes::parse(start)?, LocalMinutes::parse_end(end)?)
    }

    /// The day of the week this range applies to.
    pub const fn weekday(&self) -> Weekday {
        self.weekday
    }

    /// The first minute of the range.
    pub const fn start(&self) -> LocalMinutes {
        self.start
    }

    /// The minute the range ends at (exclusive).
    pub const fn end(&self) -> LocalMinutes {
        self.end
    }
}

/// The unvalidated shape of a [`WeeklyRange`] on the wire.
#[derive(Deserialize)]
struct RawWeeklyRange {
    weekday: Weekday,
    start: LocalMinutes,
    end: LocalMinutes,
}

impl TryFrom<RawWeeklyRange> for WeeklyRange {
    type Error = ScheduleError;

    fn try_from(raw: RawWeeklyRange) -> Result<Self, Self::Error> {
        Self::new(raw.weekday, raw.start, raw.end)
    }
}

/// A half-open span of time, `[start, end)`.
///
/// An interval whose end is not after its start is empty and overlaps nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Interval {
    /// The first instant inside the interval.
    pub start: DateTime<Utc>,
    /// The first instant after the interval.
    pub end: DateTime<Utc>,
}

impl Interval {
    /// Whether the two intervals share at least one instant (touching ends do not).
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end && !self.is_empty() && !other.is_empty()
    }

    fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

/// The timing of a `slot` service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// How long the client is booked for. A zero-length service has no options.
    pub duration_minutes: u32,
    /// Time the staff member needs free before the booking (set-up, travel).
    pub buffer_before_minutes: u32,
    /// Time the staff member needs free after the booking (clean-up, travel).
    pub buffer_after_minutes: u32,
}

/// Someone who can be booked for a `slot` service, with their hours and what occupies them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Resource {
    /// The staff member, or `None` for the owner on the FREE plan.
    pub staff_id: Option<i64>,
    /// Weekly working hours, read in the window's time zone.
    pub weekly: Vec<WeeklyRange>,
    /// Date-specific time off.
    pub time_off: Vec<Interval>,
    /// Bookings, active holds, recurring-series occurrences and external busy times, each
    /// already padded with its own buffers. Any order; overlaps are fine.
    pub busy: Vec<Interval>,
}

/// A labelled timetable block on one local date, with this service's capacity in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockSlot {
    /// The block's id.
    pub block_id: i64,
    /// The local date the block is on.
    pub date: NaiveDate,
    /// Local start time.
    pub start: LocalMinutes,
    /// Local end time; a block that does not end after it starts is never offered.
    pub end: LocalMinutes,
    /// What the block is called ("Morning Run").
    pub label: String,
    /// Places for this service in the block.
    pub capacity: u32,
    /// Places taken: bookings plus active holds for this service in this block.
    pub used: u32,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, hour, minute, 0).unwrap()
    }

    fn interval(from: (u32, u32), to: (u32, u32)) -> Interval {
        Interval { start: at(from.0, from.1), end: at(to.0, to.1) }
    }

    #[test]
    fn intervals_overlap_when_they_share_an_instant() {
        let nine_to_ten = interval((9, 0), (10, 0));
        assert!(nine_to_ten.overlaps(&interval((9, 30), (10, 30))));
        assert!(nine_to_ten.overlaps(&interval((8, 0), (11, 0))));
        assert!(interval((8, 0), (11, 0)).overlaps(&nine_to_ten));
        assert!(nine_to_ten.overlaps(&nine_to_ten));
    }

    #[test]
    fn touching_or_empty_intervals_do_not_overlap() {
        let nine_to_ten = interval((9, 0), (10, 0));
        assert!(!nine_to_ten.overlaps(&interval((10, 0), (11, 0))));
        assert!(!nine_to_ten.overlaps(&interval((8, 0), (9, 0))));
        assert!(!nine_to_ten.overlaps(&interval((9, 30), (9, 30))));
        assert!(!nine_to_ten.overlaps(&interval((9, 45), (9, 15))));
    }

    #[test]
    fn weekly_range_must_start_before_it_ends() {
        let range = WeeklyRange::parse(Weekday::Tue, "09:00", "17:30").unwrap();
        assert_eq!(
            (range.weekday(), range.start().get(), range.end().get()),
            (Weekday::Tue, 540, 1050)
        );

        let nine = LocalMinutes::parse("09:00").unwrap();
        assert_eq!(
            WeeklyRange::parse(Weekday::Tue, "09:00", "09:00"),
            Err(ScheduleError::EmptyRange { start: nine, end: nine })
        );
        assert!(WeeklyRange::parse(Weekday::Tue, "17:00", "09:00").is_err());
        assert_eq!(
            WeeklyRange::parse(Weekday::Tue, "24:00", "24:00"),
            Err(ScheduleError::EndOfDayAsStart)
        );
        assert!(WeeklyRange::parse(Weekday::Tue, "9:00", "17:00").is_err());
    }

    #[test]
    fn deserialized_weekly_ranges_are_validated() {
        let raw = |start: &str, end: &str| RawWeeklyRange {
            weekday: Weekday::Fri,
            start: LocalMinutes::parse_end(start).unwrap(),
            end: LocalMinutes::parse_end(end).unwrap(),
        };
        assert!(WeeklyRange::try_from(raw("08:00", "12:00")).is_ok());
        assert!(WeeklyRange::try_from(raw("12:00", "08:00")).is_err());
        assert!(WeeklyRange::try_from(raw("24:00", "24:00")).is_err());
    }
}
