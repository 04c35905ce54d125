//! One-way sync: create → one event with the derived id and the right local times (a DST
//! day included); reschedule → the same event updated; cancel → deleted; duplicates and a
//! worker dying after the insert still leave one event; staff reassignment moves the event
//! between calendars; another tenant's member gets 404.

use chrono::{TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_core::{Actor, Context};
use portico_domain::Clock as _;
use portico_jobs::CalendarSync;
use portico_store::bookings::{Party, Slot};
use portico_store::staff;
use portico_testkit::google::TEAM_CALENDAR;
use portico_testkit::{PASSWORD, matrix};
use reqwest::StatusCode;

use super::{PRIMARY, Shop};

#[tokio::test]
async fn create_reschedule_and_cancel_keep_one_event_in_step() {
    matrix(|backend| async move {
        // Just before the clocks go forward in London (Sunday 2027-03-28, 01:00 → 02:00).
        let now = Utc.with_ymd_and_hms(2027, 3, 20, 9, 0, 0).unwrap();
        let shop = Shop::open_at(backend, Some(now)).await;
        shop.connect_owner().await;

        // 10:00 London on the DST day is 09:00 UTC (+01:00); the day before it is +00:00.
        let dst_day = shop.book(Utc.with_ymd_and_hms(2027, 3, 28, 9, 0, 0).unwrap()).await;
        let day_before = shop.book(Utc.with_ymd_and_hms(2027, 3, 27, 10, 0, 0).unwrap()).await;
        shop.app.run_pending_jobs().await;
        let events = shop.google.events(PRIMARY);
        assert_eq!(events.len(), 2, "{events:#?}");
        let event = shop.google.event(PRIMARY, &shop.event_id(dst_day)).expect("the derived id");
        assert_eq!(event.start["dateTime"], "2027-03-28T10:00:00+01:00");
        assert_eq!(event.end["dateTime"], "2027-03-28T11:00:00+01:00");
        assert_eq!(event.start["timeZone"], "Europe/London");
        assert!(event.summary.contains("Service walk") && event.summary.contains("Jo Client"));
        assert!(event.description.contains(&format!("/app/paws/bookings/{dst_day}")));
        let before = shop.google.event(PRIMARY, &shop.event_id(day_before)).unwrap();
        assert_eq!(before.start["dateTime"], "2027-03-27T10:00:00+00:00");

        // Reschedule: the same event, moved.
        shop.reschedule(dst_day, Utc.with_ymd_and_hms(2027, 3, 28, 12, 0, 0).unwrap()).await;
        shop.app.run_pending_jobs().await;
        let moved = shop.google.event(PRIMARY, &shop.event_id(dst_day)).unwrap();
        assert_eq!(moved.start["dateTime"], "2027-03-28T13:00:00+01:00");
        assert_eq!(moved.sequence, 2, "patched, not inserted again");
        assert_eq!(shop.google.events(PRIMARY).len(), 2);

        // An access token Google stopped accepting is refreshed on the 401.
        shop.google.expire_access_tokens();
        let refreshes = shop.google.calls_to("/token");
        shop.cancel(dst_day).await;
        shop.app.run_pending_jobs().await;
        assert_eq!(shop.google.calls_to("/token"), refreshes + 1);
        let cancelled = shop.google.event(PRIMARY, &shop.event_id(dst_day)).unwrap();
        assert_eq!(cancelled.status, "cancelled");
        assert_eq!(shop.google.events(PRIMARY).len(), 1);
        let page = shop.owner.page("/app/paws/calendar").await;
        assert!(page.contains("Last successful sync:"), "{page}");
        assert!(!page.contains("Last error"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn duplicate_jobs_and_a_worker_dying_after_the_insert_leave_one_event() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        shop.connect_owner().await;
        let booking = shop.book(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()).await;
        let job = CalendarSync { tenant_id: shop.seeded.id.0, booking_id: booking };
        for _ in 0..50 {
            shop.app.enqueue(&job).await;
        }
        shop.app.run_pending_jobs().await;
        assert_eq!(shop.google.events(PRIMARY).len(), 1);
        let inserts = |shop: &Shop| {
            shop.google
                .calls()
                .iter()
                .filter(|c| c.method == "POST" && c.path.ends_with("/events"))
                .count()
        };
        assert_eq!(inserts(&shop), 1, "duplicates call nobody");
        let api_calls = shop.google.calls_to("/calendar/v3");

        // The worker inserted the event and died before recording it: the retry meets 409
        // "duplicate" and patches the same event.
        sqlx::query("delete from calendar_event_syncs")
            .execute(shop.app.db().pool())
            .await
            .unwrap();
        shop.app.enqueue(&job).await;
        shop.app.run_pending_jobs().await;
        assert_eq!(inserts(&shop), 2);
        assert_eq!(shop.google.calls_to("/calendar/v3"), api_calls + 2, "insert (409), patch");
        let events = shop.google.events(PRIMARY);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].id, shop.event_id(booking));
        assert_eq!(events[0].sequence, 2);
    })
    .await;
}

#[tokio::test]
async fn another_tenants_member_cannot_see_connect_or_disconnect_this_calendar() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let connection = shop.connect_owner().await;
        let other = shop.app.seed_tenant("rival", portico_domain::plans::Plan::Pro).await;
        let rival = shop.app.browser();
        rival.login(&other.owner_email, PASSWORD).await;
        let calls = shop.google.calls().len();
        assert_eq!(rival.get("/app/paws/calendar").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(rival.get("/app/paws/calendar/connect").await.status(), StatusCode::NOT_FOUND);
        let r = rival.post_form("/app/paws/calendar/disconnect", &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = rival
            .post_form("/app/paws/calendar", &[("calendar_id", "primary"), ("sync", "on")])
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(shop.google.calls().len(), calls, "nothing reached Google");
        assert_eq!(shop.connection().await, Some(connection));
    })
    .await;
}

