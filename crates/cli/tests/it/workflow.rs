//! The booking workflow layer (`portico_core`): the transition table walked through the API
//! and the pages, exactly one event and the expected jobs per change on every surface,
//! idempotent notices, and no outbox write outside a change's transaction.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_core::{Actor, Context};
use portico_domain::booking::{Action, Status, transition};
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _};
use portico_store::bookings::{Party, Slot};
use portico_store::catalog::{Mode, Service};
use portico_store::tenants::{self, Tenant};
use portico_store::{bookings, outbox, versions};
use portico_testkit::{Browser, PASSWORD, TestApp, location, matrix, wait_for};
use reqwest::StatusCode;
use serde_json::Value;

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, minute, 0).unwrap()
}

struct Shop {
    seeded: portico_testkit::SeededTenant,
    tenant: Tenant,
    service: Service,
    jo: ClientId,
    token: String,
    owner: Browser,
}

/// A FREE business open 08:00–18:00 every day with a 30-minute service, a client, a token
/// and a logged-in owner.
async fn shop(app: &TestApp) -> Shop {
    let t = app.seed_tenant("paws", Plan::Free).await;
    let service = app.seed_service(t.id, "groom", Mode::Slot, 30).await;
    app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
    let (jo, _) = app.seed_client(&t, "Jo Client", "jo@paws.example", false).await;
    let token = app.api_token(t.id).await;
    let owner = app.browser();
    owner.login(&t.owner_email, PASSWORD).await;
    let tenant = tenants::by_id(app.db(), t.id.get()).await.unwrap().unwrap();
    Shop { seeded: t, tenant, service, jo, token, owner }
}

async fn book(app: &TestApp, shop: &Shop, start: DateTime<Utc>, actor: Actor) -> i64 {
    let new = NewBooking {
        service: &shop.service,
        slot: Slot { start, staff: None, block: None },
        party: Party::Client(shop.jo),
        notes: String::new(),
        hold_token: None,
        address: String::new(),
    };
    let ctx = Context::new(actor, "", app.clock.now());
    (portico_core::bookings::create(app.db(), &shop.tenant, &new, &ctx).await.expect("booked").id)
        .get()
}

