//! Recurring series: a weekly / every-N-weeks rule on chosen weekdays, until a date or for a
//! count — the subset of RFC 5545 RRULE Portico supports
//! (`FREQ=WEEKLY;INTERVAL=n;BYDAY=MO,WE;UNTIL=20270131` or `…;COUNT=10`).

use std::fmt;

use chrono::{Datelike as _, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// How a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Last possible date (inclusive).
    Until(NaiveDate),
    /// Number of occurrences.
    Count(u32),
}

/// A weekly rule anchored on its first date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// 1 = every week, 2 = every other week, … (at most 8).
    pub interval_weeks: u32,
    /// Weekdays, Monday first, without repeats.
    pub weekdays: Vec<Weekday>,
    /// The first date the series may occur on.
    pub starts_on: NaiveDate,
    pub end: End,
}

/// Why a rule is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("Repeat every 1 to 8 weeks.")]
    Interval,
    #[error("Choose at least one weekday.")]
    NoWeekday,
    #[error("The end date must be on or after the first date.")]
    EndBeforeStart,
    #[error("Use 1 to 200 occurrences.")]
    Count,
    #[error("A series can last at most two years.")]
    TooLong,
    #[error("Not a supported rule: {0}")]
    Syntax(String),
}

/// Longest series accepted.
const MAX_SPAN_DAYS: i64 = 731;

impl Rule {
    pub fn new(
        interval_weeks: u32,
        weekdays: &[Weekday],
        starts_on: NaiveDate,
        end: End,
    ) -> Result<Self, RuleError> {
        if !(1..=8).contains(&interval_weeks) {
            return Err(RuleError::Interval);
        }
        let mut days: Vec<Weekday> = Vec::new();
        for day in weekdays {
            if !days.contains(day) {
                days.push(*day);
            }
        }
        days.sort_by_key(Weekday::num_days_from_monday);
        if days.is_empty() {
            return Err(RuleError::NoWeekday);
        }
        match end {
            End::Until(until) if until < starts_on => return Err(RuleError::EndBeforeStart),
            End::Until(until) if (until - starts_on).num_days() > MAX_SPAN_DAYS => {
                return Err(RuleError::TooLong);
            }
            End::Count(n) if !(1..=200).contains(&n) => return Err(RuleError::Count),
            _ => {}
        }
        Ok(Self { interval_weeks, weekdays: days, starts_on, end })
    }

    /// Every occurrence date in order. Weeks are counted from the Monday of `starts_on`.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        let week_one = self.starts_on
            - Duration::days(i64::from(self.starts_on.weekday().num_days_from_monday()));
        let limit = self.starts_on + Duration::days(MAX_SPAN_DAYS);
        let last = match self.end {
            End::Until(until) => until.min(limit),
            End::Count(_) => limit,
        };
        let count = match self.end {
            End::Count(n) => n as usize,
            End::Until(_) => usize::MAX,
        };
        (0..)
            .map(move |week: i64| week_one + Duration::weeks(week * i64::from(self.interval_weeks)))
            .take_while(move |monday| *monday <= last)
            .flat_map(move |monday| {
                self.weekdays
                    .iter()
                    .map(move |day| monday + Duration::days(i64::from(day.num_days_from_monday())))
            })
            .filter(move |date| *date >= self.starts_on && *date <= last)
            .take(count)
    }

    /// Occurrence dates within [from, to] (inclusive).
    pub fn dates_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        self.dates().skip_while(|d| *d < from).take_while(|d| *d <= to).collect()
    }

    /// The last date of the series, if it ends by count or date.
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.dates().last()
    }

    /// Parses `FREQ=WEEKLY;INTERVAL=n;BYDAY=MO,WE;UNTIL=YYYYMMDD|COUNT=n` with the first date.
    pub fn parse(rrule: &str, starts_on: NaiveDate) -> Result<Self, RuleError> {
        let syntax = || RuleError::Syntax(rrule.to_owned());
        let mut interval = 1;
        let mut weekdays = Vec::new();
        let mut end = None;
        let mut weekly = false;
        for part in rrule.trim().trim_start_matches("RRULE:").split(';').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(syntax)?;
            match key.to_ascii_uppercase().as_str() {
                "FREQ" => weekly = value.eq_ignore_ascii_case("WEEKLY"),
                "INTERVAL" => interval = value.parse().map_err(|_| syntax())?,
                "BYDAY" => {
                    for code in value.split(',') {
                        weekdays.push(weekday(code).ok_or_else(syntax)?);
                    }
                }
                "UNTIL" => {
                    let date = NaiveDate::parse_from_str(&value[..value.len().min(8)], "%Y%m%d")
                        .map_err(|_| syntax())?;
                    end = Some(End::Until(date));
                }
                "COUNT" => end = Some(End::Count(value.parse().map_err(|_| syntax())?)),
                _ => return Err(syntax()),
            }
        }
        if !weekly {
            return Err(syntax());
        }
        if weekdays.is_empty() {
            weekdays.push(starts_on.weekday());
        }
        Self::new(interval, &weekdays, starts_on, end.ok_or_else(syntax)?)
    }
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code.trim().to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

