//! The provider API never answers off-contract: every rejection is
//! `{"error":{"code","message","fields"}}` as `application/json` with the documented status;
//! a write without a token is 401; rate limits answer 429 with `Retry-After`. Also the
//! provider's complete / no-show transitions.

use chrono::{TimeZone as _, Utc};
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{TestApp, matrix};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A raw API call: method, path, optional bearer token, optional body with its content type.
struct Call<'a> {
    method: Method,
    path: &'a str,
    token: Option<&'a str>,
    body: Option<(&'a str, &'a str)>,
}

impl<'a> Call<'a> {
    fn new(method: Method, path: &'a str, token: Option<&'a str>) -> Self {
        Self { method, path, token, body: None }
    }

    fn body(mut self, content_type: &'a str, body: &'a str) -> Self {
        self.body = Some((content_type, body));
        self
    }

    /// Sends it; asserts the answer is JSON in the error shape when it is an error.
    async fn send(self, app: &TestApp) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut request = reqwest::Client::new().request(self.method.clone(), app.url(self.path));
        if let Some(token) = self.token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, body)) = self.body {
            request = request.header("content-type", content_type).body(body.to_owned());
        }
        let response = request.send().await.expect("API call");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let content_type =
            headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "{} {}: {status} answered {content_type:?}: {text}",
            self.method,
            self.path
        );
        let body: Value = serde_json::from_str(&text).expect("a JSON body");
        if status.is_client_error() || status.is_server_error() {
            let error = &body["error"];
            assert!(
                error["code"].is_string()
                    && error["message"].is_string()
                    && error["fields"].is_object(),
                "{} {}: not the error shape: {text}",
                self.method,
                self.path
            );
        }
        (status, body, headers)
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// A tenant with a slot service, hours, a token and one confirmed booking tomorrow at 10:00.
async fn with_booking(app: &TestApp, slug: &str) -> (String, i64) {
    let tenant = app.seed_tenant(slug, Plan::Free).await;
    app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
    app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
    let token = app.api_token(tenant.id).await;
    let start = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap().to_rfc3339();
    let body = json!({ "service": "walk", "start": start,
        "guest": { "name": "Jo", "email": "jo@example.com", "phone": "123" } })
    .to_string();
    let path = format!("/api/v1/{slug}/bookings");
    let (status, booking, _) = Call::new(Method::POST, &path, Some(&token))
        .body("application/json", &body)
        .send(app)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    (token, booking["id"].as_i64().unwrap())
}

#[tokio::test]
async fn malformed_requests_are_400_and_wrong_values_422_in_the_error_shape() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (token, id) = with_booking(&app, "paws").await;
        let t = Some(token.as_str());
        let json = "application/json";

        // A path id that is not a number.
        for (method, path) in [
            (Method::GET, "/api/v1/paws/bookings/abc"),
            (Method::POST, "/api/v1/paws/bookings/abc/complete"),
            (Method::GET, "/api/v1/paws/clients/1.5"),
            (Method::DELETE, "/api/v1/paws/blocks/99999999999999999999999"),
        ] {
            let (status, body, _) = Call::new(method.clone(), path, t).send(&app).await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::BAD_REQUEST, "bad_path"),
                "{method} {path}"
            );
        }
        // A repeated query parameter, and one that does not deserialize.
        for path in [
            "/api/v1/paws/bookings?status=confirmed&status=cancelled",
            "/api/v1/paws/blocks?date=2026-12-02&date=2026-12-03",
            "/api/v1/paws/availability?service=walk&date=2026-12-02&days=1&days=2",
        ] {
            let (status, body, _) = Call::new(Method::GET, path, t).send(&app).await;
            assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "bad_query"), "{path}");
        }
        // A query that parses but means nothing is 422 on its field.
        let (status, body, _) =
            Call::new(Method::GET, "/api/v1/paws/bookings?status=lost", t).send(&app).await;
        assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"));
        assert!(body["error"]["fields"]["status"].is_string(), "{body}");

        let reschedule = format!("/api/v1/paws/bookings/{id}/reschedule");
        // Malformed JSON, and no body at all (with or without a content type).
        for call in [
            Call::new(Method::POST, &reschedule, t).body(json, "{\"start\": "),
            Call::new(Method::POST, &reschedule, t).body(json, ""),
            Call::new(Method::POST, &reschedule, t),
            Call::new(Method::PUT, "/api/v1/paws/hours", t).body("text/plain", "{}"),
            Call::new(Method::POST, "/api/v1/paws/services", t).body(json, "[1, 2"),
        ] {
            let what = format!("{} {}", call.method, call.path);
            let (status, body, _) = call.send(&app).await;
            assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "bad_json"), "{what}");
        }
        // Well-formed JSON of the wrong type.
        for (method, path, bad) in [
            (Method::POST, reschedule.as_str(), r#"{"start": 12}"#),
            (Method::POST, reschedule.as_str(), r#""a string""#),
            (Method::PUT, "/api/v1/paws/hours", r#"{"hours": "always"}"#),
            (
                Method::POST,
                "/api/v1/paws/services",
                r#"{"code": "x", "name": "X", "duration_minutes": "long"}"#,
            ),
        ] {
            let (status, body, _) =
                Call::new(method.clone(), path, t).body(json, bad).send(&app).await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
                "{method} {path} {bad}"
            );
            assert!(!body["error"]["fields"].as_object().unwrap().is_empty(), "{body}");
        }
        // Nothing changed.
        let (_, booking, _) =
            Call::new(Method::GET, &format!("/api/v1/paws/bookings/{id}"), t).send(&app).await;
        assert_eq!(booking["start"], "2026-12-02T10:00:00Z");
        assert_eq!(app.count("select count(*) from services").await, 1);

        // Unknown routes and methods answer in the same shape.
        let (status, body, _) =
            Call::new(Method::GET, "/api/v1/paws/nothing-here", t).send(&app).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
        let (status, body, headers) =
            Call::new(Method::PUT, "/api/v1/paws/availability", t).send(&app).await;
        assert_eq!((status, code(&body)), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
        assert!(headers.contains_key("allow"), "{headers:?}");
        // …also without a token: the method is wrong whoever asks.
        let (status, _, _) =
            Call::new(Method::DELETE, "/api/v1/paws/availability", None).send(&app).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    })
    .await;
}

