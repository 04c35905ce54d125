//! Unit tests for [`slot_options`] in UTC, where wall-clock and elapsed time agree.

use std::slice;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::*;

/// Monday 2026-06-01 at `hour:minute` UTC.
fn mon(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, hour, minute, 0).unwrap()
}

fn range(weekday: Weekday, start: &str, end: &str) -> WeeklyRange {
    WeeklyRange::parse(weekday, start, end).unwrap()
}

fn staff(staff_id: Option<i64>, weekly: Vec<WeeklyRange>) -> Resource {
    Resource { staff_id, weekly, ..Resource::default() }
}

fn service(duration: u32, before: u32, after: u32) -> ServiceSpec {
    ServiceSpec {
        duration_minutes: duration,
        buffer_before_minutes: before,
        buffer_after_minutes: after,
    }
}

fn grid(minutes: u32) -> Policy {
    Policy { grid_minutes: minutes, ..Policy::default() }
}

/// A UTC window of `days` dates from Monday 2026-06-01, asked at midnight.
fn window(days: u32) -> Window {
    Window { tz: Tz::UTC, from: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(), days, now: mon(0, 0) }
}

fn busy(from: DateTime<Utc>, to: DateTime<Utc>) -> Interval {
    Interval { start: from, end: to }
}

/// Each option's start as "HH:MM" (UTC).
fn starts(options: &[BookingOption]) -> Vec<String> {
    options.iter().map(|option| option.start.format("%H:%M").to_string()).collect()
}

