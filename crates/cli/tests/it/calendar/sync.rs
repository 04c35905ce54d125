//! One-way sync: create → one event with the derived id and the right local times (a DST
//! day included); reschedule → the same event updated; cancel → deleted; duplicates and a
//! worker killed after the insert still leave one event; staff reassignment moves the event
//! between calendars; timetable block sessions go to the owner's calendar; another tenant's
//! member gets 404.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_core::{Actor, Context};
use portico_domain::Clock as _;
use portico_jobs::CalendarSync;
use portico_store::bookings::{Party, Slot};
use portico_store::catalog::Mode;
use portico_store::outbox;
use portico_testkit::google::TEAM_CALENDAR;
use portico_testkit::{PASSWORD, matrix, wait_for};
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
        let job = CalendarSync { tenant_id: shop.seeded.id.get(), booking_id: booking };
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

        // Another booking's job: Google stores the insert, and the worker dies before the
        // answer reaches it (so before it records anything).
        let second = shop.book(Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap()).await;
        let now = shop.app.clock.now_ts();
        let rows = outbox::claim(shop.app.db(), "test", now, now + 60, 10).await.unwrap();
        let row = rows.into_iter().find(|r| r.queue == "calendar_sync").expect("a sync job");
        shop.google.stall_next_insert();
        let worker = {
            let (deps, queue, payload) = (shop.app.deps(), row.queue.clone(), row.payload.clone());
            tokio::spawn(async move { portico_workers::dispatch(&deps, &queue, &payload).await })
        };
        let id = shop.event_id(second);
        wait_for("the insert at Google", Duration::from_secs(10), || async {
            shop.google.event(PRIMARY, &id)
        })
        .await;
        worker.abort();
        assert!(worker.await.unwrap_err().is_cancelled(), "the worker was killed mid-job");
        let recorded = shop.app.count("select count(*) from calendar_event_syncs").await;
        assert_eq!(recorded, 1, "only the first booking's event is recorded");

        // The restarted worker gets the job again: the insert meets 409 and patches.
        let api_calls = shop.google.calls_to("/calendar/v3");
        portico_workers::dispatch(&shop.app.deps(), &row.queue, &row.payload).await.unwrap();
        outbox::delete(shop.app.db(), row.id).await.unwrap();
        assert_eq!(inserts(&shop), 3);
        assert_eq!(shop.google.calls_to("/calendar/v3"), api_calls + 2, "insert (409), patch");
        let events = shop.google.events(PRIMARY);
        assert_eq!(events.len(), 2, "{events:#?}");
        let event = shop.google.event(PRIMARY, &id).unwrap();
        assert_eq!(event.sequence, 2);
        assert_eq!(event.start["dateTime"], "2026-12-04T10:00:00+00:00");
        // … and it is recorded now: the next job for it calls nobody.
        let calls = shop.google.calls().len();
        shop.app
            .enqueue(&CalendarSync { tenant_id: shop.seeded.id.get(), booking_id: second })
            .await;
        shop.app.run_pending_jobs().await;
        assert_eq!(shop.google.calls().len(), calls);
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
            assert!(app.link_staff_login(t.id, member, user).await);
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
            slot: Slot { start, staff: Some(alex.get()), block: None },
            party: Party::Client(shop.jo),
            notes: String::new(),
            hold_token: None,
            address: String::new(),
        };
        let booking =
            portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.unwrap().id;
        app.run_pending_jobs().await;
        let id = shop.event_id(booking.get());
        assert!(shop.google.event(TEAM_CALENDAR, &id).is_some_and(|e| e.status == "confirmed"));
        assert!(shop.google.event(PRIMARY, &id).is_none());

        let slot = Slot { start, staff: Some(bea.get()), block: None };
        portico_core::bookings::reschedule(app.db(), &tenant, booking.get(), &slot, &ctx)
            .await
            .unwrap();
        app.run_pending_jobs().await;
        assert_eq!(shop.google.event(TEAM_CALENDAR, &id).unwrap().status, "cancelled");
        assert!(shop.google.event(PRIMARY, &id).is_some_and(|e| e.status == "confirmed"));
        assert_eq!(shop.google.events(TEAM_CALENDAR).len() + shop.google.events(PRIMARY).len(), 1);
    })
    .await;
}

#[tokio::test]
async fn block_sessions_are_synced_to_the_owners_calendar_like_their_own_bookings() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let (app, t) = (&shop.app, &shop.seeded);
        let class = app.seed_service(t.id, "run", Mode::Block, 60).await;
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let block = app.seed_block(t.id, day, 9 * 60, 12 * 60, &class, 4).await;
        shop.connect_owner().await;
        let tenant = shop.tenant().await;
        let ctx = Context::new(Actor::Owner(t.owner), "", app.clock.now());
        let start = Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap();
        let new = NewBooking {
            service: &class,
            slot: Slot { start, staff: None, block: Some(block) },
            party: Party::Client(shop.jo),
            notes: String::new(),
            hold_token: None,
            address: String::new(),
        };
        let booking =
            portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.unwrap().id;
        app.run_pending_jobs().await;
        let event = shop.google.event(PRIMARY, &shop.event_id(booking.get())).expect("synced");
        assert_eq!(event.status, "confirmed");
        assert_eq!(event.start["dateTime"], "2026-12-05T09:00:00+00:00");
        assert!(event.summary.contains("Service run"), "{}", event.summary);

        shop.cancel(booking.get()).await;
        app.run_pending_jobs().await;
        assert_eq!(
            shop.google.event(PRIMARY, &shop.event_id(booking.get())).unwrap().status,
            "cancelled"
        );
    })
    .await;
}

#[tokio::test]
async fn connecting_copies_the_upcoming_bookings_with_progress_on_the_page() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let at = |day| Utc.with_ymd_and_hms(2026, 12, day, 10, 0, 0).unwrap();
        let (a, b, c) = (shop.book(at(3)).await, shop.book(at(4)).await, shop.book(at(5)).await);
        shop.cancel(c).await;
        shop.app.run_pending_jobs().await;
        assert_eq!(shop.google.calls_to("/calendar/v3"), 0, "nothing connected yet");

        shop.connect_owner().await;
        for booking in [a, b] {
            let event = shop.google.event(PRIMARY, &shop.event_id(booking));
            assert!(event.is_some_and(|e| e.status == "confirmed"), "booking {booking}");
        }
        assert!(shop.google.event(PRIMARY, &shop.event_id(c)).is_none(), "cancelled: not copied");
        let page = shop.owner.page("/app/paws/calendar").await;
        assert!(page.contains("Upcoming bookings copied: 2 of 2."), "{page}");
    })
    .await;
}
