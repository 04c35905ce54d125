//! The booking API: holds, bookings, listing, cancel, reschedule, notifications, tenancy.

use std::time::Duration;

use chrono::{Duration as Span, NaiveDate, TimeZone as _, Utc};
use portico_domain::StaffId;
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_store::staff::{self, StaffFields};
use portico_store::tenants;
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn tomorrow() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response =
        app.client.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn remaining(app: &TestApp, slug: &str) -> i64 {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/{slug}/availability?service=walk&date=2026-12-02")))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    body["options"]
        .as_array()
        .map_or(0, |o| o.iter().map(|o| o["remaining"].as_i64().unwrap_or(0)).sum())
}

#[tokio::test]
async fn a_hold_keeps_its_place_for_ten_minutes_then_frees_it() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let block = app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 1).await;
        let token = app.api_token(tenant.id).await;
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap().to_rfc3339();

        let (status, hold) = post(&app, &token, "/api/v1/paws/holds", json!({ "service": "walk", "start": start, "block_id": block })).await;
        assert_eq!(status, StatusCode::CREATED, "{hold}");
        assert_eq!(hold["expires_at"], "2026-12-01T09:10:00Z");
        let hold_token = hold["hold_token"].as_str().unwrap().to_owned();
        // The single place is held: nobody else can hold or book it.
        let (status, body) = post(&app, &token, "/api/v1/paws/holds", json!({ "service": "walk", "start": start, "block_id": block })).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("unavailable")));

        app.clock.advance(Span::seconds(9 * 60 + 59));
        let (status, _) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": start, "block_id": block, "guest": { "name": "Other", "email": "other@example.com", "phone": "123" } })).await;
        assert_eq!(status, StatusCode::CONFLICT, "still held at 9:59");

        app.clock.advance(Span::seconds(2));
        let (status, body) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": start, "block_id": block, "hold_token": hold_token, "guest": { "name": "Late", "email": "late@example.com", "phone": "123" } })).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("hold_expired")), "expired at 10:01");
        // …and the place is free again for anyone.
        let (status, _) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": start, "block_id": block, "guest": { "name": "Next", "email": "next@example.com", "phone": "123" } })).await;
        assert_eq!(status, StatusCode::CREATED);
    })
    .await;
}

#[tokio::test]
async fn a_booking_consumes_its_hold_and_notifies_everyone() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let block = app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 3).await;
        let token = app.api_token(tenant.id).await;
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap().to_rfc3339();
        assert_eq!(remaining(&app, "paws").await, 3);

        let (_, hold) = post(&app, &token, "/api/v1/paws/holds", json!({ "service": "walk", "start": start, "block_id": block })).await;
        assert_eq!(remaining(&app, "paws").await, 2, "a hold counts against capacity");
        let guest = json!({ "name": "Jo Guest", "email": "jo@example.com", "phone": "+44 7700 900123" });
        let (status, booking) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": start, "block_id": block, "hold_token": hold["hold_token"], "guest": guest, "notes": "Gate code 1234" })).await;
        assert_eq!(status, StatusCode::CREATED, "{booking}");
        assert_eq!(booking["status"], "confirmed");
        assert_eq!(booking["service"], "walk");
        assert_eq!(booking["start"], "2026-12-02T09:00:00Z");
        assert_eq!(booking["end"], "2026-12-02T12:00:00Z");
        assert_eq!(booking["block_id"], block);
        assert_eq!(remaining(&app, "paws").await, 2, "the hold became the booking: one place, not two");

        assert_eq!(app.run_pending_jobs().await, 1);
        let to_guest = app.mail.wait_for_message_to("jo@example.com", Duration::from_secs(10)).await;
        assert!(to_guest.subject().starts_with("Booked: Service walk"), "{}", to_guest.subject());
        assert!(to_guest.first_link_containing("/book/paws/manage/").is_some());
        let to_owner = app.mail.wait_for_message_to(&tenant.owner_email, Duration::from_secs(10)).await;
        assert!(to_owner.subject().starts_with("New booking"));
        assert!(to_owner.text_body().contains("Jo Guest (guest)"));
    })
    .await;
}

