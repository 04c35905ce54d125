//! Daylight-saving tests: wall-clock rules on the days the clocks change, with exact instants.
//!
//! - New York springs forward on 2026-03-08 (02:00 EST → 03:00 EDT, at 07:00Z) and falls back
//!   on 2026-11-01 (02:00 EDT → 01:00 EST, at 06:00Z).
//! - London springs forward on 2026-03-29 (01:00 GMT → 02:00 BST, at 01:00Z) and falls back on
//!   2026-10-25 (02:00 BST → 01:00 GMT, at 01:00Z).
//! - Kolkata has no DST and a half-hour offset, +05:30.

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::*;

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn z(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn hm(text: &str) -> LocalMinutes {
    LocalMinutes::parse_end(text).unwrap()
}

/// One resource working `start`–`end` every day of the week.
fn daily(start: &str, end: &str) -> Resource {
    let weekly = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .map(|day| WeeklyRange::parse(day, start, end).unwrap());
    Resource { staff_id: Some(1), weekly: weekly.into(), ..Resource::default() }
}

fn window(tz: Tz, from: NaiveDate, days: u32) -> Window {
    Window { tz, from, days, now: z("2026-01-01T00:00:00Z") }
}

/// Slot options for a `duration`-minute service on a `grid`, as RFC 3339 UTC starts.
fn starts(resource: Resource, grid: u32, duration: u32, window: &Window) -> Vec<String> {
    let service = ServiceSpec {
        duration_minutes: duration,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
    };
    let policy = Policy { grid_minutes: grid, ..Policy::default() };
    slot_options(&service, &[resource], &policy, window)
        .iter()
        .map(|option| option.start.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

#[test]
fn new_york_spring_forward_moves_skipped_times_to_the_end_of_the_gap() {
    let (ny, day) = (Tz::America__New_York, date(2026, 3, 8));
    assert_eq!(local_instant(ny, day, hm("01:59")), z("2026-03-08T06:59:00Z"));
    assert_eq!(local_instant(ny, day, hm("02:00")), z("2026-03-08T07:00:00Z"));
    assert_eq!(local_instant(ny, day, hm("02:30")), z("2026-03-08T07:00:00Z"));
    assert_eq!(local_instant(ny, day, hm("03:00")), z("2026-03-08T07:00:00Z"));
    assert_eq!(local_instant(ny, day, hm("09:00")), z("2026-03-08T13:00:00Z"));
}

#[test]
fn new_york_fall_back_takes_the_earlier_instant() {
    let (ny, day) = (Tz::America__New_York, date(2026, 11, 1));
    assert_eq!(local_instant(ny, day, hm("00:00")), z("2026-11-01T04:00:00Z"));
    assert_eq!(local_instant(ny, day, hm("01:30")), z("2026-11-01T05:30:00Z"));
    assert_eq!(local_instant(ny, day, hm("02:00")), z("2026-11-01T07:00:00Z"));
    assert_eq!(local_instant(ny, day, hm("24:00")), z("2026-11-02T05:00:00Z"));
}

#[test]
fn london_changes_at_one_in_the_morning_utc() {
    let london = Tz::Europe__London;
    assert_eq!(local_instant(london, date(2026, 3, 29), hm("00:30")), z("2026-03-29T00:30:00Z"));
    assert_eq!(local_instant(london, date(2026, 3, 29), hm("01:30")), z("2026-03-29T01:00:00Z"));
    assert_eq!(local_instant(london, date(2026, 3, 29), hm("02:00")), z("2026-03-29T01:00:00Z"));
    assert_eq!(local_instant(london, date(2026, 10, 25), hm("00:00")), z("2026-10-24T23:00:00Z"));
    assert_eq!(local_instant(london, date(2026, 10, 25), hm("01:30")), z("2026-10-25T00:30:00Z"));
    assert_eq!(local_instant(london, date(2026, 10, 25), hm("02:00")), z("2026-10-25T02:00:00Z"));
}

#[test]
fn kolkata_is_five_and_a_half_hours_ahead_all_year() {
    let kolkata = Tz::Asia__Kolkata;
    assert_eq!(local_instant(kolkata, date(2026, 3, 8), hm("09:00")), z("2026-03-08T03:30:00Z"));
    assert_eq!(local_instant(kolkata, date(2026, 11, 1), hm("09:00")), z("2026-11-01T03:30:00Z"));
    assert_eq!(local_instant(kolkata, date(2026, 3, 8), hm("24:00")), z("2026-03-08T18:30:00Z"));
}

#[test]
fn a_skipped_whole_day_lands_on_the_next_one() {
    // Samoa moved across the date line: 2011-12-30 never happened in Apia.
    let apia = Tz::Pacific__Apia;
    assert_eq!(local_instant(apia, date(2011, 12, 30), hm("12:00")), z("2011-12-30T10:00:00Z"));
    assert_eq!(
        Utc.from_utc_datetime(&date(2011, 12, 30).and_hms_opt(10, 0, 0).unwrap())
            .with_timezone(&apia)
            .to_string(),
        "2011-12-31 00:00:00 +14"
    );
}

#[test]
fn new_york_spring_forward_range_has_two_real_hours() {
    let window = window(Tz::America__New_York, date(2026, 3, 8), 1);
    let got = starts(daily("01:00", "04:00"), 15, 30, &window);
    let want = ["06:00", "06:15", "06:30", "06:45", "07:00", "07:15", "07:30"];
    assert_eq!(got, want.map(|at| format!("2026-03-08T{at}Z")));
}

#[test]
fn new_york_fall_back_range_has_four_real_hours() {
    let window = window(Tz::America__New_York, date(2026, 11, 1), 1);
    let got = starts(daily("00:00", "03:00"), 60, 60, &window);
    // 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST.
    let want = ["04:00", "05:00", "06:00", "07:00"];
    assert_eq!(got, want.map(|at| format!("2026-11-01T{at}Z")));
}

#[test]
fn the_repeated_hour_is_bookable_twice() {
    let window = window(Tz::America__New_York, date(2026, 11, 1), 1);
    let mut resource = daily("00:00", "03:00");
    // Booked through the first 01:00–02:00 (EDT); the second one (EST) is still free.
    resource.busy =
        vec![Interval { start: z("2026-11-01T05:00:00Z"), end: z("2026-11-01T06:00:00Z") }];
    let got = starts(resource, 60, 60, &window);
    assert_eq!(got, ["04:00", "06:00", "07:00"].map(|at| format!("2026-11-01T{at}Z")));
}

#[test]
fn london_spring_forward_and_fall_back_ranges() {
    let spring = window(Tz::Europe__London, date(2026, 3, 29), 1);
    let got = starts(daily("00:00", "03:00"), 30, 30, &spring);
    assert_eq!(got, ["00:00", "00:30", "01:00", "01:30"].map(|at| format!("2026-03-29T{at}Z")));

    let autumn = window(Tz::Europe__London, date(2026, 10, 25), 1);
    let got = starts(daily("00:00", "03:00"), 30, 30, &autumn);
    assert_eq!(got.len(), 8);
    assert_eq!(got.first().unwrap(), "2026-10-24T23:00Z");
    assert_eq!(got.last().unwrap(), "2026-10-25T02:30Z");
}

#[test]
fn a_range_over_the_repeated_hour_is_measured_in_elapsed_time() {
    // 01:30 BST (00:30Z) to 02:00 GMT (02:00Z): ninety real minutes.
    let autumn = window(Tz::Europe__London, date(2026, 10, 25), 1);
    let got = starts(daily("01:30", "02:00"), 30, 30, &autumn);
    assert_eq!(got, ["00:30", "01:00", "01:30"].map(|at| format!("2026-10-25T{at}Z")));
}

#[test]
fn ranges_starting_in_or_inside_the_gap() {
    let window = window(Tz::America__New_York, date(2026, 3, 8), 1);
    let got = starts(daily("02:30", "04:00"), 15, 15, &window);
    assert_eq!(got, ["07:00", "07:15", "07:30", "07:45"].map(|at| format!("2026-03-08T{at}Z")));
    assert!(starts(daily("02:00", "02:45"), 15, 15, &window).is_empty());
}

#[test]
fn kolkata_business_hours() {
    let window = window(Tz::Asia__Kolkata, date(2026, 3, 8), 1);
    let got = starts(daily("09:00", "17:00"), 60, 60, &window);
    assert_eq!(got.len(), 8);
    assert_eq!(got.first().unwrap(), "2026-03-08T03:30Z");
    assert_eq!(got.last().unwrap(), "2026-03-08T10:30Z");
}

#[test]
fn business_hours_follow_the_offset_across_the_change() {
    let ny = Tz::America__New_York;
    let firsts = |from: NaiveDate| -> Vec<String> {
        let got = starts(daily("09:00", "17:00"), 60, 60, &window(ny, from, 3));
        assert_eq!(got.len(), 24);
        got.into_iter().step_by(8).collect()
    };
    assert_eq!(
        firsts(date(2026, 3, 7)),
        ["2026-03-07T14:00Z", "2026-03-08T13:00Z", "2026-03-09T13:00Z"]
    );
    assert_eq!(
        firsts(date(2026, 10, 31)),
        ["2026-10-31T13:00Z", "2026-11-01T14:00Z", "2026-11-02T14:00Z"]
    );
}

#[test]
fn blocks_on_change_days_keep_their_real_length() {
    let block = |block_id: i64, day: NaiveDate, start: &str, end: &str| BlockSlot {
        block_id,
        date: day,
        start: hm(start),
        end: hm(end),
        label: "Early".into(),
        capacity: 3,
        used: 1,
    };
    let blocks = [
        block(1, date(2026, 3, 8), "01:00", "03:00"),
        block(2, date(2026, 11, 1), "01:00", "02:00"),
    ];
    let ny = Window { days: 250, ..window(Tz::America__New_York, date(2026, 3, 1), 1) };
    let options = block_options(&blocks, &Policy::default(), &ny);
    let spans: Vec<_> =
        options.iter().map(|option| (option.start, option.end, option.remaining)).collect();
    assert_eq!(
        spans,
        [
            (z("2026-03-08T06:00:00Z"), z("2026-03-08T07:00:00Z"), 2),
            (z("2026-11-01T05:00:00Z"), z("2026-11-01T07:00:00Z"), 2),
        ]
    );
}
