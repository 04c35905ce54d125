//! The API calls that need no token (availability, a guest's hold and booking): they answer
//! only from the tenant in the path.

use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::Value;

use super::Verb::Post;
use super::api::{API_ROUTES, Api};
use super::world::{state_of, world};
use super::{Body, Id, api, fill};

/// A guest's hold or booking request, with the placeholders of [`Form`].
const GUEST_BODY: Body = r#"{"service": "{service}", "start": "2026-12-09T14:00:00Z",
    "guest": {"name": "Mallory", "email": "m@evil.example", "phone": "123"}}"#;

#[tokio::test]
async fn public_api_calls_answer_only_from_the_tenant_in_the_path() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        let (a, b) = (&w.a_ids, &w.b_ids);
        let before = state_of(&app, w.b.id).await;
        let before_a = state_of(&app, w.a.id).await;
        let public: Vec<_> = API_ROUTES.iter().filter(|r| r.3 != Api::Token).collect();
        assert_eq!(public.len(), 3, "{public:?}");

        // Availability: B's options are B's people and blocks.
        let availability = |slug: &str, query: String| format!("/api/v1/{slug}/availability?{query}");
        let (status, slots) = app.api_get(&availability("bravo", format!("service={}&date=2026-12-09", b.service)), None).await;
        assert_eq!(status, StatusCode::OK, "{slots}");
        let slots = slots["options"].as_array().unwrap();
        assert!(!slots.is_empty());
        for option in slots {
            assert!(option["staff_id"].is_null() || option["staff_id"] == b.staff, "{option}");
            assert!(option["block_id"].is_null(), "{option}");
        }
        let (status, places) = app.api_get(&availability("bravo", format!("service={}&date=2026-12-08", b.class)), None).await;
        assert_eq!(status, StatusCode::OK, "{places}");
        let places = places["options"].as_array().unwrap();
        assert!(!places.is_empty());
        assert!(places.iter().all(|option| option["block_id"] == b.block), "{places:?}");
        // A token is not needed and changes nothing, whoever's it is.
        let path = availability("bravo", format!("service={}&date=2026-12-09", b.service));
        assert_eq!(app.api_get(&path, Some(&w.a_token)).await, app.api_get(&path, None).await);

        // B's service code, or B's staff member with A's service, asked at A's slug: 404, like an
        // unknown code.
        let unknown = app.api_get(&availability("alpha", "service=no-such-service&date=2026-12-09".into()), None).await;
        assert_eq!(unknown.0, StatusCode::NOT_FOUND);
        assert_eq!(unknown.1["error"]["code"], "not_found");
        for query in [
            format!("service={}&date=2026-12-09", b.service),
            format!("service={}&date=2026-12-08", b.class),
            format!("service={}&date=2026-12-09&staff={}", a.service, b.staff),
        ] {
            let path = availability("alpha", query);
            assert_eq!(app.api_get(&path, None).await, unknown, "{path}");
        }
        let path = availability("no-such-tenant", format!("service={}&date=2026-12-09", b.service));
        assert_eq!(app.api_get(&path, None).await, unknown, "{path}");

        // Guest holds and bookings (no token).
        let guest = app.browser();
        let csrf = guest.csrf().await;
        let as_guest = |path: String, body: String| {
            let request = guest.client.post(guest.url(&path)).header("x-csrf-token", &csrf);
            async move {
                let response = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        for &&(verb, pattern, id, access, _) in &public {
            if access != Api::TokenOrGuest {
                continue;
            }
            assert_eq!((verb, id), (Post, Id::None));
            // Without the session's CSRF token a guest call is refused, even on B's own data.
            let path = fill(pattern, &w.b.slug, id, b);
            let (status, answer) = api(&app, verb, &path, None, &b.fill(GUEST_BODY)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
            // B's service code at A's slug is an unknown service there.
            let path = fill(pattern, &w.a.slug, id, b);
            let (status, answer) = as_guest(path.clone(), b.fill(GUEST_BODY)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
            assert!(answer["error"]["fields"]["service"].is_string(), "{path}: {answer}");
            let unknown = GUEST_BODY.replace("{service}", "no-such-service");
            assert_eq!(as_guest(path.clone(), unknown).await, (status, answer), "{path}");
            // A's services with B's staff member or B's block: not bookable, by guest or
            // provider.
            let mixed = [
                format!(r#"{{"service": "{}", "start": "2026-12-09T14:00:00Z", "staff_id": {}, "guest": {{"name": "Mallory", "email": "m@evil.example", "phone": "123"}}}}"#, a.service, b.staff),
                format!(r#"{{"service": "{}", "start": "2026-12-08T09:00:00Z", "block_id": {}, "guest": {{"name": "Mallory", "email": "m@evil.example", "phone": "123"}}}}"#, a.class, b.block),
            ];
            for body in mixed {
                let (status, answer) = as_guest(path.clone(), body.clone()).await;
                assert!(status.is_client_error(), "{path} {body}: {status} {answer}");
                let (status, answer) = api(&app, verb, &path, Some(&w.a_token), &body).await;
                assert!(status.is_client_error(), "{path} {body}: {status} {answer}");
            }
        }
        // Moving A's booking onto B's staff member or into B's block is refused too.
        for (booking, body) in [
            (a.booking, format!(r#"{{"start": "2026-12-09T15:00:00Z", "staff_id": {}}}"#, b.staff)),
            (a.guest_booking, format!(r#"{{"start": "2026-12-08T09:00:00Z", "block_id": {}}}"#, b.block)),
        ] {
            let path = format!("/api/v1/alpha/bookings/{booking}/reschedule");
            let (status, answer) = api(&app, Post, &path, Some(&w.a_token), &body).await;
            assert!(status.is_client_error(), "{path} {body}: {status} {answer}");
        }
        assert_eq!(state_of(&app, w.b.id).await, before, "B's data changed");
        assert_eq!(state_of(&app, w.a.id).await, before_a, "A's data changed");
    })
    .await;
}
