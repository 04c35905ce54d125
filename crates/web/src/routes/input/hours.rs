//! Weekly hours as typed (pages send rows of form fields, the API a JSON list): one check for
//! the whole week.

use portico_domain::parse::{hhmm, parse_span, weekday_name};
use portico_store::hours::HourRange;

/// A day may be split into at most this many ranges.
pub const MAX_RANGES_PER_DAY: usize = 10;

/// One weekly range as typed, before validation: ISO weekday and "HH:MM" texts.
#[derive(Debug, Clone, Copy)]
pub struct RangeText<'a> {
    pub weekday: i64,
    pub start: &'a str,
    pub end: &'a str,
}

/// What is wrong with one range: its position in the input, the field, and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeProblem {
    pub index: usize,
    pub field: &'static str,
    pub message: String,
}

/// Validates a whole week: weekdays 1–7, `HH:MM` times, each end after its start, at most
/// [`MAX_RANGES_PER_DAY`] per day and no overlaps on one weekday (touching is fine). The
/// ranges come back sorted by weekday and start.
pub fn parse_week(ranges: &[RangeText<'_>]) -> Result<Vec<HourRange>, Vec<RangeProblem>> {
    let mut problems = Vec::new();
    let mut parsed: Vec<(usize, HourRange)> = Vec::new();
    for (index, range) in ranges.iter().enumerate() {
        if !(1..=7).contains(&range.weekday) {
            let message = "Use 1 (Monday) to 7 (Sunday).".to_owned();
            problems.push(RangeProblem { index, field: "weekday", message });
            continue;
        }
        match parse_span(range.start, range.end) {
            Ok((start, end)) => parsed.push((
                index,
                HourRange {
                    weekday: range.weekday,
                    start_minute: start.get().into(),
                    end_minute: end.get().into(),
                },
            )),
            Err((field, message)) => problems.push(RangeProblem { index, field, message }),
        }
    }
    parsed.sort_by_key(|(index, r)| (r.weekday, r.start_minute, *index));
    let mut previous: Option<HourRange> = None;
    let mut per_day = 0;
    for (index, range) in &parsed {
        match previous {
            Some(p) if p.weekday == range.weekday => {
                per_day += 1;
                if range.start_minute < p.end_minute {
                    let message = format!(
                        "Overlaps {}–{} on {}.",
                        hhmm(p.start_minute),
                        hhmm(p.end_minute),
                        weekday_name(p.weekday)
                    );
                    problems.push(RangeProblem { index: *index, field: "start", message });
                }
            }
            _ => per_day = 1,
        }
        if per_day > MAX_RANGES_PER_DAY {
            let message = format!("Use at most {MAX_RANGES_PER_DAY} ranges per day.");
            problems.push(RangeProblem { index: *index, field: "start", message });
        }
        // Keep the range reaching furthest, so a long range is checked against all after it.
        if previous.is_none_or(|p| p.weekday != range.weekday || range.end_minute > p.end_minute) {
            previous = Some(*range);
        }
    }
    if problems.is_empty() {
        Ok(parsed.into_iter().map(|(_, range)| range).collect())
    } else {
        problems.sort_by_key(|p| p.index);
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(weekday: i64, start: &'static str, end: &'static str) -> RangeText<'static> {
        RangeText { weekday, start, end }
    }

    #[test]
    fn a_split_week_parses_sorted() {
        let week =
            [range(2, "13:00", "17:00"), range(1, "09:00", "12:00"), range(2, "09:00", "13:00")];
        let parsed = parse_week(&week).unwrap();
        let starts: Vec<(i64, i64)> = parsed.iter().map(|r| (r.weekday, r.start_minute)).collect();
        assert_eq!(starts, [(1, 540), (2, 540), (2, 780)]);
        assert!(parse_week(&[range(7, "22:00", "24:00")]).is_ok());
    }

    #[test]
    fn bad_times_and_overlaps_name_the_range() {
        let problems = parse_week(&[
            range(1, "9am", "17:00"),
            range(1, "25:00", "26:00"),
            range(8, "09:00", "10:00"),
        ])
        .unwrap_err();
        assert_eq!(problems.len(), 3);
        assert_eq!((problems[0].index, problems[0].field), (0, "start"));
        assert!(problems[0].message.contains("HH:MM"));
        assert_eq!(problems[2].field, "weekday");

        let problems =
            parse_week(&[range(3, "09:00", "17:00"), range(3, "12:00", "13:00")]).unwrap_err();
        assert_eq!(problems[0].index, 1);
        assert_eq!(problems[0].message, "Overlaps 09:00–17:00 on Wednesday.");

        let problems = parse_week(&[range(3, "17:00", "09:00")]).unwrap_err();
        assert_eq!(problems[0].message, "The end must be after the start.");
    }

    #[test]
    fn a_long_range_is_checked_against_every_later_one() {
        let week =
            [range(1, "08:00", "18:00"), range(1, "09:00", "10:00"), range(1, "11:00", "12:00")];
        assert_eq!(parse_week(&week).unwrap_err().len(), 2);
    }
}
