//! Property tests: random hours, busy times, policies and zones (several with DST changes,
//! one with a half-hour change, one changing at midnight) checked against the rules directly.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::*;

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

const ZONES: [Tz; 6] = [
    Tz::UTC,
    Tz::America__New_York,
    Tz::Europe__London,
    Tz::Asia__Kolkata,
    Tz::Australia__Lord_Howe,
    Tz::America__Santiago,
];

/// Dates near the zones' 2026 clock changes, plus an ordinary one.
const NEAR_CHANGES: [(i32, u32, u32); 8] = [
    (2026, 3, 8),
    (2026, 11, 1),
    (2026, 3, 29),
    (2026, 10, 25),
    (2026, 4, 5),
    (2026, 10, 4),
    (2026, 9, 6),
    (2026, 6, 15),
];

/// Seconds from the window's first midnight (UTC), a length, and a sub-second part.
type RawSpan = (i64, i64, u32);

/// Working hours, time off and busy times of one resource.
type RawResource = (Vec<WeeklyRange>, Vec<RawSpan>, Vec<RawSpan>);

#[derive(Debug)]
struct Scenario {
    service: ServiceSpec,
    resources: Vec<Resource>,
    policy: Policy,
    window: Window,
}

prop_compose! {
    fn weekly_range()(day in 0u8..7, start in 0u16..1440, len in 1u16..=600) -> WeeklyRange {
        let end = LocalMinutes::new((start + len).min(1440)).unwrap();
        let weekday = Weekday::try_from(day).unwrap();
        WeeklyRange::new(weekday, LocalMinutes::new(start).unwrap(), end).unwrap()
    }
}

prop_compose! {
    fn raw_span()(
        start in -2 * DAY..9 * DAY,
        len in 1..6 * HOUR,
        nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000],
    ) -> RawSpan {
        (start, len, nanos)
    }
}

prop_compose! {
    fn window()(
        zone in select(ZONES.as_slice()),
        near in select(NEAR_CHANGES.as_slice()),
        back in 0u64..4,
        days in 1u32..8,
        now in -DAY..2 * DAY,
        now_nanos in 0u32..1_000_000_000,
    ) -> Window {
        let from = NaiveDate::from_ymd_opt(near.0, near.1, near.2).unwrap() - Days::new(back);
        let now = midnight(from) + TimeDelta::seconds(now) + TimeDelta::nanoseconds(now_nanos.into());
        Window { tz: zone, from, days, now }
    }
}

prop_compose! {
    fn policy()(
        grid_minutes in select(&[1u32, 5, 10, 15, 20, 30, 45, 60][..]),
        notice in -60i64..2_000,
        advance in 0i64..20_000,
    ) -> Policy {
        Policy {
            grid_minutes,
            min_notice: TimeDelta::minutes(notice),
            max_advance: TimeDelta::minutes(advance),
        }
    }
}

prop_compose! {
    fn service()(duration in 1u32..=240, before in 0u32..=90, after in 0u32..=90) -> ServiceSpec {
        ServiceSpec {
            duration_minutes: duration,
            buffer_before_minutes: before,
            buffer_after_minutes: after,
        }
    }
}

fn raw_resource() -> impl Strategy<Value = RawResource> {
    (vec(weekly_range(), 0..10), vec(raw_span(), 0..3), vec(raw_span(), 0..25))
}

prop_compose! {
    fn scenario()(
        window in window(),
        policy in policy(),
        service in service(),
        owner_first in any::<bool>(),
        raw in vec(raw_resource(), 1..=4),
    ) -> Scenario {
        let base = midnight(window.from);
        let resources = raw
            .into_iter()
            .enumerate()
            .map(|(index, (weekly, time_off, busy))| Resource {
                staff_id: (!(owner_first && index == 0)).then_some(index as i64),
                weekly,
                time_off: time_off.into_iter().map(|span| interval(base, span)).collect(),
                busy: busy.into_iter().map(|span| interval(base, span)).collect(),
            })
            .collect();
        Scenario { service, resources, policy, window }
    }
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(chrono::NaiveTime::MIN).and_utc()
}

fn interval(base: DateTime<Utc>, (start, len, nanos): RawSpan) -> Interval {
    let start = base + TimeDelta::seconds(start) + TimeDelta::nanoseconds(nanos.into());
    Interval { start, end: start + TimeDelta::seconds(len) }
}

fn minutes(count: u32) -> TimeDelta {
    TimeDelta::minutes(count.into())
}

/// The rules of [`slot_options`] applied literally: every grid start of every range, checked
/// against every busy interval.
fn slot_options_by_hand(s: &Scenario) -> Vec<BookingOption> {
    let Scenario { service, resources, policy, window } = s;
    let grid = minutes(policy.grid_minutes.max(1));
    let duration = minutes(service.duration_minutes);
    let (earliest, latest) = (window.now + policy.min_notice, window.now + policy.max_advance);
    let mut options = Vec::new();
    for resource in resources {
        for date in window.dates() {
            for range in resource.weekly.iter().filter(|range| range.weekday() == date.weekday()) {
                let end = local_instant(window.tz, date, range.end());
                let mut start = local_instant(window.tz, date, range.start());
                while start + duration <= end {
                    let padded = Interval {
                        start: start - minutes(service.buffer_before_minutes),
                        end: start + duration + minutes(service.buffer_after_minutes),
                    };
                    let mut blocked = resource.busy.iter().chain(&resource.time_off);
                    if earliest <= start && start <= latest && !blocked.any(|b| b.overlaps(&padded))
                    {
                        options.push(BookingOption {
                            start,
                            end: start + duration,
                            staff_id: resource.staff_id,
                            block_id: None,
                            label: None,
                            remaining: 1,
                        });
                    }
                    start += grid;
                }
            }
        }
    }
    options.sort_by_key(|option| (option.start, option.staff_id));
    options.dedup();
    options
}