fn code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

impl fmt::Display for Rule {
    /// The RRULE form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<&str> = self.weekdays.iter().map(|d| code(*d)).collect();
        write!(f, "FREQ=WEEKLY;INTERVAL={};BYDAY={}", self.interval_weeks, days.join(","))?;
        match self.end {
            End::Until(date) => write!(f, ";UNTIL={}", date.format("%Y%m%d")),
            End::Count(n) => write!(f, ";COUNT={n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weekly_on_two_days_for_a_count() {
        // 2026-12-01 is a Tuesday.
        let rule =
            Rule::new(1, &[Weekday::Thu, Weekday::Tue], date(2026, 12, 1), End::Count(5)).unwrap();
        let dates: Vec<_> = rule.dates().collect();
        assert_eq!(
            dates,
            vec![
                date(2026, 12, 1),
                date(2026, 12, 3),
                date(2026, 12, 8),
                date(2026, 12, 10),
                date(2026, 12, 15)
            ]
        );
    }

    #[test]
    fn every_other_week_until_a_date_skips_days_before_the_start() {
        // Starts on a Wednesday: Monday of that week is not an occurrence.
        let rule = Rule::new(
            2,
            &[Weekday::Mon, Weekday::Wed],
            date(2026, 12, 2),
            End::Until(date(2026, 12, 31)),
        )
        .unwrap();
        let dates: Vec<_> = rule.dates().collect();
        assert_eq!(
            dates,
            vec![
                date(2026, 12, 2),
                date(2026, 12, 14),
                date(2026, 12, 16),
                date(2026, 12, 28),
                date(2026, 12, 30)
            ]
        );
        assert_eq!(
            rule.dates_between(date(2026, 12, 10), date(2026, 12, 20)),
            vec![date(2026, 12, 14), date(2026, 12, 16)]
        );
        assert_eq!(rule.last_date(), Some(date(2026, 12, 30)));
    }

    #[test]
    fn rrule_text_round_trips() {
        let rule =
            Rule::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=6", date(2026, 12, 1)).unwrap();
        assert_eq!(rule.to_string(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=6");
        assert_eq!(Rule::parse(&rule.to_string(), date(2026, 12, 1)).unwrap(), rule);
        let until =
            Rule::parse("RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261231T235959Z", date(2026, 12, 1))
                .unwrap();
        assert_eq!(until.end, End::Until(date(2026, 12, 31)));
        assert_eq!(until.dates().count(), 5);
    }

    #[test]
    fn bad_rules_are_refused() {
        let start = date(2026, 12, 1);
        assert_eq!(Rule::new(0, &[Weekday::Mon], start, End::Count(3)), Err(RuleError::Interval));
        assert_eq!(Rule::new(1, &[], start, End::Count(3)), Err(RuleError::NoWeekday));
        assert_eq!(
            Rule::new(1, &[Weekday::Mon], start, End::Until(date(2026, 11, 1))),
            Err(RuleError::EndBeforeStart)
        );
        assert_eq!(Rule::new(1, &[Weekday::Mon], start, End::Count(0)), Err(RuleError::Count));
        assert!(matches!(Rule::parse("FREQ=DAILY;COUNT=3", start), Err(RuleError::Syntax(_))));
        assert!(matches!(
            Rule::parse("FREQ=WEEKLY;BYDAY=XX;COUNT=3", start),
            Err(RuleError::Syntax(_))
        ));
        assert!(
            matches!(Rule::parse("FREQ=WEEKLY;BYDAY=MO", start), Err(RuleError::Syntax(_))),
            "needs an end"
        );
    }
}