async fn state_of(app: &TestApp, id: i64) -> (String, i64, i64) {
    let (status, starts_at): (String, i64) =
        sqlx::query_as("select status, starts_at from bookings where id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let events: i64 =
        sqlx::query_scalar("select count(*) from booking_events where booking_id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    (status, starts_at, events)
}

fn path(action: Action) -> &'static str {
    match action {
        Action::Cancel => "cancel",
        Action::Reschedule => "reschedule",
        Action::Complete => "complete",
        Action::NoShow => "no-show",
    }
}

/// One case of the table: a booking in `from`, started or not, asked `action` on a surface.
struct Case {
    id: i64,
    from: Status,
    started: bool,
    action: Action,
    api: bool,
    target: DateTime<Utc>,
}

#[tokio::test]
async fn the_transition_table_holds_through_the_api_and_the_pages() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let shop = shop(&app).await;
        let setup = Actor::System;
        let starts = [
            (Status::Confirmed, false),
            (Status::Cancelled, false),
            (Status::Confirmed, true),
            (Status::Cancelled, true),
            (Status::Completed, true),
            (Status::NoShow, true),
        ];
        // Started bookings on the 2nd and 3rd, the others on the 10th; reschedule targets on
        // the 11th.
        let (mut past, mut future, mut target) = (0u32, 0u32, 0u32);
        let mut cases = Vec::new();
        for (from, started) in starts {
            for action in Action::ALL {
                for api in [true, false] {
                    let start = if started {
                        past += 1;
                        at(2 + (past - 1) / 20, 8 + ((past - 1) % 20) / 2, 30 * ((past - 1) % 2))
                    } else {
                        future += 1;
                        at(10, 8 + (future - 1) / 2, 30 * ((future - 1) % 2))
                    };
                    if action == Action::Reschedule {
                        target += 1;
                    }
                    let to = at(11, 8 + target / 2, 30 * (target % 2));
                    let id = book(&app, &shop, start, setup).await;
                    cases.push(Case { id, from, started, action, api, target: to });
                }
            }
        }
        let ctx = |app: &TestApp| Context::new(Actor::Api, "", app.clock.now());
        for case in cases.iter().filter(|c| c.from == Status::Cancelled) {
            portico_core::bookings::cancel(app.db(), &shop.tenant, case.id, &ctx(&app)).await.unwrap();
        }
        app.clock.set(at(4, 0, 0));
        // Days passed: the owner's session has expired; log in again.
        shop.owner.login(&shop.seeded.owner_email, PASSWORD).await;
        for case in &cases {
            let db = app.db();
            match case.from {
                Status::Completed => {
                    portico_core::bookings::complete(db, &shop.tenant, case.id, &ctx(&app)).await.unwrap();
                }
                Status::NoShow => {
                    portico_core::bookings::no_show(db, &shop.tenant, case.id, &ctx(&app)).await.unwrap();
                }
                _ => {}
            }
        }

        for case in &cases {
            let before = state_of(&app, case.id).await;
            assert_eq!(before.0, case.from.as_str());
            let actor = if case.api { Actor::Api } else { Actor::Owner(shop.seeded.owner) };
            let expected = transition(case.from, case.action, actor, case.started);
            let target = case.target.to_rfc3339();
            let status = if case.api {
                let body = match case.action {
                    Action::Reschedule => serde_json::json!({ "start": target }),
                    _ => serde_json::json!({}),
                };
                let url = app.url(&format!("/api/v1/paws/bookings/{}/{}", case.id, path(case.action)));
                let r = app.client.post(url).bearer_auth(&shop.token).json(&body).send().await.unwrap();
                let status = r.status();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                if expected.is_err() {
                    assert_eq!(body["error"]["code"], "invalid_transition", "{body}");
                }
                status
            } else {
                let url = format!("/app/paws/bookings/{}/{}", case.id, path(case.action));
                let fields: Vec<(&str, &str)> = match case.action {
                    Action::Reschedule => vec![("start", &target), ("staff_id", ""), ("block_id", "")],
                    _ => vec![],
                };
                shop.owner.post_form(&url, &fields).await.status()
            };
            let after = state_of(&app, case.id).await;
            let what = format!("{:?} {} started={} api={}", case.action, case.from, case.started, case.api);
            match expected {
                Ok(to) => {
                    let ok = if case.api { StatusCode::OK } else { StatusCode::SEE_OTHER };
                    assert_eq!(status, ok, "{what}");
                    assert_eq!(after.0, to.as_str(), "{what}");
                    assert_eq!(after.2, before.2 + 1, "{what}: one event");
                    if case.action == Action::Reschedule {
                        assert_eq!(after.1, case.target.timestamp(), "{what}");
                    }
                    let last: String = sqlx::query_scalar(
                        "select action from booking_events where booking_id = $1 order by id desc limit 1",
                    )
                    .bind(case.id)
                    .fetch_one(app.db().pool())
                    .await
                    .unwrap();
                    assert_eq!(last, case.action.event(), "{what}");
                }
                Err(_) => {
                    assert_eq!(status, StatusCode::CONFLICT, "{what}");
                    assert_eq!(after, before, "{what}: nothing changed");
                }
            }
        }
    })
    .await;
}

/// The outbox rows and booking events written since `mark` (the highest ids before).
async fn since(
    app: &TestApp,
    mark: (i64, i64),
) -> (Vec<(String, Value)>, Vec<(i64, String, String)>) {
    let jobs: Vec<(String, String)> =
        sqlx::query_as("select queue, payload from outbox where id > $1 order by id")
            .bind(mark.0)
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let events: Vec<(i64, String, String)> = sqlx::query_as(
        "select id, action, actor_kind from booking_events where id > $1 order by id",
    )
    .bind(mark.1)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let jobs = jobs.into_iter().map(|(q, p)| (q, serde_json::from_str(&p).unwrap())).collect();
    (jobs, events)
}

async fn mark(app: &TestApp) -> (i64, i64) {
    let outbox: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from outbox")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let events: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from booking_events")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    (outbox, events)
}

