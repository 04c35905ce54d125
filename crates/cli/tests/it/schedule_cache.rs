//! Availability is served from the tenant's schedule kept in memory, invalidated by the
//! schedule version every write bumps in its transaction: a change is visible to the very next
//! availability request, in this process and in another one on the same database.

use std::time::Duration;

use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use portico_domain::TenantId;
use portico_domain::plans::Plan;
use portico_store::blocks::{self, BlockFields, CapacityFields};
use portico_store::catalog::Mode;
use portico_store::hours::{self, HourRange};
use portico_store::{schedule_cache, versions};
use portico_testkit::{TestApp, matrix, wait_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WALKS: &str = "/api/v1/paws/availability?service=walk&date=2026-12-02";
const RUNS: &str = "/api/v1/paws/availability?service=run&date=2026-12-02";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn wednesday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

/// The option starts of an availability answer, as `HH:MM` UTC (London is UTC in December).
async fn starts(app: &TestApp, path: &str) -> Vec<String> {
    let (status, body) = app.api_get(path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    crate::availability::starts(&body)
}

/// Remaining places per option of an answer.
async fn remaining(app: &TestApp, path: &str) -> Vec<i64> {
    let (_, body) = app.api_get(path, None).await;
    body["options"].as_array().unwrap().iter().map(|o| o["remaining"].as_i64().unwrap()).collect()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response =
        app.client.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn guest() -> Value {
    json!({ "name": "Jo Guest", "email": "jo@example.com", "phone": "+44 7700 900123" })
}

/// Wednesday hours of the owner, from and until whole hours.
async fn wednesday_hours(app: &TestApp, tenant: TenantId, until: i64) {
    let range = HourRange { weekday: 3, start_minute: 9 * 60, end_minute: until * 60 };
    hours::replace_weekly(app.db(), tenant, None, &[range]).await.unwrap();
}

fn has(list: &[String], time: &str) -> bool {
    list.iter().any(|t| t == time)
}

#[tokio::test]
async fn every_schedule_change_shows_in_the_very_next_availability_request() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let token = app.api_token(tenant.id).await;
        wednesday_hours(&app, tenant.id, 12).await;
        let first = starts(&app, WALKS).await;
        assert_eq!(first.len(), 9, "09:00 to 11:00 every 15 minutes: {first:?}");
        assert_eq!(starts(&app, WALKS).await, first, "asked again, answered the same");

        // A booking.
        let body = json!({ "service": "walk", "start": "2026-12-02T09:00:00Z", "guest": guest() });
        let (status, booking) = post(&app, &token, "/api/v1/paws/bookings", body).await;
        assert_eq!(status, StatusCode::CREATED, "{booking}");
        let now = starts(&app, WALKS).await;
        assert!(!has(&now, "09:00") && !has(&now, "09:45") && has(&now, "10:00"), "{now:?}");

        // A cancellation frees it again.
        let cancel = format!("/api/v1/paws/bookings/{}/cancel", booking["id"]);
        let (status, body) = post(&app, &token, &cancel, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(has(&starts(&app, WALKS).await, "09:00"), "cancelled: free again");

        // A hold.
        let body = json!({ "service": "walk", "start": "2026-12-02T11:00:00Z" });
        let (status, hold) = post(&app, &token, "/api/v1/paws/holds", body).await;
        assert_eq!(status, StatusCode::CREATED, "{hold}");
        let now = starts(&app, WALKS).await;
        assert!(!has(&now, "11:00") && !has(&now, "10:15") && has(&now, "10:00"), "{now:?}");

        // Time off.
        let (from, to) = (at("2026-12-02T10:00:00Z"), at("2026-12-02T10:15:00Z"));
        let off = hours::add_time_off(
            app.db(),
            tenant.id,
            None,
            from.timestamp(),
            to.timestamp(),
            "Vet",
            0,
        )
        .await
        .unwrap();
        assert!(!has(&starts(&app, WALKS).await, "10:00"), "time off");
        hours::delete_time_off(app.db(), tenant.id, off.id).await.unwrap();
        assert!(has(&starts(&app, WALKS).await, "10:00"), "time off removed");

        // Hours.
        wednesday_hours(&app, tenant.id, 13).await;
        assert!(has(&starts(&app, WALKS).await, "12:00"), "longer hours");

        // The hold expires with time alone (no write): the cached copy keeps its expiry.
        app.clock.advance(Span::minutes(11));
        assert!(has(&starts(&app, WALKS).await, "11:00"), "the hold expired");

        // Blocks: added, then their capacity changed.
        let run = app.seed_service(tenant.id, "run", Mode::Block, 60).await;
        assert!(starts(&app, RUNS).await.is_empty());
        let block = app.seed_block(tenant.id, wednesday(), 14 * 60, 15 * 60, &run, 2).await;
        let block = blocks::get(app.db(), tenant.id, block, 0).await.unwrap().unwrap().id;
        assert_eq!(remaining(&app, RUNS).await, vec![2], "a new block");
        let fields = BlockFields {
            date: wednesday(),
            start_minute: 14 * 60,
            end_minute: 15 * 60,
            label: "Afternoon".into(),
            capacities: vec![CapacityFields {
                service_id: run.id.get(),
                capacity: 1,
                allow_overlap: false,
            }],
        };
        assert!(blocks::update(app.db(), tenant.id, block, &fields, 0).await.unwrap());
        assert_eq!(remaining(&app, RUNS).await, vec![1], "its capacity changed");
    })
    .await;
}

#[tokio::test]
async fn availability_comes_from_memory_until_the_schedule_version_moves() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        wednesday_hours(&app, tenant.id, 12).await;
        assert!(has(&starts(&app, WALKS).await, "09:00"));

        // Written behind the application's back, without the version: not read again.
        sqlx::query(
            "insert into time_off (tenant_id, staff_id, starts_at, ends_at, reason, created_at) \
             values ($1, null, $2, $3, 'raw', 0)",
        )
        .bind(tenant.id.get())
        .bind(at("2026-12-02T09:00:00Z").timestamp())
        .bind(at("2026-12-02T12:00:00Z").timestamp())
        .execute(app.db().pool())
        .await
        .unwrap();
        assert!(has(&starts(&app, WALKS).await, "09:00"), "served from memory");

        // Once the version moves, the next request reads the database again.
        let mut tx = app.db().begin_write().await.unwrap();
        versions::bump(&mut tx, tenant.id).await.unwrap();
        tx.commit().await.unwrap();
        assert!(starts(&app, WALKS).await.is_empty(), "reloaded after the bump");
    })
    .await;
}