#[tokio::test]
async fn bookings_can_be_listed_cancelled_and_rescheduled_with_history() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let _ = walk;
        app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
        let token = app.api_token(tenant.id).await;
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 2, h, 0, 0).unwrap().to_rfc3339();
        let guest = json!({ "name": "Jo", "email": "jo@example.com", "phone": "123" });

        let (status, booking) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": at(10), "guest": guest })).await;
        assert_eq!(status, StatusCode::CREATED, "{booking}");
        let id = booking["id"].as_i64().unwrap();
        assert_eq!(booking["staff_id"], Value::Null, "FREE: the owner");
        // The owner is now busy 10–11.
        let (status, _) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": at(10), "guest": guest })).await;
        assert_eq!(status, StatusCode::CONFLICT);

        let (status, moved) = post(&app, &token, &format!("/api/v1/paws/bookings/{id}/reschedule"), json!({ "start": at(14) })).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(moved["start"], "2026-12-02T14:00:00Z");
        // 10:00 is free again.
        let (status, other) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": at(10), "guest": guest })).await;
        assert_eq!(status, StatusCode::CREATED);

        let (status, list) = get(&app, &token, "/api/v1/paws/bookings?from=2026-12-02T00:00:00Z&to=2026-12-03T00:00:00Z").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["bookings"].as_array().unwrap().len(), 2);

        let (status, cancelled) = post(&app, &token, &format!("/api/v1/paws/bookings/{}/cancel", other["id"]), json!({})).await;
        assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")));
        let (status, again) = post(&app, &token, &format!("/api/v1/paws/bookings/{}/cancel", other["id"]), json!({})).await;
        assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")));
        let (_, confirmed) = get(&app, &token, "/api/v1/paws/bookings?status=confirmed").await;
        assert_eq!(confirmed["bookings"].as_array().unwrap().len(), 1);

        let history: Vec<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "select action, from_starts_at, to_starts_at from booking_events where booking_id = $1 order by id",
        )
        .bind(id)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        let ten = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap().timestamp();
        let fourteen = Utc.with_ymd_and_hms(2026, 12, 2, 14, 0, 0).unwrap().timestamp();
        assert_eq!(history, vec![("created".into(), None, Some(ten)), ("rescheduled".into(), Some(ten), Some(fourteen))]);
    })
    .await;
}

#[tokio::test]
async fn bad_booking_requests_get_field_errors_and_change_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
        let token = app.api_token(tenant.id).await;
        let (status, body) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "nope", "start": "tomorrow at ten", "guest": { "name": "", "email": "x", "phone": "" } })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields = &body["error"]["fields"];
        for field in ["service", "start", "guest.name", "guest.email", "guest.phone"] {
            assert!(fields[field].is_string(), "{field}: {body}");
        }
        let (status, body) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": "2026-12-02T10:00:00Z", "client_id": 999 })).await;
        assert_eq!((status, body["error"]["fields"]["client_id"].is_string()), (StatusCode::UNPROCESSABLE_ENTITY, true));
        // Outside hours / in the past: unavailable.
        let (status, _) = post(&app, &token, "/api/v1/paws/bookings", json!({ "service": "walk", "start": "2026-12-02T20:00:00Z", "guest": { "name": "Jo", "email": "jo@example.com", "phone": "1" } })).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let n: i64 = sqlx::query_scalar("select count(*) from bookings").fetch_one(app.db().pool()).await.unwrap();
        assert_eq!(n, 0);
    })
    .await;
}