/// Asserts one event of `action` by `actor_kind` and exactly one `booking_notice` for it
/// (or none), and returns the booking's id.
async fn expect_change(
    app: &TestApp,
    mark: (i64, i64),
    action: &str,
    actor_kind: &str,
    notice: Option<&str>,
) -> i64 {
    let (jobs, events) = since(app, mark).await;
    assert_eq!(events.len(), 1, "{action}: {events:?}");
    let (event_id, got_action, got_actor) = &events[0];
    assert_eq!((got_action.as_str(), got_actor.as_str()), (action, actor_kind));
    let booking: i64 = sqlx::query_scalar("select booking_id from booking_events where id = $1")
        .bind(event_id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    match notice {
        Some(kind) => {
            assert_eq!(jobs.len(), 1, "{action}: {jobs:?}");
            assert_eq!(jobs[0].0, "booking_notice");
            let payload = &jobs[0].1;
            assert_eq!(payload["booking_id"], booking);
            assert_eq!(payload["event"], kind);
            assert_eq!(payload["event_id"], *event_id);
        }
        None => assert!(jobs.is_empty(), "{action}: {jobs:?}"),
    }
    booking
}

#[tokio::test]
async fn every_surface_writes_one_event_and_the_jobs_of_that_event() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let shop = shop(&app).await;
        let start = |h: u32| at(10, h, 0).to_rfc3339();

        // Public page: hold, then details.
        let m = mark(&app).await;
        let guest = app.browser();
        let hold = [("start", start(9)), ("staff_id", String::new()), ("block_id", String::new())];
        let hold: Vec<(&str, &str)> = hold.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = guest.post_form("/book/paws/services/groom/hold", &hold).await;
        assert_eq!(location(&r), "/book/paws/details");
        assert!(
            guest.page("/book/paws/details").await.contains("GBP 25.00"),
            "price on the details step"
        );
        let details = [
            ("name", "Gus Guest"),
            ("email", "gus@example.com"),
            ("phone", "+44 7700 900123"),
            ("notes", ""),
        ];
        let r = guest.post_form("/book/paws/details", &details).await;
        assert_eq!(location(&r), "/book/paws/done");
        assert!(
            guest.page("/book/paws/done").await.contains("GBP 25.00"),
            "price on the confirmation"
        );
        expect_change(&app, m, "created", "guest", Some("confirmed")).await;

        // Portal.
        app.seed_client(&shop.seeded, "Kim Client", "kim@paws.example", true).await;
        let kim = app.browser();
        kim.login("kim@paws.example", PASSWORD).await;
        let m = mark(&app).await;
        let hold = [("start", start(10)), ("staff_id", String::new()), ("block_id", String::new())];
        let hold: Vec<(&str, &str)> = hold.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = kim.post_form("/portal/paws/bookings/new/groom/hold", &hold).await;
        assert_eq!(location(&r), "/portal/paws/bookings/confirm");
        let r = kim.post_form("/portal/paws/bookings/confirm", &[("notes", "")]).await;
        assert!(location(&r).starts_with("/portal/paws/bookings/"), "{}", location(&r));
        let portal_booking = expect_change(&app, m, "created", "client", Some("confirmed")).await;
        let page = kim.page(&format!("/portal/paws/bookings/{portal_booking}")).await;
        assert!(page.contains("GBP 25.00"), "price in the portal");

        // Dashboard: the owner books for Jo.
        let page = shop
            .owner
            .page(&format!(
                "/app/paws/bookings/new?client={}&service=groom&date=2026-12-10",
                shop.jo.get()
            ))
            .await;
        let marker = format!("value=\"{}", at(10, 11, 0).to_rfc3339());
        let from = page.find(&marker).expect("11:00 offered") + "value=\"".len();
        let option = &page[from..from + page[from..].find('"').unwrap()];
        let m = mark(&app).await;
        let fields = [
            ("client", shop.jo.get().to_string()),
            ("service", "groom".into()),
            ("option", option.to_owned()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = shop.owner.post_form("/app/paws/bookings/new", &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let dashboard_booking = expect_change(&app, m, "created", "owner", Some("confirmed")).await;

        // API.
        let m = mark(&app).await;
        let body =
            serde_json::json!({ "service": "groom", "start": start(12), "client_id": shop.jo.get() });
        let r = app
            .client
            .post(app.url("/api/v1/paws/bookings"))
            .bearer_auth(&shop.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let api_booking = expect_change(&app, m, "created", "api", Some("confirmed")).await;

        // Changes: reschedule through the API, cancel in the portal and on the dashboard,
        // complete through the API (no notice for attendance).
        let m = mark(&app).await;
        let body = serde_json::json!({ "start": start(14) });
        let r = app
            .client
            .post(app.url(&format!("/api/v1/paws/bookings/{api_booking}/reschedule")))
            .bearer_auth(&shop.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        expect_change(&app, m, "rescheduled", "api", Some("rescheduled")).await;
        sqlx::query("update clients set can_self_reschedule = 1 where email = 'kim@paws.example'")
            .execute(app.db().pool())
            .await
            .unwrap();
        let m = mark(&app).await;
        let r = kim.post_form(&format!("/portal/paws/bookings/{portal_booking}/cancel"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        expect_change(&app, m, "cancelled", "client", Some("cancelled")).await;
        let m = mark(&app).await;
        let r = shop
            .owner
            .post_form(&format!("/app/paws/bookings/{dashboard_booking}/cancel"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        expect_change(&app, m, "cancelled", "owner", Some("cancelled")).await;
        app.clock.set(at(10, 15, 0));
        shop.owner.login(&shop.seeded.owner_email, PASSWORD).await;
        let m = mark(&app).await;
        let r = app
            .client
            .post(app.url(&format!("/api/v1/paws/bookings/{api_booking}/complete")))
            .bearer_auth(&shop.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        expect_change(&app, m, "completed", "api", None).await;

        // Series: the owner's series books occurrences as Portico, with no email each.
        let m = mark(&app).await;
        let fields = [
            ("service", "groom"),
            ("mo", "on"),
            ("time", "16:00"),
            ("starts_on", "2026-12-14"),
            ("interval_weeks", "1"),
            ("ends", "count"),
            ("count", "2"),
        ];
        let r =
            shop.owner.post_form(&format!("/app/paws/clients/{}/series", shop.jo.get()), &fields).await;
        assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
        let r = shop.owner.page(&location(&r)).await;
        let (jobs, events) = since(&app, m).await;
        assert!(jobs.is_empty(), "series occurrences send no notices: {jobs:?}");
        let kinds: BTreeSet<(String, String)> =
            events.into_iter().map(|(_, a, k)| (a, k)).collect();
        assert_eq!(kinds, BTreeSet::from([("created".to_owned(), "system".to_owned())]), "{r:?}");
    })
    .await;
}

/// A PRO booking queues its Google Calendar sync only where Google is configured: without an
/// OAuth client no calendar can be connected, and the job would only find nothing to do.
#[tokio::test]
async fn a_pro_booking_queues_a_calendar_sync_only_where_google_is_configured() {
    matrix(|backend| async move {
        let google = portico_testkit::FakeGoogle::start().await;
        for configured in [false, true] {
            let app = if configured {
                TestApp::spawn_with(backend, |sources| google.configure(sources)).await
            } else {
                TestApp::spawn(backend).await
            };
            let t = app.seed_tenant("paws", Plan::Pro).await;
            let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
            let alex = app.seed_staff_member(t.id, "Alex", &[&groom]).await;
            app.seed_hours(t.id, Some(alex), 8 * 60, 18 * 60).await;
            let (jo, _) = app.seed_client(&t, "Jo Client", "jo@paws.example", false).await;
            let token = app.api_token(t.id).await;
            let m = mark(&app).await;
            let body = serde_json::json!({
                "service": "groom", "start": at(10, 9, 0).to_rfc3339(), "client_id": jo.get()
            });
            let (status, _) = app.api_post("/api/v1/paws/bookings", &token, &body).await;
            assert_eq!(status, StatusCode::CREATED);
            let (jobs, _) = since(&app, m).await;
            let queues: Vec<&str> = jobs.iter().map(|(q, _)| q.as_str()).collect();
            let expected: &[&str] =
                if configured { &["calendar_sync", "booking_notice"] } else { &["booking_notice"] };
            assert_eq!(queues, expected, "Google configured: {configured}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_notice_job_that_dies_after_the_first_email_sends_each_recipient_once() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Pro).await;
        let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
        let alex = app.seed_staff_member(t.id, "Alex", &[&groom]).await;
        sqlx::query("update staff_members set email = 'alex@paws.example' where id = $1")
            .bind(alex.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        app.seed_hours(t.id, Some(alex), 8 * 60, 18 * 60).await;
        let (jo, _) = app.seed_client(&t, "Jo Client", "jo@paws.example", false).await;
        let token = app.api_token(t.id).await;
        let body = serde_json::json!({ "service": "groom", "start": at(10, 9, 0).to_rfc3339(), "client_id": jo.get() });
        let (status, _) = app.api_post("/api/v1/paws/bookings", &token, &body).await;
        assert_eq!(status, StatusCode::CREATED);

        // The first email goes out, the second is refused (temporarily): the job fails.
        app.mail.set_reject_after(1, 451);
        let now = app.clock.now_ts();
        let rows = outbox::claim(app.db(), "test", now, now + 60, 10).await.unwrap();
        let rows: Vec<_> = rows.into_iter().filter(|r| r.queue == "booking_notice").collect();
        assert_eq!(rows.len(), 1);
        let deps = app.deps();
        let first = portico_workers::dispatch(&deps, &rows[0].queue, &rows[0].payload).await;
        assert!(first.is_err(), "the job must fail so it is retried");
        assert_eq!(app.mail.messages().len(), 1);
        // The retry (at-least-once delivery) sends only what was not sent, and records both
        // of its emails in one write; a third run sends nothing.
        let statements = app.db().ledger().statements();
        portico_workers::dispatch(&deps, &rows[0].queue, &rows[0].payload).await.unwrap();
        assert_eq!(app.mail.messages().len(), 3);
        assert_eq!(app.db().ledger().statements() - statements, 1);
        portico_workers::dispatch(&deps, &rows[0].queue, &rows[0].payload).await.unwrap();
        let mut to: Vec<String> = app.mail.messages().iter().flat_map(|m| m.rcpt_to.clone()).collect();
        to.sort();
        assert_eq!(to, ["alex@paws.example", "jo@paws.example", "owner@paws.example"]);
    })
    .await;
}

/// A PRO business `paws` with a 60-minute service, open 08:00–18:00, and a guest's booking
/// on 10 December at 09:00 made through the workflow (its jobs left in the outbox).
async fn guest_booked(app: &TestApp) -> (Tenant, portico_store::bookings::Booking) {
    let t = app.seed_tenant("paws", Plan::Pro).await;
    let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
    app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
    let tenant = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
    let ctx = Context::new(Actor::Api, "", app.clock.now());
    let slot = Slot { start: at(10, 9, 0), staff: None, block: None };
    let party =
        Party::Guest { name: "G".into(), email: "g@x.example".into(), phone: String::new() };
    let new = NewBooking {
        service: &groom,
        slot,
        party,
        notes: String::new(),
        hold_token: None,
        address: String::new(),
    };
    let booking = portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.unwrap();
    (tenant, booking)
}

#[tokio::test]
async fn deliveries_recorded_at_once_are_written_together_and_each_once() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, _) = guest_booked(&app).await;
        let event = app.count("select max(id) from booking_events").await;

        // Twenty jobs record a delivery at the same moment: the first writes its row, the
        // others queue behind it and go in the next statement — not one statement each.
        let before = app.db().ledger().statements();
        let now = app.clock.now_ts();
        let recipients: Vec<String> = (0..20).map(|n| format!("party:r{n}@x.example")).collect();
        let marks = recipients.iter().map(|to| {
            let (db, tenant) = (app.db(), &tenant);
            async move {
                portico_store::bookings::events::mark_delivered(db, tenant, event, &[("email", to)], now)
                    .await
            }
        });
        for done in futures::future::join_all(marks).await {
            done.unwrap();
        }
        let statements = app.db().ledger().statements() - before;
        assert!(statements <= 3, "{statements} statements for 20 deliveries");
        let stored = "select count(*) from notice_deliveries where channel = 'email' and recipient like 'party:r%'";
        assert_eq!(app.count(stored).await, 20);
        for to in &recipients {
            let sent = portico_store::bookings::events::delivered(app.db(), &tenant, event, "email", to);
            assert!(sent.await.unwrap(), "{to}");
        }
        // Recorded again (a retried job): still once each.
        let again = recipients.iter().take(5).map(|to| {
            let (db, tenant) = (app.db(), &tenant);
            async move {
                portico_store::bookings::events::mark_delivered(db, tenant, event, &[("email", to)], now)
                    .await
            }
        });
        for done in futures::future::join_all(again).await {
            done.unwrap();
        }
        assert_eq!(app.count(stored).await, 20);
    })
    .await;
}

/// A notice's delivery record (a batched background write) does not queue behind every
/// booking waiting to write: on SQLite it waits for the write transaction at the writer and goes
/// before the ones still waiting for their turn; on PostgreSQL it waits for none.
#[tokio::test]
async fn a_delivery_record_goes_before_write_transactions_still_waiting_for_their_turn() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, _) = guest_booked(&app).await;
        let event = app.count("select max(id) from booking_events").await;
        let recorded =
            "select count(*) from notice_deliveries where recipient = 'party:q@x.example'";
        let single_writer = app.db().write_excludes_writers();

        // One write transaction open; three more begun behind it, each noting on its first
        // read whether the delivery was recorded by then.
        let held = app.db().begin_write().await.unwrap();
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let db = app.db().clone();
                tokio::spawn(async move {
                    let mut tx = db.begin_write().await.unwrap();
                    let seen: i64 = sqlx::query_scalar(recorded).fetch_one(&mut *tx).await.unwrap();
                    tx.commit().await.unwrap();
                    seen
                })
            })
            .collect();
        if single_writer {
            let waiting = || async { (app.db().write_transactions_waiting() == 3).then_some(()) };
            wait_for("three write transactions waiting", Duration::from_secs(5), waiting).await;
        }
        let db = app.db().clone();
        let now = app.clock.now_ts();
        let tenant_ = tenant.clone();
        let statements = app.db().ledger().statements();
        let record = tokio::spawn(async move {
            let sent = [("email", "party:q@x.example")];
            bookings::events::mark_delivered(&db, &tenant_, event, &sent, now).await
        });
        if !single_writer {
            record.await.unwrap().unwrap();
            assert_eq!(app.count(recorded).await, 1, "recorded while a write transaction is open");
            held.commit().await.unwrap();
            for seen in futures::future::join_all(queued).await {
                seen.unwrap();
            }
            return;
        }
        // The record is at the writer, behind the transaction that got its turn first.
        let started = || async { (app.db().ledger().statements() > statements).then_some(()) };
        wait_for("the delivery record's statement", Duration::from_secs(5), started).await;
        held.commit().await.unwrap();
        record.await.unwrap().unwrap();
        let mut seen: Vec<i64> =
            futures::future::join_all(queued).await.into_iter().map(Result::unwrap).collect();
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 1], "only the transaction already at the writer went first");
    })
    .await;
}

