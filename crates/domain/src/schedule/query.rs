//! What an availability query asks for and what it answers.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The tenant's booking policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Distance between candidate starts, in elapsed minutes from the start of each weekly
    /// range (0 is read as 1).
    pub grid_minutes: u32,
    /// How long before its start a booking must be made.
    pub min_notice: TimeDelta,
    /// How far ahead a booking may start.
    pub max_advance: TimeDelta,
}

impl Default for Policy {
    /// A 15-minute grid, no minimum notice, bookable up to a year ahead.
    fn default() -> Self {
        Self { grid_minutes: 15, min_notice: TimeDelta::zero(), max_advance: TimeDelta::days(365) }
    }
}

/// The local dates a query covers and the instant it is asked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The tenant's time zone; every wall-clock rule is read in it.
    pub tz: Tz,
    /// The first local date.
    pub from: NaiveDate,
    /// How many local dates, so the window is `[from, from + days)`.
    pub days: u32,
    /// The current instant, for minimum notice and maximum advance.
    pub now: DateTime<Utc>,
}

impl Window {
    /// The window's local dates, in order.
    pub(crate) fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let from = self.from;
        (0..self.days).map_while(move |day| from.checked_add_days(Days::new(day.into())))
    }

    /// Whether `date` is one of the window's local dates.
    pub(crate) fn contains(&self, date: NaiveDate) -> bool {
        let day = date.signed_duration_since(self.from).num_days();
        (0..i64::from(self.days)).contains(&day)
    }
}

/// One thing a client can book.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BookingOption {
    /// When the booking starts.
    pub start: DateTime<Utc>,
    /// When the booking ends (buffers not included).
    pub end: DateTime<Utc>,
    /// The staff member for a slot, `None` for the owner or a block.
    pub staff_id: Option<i64>,
    /// The timetable block, for block services.
    pub block_id: Option<i64>,
    /// The block's label, for block services.
    pub label: Option<String>,
    /// Places left: 1 for a slot, the block's free capacity for a block.
    pub remaining: u32,
}

/// The starts a policy admits at the window's `now`, as whole Unix seconds (inclusive).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Horizon {
    pub(crate) earliest: i64,
    pub(crate) latest: i64,
}

impl Horizon {
    pub(crate) fn new(policy: &Policy, window: &Window) -> Self {
        Self {
            earliest: shifted_seconds(window.now, policy.min_notice, Rounding::Up),
            latest: shifted_seconds(window.now, policy.max_advance, Rounding::Down),
        }
    }

    pub(crate) fn admits(&self, start: i64) -> bool {
        (self.earliest..=self.latest).contains(&start)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Rounding {
    Down,
    Up,
}

/// `now + delta` in whole seconds, saturating past the end of chrono's calendar.
fn shifted_seconds(now: DateTime<Utc>, delta: TimeDelta, rounding: Rounding) -> i64 {
    match now.checked_add_signed(delta) {
        Some(instant) => unix_seconds(instant, rounding),
        None if delta < TimeDelta::zero() => i64::MIN,
        None => i64::MAX,
    }
}

/// An instant as Unix seconds, rounding away any fraction of a second as asked.
pub(crate) fn unix_seconds(instant: DateTime<Utc>, rounding: Rounding) -> i64 {
    let floor = instant.timestamp();
    match rounding {
        Rounding::Up if instant.timestamp_subsec_nanos() > 0 => floor + 1,
        _ => floor,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn window(days: u32) -> Window {
        Window {
            tz: Tz::UTC,
            from: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            days,
            now: Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap(),
        }
    }

    #[test]
    fn window_dates_are_half_open() {
        let window = window(3);
        let dates: Vec<_> = window.dates().map(|d| d.to_string()).collect();
        assert_eq!(dates, ["2026-06-01", "2026-06-02", "2026-06-03"]);
        assert!(window.contains(window.from));
        assert!(!window.contains(NaiveDate::from_ymd_opt(2026, 6, 4).unwrap()));
        assert!(!window.contains(NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()));
        assert_eq!(super::Window { days: 0, ..window }.dates().count(), 0);
    }

    #[test]
    fn horizon_rounds_inwards_to_whole_seconds() {
        let mut window = window(1);
        window.now += TimeDelta::milliseconds(1500);
        let policy = Policy {
            grid_minutes: 15,
            min_notice: TimeDelta::minutes(30),
            max_advance: TimeDelta::hours(2),
        };
        let horizon = Horizon::new(&policy, &window);
        let eight = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap().timestamp();
        assert_eq!(horizon.earliest, eight + 30 * 60 + 2);
        assert_eq!(horizon.latest, eight + 2 * 3600 + 1);
        assert!(horizon.admits(horizon.earliest) && horizon.admits(horizon.latest));
        assert!(!horizon.admits(horizon.earliest - 1) && !horizon.admits(horizon.latest + 1));
    }

    #[test]
    fn horizon_saturates_instead_of_overflowing() {
        let policy =
            Policy { grid_minutes: 15, min_notice: TimeDelta::MIN, max_advance: TimeDelta::MAX };
        let horizon = Horizon::new(&policy, &window(1));
        assert_eq!((horizon.earliest, horizon.latest), (i64::MIN, i64::MAX));
    }
}