/// A booking may name only a staff member bookable for the service now: active, providing
/// it, and within the plan's staff limit in display order. The booking's re-check reads that
/// with the person's times in one statement; this holds it to what the pages offer.
#[tokio::test]
async fn a_booking_names_only_a_staff_member_bookable_for_the_service() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
        let groom = app.seed_service(tenant.id, "groom", Mode::Slot, 30).await;
        // Ten groomers first (by name), then Sam, who walks: eleventh, past PRO's ten.
        let mut people = Vec::new();
        for n in 0..10 {
            people.push(app.seed_staff_member(tenant.id, &format!("Groomer {n}"), &[&groom]).await);
        }
        let sam = app.seed_staff_member(tenant.id, "Sam", &[&walk]).await;
        let lou = StaffFields { name: "Lou".into(), active: false, services: vec![walk.id], ..StaffFields::default() };
        let lou = staff::insert(app.db(), tenant.id, &lou, usize::MAX, 0).await.unwrap();
        people.extend([sam, lou]);
        for person in &people {
            app.seed_hours(tenant.id, Some(*person), 9 * 60, 11 * 60).await;
        }
        let token = app.api_token(tenant.id).await;
        let book = |staff: StaffId, start: &'static str| {
            let body = json!({ "service": "walk", "start": start, "staff_id": staff, "guest": { "name": "Jo", "email": "jo@example.com", "phone": "1" } });
            let (app, token) = (&app, &token);
            async move {
                let (status, body) = post(app, token, "/api/v1/paws/bookings", body).await;
                (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
            }
        };
        let refused = (StatusCode::CONFLICT, "unavailable".to_owned());
        assert_eq!(book(sam, "2026-12-02T09:00:00Z").await, refused, "past the staff limit");
        assert_eq!(book(people[0], "2026-12-02T09:00:00Z").await, refused, "does not walk");
        assert_eq!(book(lou, "2026-12-02T09:00:00Z").await, refused, "inactive");

        // Sam first in the order: within the ten, bookable.
        let order: Vec<StaffId> = [sam].into_iter().chain(people[..10].iter().copied()).collect();
        staff::reorder(app.db(), tenant.id, &order, 0).await.unwrap();
        assert_eq!(book(sam, "2026-12-02T09:00:00Z").await.0, StatusCode::CREATED);
        // On FREE nobody on the staff can be booked.
        tenants::set_plan(app.db(), tenant.id, Plan::Free, None, 0).await.unwrap();
        assert_eq!(book(sam, "2026-12-02T09:30:00Z").await, refused, "FREE");

        let booked = "select count(*) from bookings where staff_id is not null";
        assert_eq!(app.count(booked).await, 1);
    })
    .await;
}

#[tokio::test]
async fn booking_routes_refuse_another_tenants_ids_and_change_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("alpha", Plan::Free).await;
        let b = app.seed_tenant("bravo", Plan::Free).await;
        for t in [&a, &b] {
            app.seed_service(t.id, "walk", Mode::Slot, 60).await;
            app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
        }
        let token_a = app.api_token(a.id).await;
        let token_b = app.api_token(b.id).await;
        let guest = json!({ "name": "Jo", "email": "jo@example.com", "phone": "1" });
        let (_, booking_b) = post(
            &app,
            &token_b,
            "/api/v1/bravo/bookings",
            json!({ "service": "walk", "start": "2026-12-02T10:00:00Z", "guest": guest }),
        )
        .await;
        let id_b = booking_b["id"].as_i64().unwrap();

        // A's token on B's tenant, and on B's booking id under A's slug.
        for path in [
            format!("/api/v1/bravo/bookings/{id_b}"),
            format!("/api/v1/alpha/bookings/{id_b}"),
            "/api/v1/bravo/bookings".to_owned(),
        ] {
            let (status, body) = get(&app, &token_a, &path).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{path}"
            );
        }
        for path in [
            format!("/api/v1/alpha/bookings/{id_b}/cancel"),
            format!("/api/v1/bravo/bookings/{id_b}/cancel"),
        ] {
            let (status, _) = post(&app, &token_a, &path, json!({})).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        for path in [
            format!("/api/v1/alpha/bookings/{id_b}/reschedule"),
            format!("/api/v1/bravo/bookings/{id_b}/reschedule"),
        ] {
            let (status, _) =
                post(&app, &token_a, &path, json!({ "start": "2026-12-02T15:00:00Z" })).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let (status, _) = post(
            &app,
            &token_a,
            "/api/v1/bravo/bookings",
            json!({ "service": "walk", "start": "2026-12-02T12:00:00Z", "guest": guest }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = post(
            &app,
            &token_a,
            "/api/v1/bravo/holds",
            json!({ "service": "walk", "start": "2026-12-02T12:00:00Z" }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (_, unchanged) = get(&app, &token_b, &format!("/api/v1/bravo/bookings/{id_b}")).await;
        assert_eq!(unchanged, booking_b, "B's booking is as it was");
        let n: i64 = sqlx::query_scalar("select count(*) from bookings")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(n, 1);
        let holds: i64 = sqlx::query_scalar("select count(*) from holds")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(holds, 0);
    })
    .await;
}