/// Manage links minted at the same moment (notices and reminders run many at once) go in
/// together, and each caller learns its own row's outcome: every link opens its booking, and
/// another tenant's booking id in the same batch gets no link without failing the others.
#[tokio::test]
async fn manage_links_minted_at_once_are_inserted_together_each_for_its_own_tenant() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (paws, booking) = guest_booked(&app).await;
        app.seed_tenant("cats", Plan::Free).await;
        let cats = tenants::by_slug(app.db(), "cats").await.unwrap().unwrap();
        let now = app.clock.now_ts();
        let expires = now + 86_400;

        let before = app.db().links().statements();
        let db = app.db();
        let mints = (0..20).map(|_| bookings::create_link(db, &paws, booking.id, expires, now));
        let foreign = bookings::create_link(db, &cats, booking.id, expires, now);
        let (links, foreign) = tokio::join!(futures::future::join_all(mints), foreign);
        let statements = app.db().links().statements() - before;
        assert!(statements <= 3, "{statements} statements for 21 links");
        assert!(foreign.is_err(), "another tenant's booking gets no link");
        let links: Vec<String> = links.into_iter().map(Result::unwrap).collect();
        assert_eq!(links.iter().collect::<BTreeSet<_>>().len(), 20, "each link its own token");
        assert_eq!(app.count("select count(*) from booking_links").await, 20);
        for token in &links {
            let opened = bookings::by_link(db, &paws, token, now).await.unwrap();
            assert_eq!(opened.map(|b| b.id), Some(booking.id));
            assert!(bookings::by_link(db, &cats, token, now).await.unwrap().is_none());
        }
    })
    .await;
}