#[test]
fn starts_follow_the_grid_and_end_inside_the_hours() {
    let owner = staff(None, vec![range(Weekday::Mon, "09:00", "11:00")]);
    let options = slot_options(&service(30, 0, 0), &[owner], &grid(15), &window(1));
    assert_eq!(starts(&options), ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30"]);
    let last = options.last().unwrap();
    assert_eq!(
        (last.end, last.staff_id, last.block_id, last.remaining),
        (mon(11, 0), None, None, 1)
    );
    assert_eq!(last.label, None);
}

#[test]
fn grid_is_counted_from_the_start_of_each_range() {
    let owner = staff(None, vec![range(Weekday::Mon, "09:10", "12:00")]);
    let options = slot_options(&service(60, 0, 0), &[owner], &grid(30), &window(1));
    assert_eq!(starts(&options), ["09:10", "09:40", "10:10", "10:40"]);
}

#[test]
fn only_weekdays_with_hours_have_options() {
    let owner = staff(None, vec![range(Weekday::Wed, "09:00", "10:00")]);
    let options = slot_options(&service(60, 0, 0), &[owner], &grid(15), &window(14));
    let days: Vec<_> = options.iter().map(|option| option.start.date_naive().to_string()).collect();
    assert_eq!(days, ["2026-06-03", "2026-06-10"]);
}

#[test]
fn buffers_keep_both_sides_of_a_booking_clear() {
    let mut owner = staff(None, vec![range(Weekday::Mon, "09:00", "12:00")]);
    owner.busy = vec![busy(mon(10, 0), mon(10, 30))];
    let options = slot_options(&service(30, 15, 15), &[owner], &grid(15), &window(1));
    // 09:30 would end at 10:00 but needs until 10:15; 10:30 needs from 10:15.
    assert_eq!(starts(&options), ["09:00", "09:15", "10:45", "11:00", "11:15", "11:30"]);
}

#[test]
fn buffers_only_need_to_touch_busy_time() {
    let mut owner = staff(None, vec![range(Weekday::Mon, "09:00", "12:00")]);
    owner.busy = vec![busy(mon(10, 0), mon(10, 30))];
    let options = slot_options(&service(30, 30, 0), slice::from_ref(&owner), &grid(30), &window(1));
    assert_eq!(starts(&options), ["09:00", "09:30", "11:00", "11:30"]);
    let options = slot_options(&service(30, 0, 30), &[owner], &grid(30), &window(1));
    assert_eq!(starts(&options), ["09:00", "10:30", "11:00", "11:30"]);
}

#[test]
fn buffers_may_reach_outside_the_hours() {
    let owner = staff(None, vec![range(Weekday::Mon, "09:00", "10:00")]);
    let options = slot_options(&service(60, 30, 30), &[owner], &grid(15), &window(1));
    assert_eq!(starts(&options), ["09:00"]);
}

#[test]
fn time_off_removes_slots() {
    let mut owner = staff(
        None,
        vec![range(Weekday::Mon, "09:00", "12:00"), range(Weekday::Tue, "09:00", "10:00")],
    );
    owner.time_off = vec![busy(mon(9, 50), mon(11, 0))];
    let options = slot_options(&service(30, 0, 0), &[owner], &grid(30), &window(2));
    assert_eq!(starts(&options), ["09:00", "11:00", "11:30", "09:00", "09:30"]);
}

#[test]
fn time_off_covering_the_day_leaves_nothing() {
    let mut owner = staff(Some(3), vec![range(Weekday::Mon, "00:00", "24:00")]);
    owner.time_off = vec![busy(mon(0, 0), mon(0, 0) + TimeDelta::days(1))];
    assert!(slot_options(&service(15, 0, 0), &[owner], &grid(15), &window(1)).is_empty());
}

#[test]
fn busy_intervals_may_come_unsorted_and_overlapping() {
    let mut owner = staff(None, vec![range(Weekday::Mon, "09:00", "13:00")]);
    owner.busy = vec![
        busy(mon(11, 0), mon(11, 30)),
        busy(mon(9, 0), mon(9, 45)),
        busy(mon(9, 30), mon(10, 0)),
        busy(mon(12, 30), mon(12, 0)),
        busy(mon(11, 15), mon(12, 0)),
    ];
    let options = slot_options(&service(30, 0, 0), &[owner], &grid(30), &window(1));
    assert_eq!(starts(&options), ["10:00", "10:30", "12:00", "12:30"]);
}

#[test]
fn fractions_of_a_second_still_block() {
    let mut owner = staff(None, vec![range(Weekday::Mon, "09:00", "11:00")]);
    owner.busy = vec![busy(
        mon(9, 59) + TimeDelta::milliseconds(59_999),
        mon(10, 0) + TimeDelta::nanoseconds(1),
    )];
    let options = slot_options(&service(60, 0, 0), &[owner], &grid(60), &window(1));
    assert!(options.is_empty(), "{options:?}");
}

#[test]
fn min_notice_drops_starts_too_soon() {
    let owner = staff(None, vec![range(Weekday::Mon, "09:00", "12:00")]);
    let policy = Policy { min_notice: TimeDelta::hours(2), ..grid(30) };
    let mut window = window(1);
    window.now = mon(8, 0);
    let options = slot_options(&service(30, 0, 0), slice::from_ref(&owner), &policy, &window);
    assert_eq!(starts(&options), ["10:00", "10:30", "11:00", "11:30"]);

    // Off-grid notice rounds up to the next grid start.
    window.now = mon(8, 0) + TimeDelta::seconds(1);
    let options = slot_options(&service(30, 0, 0), &[owner], &policy, &window);
    assert_eq!(starts(&options), ["10:30", "11:00", "11:30"]);
}

#[test]
fn max_advance_drops_starts_too_far_ahead() {
    let owner = staff(
        None,
        vec![range(Weekday::Mon, "09:00", "12:00"), range(Weekday::Tue, "09:00", "12:00")],
    );
    let policy = Policy { max_advance: TimeDelta::hours(10), ..grid(30) };
    let options = slot_options(&service(30, 0, 0), &[owner], &policy, &window(7));
    assert_eq!(starts(&options), ["09:00", "09:30", "10:00"]);
}

#[test]
fn several_ranges_a_day_do_not_bridge_the_gap() {
    let owner = staff(
        None,
        vec![range(Weekday::Mon, "14:00", "15:00"), range(Weekday::Mon, "09:00", "10:00")],
    );
    let options = slot_options(&service(30, 0, 0), slice::from_ref(&owner), &grid(30), &window(1));
    assert_eq!(starts(&options), ["09:00", "09:30", "14:00", "14:30"]);
    assert!(slot_options(&service(90, 0, 0), &[owner], &grid(30), &window(1)).is_empty());
}

#[test]
fn overlapping_ranges_give_no_duplicates() {
    let owner = staff(
        None,
        vec![range(Weekday::Mon, "09:00", "10:00"), range(Weekday::Mon, "09:30", "10:30")],
    );
    let options = slot_options(&service(30, 0, 0), &[owner], &grid(30), &window(1));
    assert_eq!(starts(&options), ["09:00", "09:30", "10:00"]);
}

#[test]
fn several_staff_are_sorted_by_start_then_staff() {
    let hours = vec![range(Weekday::Mon, "09:00", "10:00")];
    let mut busy_two = staff(Some(2), vec![range(Weekday::Mon, "08:30", "10:00")]);
    busy_two.busy = vec![busy(mon(9, 30), mon(10, 0))];
    let resources = [busy_two, staff(Some(1), hours.clone()), staff(None, hours)];
    let options = slot_options(&service(30, 0, 0), &resources, &grid(30), &window(1));
    let got: Vec<_> =
        options.iter().map(|o| (o.start.format("%H:%M").to_string(), o.staff_id)).collect();
    let want = [
        ("08:30", Some(2)),
        ("09:00", None),
        ("09:00", Some(1)),
        ("09:00", Some(2)),
        ("09:30", None),
        ("09:30", Some(1)),
    ];
    assert_eq!(got, want.map(|(at, id)| (at.to_owned(), id)));
}

#[test]
fn one_staff_busy_does_not_block_another() {
    let hours = vec![range(Weekday::Mon, "09:00", "10:00")];
    let mut one = staff(Some(1), hours.clone());
    one.busy = vec![busy(mon(9, 0), mon(10, 0))];
    let options =
        slot_options(&service(60, 0, 0), &[one, staff(Some(2), hours)], &grid(30), &window(1));
    assert_eq!(options.iter().map(|o| o.staff_id).collect::<Vec<_>>(), [Some(2)]);
}

#[test]
fn a_range_may_end_at_midnight() {
    let owner = staff(None, vec![range(Weekday::Mon, "23:00", "24:00")]);
    let options = slot_options(&service(30, 0, 0), &[owner], &grid(30), &window(1));
    assert_eq!(starts(&options), ["23:00", "23:30"]);
    assert_eq!(options[1].end, mon(0, 0) + TimeDelta::days(1));
}

#[test]
fn degenerate_queries_have_no_options() {
    let owner = staff(None, vec![range(Weekday::Mon, "09:00", "10:00")]);
    assert!(
        slot_options(&service(0, 0, 0), slice::from_ref(&owner), &grid(15), &window(1)).is_empty()
    );
    assert!(
        slot_options(&service(30, 0, 0), slice::from_ref(&owner), &grid(15), &window(0)).is_empty()
    );
    assert!(slot_options(&service(30, 0, 0), &[], &grid(15), &window(1)).is_empty());
    // A zero grid is read as one minute, not as an endless loop.
    assert_eq!(slot_options(&service(30, 0, 0), &[owner], &grid(0), &window(1)).len(), 31);
}
