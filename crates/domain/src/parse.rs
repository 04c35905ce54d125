//! Values as people type them into forms and API bodies: service codes, free text, ISO dates,
//! local date-times, `HH:MM` times and spans, time-off reasons, block labels and places. Each
//! parser trims, checks and answers with a message the person can act on. The web layer
//! (pages and API alike) calls these, so a rule and its wording are written once.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike as _, Utc};
use chrono_tz::Tz;

use crate::accounts::{self, Invalid};
use crate::schedule::{LocalMinutes, ScheduleError, local_instant};

/// Longest service code, in characters.
pub const CODE_MAX: usize = 40;
/// Path segments next to `/services/{code}` that a code would hide.
const RESERVED_CODES: &[&str] = &["new", "defaults"];
/// Longest time-off reason, in characters.
pub const MAX_REASON: usize = 200;
/// Most places a timetable block may offer for one service.
pub const MAX_CAPACITY: i64 = 1000;
/// Most dates one copy of a day's blocks may fill.
pub const MAX_COPY_DAYS: i64 = 62;

/// Weekday names, Monday (ISO 1) first.
pub const WEEKDAYS: [&str; 7] =
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// A service code: trimmed, lowercased, 1–40 of `a-z 0-9 _ -`.
pub fn parse_code(input: &str) -> Result<String, Invalid> {
    let code = input.trim().to_lowercase();
    if code.is_empty() {
        return Err(Invalid("This field is required."));
    }
    if code.chars().count() > CODE_MAX {
        return Err(Invalid("Use at most 40 characters."));
    }
    if !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        return Err(Invalid("Use lowercase letters, digits, - and _ only."));
    }
    if RESERVED_CODES.contains(&code.as_str()) {
        return Err(Invalid("That code is reserved; choose another."));
    }
    Ok(code)
}

/// Free text of at most `max` characters (line breaks allowed), trimmed.
pub fn parse_text(input: &str, max: usize) -> Result<String, String> {
    let text = input.trim();
    if text.chars().count() > max {
        return Err(format!("Use at most {max} characters."));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err("Remove the control characters.".to_owned());
    }
    Ok(text.to_owned())
}

/// A local date as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, &'static str> {
    let text = text.trim();
    // chrono accepts years of any width; ISO dates here always have four digits.
    if text.len() != 10 {
        return Err("Enter a date as YYYY-MM-DD.");
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| "Enter a date as YYYY-MM-DD.")
}

/// A local date and time typed into a form ("2026-12-24T09:00", as `datetime-local` sends
/// it, or "2026-12-24 09:00"), as an instant in `tz`. A time skipped by a DST change moves
/// to the end of the gap, a repeated one takes its first occurrence.
pub fn parse_local(tz: Tz, text: &str) -> Result<DateTime<Utc>, &'static str> {
    let text = text.trim();
    let wall = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .ok_or("Enter a date and time like 2026-12-24 09:00.")?;
    let minutes = u16::try_from(wall.hour() * 60 + wall.minute()).unwrap_or(0);
    let minutes = LocalMinutes::new(minutes).unwrap_or(LocalMinutes::MIDNIGHT);
    Ok(local_instant(tz, wall.date(), minutes))
}

/// A message a person can act on for a time that did not parse.
pub fn time_message(error: &ScheduleError) -> String {
    match error {
        ScheduleError::Malformed(_) => "Use the 24-hour HH:MM format, e.g. 09:00.".to_owned(),
        ScheduleError::HourOutOfRange(_) => {
            "Hours go from 00 to 23 (24:00 may only end a range).".to_owned()
        }
        ScheduleError::MinuteOutOfRange(_) => "Minutes go from 00 to 59.".to_owned(),
        ScheduleError::EndOfDayAsStart => "24:00 can only end a range.".to_owned(),
        other => other.to_string(),
    }
}

/// Parses a start and an end ("24:00" may end), requiring the end after the start. The error
/// names the field to fix (`start` or `end`).
pub fn parse_span(
    start: &str,
    end: &str,
) -> Result<(LocalMinutes, LocalMinutes), (&'static str, String)> {
    let start = LocalMinutes::parse(start.trim()).map_err(|e| ("start", time_message(&e)))?;
    let end = LocalMinutes::parse_end(end.trim()).map_err(|e| ("end", time_message(&e)))?;
    if end <= start {
        return Err(("end", "The end must be after the start.".to_owned()));
    }
    Ok((start, end))
}

/// "Monday" for 1 … "Sunday" for 7 ("?" otherwise).
pub fn weekday_name(weekday: i64) -> &'static str {
    usize::try_from(weekday - 1).ok().and_then(|i| WEEKDAYS.get(i)).copied().unwrap_or("?")
}

/// Local minutes as "HH:MM" (1440 is "24:00").
pub fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A time-off reason: trimmed, at most [`MAX_REASON`] characters.
pub fn parse_reason(text: &str) -> Result<String, String> {
    let reason = text.trim();
    if reason.chars().count() > MAX_REASON || reason.chars().any(char::is_control) {
        return Err(format!("Use at most {MAX_REASON} characters."));
    }
    Ok(reason.to_owned())
}

