//! Options for `block` services: places left in labelled timetable blocks.

use super::query::Horizon;
use super::{BlockSlot, BookingOption, Policy, Window, local_instant};

/// Places left in a block: `capacity - used`, never below zero.
pub const fn remaining(capacity: u32, used: u32) -> u32 {
    capacity.saturating_sub(used)
}

/// One option per block on a date inside `window` that still has room.
///
/// The block's wall-clock start and end are converted with [`local_instant`]; the start must
/// lie between `now + min_notice` and `now + max_advance` (inclusive). Full blocks, and blocks
/// that do not end after they start, are left out. Options come sorted by start, then block id.
pub fn block_options(blocks: &[BlockSlot], policy: &Policy, window: &Window) -> Vec<BookingOption> {
    let horizon = Horizon::new(policy, window);
    let mut options: Vec<BookingOption> = blocks
        .iter()
        .filter(|block| window.contains(block.date))
        .filter_map(|block| {
            let left = remaining(block.capacity, block.used);
            let start = local_instant(window.tz, block.date, block.start);
            let end = local_instant(window.tz, block.date, block.end);
            (left > 0 && start < end && horizon.admits(start.timestamp())).then(|| BookingOption {
                start,
                end,
                staff_id: None,
                block_id: Some(block.block_id),
                label: Some(block.label.clone()),
                remaining: left,
            })
        })
        .collect();
    options.sort_by_key(|option| (option.start, option.block_id));
    options
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
    use chrono_tz::Tz;

    use super::*;
    use crate::schedule::LocalMinutes;

    fn june(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, day).unwrap()
    }

    fn utc(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, day, hour, minute, 0).unwrap()
    }

    fn block(block_id: i64, date: NaiveDate, start: &str, end: &str, used: u32) -> BlockSlot {
        BlockSlot {
            block_id,
            date,
            start: LocalMinutes::parse(start).unwrap(),
            end: LocalMinutes::parse_end(end).unwrap(),
            label: format!("Block {block_id}"),
            capacity: 4,
            used,
        }
    }

    fn window(tz: Tz, days: u32) -> Window {
        Window { tz, from: june(1), days, now: utc(1, 0, 0) }
    }

    fn ids(options: &[BookingOption]) -> Vec<i64> {
        options.iter().filter_map(|option| option.block_id).collect()
    }

    #[test]
    fn remaining_saturates_at_zero() {
        assert_eq!(remaining(5, 2), 3);
        assert_eq!(remaining(5, 5), 0);
        assert_eq!(remaining(5, 9), 0);
        assert_eq!(remaining(0, 0), 0);
    }

    #[test]
    fn offers_blocks_with_room_and_their_remaining_places() {
        let blocks = [block(7, june(2), "07:00", "10:30", 1)];
        let options = block_options(&blocks, &Policy::default(), &window(Tz::UTC, 7));
        assert_eq!(
            options,
            [BookingOption {
                start: utc(2, 7, 0),
                end: utc(2, 10, 30),
                staff_id: None,
                block_id: Some(7),
                label: Some("Block 7".into()),
                remaining: 3,
            }]
        );
    }

    #[test]
    fn full_and_overfull_blocks_are_left_out() {
        let blocks = [
            block(1, june(2), "07:00", "08:00", 4),
            block(2, june(2), "08:00", "09:00", 6),
            block(3, june(2), "09:00", "10:00", 3),
        ];
        let options = block_options(&blocks, &Policy::default(), &window(Tz::UTC, 7));
        assert_eq!(ids(&options), [3]);
        assert_eq!(options[0].remaining, 1);
    }

    #[test]
    fn only_dates_inside_the_window_count() {
        let blocks = [
            block(1, NaiveDate::from_ymd_opt(2026, 5, 31).unwrap(), "09:00", "10:00", 0),
            block(2, june(1), "09:00", "10:00", 0),
            block(3, june(3), "09:00", "10:00", 0),
            block(4, june(4), "09:00", "10:00", 0),
        ];
        let options = block_options(&blocks, &Policy::default(), &window(Tz::UTC, 3));
        assert_eq!(ids(&options), [2, 3]);
    }

    #[test]
    fn notice_and_advance_limit_the_start() {
        let blocks = [
            block(1, june(1), "01:00", "02:00", 0),
            block(2, june(1), "02:00", "03:00", 0),
            block(3, june(1), "05:00", "06:00", 0),
            block(4, june(1), "05:01", "06:00", 0),
        ];
        let policy = Policy {
            grid_minutes: 15,
            min_notice: TimeDelta::hours(2),
            max_advance: TimeDelta::hours(5),
        };
        let options = block_options(&blocks, &policy, &window(Tz::UTC, 1));
        assert_eq!(ids(&options), [2, 3]);
    }

    #[test]
    fn sorted_by_start_then_block_id_in_the_tenant_zone() {
        let blocks = [
            block(9, june(2), "09:00", "10:00", 0),
            block(5, june(2), "09:00", "12:00", 0),
            block(1, june(2), "18:00", "24:00", 0),
            block(8, june(1), "23:00", "24:00", 0),
        ];
        let options = block_options(&blocks, &Policy::default(), &window(Tz::Europe__Paris, 7));
        assert_eq!(ids(&options), [8, 5, 9, 1]);
        // Paris is two hours ahead of UTC in June; 24:00 is the next local midnight.
        assert_eq!(options[0].start, utc(1, 21, 0));
        assert_eq!(options[3].end, utc(2, 22, 0));
    }

    #[test]
    fn blocks_that_do_not_end_after_they_start_are_left_out() {
        let blocks =
            [block(1, june(2), "10:00", "09:00", 0), block(2, june(2), "10:00", "10:00", 0)];
        assert!(block_options(&blocks, &Policy::default(), &window(Tz::UTC, 7)).is_empty());
    }
}
