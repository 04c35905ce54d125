//! No overbooking, ever: concurrent requests over real HTTP against a real database.

use chrono::{NaiveDate, TimeZone as _, Utc};
use futures::future::join_all;
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn tomorrow() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

/// Sends all requests at once; returns their statuses and bodies.
async fn fire(
    app: &TestApp,
    token: &str,
    path: &str,
    bodies: Vec<Value>,
) -> Vec<(StatusCode, Value)> {
    let requests = bodies.into_iter().map(|body| {
        let request = app.client.post(app.url(path)).bearer_auth(token).json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    });
    join_all(requests).await
}

fn guest(n: usize) -> Value {
    json!({ "name": format!("Guest {n}"), "email": format!("guest{n}@example.com"), "phone": "+44 7700 900000" })
}

async fn occupying(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from bookings where status in ('pending', 'confirmed')")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn fifty_requests_for_a_block_of_five_give_exactly_five_bookings() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let block = app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 5).await;
        let token = app.api_token(tenant.id).await;

        let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap().to_rfc3339();
        let bodies = (0..50)
            .map(|n| json!({ "service": "walk", "start": start, "block_id": block, "guest": guest(n) }))
            .collect();
        let results = fire(&app, &token, "/api/v1/paws/bookings", bodies).await;

        let created = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let refused: Vec<_> = results.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).collect();
        assert!(results.iter().all(|(s, _)| !s.is_server_error()), "no 5xx: {results:?}");
        assert_eq!(created, 5, "exactly the capacity");
        assert_eq!(refused.len(), 45);
        assert!(refused.iter().all(|(_, body)| body["error"]["code"] == "unavailable"));
        assert_eq!(occupying(&app).await, 5);
    })
    .await;
}

#[tokio::test]
async fn thirty_overlapping_requests_for_one_staff_member_give_exactly_one_booking() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let short = app.seed_service(tenant.id, "short", Mode::Slot, 30).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let long = app.seed_service(tenant.id, "long", Mode::Slot, 90).await;
        let sam = app.seed_staff_member(tenant.id, "Sam", &[&short, &walk, &long]).await;
        app.seed_hours(tenant.id, Some(sam), 8 * 60, 18 * 60).await;
        let token = app.api_token(tenant.id).await;

        // Every request contains 10:15–10:45, so any two overlap.
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0).unwrap().to_rfc3339();
        let shapes =
            [("short", at(10, 15)), ("walk", at(10, 0)), ("long", at(9, 30)), ("walk", at(9, 45))];
        let bodies = (0..30)
            .map(|n| {
                let (service, start) = &shapes[n % shapes.len()];
                json!({ "service": service, "start": start, "staff_id": sam, "guest": guest(n) })
            })
            .collect();
        let results = fire(&app, &token, "/api/v1/paws/bookings", bodies).await;
        assert!(results.iter().all(|(s, _)| !s.is_server_error()), "no 5xx: {results:?}");
        assert_eq!(results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 1);
        assert_eq!(results.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).count(), 29);
        assert_eq!(occupying(&app).await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_reschedule_racing_new_bookings_for_the_last_place_never_exceeds_capacity() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let morning = app.seed_block(tenant.id, tomorrow(), 9 * 60, 10 * 60, &walk, 2).await;
        let afternoon = app.seed_block(tenant.id, tomorrow(), 14 * 60, 15 * 60, &walk, 2).await;
        let token = app.api_token(tenant.id).await;
        let nine = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap().to_rfc3339();
        let two = Utc.with_ymd_and_hms(2026, 12, 2, 14, 0, 0).unwrap().to_rfc3339();

        // One place left in the morning; a booking in the afternoon wants to move there.
        let first = fire(&app, &token, "/api/v1/paws/bookings", vec![json!({ "service": "walk", "start": nine, "block_id": morning, "guest": guest(0) })]).await;
        assert_eq!(first[0].0, StatusCode::CREATED);
        let moving = fire(&app, &token, "/api/v1/paws/bookings", vec![json!({ "service": "walk", "start": two, "block_id": afternoon, "guest": guest(1) })]).await;
        let moving_id = moving[0].1["id"].as_i64().unwrap();

        let reschedule = app
            .client
            .post(app.url(&format!("/api/v1/paws/bookings/{moving_id}/reschedule")))
            .bearer_auth(&token)
            .json(&json!({ "start": nine, "block_id": morning }))
            .send();
        let newcomers = fire(
            &app,
            &token,
            "/api/v1/paws/bookings",
            (2..12).map(|n| json!({ "service": "walk", "start": nine, "block_id": morning, "guest": guest(n) })).collect(),
        );
        let (rescheduled, newcomers) = tokio::join!(reschedule, newcomers);
        let rescheduled = rescheduled.unwrap().status();
        assert!(!rescheduled.is_server_error());
        assert!(newcomers.iter().all(|(s, _)| !s.is_server_error()));

        let in_morning: i64 = sqlx::query_scalar("select count(*) from bookings where block_id = $1 and status = 'confirmed'")
            .bind(morning)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(in_morning, 2, "the last place went to exactly one of them");
        let winners = newcomers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count()
            + usize::from(rescheduled == StatusCode::OK);
        assert_eq!(winners, 1);
    })
    .await;
}

/// A booking takes its lock before its re-check reads anything (on PostgreSQL with the
/// `BEGIN` itself): while another transaction holds the staff member's row, the booking waits,
/// and its re-check then sees what that transaction committed — here, that the staff member
/// no longer takes bookings.
#[tokio::test]
async fn a_booking_waits_for_the_staff_members_lock_and_then_sees_the_change() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let sam = app.seed_staff_member(tenant.id, "Sam", &[&walk]).await;
        app.seed_hours(tenant.id, Some(sam), 8 * 60, 18 * 60).await;
        let token = app.api_token(tenant.id).await;

        let mut held = app.db().begin_write().await.unwrap();
        sqlx::query("update staff_members set active = 0 where id = $1")
            .bind(sam.get())
            .execute(&mut *held)
            .await
            .unwrap();
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap().to_rfc3339();
        let body = json!({ "service": "walk", "start": start, "staff_id": sam, "guest": guest(1) });
        let booking = tokio::spawn(
            app.client
                .post(app.url("/api/v1/paws/bookings"))
                .bearer_auth(&token)
                .json(&body)
                .send(),
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!booking.is_finished(), "the booking waits for the staff member's lock");
        held.commit().await.unwrap();

        let response = booking.await.unwrap().expect("request");
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(occupying(&app).await, 0);
    })
    .await;
}