/// The notice job's one read: the booking, its calendar sequence as of the job's event,
/// whether the event's ledger has rows and the tenant's version part 0 — and nothing of
/// another tenant's booking.
#[tokio::test]
async fn a_notice_reads_booking_sequence_and_ledger_state_at_once() {
    use portico_store::bookings::events;
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, booking) = guest_booked(&app).await;
        let other = app.seed_tenant("mews", Plan::Free).await;
        let ctx = Context::new(Actor::Api, "", app.clock.now());
        let moved = Slot { start: at(10, 11, 0), staff: None, block: None };
        portico_core::bookings::reschedule(app.db(), &tenant, booking.id.get(), &moved, &ctx)
            .await
            .unwrap();
        let ids: Vec<i64> = sqlx::query_scalar("select id from booking_events order by id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
        let (created, rescheduled) = (ids[0], ids[1]);

        let read = |event| events::for_notice(app.db(), tenant.id.get(), booking.id.get(), event);
        let first = read(Some(created)).await.unwrap().expect("the booking");
        assert_eq!((first.booking.id, first.sequence, first.delivered), (booking.id, 0, false));
        assert_eq!(first.booking.start(), at(10, 11, 0), "the booking as it is now");
        let second = read(Some(rescheduled)).await.unwrap().unwrap();
        assert_eq!((second.sequence, second.delivered), (1, false));
        assert_eq!(read(None).await.unwrap().unwrap().sequence, 1, "all events");
        let seen = versions::by_slug(app.db(), "paws").await.unwrap().unwrap();
        assert_eq!(second.tenant_base, seen.base);

        // Once one message of the event went out, the job knows to read its ledger.
        let now = app.clock.now_ts();
        events::mark_delivered(
            app.db(),
            &tenant,
            rescheduled,
            &[("email", "party:g@x.example")],
            now,
        )
        .await
        .unwrap();
        assert!(read(Some(rescheduled)).await.unwrap().unwrap().delivered);
        assert!(!read(Some(created)).await.unwrap().unwrap().delivered, "per event");

        // Another tenant's id reads nothing.
        let foreign =
            events::for_notice(app.db(), other.id.get(), booking.id.get(), Some(rescheduled));
        assert!(foreign.await.unwrap().is_none());
    })
    .await;
}

