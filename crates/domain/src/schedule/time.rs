//! Wall-clock times of day and their conversion to instants.

use std::fmt;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta};
use chrono::{TimeZone, Utc};
use chrono_tz::{GapInfo, Tz};
use serde::{Deserialize, Serialize};

use super::ScheduleError;

/// A wall-clock time of day, as minutes since local midnight (`0..=1440`).
///
/// `1440` is "24:00", the end of the day: it may end a range but never start one.
/// Written and serialized as `"HH:MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalMinutes(u16);

impl LocalMinutes {
    /// Local midnight, "00:00".
    pub const MIDNIGHT: Self = Self(0);
    /// The end of the day, "24:00".
    pub const END_OF_DAY: Self = Self(1440);

    /// Wraps a minute count, rejecting anything past 1440.
    pub fn new(minutes: u16) -> Result<Self, ScheduleError> {
        if minutes > Self::END_OF_DAY.0 {
            return Err(ScheduleError::PastEndOfDay(minutes));
        }
        Ok(Self(minutes))
    }

    /// Parses a time of day that can start a range: `"00:00"` to `"23:59"`.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let minutes = Self::parse_end(text)?;
        if minutes == Self::END_OF_DAY {
            return Err(ScheduleError::EndOfDayAsStart);
        }
        Ok(minutes)
    }

    /// Parses a time that ends a range: `"00:00"` to `"24:00"`.
    pub fn parse_end(text: &str) -> Result<Self, ScheduleError> {
        let malformed = || ScheduleError::Malformed(text.to_owned());
        let (hour, minute) = text.split_once(':').ok_or_else(malformed)?;
        let two_digits = |part: &str| {
            (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u16>().ok())
                .flatten()
        };
        let (hour, minute) = (two_digits(hour), two_digits(minute));
        let (Some(hour), Some(minute)) = (hour, minute) else {
            return Err(malformed());
        };
        if hour > 24 || (hour == 24 && minute != 0) {
            return Err(ScheduleError::HourOutOfRange(text.to_owned()));
        }
        if minute > 59 {
            return Err(ScheduleError::MinuteOutOfRange(text.to_owned()));
        }
        Ok(Self(hour * 60 + minute))
    }

    /// The minute count since local midnight.
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for LocalMinutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl TryFrom<String> for LocalMinutes {
    type Error = ScheduleError;

    /// Accepts "24:00" too; whether it may start a range is [`super::WeeklyRange`]'s call.
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse_end(&text)
    }
}

impl From<LocalMinutes> for String {
    fn from(minutes: LocalMinutes) -> Self {
        minutes.to_string()
    }
}

/// The instant at which the wall clock in `tz` shows `minutes` on `date`.
///
/// `minutes` = 1440 is midnight at the start of the next day. A wall time skipped by a
/// spring-forward change moves to the first instant after the gap (New York, 2026-03-08 02:30
/// is 03:00 EDT, 07:00Z); a wall time repeated by a fall-back change takes the earlier of its
/// two instants.
pub fn local_instant(tz: Tz, date: NaiveDate, minutes: LocalMinutes) -> DateTime<Utc> {
    // Saturating only matters at the very end of chrono's calendar.
    let wall = date
        .and_time(NaiveTime::MIN)
        .checked_add_signed(TimeDelta::minutes(minutes.get().into()))
        .unwrap_or(NaiveDateTime::MAX);
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(instant) => instant.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _later) => earlier.with_timezone(&Utc),
        LocalResult::None => after_gap(tz, wall),
    }
}

/// The first instant after the gap that hides `wall`: the transition itself.
fn after_gap(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    let Some(GapInfo { begin, end }) = GapInfo::new(&wall, &tz) else {
        return wall.and_utc();
    };
    if let Some(end) = end {
        return end.with_timezone(&Utc);
    }
    // Only at the edge of the zone's data: read the wall time with the offset in force before
    // the gap, which also lands after it.
    let before = begin.map_or(0, |(_, offset)| offset.fix().local_minus_utc());
    wall.checked_sub_signed(TimeDelta::seconds(before.into())).unwrap_or(wall).and_utc()
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StringDeserializer};

    use super::*;

    fn parsed(text: &str) -> u16 {
        LocalMinutes::parse(text).map(LocalMinutes::get).unwrap()
    }

    #[test]
    fn parses_two_digit_hours_and_minutes() {
        assert_eq!(parsed("00:00"), 0);
        assert_eq!(parsed("09:05"), 545);
        assert_eq!(parsed("23:59"), 1439);
        assert_eq!(LocalMinutes::parse_end("24:00"), Ok(LocalMinutes::END_OF_DAY));
    }

    #[test]
    fn rejects_malformed_text() {
        for text in ["9:5", "9:05", "09:5", "ab", "", "09:00:00", "0900", "+9:00", "09:-1", " 9:00"]
        {
            assert_eq!(
                LocalMinutes::parse(text),
                Err(ScheduleError::Malformed(text.into())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn rejects_out_of_range_hours_and_minutes() {
        assert_eq!(
            LocalMinutes::parse("25:00"),
            Err(ScheduleError::HourOutOfRange("25:00".into()))
        );
        assert_eq!(
            LocalMinutes::parse_end("24:30"),
            Err(ScheduleError::HourOutOfRange("24:30".into()))
        );
        assert_eq!(
            LocalMinutes::parse("12:60"),
            Err(ScheduleError::MinuteOutOfRange("12:60".into()))
        );
    }

    #[test]
    fn end_of_day_only_ends_a_range() {
        assert_eq!(LocalMinutes::parse("24:00"), Err(ScheduleError::EndOfDayAsStart));
        assert!(super::super::WeeklyRange::parse(Weekday::Mon, "22:00", "24:00").is_ok());
    }

    #[test]
    fn new_rejects_minutes_past_the_day() {
        assert_eq!(LocalMinutes::new(1440), Ok(LocalMinutes::END_OF_DAY));
        assert_eq!(LocalMinutes::new(1441), Err(ScheduleError::PastEndOfDay(1441)));
    }

    #[test]
    fn formats_as_hh_mm() {
        assert_eq!(LocalMinutes::new(545).unwrap().to_string(), "09:05");
        assert_eq!(LocalMinutes::END_OF_DAY.to_string(), "24:00");
        assert_eq!(String::from(LocalMinutes::MIDNIGHT), "00:00");
    }

    #[test]
    fn deserializes_from_hh_mm_text() {
        let de: StringDeserializer<DeError> = "17:30".to_owned().into_deserializer();
        assert_eq!(LocalMinutes::deserialize(de).map(LocalMinutes::get), Ok(1050));
        let de: StringDeserializer<DeError> = "7:30".to_owned().into_deserializer();
        let error = LocalMinutes::deserialize(de).unwrap_err().to_string();
        assert!(error.contains("HH:MM"), "{error}");
    }

    #[test]
    fn error_messages_name_the_problem() {
        let error = LocalMinutes::parse("25:00").unwrap_err().to_string();
        assert_eq!(error, "hour out of range in \"25:00\": use 00–23, or 24:00 to end a range");
    }
}