#[tokio::test]
async fn reassigning_the_booking_moves_the_event_between_the_staffs_calendars() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let (app, t) = (&shop.app, &shop.seeded);
        let mut people = Vec::new();
        for (name, email, calendar) in
            [("Alex", "alex@paws.example", TEAM_CALENDAR), ("Bea", "bea@paws.example", PRIMARY)]
        {
            let user = app.seed_staff(t, email).await;
            let member = app.seed_staff_member(t.id, name, &[&shop.service]).await;
            app.seed_hours(t.id, Some(member), 8 * 60, 18 * 60).await;
            let mut tx = app.db().begin().await.unwrap();
            staff::link_user(&mut tx, t.id, member, user, 0).await.unwrap();
            tx.commit().await.unwrap();
            let browser = app.browser();
            browser.login(email, PASSWORD).await;
            let callback = shop.consent(&browser).await;
            assert_eq!(browser.get(&callback).await.status(), StatusCode::SEE_OTHER);
            let form = [("calendar_id", calendar), ("sync", "on")];
            let r = browser.post_form("/app/paws/calendar", &form).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            app.run_pending_jobs().await;
            people.push(member);
        }
        let (alex, bea) = (people[0], people[1]);
        let tenant = shop.tenant().await;
        let start = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        let ctx = Context::new(Actor::Owner(t.owner), "", app.clock.now());
        let new = NewBooking {
            service: &shop.service,
            slot: Slot { start, staff: Some(alex), block: None },
            party: Party::Client(shop.jo),
            notes: String::new(),
            hold_token: None,
            address: String::new(),
        };
        let booking =
            portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.unwrap().id;
        app.run_pending_jobs().await;
        let id = shop.event_id(booking);
        assert!(shop.google.event(TEAM_CALENDAR, &id).is_some_and(|e| e.status == "confirmed"));
        assert!(shop.google.event(PRIMARY, &id).is_none());

        let slot = Slot { start, staff: Some(bea), block: None };
        portico_core::bookings::reschedule(app.db(), &tenant, booking, &slot, &ctx).await.unwrap();
        app.run_pending_jobs().await;
        assert_eq!(shop.google.event(TEAM_CALENDAR, &id).unwrap().status, "cancelled");
        assert!(shop.google.event(PRIMARY, &id).is_some_and(|e| e.status == "confirmed"));
        assert_eq!(shop.google.events(TEAM_CALENDAR).len() + shop.google.events(PRIMARY).len(), 1);
    })
    .await;
}
