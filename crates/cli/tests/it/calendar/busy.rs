//! Busy times at Google remove the overlapping options from availability, from what the
//! refresh job stored (availability never calls Google), and Portico's own events are not
//! counted twice.

use chrono::{DateTime, Duration as Span, NaiveDate, TimeZone as _, Utc};
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_jobs::CalendarWork;
use portico_store::availability::{self, Query};
use portico_store::tenants;
use portico_testkit::google::ACCOUNT;
use portico_testkit::matrix;

use super::Shop;

async fn starts(shop: &Shop) -> Vec<DateTime<Utc>> {
    let tenant = shop.tenant().await;
    let query = Query {
        from: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        days: 1,
        staff: None,
        now: shop.app.clock.now(),
        except_booking: None,
    };
    let calls = shop.google.calls().len();
    let options =
        availability::options(shop.app.db(), &tenant, &shop.service, &query).await.unwrap();
    assert_eq!(shop.google.calls().len(), calls, "availability never asks Google");
    options.into_iter().map(|o| o.start).collect()
}

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, hour, minute, 0).unwrap()
}

#[tokio::test]
async fn busy_time_at_google_removes_overlapping_options_and_own_events_count_once() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let connection = shop.connect_owner().await;
        let before = starts(&shop).await;
        assert!(before.contains(&at(10, 0)) && before.contains(&at(14, 0)));

        // Portico's own booking at 14:00 is in the calendar; Google reports it busy like any
        // event, next to a dentist appointment 10:00–11:00.
        let booking = shop.book(at(14, 0)).await;
        shop.app.run_pending_jobs().await;
        shop.google.add_busy(ACCOUNT, "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z");
        shop.google.add_busy(ACCOUNT, "2026-12-02T14:00:00Z", "2026-12-02T15:00:00Z");
        shop.app.clock.advance(Span::seconds(301));
        let job = CalendarWork::Refresh {
            tenant_id: shop.seeded.id.get(),
            connection_id: connection.id.get(),
        };
        shop.app.enqueue(&job).await;
        shop.app.run_pending_jobs().await;
        let stored: Vec<(i64, i64)> =
            sqlx::query_as("select starts_at, ends_at from calendar_busy order by starts_at")
                .fetch_all(shop.app.db().pool())
                .await
                .unwrap();
        assert_eq!(
            stored,
            vec![(at(10, 0).timestamp(), at(11, 0).timestamp())],
            "own event cut out"
        );

        let after = starts(&shop).await;
        assert!(after.contains(&at(9, 0)) && after.contains(&at(11, 0)), "{after:?}");
        assert!(
            !after.iter().any(|s| *s > at(9, 0) && *s < at(11, 0)),
            "an option overlaps the busy time: {after:?}"
        );
        // Cancelling the booking frees 14:00 at once, without waiting for the next fetch.
        assert!(!after.contains(&at(14, 0)));
        shop.cancel(booking).await;
        shop.app.run_pending_jobs().await;
        assert!(starts(&shop).await.contains(&at(14, 0)));

        // A downgrade pauses them with the rest of the sync; the upgrade brings them back.
        let (db, id, now) = (shop.app.db(), shop.seeded.id, shop.app.clock.now_ts());
        tenants::set_plan(db, id, Plan::Free, None, now).await.unwrap();
        assert!(starts(&shop).await.contains(&at(10, 0)));
        tenants::set_plan(db, id, Plan::Pro, None, now).await.unwrap();
        assert!(!starts(&shop).await.contains(&at(10, 0)));

        // With sync off, Google's busy times no longer block anything.
        let r = shop.owner.post_form("/app/paws/calendar", &[("calendar_id", "primary")]).await;
        assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
        assert!(starts(&shop).await.contains(&at(10, 0)));
    })
    .await;
}