#[tokio::test]
async fn a_write_without_a_token_is_401_but_a_guest_booking_still_needs_the_csrf_token() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, id) = with_booking(&app, "paws").await;
        let json = "application/json";
        let cancel = format!("/api/v1/paws/bookings/{id}/cancel");
        let complete = format!("/api/v1/paws/bookings/{id}/complete");
        for call in [
            Call::new(Method::POST, &cancel, None),
            Call::new(Method::POST, &complete, None),
            Call::new(Method::POST, "/api/v1/paws/services", None)
                .body(json, r#"{"code": "x", "name": "X", "duration_minutes": 30}"#),
            Call::new(Method::PUT, "/api/v1/paws/hours", None).body(json, r#"{"hours": []}"#),
            Call::new(Method::DELETE, "/api/v1/paws/services/walk", None),
            Call::new(Method::PATCH, "/api/v1/paws/services/walk", None)
                .body(json, r#"{"name": "Gone"}"#),
        ] {
            let what = format!("{} {}", call.method, call.path);
            let (status, body, _) = call.send(&app).await;
            assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"), "{what}");
            assert!(body["error"]["message"].as_str().unwrap().contains("Bearer"), "{body}");
        }
        // The guest calls are tokenless on purpose: without the page's CSRF token, 403.
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap().to_rfc3339();
        let guest = json!({ "service": "walk", "start": start,
            "guest": { "name": "Mallory", "email": "m@example.com", "phone": "123" } })
        .to_string();
        for path in ["/api/v1/paws/holds", "/api/v1/paws/bookings"] {
            let (status, body, _) =
                Call::new(Method::POST, path, None).body(json, &guest).send(&app).await;
            assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{path}");
        }
        // …and with it, the guest books.
        let browser = app.browser();
        let csrf = browser.csrf().await;
        let response = browser
            .client
            .post(browser.url("/api/v1/paws/bookings"))
            .header("x-csrf-token", csrf)
            .header("content-type", json)
            .body(guest.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        // Nothing else changed.
        let (_, booking, _) =
            Call::new(Method::GET, &format!("/api/v1/paws/bookings/{id}"), None).send(&app).await;
        assert_eq!(code(&booking), "unauthorized");
        assert_eq!(app.count("select count(*) from services where name = 'Service walk'").await, 1);
        assert_eq!(app.count("select count(*) from bookings where status = 'confirmed'").await, 2);
    })
    .await;
}

#[tokio::test]
async fn rate_limited_calls_answer_429_with_retry_after() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| {
            s.set("rate_limits.availability_per_ip", "2").set("rate_limits.booking_per_ip", "1")
        })
        .await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let path = "/api/v1/paws/availability?service=walk&date=2026-12-02";
        for _ in 0..2 {
            let (status, _, _) = Call::new(Method::GET, path, None).send(&app).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, body, headers) = Call::new(Method::GET, path, None).send(&app).await;
        assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
        let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");

        // Guest holds: one, then 429 (the CSRF check passes; the limit refuses).
        let browser = app.browser();
        let csrf = browser.csrf().await;
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap().to_rfc3339();
        let hold = json!({ "service": "walk", "start": start }).to_string();
        let mut statuses = Vec::new();
        for _ in 0..2 {
            let response = browser
                .client
                .post(browser.url("/api/v1/paws/holds"))
                .header("x-csrf-token", &csrf)
                .header("content-type", "application/json")
                .body(hold.clone())
                .send()
                .await
                .unwrap();
            statuses.push((response.status(), response.headers().get("retry-after").is_some()));
        }
        assert_eq!(statuses[1], (StatusCode::TOO_MANY_REQUESTS, true), "{statuses:?}");
        assert_ne!(statuses[0].0, StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    })
    .await;
}