/// Every outbox write goes through `portico_jobs::enqueue*`, whose first argument is the
/// caller's transaction; the store's raw insert is called from nowhere else.
#[test]
fn no_code_writes_the_outbox_outside_a_transaction() {
    let offenders: Vec<String> = crate::source::production_files()
        .into_iter()
        .filter(|(path, text)| {
            let allowed =
                path.ends_with("jobs/src/lib.rs") || path.ends_with("store/src/outbox.rs");
            !allowed && (text.contains("outbox::insert(") || text.contains("insert into outbox"))
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "outbox written outside portico_jobs::enqueue: {offenders:?}");
    let jobs = crate::source::read("crates/jobs/src/lib.rs");
    assert!(jobs.contains("pub async fn enqueue<J: Job>(tx: &mut Tx,"));
    assert!(jobs.contains("pub async fn enqueue_all(tx: &mut Tx,"));
    assert!(jobs.contains("pub fn enqueue_at_commit(tx: &mut ScheduleTx,"));
}

#[tokio::test]
async fn a_corrupt_stored_status_fails_the_read_naming_the_column() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let shop = shop(&app).await;
        let id = book(&app, &shop, at(10, 9, 0), Actor::System).await;
        sqlx::query("update bookings set status = 'lost' where id = $1")
            .bind(id)
            .execute(app.db().pool())
            .await
            .unwrap();
        let error = portico_store::bookings::get(app.db(), &shop.tenant, id).await.unwrap_err();
        let text = format!("{error:#}");
        assert!(text.contains("bookings.status") && text.contains("lost"), "{text}");
        let r = app
            .client
            .get(app.url(&format!("/api/v1/paws/bookings/{id}")))
            .bearer_auth(&shop.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "never a silent default");

        // An instant that is no date is refused the same way, never read as 1970.
        let other = book(&app, &shop, at(10, 11, 0), Actor::System).await;
        sqlx::query("update bookings set starts_at = $1 where id = $2")
            .bind(i64::MAX)
            .bind(other)
            .execute(app.db().pool())
            .await
            .unwrap();
        let error = portico_store::bookings::get(app.db(), &shop.tenant, other).await.unwrap_err();
        let text = format!("{error:#}");
        assert!(text.contains("bookings.starts_at") && text.contains("not a date"), "{text}");
    })
    .await;
}

