//! Blocks and time off in the past are refused on the pages and over the API, and change
//! nothing (the test clock starts on 2026-12-01).

use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{PASSWORD, TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = app.client.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn past_blocks_and_time_off_are_refused_and_change_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(t.id, "walk", Mode::Block, 60).await;
        let token = app.api_token(t.id).await;
        let owner = app.browser();
        owner.login(&t.owner_email, PASSWORD).await;

        // Blocks: yesterday is refused, today is fine.
        let block = |date: &str| {
            json!({ "date": date, "start": "09:00", "end": "12:00", "label": "Run", "capacities": { "walk": 3 } })
        };
        let (status, body) = post(&app, &token, "/api/v1/paws/blocks", block("2026-11-30")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["date"].as_str().unwrap().contains("past"), "{body}");
        let cap = format!("cap_{}", walk.id);
        let form = [("date", "2026-11-30"), ("start", "09:00"), ("end", "12:00"), ("label", "Run"), (cap.as_str(), "3")];
        let r = owner.post_form("/app/paws/timetable/blocks", &form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("a block in the past cannot be booked"));
        assert_eq!(app.count("select count(*) from timetable_blocks").await, 0);
        let (status, today) = post(&app, &token, "/api/v1/paws/blocks", block("2026-12-01")).await;
        assert_eq!(status, StatusCode::CREATED, "{today}");

        // Copying onto a past date, or moving a block there, is refused too.
        let copy = json!({ "from_date": "2026-12-01", "to_date": "2026-11-29", "until": "2026-11-30" });
        let (status, body) = post(&app, &token, "/api/v1/paws/blocks/copy", copy).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let id = today["id"].as_i64().unwrap();
        let r = app
            .client
            .patch(app.url(&format!("/api/v1/paws/blocks/{id}")))
            .bearer_auth(&token)
            .json(&json!({ "date": "2026-11-30" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.count("select count(*) from timetable_blocks").await, 1);
        let date: String = sqlx::query_scalar("select local_date from timetable_blocks")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(date, "2026-12-01");

        // Time off that has already ended.
        let off = json!({ "start": "2026-11-20T09:00:00Z", "end": "2026-11-21T09:00:00Z", "reason": "Trip" });
        let (status, body) = post(&app, &token, "/api/v1/paws/time-off", off).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["fields"]["end"], "Time off must end in the future.");
        let form = [("start", "2026-11-20T09:00"), ("end", "2026-11-21T09:00"), ("reason", "Trip")];
        let r = owner.post_form("/app/paws/hours/time-off", &form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Time off must end in the future."));
        assert_eq!(app.count("select count(*) from time_off").await, 0);
    })
    .await;
}