/// A timetable block's label: required, at most 100 characters.
pub fn parse_label(text: &str) -> Result<String, String> {
    accounts::parse_name(text).map_err(|e| e.to_string())
}

/// Places for one service in a block: a whole number from 0 to [`MAX_CAPACITY`].
pub fn parse_capacity(value: Option<i64>) -> Result<u32, String> {
    value
        .filter(|n| (0..=MAX_CAPACITY).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("Enter a whole number from 0 to {MAX_CAPACITY}."))
}

/// The dates `from..=until` a copy of a day fills, at most [`MAX_COPY_DAYS`].
pub fn copy_targets(from: NaiveDate, until: NaiveDate) -> Result<Vec<NaiveDate>, String> {
    let days = until.signed_duration_since(from).num_days() + 1;
    if days < 1 {
        return Err("The last date must not be before the first.".to_owned());
    }
    if days > MAX_COPY_DAYS {
        return Err(format!("Copy onto at most {MAX_COPY_DAYS} days at a time."));
    }
    Ok(from.iter_days().take(usize::try_from(days).unwrap_or(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    #[test]
    fn codes_are_lowercase_short_and_not_reserved() {
        assert_eq!(parse_code(" Walk-30 ").unwrap(), "walk-30");
        assert_eq!(parse_code("new").unwrap_err().0, "That code is reserved; choose another.");
        assert_eq!(parse_code("").unwrap_err().0, "This field is required.");
        assert!(parse_code("bad code!").is_err());
        assert!(parse_code(&"a".repeat(41)).is_err());
        assert_eq!(parse_code(&"a".repeat(40)).unwrap().len(), 40);
    }

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(parse_text("  two\nlines ", 20).unwrap(), "two\nlines");
        assert_eq!(parse_text("abc", 2).unwrap_err(), "Use at most 2 characters.");
        assert!(parse_text("bell\u{7}", 20).is_err());
    }

    #[test]
    fn dates_are_strict_iso() {
        assert_eq!(day("2026-12-01"), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(day(" 2026-12-01 "), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        for bad in ["2026-12-1", "01/12/2026", "2026-13-01", "", "+2026-12-01"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_times_follow_the_zone() {
        let at = parse_local(chrono_tz::America::New_York, "2026-03-08T02:30").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-03-08T07:00:00+00:00", "skipped: end of the gap");
        let at = parse_local(chrono_tz::Europe::London, "2026-12-24 09:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-24T09:00:00+00:00");
        assert!(parse_local(chrono_tz::Europe::London, "24/12/2026").is_err());
    }

    #[test]
    fn spans_name_the_field_to_fix() {
        let (start, end) = parse_span(" 09:00", "24:00 ").unwrap();
        assert_eq!((start.get(), end.get()), (540, 1440));
        assert_eq!(parse_span("9am", "10:00").unwrap_err().0, "start");
        assert!(parse_span("9am", "10:00").unwrap_err().1.contains("HH:MM"));
        assert_eq!(parse_span("24:00", "24:00").unwrap_err().1, "24:00 can only end a range.");
        assert_eq!(
            parse_span("09:00", "09:60").unwrap_err(),
            ("end", "Minutes go from 00 to 59.".to_owned())
        );
        assert_eq!(
            parse_span("10:00", "09:00").unwrap_err(),
            ("end", "The end must be after the start.".to_owned())
        );
    }

    #[test]
    fn weekdays_and_times_read_back() {
        assert_eq!((weekday_name(1), weekday_name(7), weekday_name(8)), ("Monday", "Sunday", "?"));
        assert_eq!(
            (hhmm(0), hhmm(570), hhmm(1440)),
            ("00:00".into(), "09:30".into(), "24:00".into())
        );
    }

    #[test]
    fn reasons_and_labels_are_bounded() {
        assert_eq!(parse_reason("  Dentist ").unwrap(), "Dentist");
        assert_eq!(parse_reason("").unwrap(), "");
        assert!(parse_reason(&"x".repeat(201)).is_err());
        assert!(parse_reason("tab\there").is_err());
        assert_eq!(parse_label(" Morning walk ").unwrap(), "Morning walk");
        assert!(parse_label(" ").is_err());
    }

    #[test]
    fn capacities_are_whole_numbers_up_to_a_thousand() {
        assert_eq!(parse_capacity(Some(0)), Ok(0));
        assert_eq!(parse_capacity(Some(1000)), Ok(1000));
        assert!(parse_capacity(Some(1001)).is_err());
        assert!(parse_capacity(Some(-1)).is_err());
        assert!(parse_capacity(None).is_err());
    }

    #[test]
    fn copy_ranges_are_bounded() {
        assert_eq!(copy_targets(day("2026-12-02"), day("2026-12-04")).unwrap().len(), 3);
        assert_eq!(copy_targets(day("2026-12-01"), day("2027-01-31")).unwrap().len(), 62);
        assert!(copy_targets(day("2026-12-01"), day("2027-02-01")).is_err());
        assert!(copy_targets(day("2026-12-04"), day("2026-12-02")).is_err());
    }
}