/// `allow_overlap` on a block's capacity: without it a client (or a guest's email) holds at
/// most one place in the block; with it, several.
#[tokio::test]
async fn a_client_takes_one_place_in_a_block_unless_it_allows_overlap() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(t.id, "walk", Mode::Block, 60).await;
        let block = app.seed_block(t.id, at(10, 0, 0).date_naive(), 9 * 60, 11 * 60, &walk, 3).await;
        let (jo, _) = app.seed_client(&t, "Jo Client", "jo@paws.example", false).await;
        let token = app.api_token(t.id).await;
        let start = at(10, 9, 0).to_rfc3339();
        let book = |party: Value| {
            let mut body = serde_json::json!({ "service": "walk", "start": start, "block_id": block });
            body.as_object_mut().unwrap().extend(party.as_object().unwrap().clone());
            let request = app.client.post(app.url("/api/v1/paws/bookings")).bearer_auth(&token).json(&body);
            async move {
                let r = request.send().await.unwrap();
                let status = r.status();
                (status, r.json::<Value>().await.unwrap())
            }
        };
        let client = serde_json::json!({ "client_id": jo.get() });
        let guest = |email: &str| serde_json::json!({ "guest": { "name": "Gus", "email": email, "phone": "+44 7700 900123" } });

        assert_eq!(book(client.clone()).await.0, StatusCode::CREATED);
        let (status, body) = book(client.clone()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_booked")));
        assert_eq!(book(guest("gus@example.com")).await.0, StatusCode::CREATED);
        let (status, body) = book(guest("Gus@Example.com")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_booked")));
        let taken = format!("select count(*) from bookings where block_id = {block}");
        assert_eq!(app.count(&taken).await, 2);

        sqlx::query("update block_capacities set allow_overlap = 1 where block_id = $1")
            .bind(block)
            .execute(app.db().pool())
            .await
            .unwrap();
        assert_eq!(book(client).await.0, StatusCode::CREATED, "overlap allowed: a second place");
        assert_eq!(app.count(&taken).await, 3);
    })
    .await;
}