#[tokio::test]
async fn a_refused_booking_leaves_the_schedule_version_alone() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let token = app.api_token(tenant.id).await;
        wednesday_hours(&app, tenant.id, 12).await;
        let body = json!({ "service": "walk", "start": "2026-12-02T09:00:00Z", "guest": guest() });
        let (status, _) = post(&app, &token, "/api/v1/paws/bookings", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED);
        let version = versions::current(app.db(), tenant.id).await.unwrap();

        let (status, _) = post(&app, &token, "/api/v1/paws/bookings", body).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(versions::current(app.db(), tenant.id).await.unwrap(), version);
    })
    .await;
}

#[tokio::test]
async fn a_change_through_one_instance_is_seen_by_another_on_the_same_database() {
    matrix(|backend| async move {
        let one = TestApp::spawn(backend).await;
        let url = one.config().database.url();
        let other = TestApp::spawn_with(backend, |sources| sources.set("database_url", url)).await;
        let tenant = one.seed_tenant("paws", Plan::Free).await;
        one.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let token = one.api_token(tenant.id).await;
        wednesday_hours(&one, tenant.id, 12).await;
        // Both instances have the schedule in memory.
        assert!(has(&starts(&one, WALKS).await, "09:00"));
        assert!(has(&starts(&other, WALKS).await, "09:00"));

        let body = json!({ "service": "walk", "start": "2026-12-02T09:00:00Z", "guest": guest() });
        let (status, booking) = post(&one, &token, "/api/v1/paws/bookings", body).await;
        assert_eq!(status, StatusCode::CREATED, "{booking}");
        wait_for("the other instance to see the booking", Duration::from_secs(1), || async {
            (!has(&starts(&other, WALKS).await, "09:00")).then_some(())
        })
        .await;

        // And the other way round: hours changed through the second instance.
        wednesday_hours(&other, tenant.id, 13).await;
        wait_for("the first instance to see the new hours", Duration::from_secs(1), || async {
            has(&starts(&one, WALKS).await, "12:00").then_some(())
        })
        .await;
    })
    .await;
}

