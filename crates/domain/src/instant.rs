//! [`Instant`]: a point in time as Portico stores it — whole seconds since the Unix epoch —
//! that is always a real date. A stored number outside chrono's range is refused when it is
//! read ([`Instant::from_unix`] is `None`), never turned into 1970.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Whole seconds since 1970-01-01T00:00:00Z, within the range of dates chrono represents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Instant(i64);

impl Instant {
    /// `secs` since the epoch, if that is a date chrono can represent.
    pub fn from_unix(secs: i64) -> Option<Self> {
        DateTime::from_timestamp(secs, 0).map(|_| Self(secs))
    }

    /// Seconds since the epoch, the stored form.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// The instant as a UTC date and time (infallible: the range was checked on creation).
    pub fn utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0, 0).expect("an Instant is within chrono's range")
    }
}

impl From<DateTime<Utc>> for Instant {
    /// Whole seconds: the sub-second part is dropped, as storage does.
    fn from(at: DateTime<Utc>) -> Self {
        Self(at.timestamp())
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.utc().to_rfc3339().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_seconds_and_refuses_what_is_no_date() {
        let at = Instant::from_unix(1_796_000_400).unwrap();
        assert_eq!(at.unix(), 1_796_000_400);
        assert_eq!(at.utc().timestamp(), 1_796_000_400);
        assert_eq!(Instant::from(at.utc()), at);
        assert_eq!(Instant::from_unix(i64::MAX), None);
        assert_eq!(Instant::from_unix(i64::MIN), None);
        assert!(Instant::from_unix(0).unwrap() < at);
    }
}