/// A client the business booked who has no portal login gets a manage link that works without
/// logging in; a client with a login gets the portal link.
#[tokio::test]
async fn a_client_without_a_login_manages_the_booking_through_an_emailed_link() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let shop = shop(&app).await;
        let body = serde_json::json!({ "service": "groom", "start": at(10, 9, 0).to_rfc3339(), "client_id": shop.jo.get() });
        let r = app.client.post(app.url("/api/v1/paws/bookings")).bearer_auth(&shop.token).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("jo@paws.example", std::time::Duration::from_secs(10)).await;
        assert!(mail.first_link_containing("/portal/").is_none(), "no login, no portal link");
        assert!(mail.text_body().contains("GBP 25.00"), "price in the email");
        let link = mail.first_link_containing("/book/paws/manage/").expect("a manage link");
        let path = link.split_once("/book/").map(|(_, p)| format!("/book/{p}")).unwrap();

        let stranger = app.browser();
        let page = stranger.page(&path).await;
        assert!(page.contains("Jo Client"), "{page}");
        let r = stranger.post_form(&format!("{path}/cancel"), &[]).await;
        assert_eq!(location(&r), path);
        assert_eq!(state_of(&app, id).await.0, "cancelled");
        let actor: String = sqlx::query_scalar("select actor_kind from booking_events where booking_id = $1 order by id desc limit 1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(actor, "guest");

        // A client with a portal login is sent to the portal instead.
        let (kim, _) = app.seed_client(&shop.seeded, "Kim Client", "kim@paws.example", true).await;
        let body = serde_json::json!({ "service": "groom", "start": at(10, 11, 0).to_rfc3339(), "client_id": kim.get() });
        let r = app.client.post(app.url("/api/v1/paws/bookings")).bearer_auth(&shop.token).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("kim@paws.example", std::time::Duration::from_secs(10)).await;
        assert!(mail.first_link_containing("/portal/paws/bookings/").is_some());
        assert!(mail.first_link_containing("/manage/").is_none());
    })
    .await;
}

/// The outbox and audit rows a booking event hands to its schedule transaction are written by
/// its commit (on PostgreSQL in the one statement with the version bump), in order, and not at
/// all when it is dropped.
#[tokio::test]
async fn rows_handed_to_a_schedule_transaction_are_written_by_its_commit_only() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let jobs = [
            outbox::NewJob { queue: "first", payload: "{\"n\":1}".to_owned() },
            outbox::NewJob { queue: "second", payload: "{\"n\":2}".to_owned() },
        ];
        let entry = portico_store::audit::Entry {
            tenant: Some(tenant.id),
            actor: None,
            action: "booking.deferred",
            detail: "at commit".to_owned(),
            ip: "192.0.2.7",
        };
        let audited = |app: &TestApp| {
            let db = app.db().clone();
            async move {
                portico_store::audit::for_tenant(&db, tenant.id, 50)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|line| line.action == "booking.deferred")
                    .map(|line| (line.detail, line.ip, line.created_at))
                    .collect::<Vec<_>>()
            }
        };
        let version = versions::current(app.db(), tenant.id).await.unwrap();
        let before = mark(&app).await;

        let mut tx = versions::begin(app.db(), tenant.id).await.unwrap();
        portico_jobs::enqueue_at_commit(&mut tx, &jobs, 70);
        tx.audit_at_commit(&entry, 71);
        drop(tx);
        assert!(since(&app, before).await.0.is_empty(), "dropped: no outbox rows");
        assert!(audited(&app).await.is_empty(), "dropped: no audit row");
        assert_eq!(versions::current(app.db(), tenant.id).await.unwrap(), version);

        let mut tx = versions::begin(app.db(), tenant.id).await.unwrap();
        portico_jobs::enqueue_at_commit(&mut tx, &jobs[..1], 70);
        tx.audit_at_commit(&entry, 71);
        portico_jobs::enqueue_at_commit(&mut tx, &jobs[1..], 72);
        tx.commit().await.unwrap();
        let (written, _) = since(&app, before).await;
        let queues: Vec<(&str, &Value)> =
            written.iter().map(|(q, p)| (q.as_str(), &p["n"])).collect();
        assert_eq!(queues, [("first", &Value::from(1)), ("second", &Value::from(2))]);
        let times: Vec<i64> =
            sqlx::query_scalar("select created_at from outbox where id > $1 order by id")
                .bind(before.0)
                .fetch_all(app.db().pool())
                .await
                .unwrap();
        assert_eq!(times, [70, 72]);
        assert_eq!(audited(&app).await, [("at commit".to_owned(), "192.0.2.7".to_owned(), 71)]);
        assert_eq!(versions::current(app.db(), tenant.id).await.unwrap(), version + 1);
    })
    .await;
}