/// The version parts bumped so far, `(part, version)` in part order.
async fn version_parts(app: &TestApp, tenant: TenantId) -> Vec<(i64, i64)> {
    sqlx::query_as("select part, version from schedule_versions where tenant_id = $1 order by part")
        .bind(tenant.get())
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn bookings_of_different_people_bump_their_own_version_parts_and_still_show_at_once() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let token = app.api_token(tenant.id).await;
        let sam = app.seed_staff_member(tenant.id, "Sam", &[&walk]).await;
        let kim = app.seed_staff_member(tenant.id, "Kim", &[&walk]).await;
        for person in [sam, kim] {
            app.seed_hours(tenant.id, Some(person), 9 * 60, 12 * 60).await;
        }
        let path = |person: portico_domain::StaffId| format!("{WALKS}&staff={person}");
        let setup = version_parts(&app, tenant.id).await;
        assert_eq!(setup.iter().map(|(part, _)| *part).collect::<Vec<_>>(), [0], "{setup:?}");
        let version = versions::current(app.db(), tenant.id).await.unwrap();
        assert!(has(&starts(&app, &path(sam)).await, "09:00"));
        assert!(has(&starts(&app, &path(kim)).await, "09:00"));

        for (n, person) in [sam, kim].into_iter().enumerate() {
            let body = json!({
                "service": "walk", "start": "2026-12-02T09:00:00Z",
                "staff_id": person.get(), "guest": guest(),
            });
            let (status, booking) = post(&app, &token, "/api/v1/paws/bookings", body).await;
            assert_eq!(status, StatusCode::CREATED, "{booking}");
            assert_eq!(booking["staff_id"], person.get());
            // The next request sees it, through the sum of the parts.
            assert!(!has(&starts(&app, &path(person)).await, "09:00"), "booked {person}");
            assert_eq!(
                versions::current(app.db(), tenant.id).await.unwrap(),
                version + 1 + n as i64
            );
        }
        // Each booking bumped its person's part, not the tenant's part 0.
        let mut expected = vec![setup[0], (1 + sam.get() % 16, 1), (1 + kim.get() % 16, 1)];
        expected.sort_unstable();
        if sam.get() % 16 == kim.get() % 16 {
            expected = vec![setup[0], (1 + sam.get() % 16, 2)];
        }
        assert_eq!(version_parts(&app, tenant.id).await, expected);
        // The tenant stays the one answer the cache keys on; part 0 did not move.
        let seen = versions::by_slug(app.db(), "paws").await.unwrap().unwrap();
        assert_eq!((seen.tenant, seen.base, seen.version), (tenant.id, setup[0].1, version + 2));
    })
    .await;
}

/// A guest's booking through the API, as the public page makes it (session cookie and CSRF
/// token, no bearer token).
async fn guest_books(browser: &portico_testkit::Browser, csrf: &str, start: &str) -> Value {
    let body = json!({ "service": "walk", "start": start, "guest": guest() });
    let response = browser
        .client
        .post(browser.url("/api/v1/paws/bookings"))
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_booking_reloads_the_busy_times_but_keeps_the_tenant_and_its_services_in_memory() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        wednesday_hours(&app, tenant.id, 12).await;
        let browser = app.browser();
        let csrf = browser.csrf().await;
        let first = guest_books(&browser, &csrf, "2026-12-02T09:00:00Z").await;
        assert_eq!(first["price_minor"], walk.price_minor);

        // Written behind the application's back, without the version.
        sqlx::query("update services set price_minor = 9999 where id = $1")
            .bind(walk.id.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        // The booking moved the version: the busy times are read again, the service is not.
        let second = guest_books(&browser, &csrf, "2026-12-02T10:00:00Z").await;
        assert_eq!(second["price_minor"], walk.price_minor, "the service from memory");
        assert_eq!(starts(&app, WALKS).await, ["11:00"]);

        // A change to anything but bookings moves part 0, and everything is read again.
        let mut tx = app.db().begin_write().await.unwrap();
        versions::bump(&mut tx, tenant.id).await.unwrap();
        tx.commit().await.unwrap();
        let third = guest_books(&browser, &csrf, "2026-12-02T11:00:00Z").await;
        assert_eq!(third["price_minor"], 9999);
    })
    .await;
}

#[tokio::test]
async fn saved_billing_settings_reach_the_very_next_guest_booking() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let token = app.api_token(tenant.id).await;
        wednesday_hours(&app, tenant.id, 12).await;
        let browser = app.browser();
        let csrf = browser.csrf().await;
        // Read (and kept with the schedule) while the tenant does not bill.
        guest_books(&browser, &csrf, "2026-12-02T09:00:00Z").await;
        assert_eq!(app.count("select count(*) from invoices").await, 0);

        let response = app
            .client
            .patch(app.url("/api/v1/paws/settings/billing"))
            .bearer_auth(&token)
            .json(&json!({ "bill_when": "confirmed" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let booking = guest_books(&browser, &csrf, "2026-12-02T10:00:00Z").await;
        let billed = format!(
            "select count(*) from booking_charges where booking_id = {}",
            booking["id"].as_i64().unwrap()
        );
        assert_eq!(app.count(&billed).await, 1, "billed under the new settings");
    })
    .await;
}

#[tokio::test]
async fn concurrent_requests_for_a_tenant_share_their_version_reads() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let db = app.db();
        let before = db.schedules().version_reads();

        let requests = (0..50).map(|_| schedule_cache::by_slug(db, "paws"));
        for schedule in futures::future::join_all(requests).await {
            assert_eq!(schedule.unwrap().expect("the tenant").id, tenant.id);
        }
        // The first reads at once; the others arrive while it is in flight and share the read
        // after it (or a few, as reads end while the rest are still arriving).
        let reads = db.schedules().version_reads() - before;
        assert!(reads <= 5, "{reads} version reads for 50 requests");
    })
    .await;
}
