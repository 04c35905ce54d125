//! A month of slot availability for a busy PRO tenant.
//!
//! Ten staff working Monday to Saturday, 08:00–18:00 (every third one with a lunch break),
//! five services, 2,000 existing bookings, Europe/London, 30 days from Monday 2026-03-16 (so
//! the window crosses the 2026-03-29 clock change). See `bench/README.md` for figures.

use std::hint::black_box;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};
use portico_domain::schedule::{
    Interval, LocalMinutes, Policy, Resource, ServiceSpec, WeeklyRange, Window, local_instant,
    slot_options,
};

const STAFF: i64 = 10;
const BOOKINGS: usize = 2_000;
const DAYS: u32 = 30;
const WORKDAYS: [Weekday; 6] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat];

/// (duration, buffer before, buffer after) in minutes.
const SERVICES: [(u32, u32, u32); 5] =
    [(30, 0, 5), (45, 10, 10), (60, 0, 15), (90, 15, 15), (120, 30, 0)];

/// Knuth's MMIX linear congruential generator: deterministic data without a `rand` crate.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

struct Tenant {
    services: Vec<ServiceSpec>,
    resources: Vec<Resource>,
    policy: Policy,
    window: Window,
}

fn tenant() -> Tenant {
    let from = NaiveDate::from_ymd_opt(2026, 3, 16).expect("a real date");
    let window = Window {
        tz: Tz::Europe__London,
        from,
        days: DAYS,
        now: "2026-03-15T18:00:00Z".parse::<DateTime<Utc>>().expect("an RFC 3339 instant"),
    };
    let policy = Policy {
        grid_minutes: 15,
        min_notice: TimeDelta::hours(2),
        max_advance: TimeDelta::days(60),
    };
    let services: Vec<ServiceSpec> = SERVICES
        .iter()
        .map(|&(duration, before, after)| ServiceSpec {
            duration_minutes: duration,
            buffer_before_minutes: before,
            buffer_after_minutes: after,
        })
        .collect();

    let hm = |text: &str| LocalMinutes::parse_end(text).expect("HH:MM");
    let mut resources: Vec<Resource> = (1..=STAFF)
        .map(|staff_id| {
            let shifts: &[(&str, &str)] = if staff_id % 3 == 0 {
                &[("08:00", "12:00"), ("13:00", "18:00")]
            } else {
                &[("08:00", "18:00")]
            };
            let weekly = WORKDAYS
                .iter()
                .flat_map(|&day| shifts.iter().map(move |&(start, end)| (day, start, end)))
                .map(|(day, start, end)| WeeklyRange::new(day, hm(start), hm(end)).expect("valid"))
                .collect();
            Resource { staff_id: Some(staff_id), weekly, ..Resource::default() }
        })
        .collect();

    // Two staff members take a few days off.
    for (staff, first_day, days) in [(2_usize, 5_u64, 3_i64), (7, 17, 5)] {
        let start = local_instant(window.tz, from + Days::new(first_day), hm("00:00"));
        resources[staff].time_off.push(Interval { start, end: start + TimeDelta::days(days) });
    }

    // Bookings on working days, on the 15-minute grid inside working hours, each padded with
    // its own service's buffers. They may overlap; the engine merges them.
    let mut lcg = Lcg(0x5EED);
    let mut placed = 0;
    while placed < BOOKINGS {
        let date = from + Days::new(lcg.below(DAYS.into()));
        if !WORKDAYS.contains(&date.weekday()) {
            continue;
        }
        let (duration, before, after) = SERVICES[lcg.below(SERVICES.len() as u64) as usize];
        let latest_quarter = (600 - u64::from(duration)) / 15;
        let minutes = 480 + 15 * lcg.below(latest_quarter + 1);
        let start =
            local_instant(window.tz, date, LocalMinutes::new(minutes as u16).expect("in a day"));
        let staff = lcg.below(STAFF as u64) as usize;
        resources[staff].busy.push(Interval {
            start: start - TimeDelta::minutes(before.into()),
            end: start + TimeDelta::minutes((duration + after).into()),
        });
        placed += 1;
    }

    Tenant { services, resources, policy, window }
}

fn month_of_slots(c: &mut Criterion) {
    let tenant = tenant();
    let mut group = c.benchmark_group("slot_options_month");
    for service in &tenant.services {
        let name = format!("{}min", service.duration_minutes);
        group.bench_function(name, |b| {
            b.iter(|| {
                slot_options(
                    black_box(service),
                    black_box(&tenant.resources),
                    &tenant.policy,
                    &tenant.window,
                )
            })
        });
    }
    group.bench_function("all_5_services", |b| {
        b.iter(|| {
            tenant
                .services
                .iter()
                .map(|service| {
                    slot_options(
                        black_box(service),
                        black_box(&tenant.resources),
                        &tenant.policy,
                        &tenant.window,
                    )
                    .len()
                })
                .sum::<usize>()
        })
    });
    group.finish();

    for service in &tenant.services {
        let options = slot_options(service, &tenant.resources, &tenant.policy, &tenant.window);
        println!(
            "{} min service: {} options in the month",
            service.duration_minutes,
            options.len()
        );
    }
}

criterion_group!(benches, month_of_slots);
criterion_main!(benches);