#[tokio::test]
async fn the_provider_completes_or_marks_a_no_show_once() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (token, id) = with_booking(&app, "paws").await;
        let t = Some(token.as_str());
        let complete = format!("/api/v1/paws/bookings/{id}/complete");
        let no_show = format!("/api/v1/paws/bookings/{id}/no-show");

        // Before it starts, whether the client came cannot be known.
        for path in [&complete, &no_show] {
            let (status, body, _) = Call::new(Method::POST, path, t).send(&app).await;
            assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "invalid_transition"));
        }
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 2, 10, 30, 0).unwrap());

        let (status, booking, _) = Call::new(Method::POST, &complete, t).send(&app).await;
        assert_eq!(status, StatusCode::OK, "{booking}");
        assert_eq!(
            (booking["id"].as_i64(), booking["status"].as_str()),
            (Some(id), Some("completed"))
        );
        for path in [&complete, &no_show] {
            let (status, body, _) = Call::new(Method::POST, path, t).send(&app).await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::CONFLICT, "invalid_transition"),
                "{path}"
            );
        }
        let status: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select status from bookings where id = {id}"
        )))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!(status, "completed");

        // A second booking: no-show, then neither transition again; a cancelled one neither.
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 14, 0, 0).unwrap().to_rfc3339();
        let body = json!({ "service": "walk", "start": start,
            "guest": { "name": "Al", "email": "al@example.com", "phone": "123" } })
        .to_string();
        let (_, other, _) = Call::new(Method::POST, "/api/v1/paws/bookings", t)
            .body("application/json", &body)
            .send(&app)
            .await;
        let other = other["id"].as_i64().unwrap();
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap());
        let (status, marked, _) =
            Call::new(Method::POST, &format!("/api/v1/paws/bookings/{other}/no-show"), t)
                .send(&app)
                .await;
        assert_eq!((status, marked["status"].as_str()), (StatusCode::OK, Some("no_show")));
        let (status, body, _) =
            Call::new(Method::POST, &format!("/api/v1/paws/bookings/{other}/complete"), t)
                .send(&app)
                .await;
        assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "invalid_transition"));

        let start = Utc.with_ymd_and_hms(2026, 12, 2, 16, 0, 0).unwrap().to_rfc3339();
        let body = body_for(&start);
        let (_, third, _) = Call::new(Method::POST, "/api/v1/paws/bookings", t)
            .body("application/json", &body)
            .send(&app)
            .await;
        let third = third["id"].as_i64().unwrap();
        let (status, _, _) =
            Call::new(Method::POST, &format!("/api/v1/paws/bookings/{third}/cancel"), t)
                .send(&app)
                .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body, _) =
            Call::new(Method::POST, &format!("/api/v1/paws/bookings/{third}/complete"), t)
                .send(&app)
                .await;
        assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "invalid_transition"));

        // Unknown ids are 404.
        let (status, body, _) =
            Call::new(Method::POST, "/api/v1/paws/bookings/999999/complete", t).send(&app).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    })
    .await;
}

fn body_for(start: &str) -> String {
    json!({ "service": "walk", "start": start,
        "guest": { "name": "Cy", "email": "cy@example.com", "phone": "123" } })
    .to_string()
}

#[tokio::test]
async fn the_openapi_document_lists_the_new_operations_and_their_errors() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (status, doc, _) =
            Call::new(Method::GET, "/api/v1/openapi.json", None).send(&app).await;
        assert_eq!(status, StatusCode::OK);
        for path in
            ["/api/v1/{tenant}/bookings/{id}/complete", "/api/v1/{tenant}/bookings/{id}/no-show"]
        {
            let responses = &doc["paths"][path]["post"]["responses"];
            for status in ["200", "400", "401", "404", "409"] {
                assert!(responses[status].is_object(), "{path} {status}");
            }
        }
        let holds = &doc["paths"]["/api/v1/{tenant}/holds"]["post"]["responses"];
        assert!(holds["429"]["headers"]["Retry-After"].is_object());
        for status in ["400", "403", "422"] {
            assert!(holds[status].is_object(), "holds {status}");
        }
        // Every operation documents 404 and (but the public one) 401, with the Error schema.
        let error = json!({ "$ref": "#/components/schemas/Error" });
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                let responses = &operation["responses"];
                assert_eq!(
                    responses["404"]["content"]["application/json"]["schema"], error,
                    "{method} {path}"
                );
                if !path.ends_with("/availability") {
                    assert!(responses["401"].is_object(), "{method} {path}");
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn another_tenants_booking_cannot_be_completed_or_marked_a_no_show() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (a_token, _) = with_booking(&app, "alpha").await;
        let (_, b_booking) = with_booking(&app, "bravo").await;
        let a = Some(a_token.as_str());
        for action in ["complete", "no-show"] {
            // B's id under A's slug, and under B's slug with A's token: both 404.
            for slug in ["alpha", "bravo"] {
                let path = format!("/api/v1/{slug}/bookings/{b_booking}/{action}");
                let (status, body, _) = Call::new(Method::POST, &path, a).send(&app).await;
                assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{path}");
            }
        }
        let status: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select status from bookings where id = {b_booking}"
        )))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!(status, "confirmed");
    })
    .await;
}