proptest! {
    #[test]
    fn slot_options_respect_every_rule(s in scenario()) {
        let options = slot_options(&s.service, &s.resources, &s.policy, &s.window);
        let duration = minutes(s.service.duration_minutes);

        for pair in options.windows(2) {
            prop_assert!((pair[0].start, pair[0].staff_id) < (pair[1].start, pair[1].staff_id));
        }
        for option in &options {
            let resource = s.resources.iter().find(|r| r.staff_id == option.staff_id).unwrap();
            prop_assert_eq!(option.end - option.start, duration);
            prop_assert!(option.start >= s.window.now + s.policy.min_notice);
            prop_assert!(option.start <= s.window.now + s.policy.max_advance);

            // Clear of the resource's own busy times and time off, buffers included.
            let padded = Interval {
                start: option.start - minutes(s.service.buffer_before_minutes),
                end: option.end + minutes(s.service.buffer_after_minutes),
            };
            for blocked in resource.busy.iter().chain(&resource.time_off) {
                prop_assert!(!blocked.overlaps(&padded), "{:?} overlaps {:?}", option, blocked);
            }

            // Inside one of its weekly ranges on a window date. Measured in instants: across a
            // fall-back change a range's elapsed time can show earlier wall times than its start.
            let inside = s.window.dates().any(|date| {
                resource.weekly.iter().any(|range| {
                    range.weekday() == date.weekday()
                        && local_instant(s.window.tz, date, range.start()) <= option.start
                        && option.end <= local_instant(s.window.tz, date, range.end())
                })
            });
            prop_assert!(inside, "{:?} is outside the hours", option);
        }

        prop_assert_eq!(options, slot_options_by_hand(&s));
    }
}

prop_compose! {
    fn blocks()(
        raw in vec((-2i64..10, 0u16..1440, 0u16..=1440, 0u32..6, 0u32..9), 0..12),
    ) -> Vec<BlockSlot> {
        let from = NaiveDate::from_ymd_opt(2026, 10, 23).unwrap();
        raw.into_iter()
            .enumerate()
            .map(|(index, (day, start, end, capacity, used))| BlockSlot {
                block_id: index as i64,
                date: from + TimeDelta::days(day),
                start: LocalMinutes::new(start).unwrap(),
                end: LocalMinutes::new(end).unwrap(),
                label: format!("Block {index}"),
                capacity,
                used,
            })
            .collect()
    }
}

proptest! {
    #[test]
    fn block_options_offer_exactly_the_blocks_with_room(
        blocks in blocks(),
        zone in select(ZONES.as_slice()),
        days in 0u32..8,
        policy in policy(),
        now in -DAY..8 * DAY,
    ) {
        let from = NaiveDate::from_ymd_opt(2026, 10, 23).unwrap();
        let window = Window { tz: zone, from, days, now: midnight(from) + TimeDelta::seconds(now) };
        let options = block_options(&blocks, &policy, &window);

        for pair in options.windows(2) {
            prop_assert!((pair[0].start, pair[0].block_id) < (pair[1].start, pair[1].block_id));
        }
        for option in &options {
            let block = &blocks[option.block_id.unwrap() as usize];
            prop_assert!(block.used < block.capacity, "full block offered: {:?}", block);
            prop_assert!(option.remaining > 0 && option.remaining <= block.capacity);
            prop_assert_eq!(option.remaining, block.capacity - block.used);
            prop_assert_eq!(option.label.as_deref(), Some(block.label.as_str()));
            prop_assert_eq!(option.staff_id, None);
        }

        let mut eligible: Vec<i64> = blocks
            .iter()
            .filter(|block| {
                let start = local_instant(zone, block.date, block.start);
                let end = local_instant(zone, block.date, block.end);
                window.dates().any(|date| date == block.date)
                    && remaining(block.capacity, block.used) > 0
                    && start < end
                    && window.now + policy.min_notice <= start
                    && start <= window.now + policy.max_advance
            })
            .map(|block| block.block_id)
            .collect();
        let mut offered: Vec<i64> = options.iter().filter_map(|option| option.block_id).collect();
        eligible.sort_unstable();
        offered.sort_unstable();
        prop_assert_eq!(offered, eligible);
    }

    #[test]
    fn remaining_never_exceeds_capacity(capacity in any::<u32>(), used in any::<u32>()) {
        let left = remaining(capacity, used);
        prop_assert!(left <= capacity);
        prop_assert_eq!(left == 0, used >= capacity);
    }
}
