//! Options for `slot` services: grid starts inside weekly hours, clear of everything busy.
//!
//! Instants are handled as whole Unix seconds. Candidate starts are always whole seconds
//! (wall-clock minutes plus whole-second offsets), so rounding busy intervals outwards and the
//! notice horizon inwards loses nothing and never lets an overlap through.

use chrono::{DateTime, Datelike};

use super::query::{Horizon, Rounding, unix_seconds};
use super::{BookingOption, LocalMinutes, Policy, Resource, ServiceSpec, Window, local_instant};

/// A half-open span of Unix seconds.
type Span = (i64, i64);

/// The per-query constants of a sweep, in seconds.
struct Sweep {
    step: i64,
    duration: i64,
    before: i64,
    after: i64,
    horizon: Horizon,
}

/// Every start at which `service` can be booked with one of `resources` inside `window`.
///
/// For each local date and each weekly range of a resource on that weekday, candidates start
/// at the range's first instant and follow every `policy.grid_minutes` of elapsed time, so a
/// range keeps its real length across DST changes and never yields a nonexistent wall time.
/// A candidate is offered when it ends by the range's end, starts between `now + min_notice`
/// and `now + max_advance` (inclusive), and, widened by the service's buffers, overlaps none
/// of the resource's time off or busy intervals. Options come sorted by `(start, staff_id)`
/// without duplicates, each with `remaining` 1.
pub fn slot_options(
    service: &ServiceSpec,
    resources: &[Resource],
    policy: &Policy,
    window: &Window,
) -> Vec<BookingOption> {
    if service.duration_minutes == 0 {
        return Vec::new();
    }
    let sweep = Sweep {
        step: minutes(policy.grid_minutes.max(1)),
        duration: minutes(service.duration_minutes),
        before: minutes(service.buffer_before_minutes),
        after: minutes(service.buffer_after_minutes),
        horizon: Horizon::new(policy, window),
    };

    let mut starts: Vec<(i64, Option<i64>)> = Vec::new();
    for resource in resources {
        let blocked = blocked_spans(resource);
        let hours = hours_by_weekday(resource);
        'dates: for date in window.dates() {
            let ranges = &hours[date.weekday().num_days_from_monday() as usize];
            for &(start, end) in ranges {
                let start = local_instant(window.tz, date, start).timestamp();
                if start > sweep.horizon.latest {
                    // Later ranges and dates only start later.
                    break 'dates;
                }
                let end = local_instant(window.tz, date, end).timestamp();
                sweep.range((start, end), &blocked, |at| starts.push((at, resource.staff_id)));
            }
        }
    }

    starts.sort_unstable();
    starts.dedup();
    starts
        .into_iter()
        .filter_map(|(start, staff_id)| {
            Some(BookingOption {
                start: DateTime::from_timestamp(start, 0)?,
                end: DateTime::from_timestamp(start + sweep.duration, 0)?,
                staff_id,
                block_id: None,
                label: None,
                remaining: 1,
            })
        })
        .collect()
}

impl Sweep {
    /// Calls `offer` with every admissible start in the range `[start, end)`, in order.
    ///
    /// `blocked` is sorted and merged, so one index walks forward with the candidates; a
    /// candidate that hits a blocked span jumps straight to the first grid start clear of it.
    fn range(&self, (range_start, range_end): Span, blocked: &[Span], mut offer: impl FnMut(i64)) {
        let mut start = range_start;
        if start < self.horizon.earliest {
            start += self.steps_to_reach(self.horizon.earliest - start);
        }
        let mut next = blocked.partition_point(|&(_, end)| end <= start - self.before);
        while start + self.duration <= range_end && start <= self.horizon.latest {
            let (padded_start, padded_end) =
                (start - self.before, start + self.duration + self.after);
            while blocked.get(next).is_some_and(|&(_, end)| end <= padded_start) {
                next += 1;
            }
            match blocked.get(next) {
                Some(&(busy_start, busy_end)) if busy_start < padded_end => {
                    // The first start whose padding begins at or after the busy span's end.
                    start += self.steps_to_reach(busy_end + self.before - start);
                }
                _ => {
                    offer(start);
                    start += self.step;
                }
            }
        }
    }

    /// The whole grid steps needed to cover at least `distance` seconds (`distance` > 0).
    fn steps_to_reach(&self, distance: i64) -> i64 {
        (distance + self.step - 1) / self.step * self.step
    }
}

/// The resource's time off and busy intervals as sorted, merged spans of whole seconds.
fn blocked_spans(resource: &Resource) -> Vec<Span> {
    let mut spans: Vec<Span> = resource
        .time_off
        .iter()
        .chain(&resource.busy)
        .filter(|interval| interval.start < interval.end)
        .map(|interval| {
            (unix_seconds(interval.start, Rounding::Down), unix_seconds(interval.end, Rounding::Up))
        })
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// Weekly ranges grouped by weekday (Monday first), each day's sorted by start.
fn hours_by_weekday(resource: &Resource) -> [Vec<(LocalMinutes, LocalMinutes)>; 7] {
    let mut days: [Vec<_>; 7] = Default::default();
    for range in &resource.weekly {
        days[range.weekday().num_days_from_monday() as usize].push((range.start(), range.end()));
    }
    for ranges in &mut days {
        ranges.sort_unstable();
    }
    days
}

fn minutes(count: u32) -> i64 {
    i64::from(count) * 60
}
