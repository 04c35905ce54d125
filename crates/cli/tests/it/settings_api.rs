//! `GET`/`PATCH /api/v1/{tenant}/settings/booking`: the booking rules over the API, with the
//! settings page's ranges; and provider-token calls limited per token, not per IP.

use chrono::{TimeZone as _, Utc};
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_store::tenants;
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PATH: &str = "/api/v1/paws/settings/booking";

/// `PATCH` the rules with a raw JSON body; the status and the JSON answer.
async fn patch(app: &TestApp, token: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .patch(app.url(PATH))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("PATCH");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_booking_rules_are_read_and_changed_over_the_api() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(tenant.id).await;
        let t = Some(token.as_str());
        let stored = || async { tenants::by_id(app.db(), tenant.id.get()).await.unwrap().unwrap() };
        let before = stored().await.scheduling;

        let (status, current) = app.api_get(PATH, t).await;
        assert_eq!(status, StatusCode::OK, "{current}");
        assert_eq!(current["slot_interval_minutes"], before.slot_interval_minutes);
        assert_eq!(current["hold_minutes"], before.hold_minutes);

        // A subset: the rest keep their values; the answer has all six.
        let (status, answer) =
            patch(&app, t, r#"{"slot_interval_minutes": 30, "min_notice_minutes": 0}"#).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let expected = json!({
            "slot_interval_minutes": 30,
            "min_notice_minutes": 0,
            "max_advance_days": before.max_advance_days,
            "cancel_cutoff_hours": before.cancel_cutoff_hours,
            "hold_minutes": before.hold_minutes,
            "series_cancel_grace_minutes": 15,
        });
        assert_eq!(answer, expected);
        assert_eq!(app.api_get(PATH, t).await.1, expected);
        let after = stored().await.scheduling;
        assert_eq!((after.slot_interval_minutes, after.min_notice_minutes), (30, 0));

        // All six at once, at the edges of their ranges.
        let all = json!({ "slot_interval_minutes": 120, "min_notice_minutes": 10080,
            "max_advance_days": 730, "cancel_cutoff_hours": 0, "hold_minutes": 60,
            "series_cancel_grace_minutes": 1440 });
        let (status, answer) = patch(&app, t, &all.to_string()).await;
        assert_eq!((status, &answer), (StatusCode::OK, &all));

        // Bad input names each field and changes nothing.
        let kept = format!("{:?}", stored().await);
        for (body, fields) in [
            (r#"{"slot_interval_minutes": 4}"#, vec!["slot_interval_minutes"]),
            (
                r#"{"hold_minutes": 61, "max_advance_days": 0}"#,
                vec!["hold_minutes", "max_advance_days"],
            ),
            (
                r#"{"min_notice_minutes": -1, "slot_interval_minutes": 15}"#,
                vec!["min_notice_minutes"],
            ),
            (r#"{"cancel_cutoff_hours": "12"}"#, vec!["cancel_cutoff_hours"]),
            (r#"{"cancel_cutoff_hours": 1.5}"#, vec!["cancel_cutoff_hours"]),
            (r#"{"slot_interval": 15}"#, vec!["slot_interval"]),
            (r#"{"series_cancel_grace_minutes": 1441}"#, vec!["series_cancel_grace_minutes"]),
        ] {
            let (status, answer) = patch(&app, t, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert_eq!(answer["error"]["code"], "invalid", "{body}: {answer}");
            let named: Vec<&String> =
                answer["error"]["fields"].as_object().unwrap().keys().collect();
            assert_eq!(named, fields, "{body}: {answer}");
        }
        let (status, answer) = patch(&app, t, "[1]").await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_json"))
        );
        let (status, answer) = patch(&app, None, r#"{"hold_minutes": 5}"#).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
        assert_eq!(format!("{:?}", stored().await), kept, "refused calls changed nothing");
    })
    .await;
}

#[tokio::test]
async fn the_new_rules_apply_to_the_next_availability_request() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
        app.seed_hours(tenant.id, None, 9 * 60, 11 * 60).await;
        let token = app.api_token(tenant.id).await;
        let t = Some(token.as_str());
        let starts = |body: &Value| body["options"].as_array().map_or(0, Vec::len);
        let day = "/api/v1/paws/availability?service=walk&date=2026-12-02";

        patch(&app, t, r#"{"slot_interval_minutes": 60, "min_notice_minutes": 0}"#).await;
        let (_, hourly) = app.api_get(day, None).await;
        patch(&app, t, r#"{"slot_interval_minutes": 30}"#).await;
        let (_, half_hourly) = app.api_get(day, None).await;
        // 09:00–11:00 with 30-minute walks: 2 starts on the hour grid, 4 on the half hour.
        assert_eq!((starts(&hourly), starts(&half_hourly)), (2, 4), "{hourly} {half_hourly}");
    })
    .await;
}

#[tokio::test]
async fn token_calls_have_their_own_limit_not_the_guest_per_ip_one() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| {
            s.set("rate_limits.availability_per_ip", "1")
                .set("rate_limits.booking_per_ip", "1")
                .set("rate_limits.api_per_token", "6")
        })
        .await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
        let token = app.api_token(tenant.id).await;
        let other = app.api_token(tenant.id).await;
        let availability = "/api/v1/paws/availability?service=walk&date=2026-12-02";

        // The guest per-IP limit (1) is used up from this address…
        assert_eq!(app.api_get(availability, None).await.0, StatusCode::OK);
        assert_eq!(app.api_get(availability, None).await.0, StatusCode::TOO_MANY_REQUESTS);
        // …but the token caller, from the same address, goes on: availability three times and
        // two holds (past the guest booking limit of 1), then one more call — 6 in all.
        for _ in 0..3 {
            let (status, body) = app.api_get(availability, Some(&token)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        for hour in [10, 11] {
            let start = Utc.with_ymd_and_hms(2026, 12, 2, hour, 0, 0).unwrap().to_rfc3339();
            let response = reqwest::Client::new()
                .post(app.url("/api/v1/paws/holds"))
                .bearer_auth(&token)
                .json(&json!({ "service": "walk", "start": start }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
        }
        assert_eq!(app.api_get(PATH, Some(&token)).await.0, StatusCode::OK);

        // The 7th call is past the token's own limit: 429 with Retry-After, on any route.
        for path in [availability, PATH, "/api/v1/paws/bookings"] {
            let response =
                reqwest::Client::new().get(app.url(path)).bearer_auth(&token).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
            let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=900).contains(&retry), "{retry}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited");
        }
        // Another token of the same tenant, from the same address, has its own count.
        assert_eq!(app.api_get(PATH, Some(&other)).await.0, StatusCode::OK);
        // A refused PATCH changes nothing.
        let (status, _) = patch(&app, Some(&token), r#"{"hold_minutes": 7}"#).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let stored = tenants::by_id(app.db(), tenant.id.get()).await.unwrap().unwrap();
        assert_ne!(stored.scheduling.hold_minutes, 7);
    })
    .await;
}
