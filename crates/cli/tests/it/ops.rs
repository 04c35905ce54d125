//! Operations: maintenance on the application clock (sessions and holds), no database writes
//! for reads (public pages, rate-limit counters, unchanged sessions).

use chrono::{Duration as Span, NaiveDate, TimeZone as _, Utc};
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_jobs::Maintenance;
use portico_store::catalog::Mode;
use portico_testkit::{Backend, PASSWORD, TestApp, matrix};
use portico_web::limits::Counters;
use reqwest::StatusCode;
use serde_json::json;

async fn sessions_of(app: &TestApp, user: i64) -> i64 {
    app.count(&format!("select count(*) from sessions where user_id = {user}")).await
}

#[tokio::test]
async fn maintenance_purges_sessions_that_expired_on_the_app_clock() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let owner = tenant.owner.get();
        app.browser().login(&tenant.owner_email, PASSWORD).await;
        assert_eq!(sessions_of(&app, owner).await, 1);

        // Still alive a moment before its end of life (24 h after its last change).
        app.clock.advance(Span::hours(23));
        app.enqueue(&Maintenance::default()).await;
        app.run_pending_jobs().await;
        assert_eq!(sessions_of(&app, owner).await, 1, "not expired yet");

        app.clock.advance(Span::hours(1) + Span::seconds(1));
        let fresh = app.browser();
        fresh.login(&tenant.owner_email, PASSWORD).await;
        assert_eq!(sessions_of(&app, owner).await, 2);
        app.enqueue(&Maintenance::default()).await;
        app.run_pending_jobs().await;
        assert_eq!(
            sessions_of(&app, owner).await,
            1,
            "the expired session is gone, the new one stays"
        );
        assert_eq!(fresh.get(&format!("/app/{}", tenant.slug)).await.status(), StatusCode::OK);
    })
    .await;
}

/// Holds the place at `start` through the provider API.
async fn hold(app: &TestApp, token: &str, start: &str, block: i64) {
    let r = app
        .client
        .post(app.url("/api/v1/paws/holds"))
        .bearer_auth(token)
        .json(&json!({ "service": "walk", "start": start, "block_id": block }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn maintenance_purges_expired_holds_and_keeps_live_ones() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let block = app.seed_block(tenant.id, day, 9 * 60, 12 * 60, &walk, 5).await;
        let token = app.api_token(tenant.id).await;
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap().to_rfc3339();
        hold(&app, &token, &start, block).await;
        // Holds last 10 minutes; their rows go an hour after that.
        app.clock.advance(Span::minutes(71));
        hold(&app, &token, &start, block).await;
        assert_eq!(app.count("select count(*) from holds").await, 2);
        app.enqueue(&Maintenance::default()).await;
        app.run_pending_jobs().await;
        assert_eq!(app.count("select count(*) from holds").await, 1, "the old hold is purged");
        let live: i64 = app
            .count(&format!("select count(*) from holds where expires_at > {}", app.clock.now_ts()))
            .await;
        assert_eq!(live, 1, "the live hold stays");
    })
    .await;
}

#[tokio::test]
async fn a_public_page_writes_no_session_and_sets_no_cookie() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let visitor = app.browser();
        for _ in 0..2 {
            let r = visitor.get("/book/paws").await;
            assert_eq!(r.status(), StatusCode::OK);
            assert!(r.headers().get("set-cookie").is_none(), "{:?}", r.headers());
            assert!(r.text().await.unwrap().contains("Book with"));
        }
        assert_eq!(app.count("select count(*) from sessions").await, 0);

        // A page with a form does get its session (its CSRF token is needed to post).
        let r = visitor.get("/accounts/login").await;
        assert!(r.headers().get("set-cookie").is_some());
        assert_eq!(app.count("select count(*) from sessions").await, 1);
    })
    .await;
}

/// The data and end of life of the only session row.
async fn only_session(app: &TestApp) -> (String, i64) {
    sqlx::query_as("select data, expires_at from sessions")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn reading_pages_does_not_rewrite_an_unchanged_session() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let before = only_session(&app).await;
        // Within a minute of the last activity nothing needs saving; a save would move the
        // row's end of life with the clock.
        app.clock.advance(Span::seconds(30));
        for path in ["/app/paws", "/accounts", "/app/paws/services"] {
            let r = owner.get(path).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert!(r.headers().get("set-cookie").is_none(), "{path}: {:?}", r.headers());
        }
        assert_eq!(only_session(&app).await, before);
    })
    .await;
}

#[tokio::test]
async fn rate_limit_counters_write_nothing_to_the_database() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| s.set("rate_limits.reset_per_ip", "2")).await;
        let browser = app.browser();
        for n in 0..2 {
            let email = format!("someone{n}@example.com");
            let r = browser.post_form("/accounts/password/reset", &[("email", &email)]).await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        let r = browser.post_form("/accounts/password/reset", &[("email", "x@example.com")]).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        // The embedded default counts in memory, PostgreSQL deployments in Redis; the old
        // counter table is gone.
        match (&app.state.counters, backend) {
            (Counters::Memory(counters), Backend::Sqlite) => {
                assert!(!counters.lock().unwrap().is_empty(), "the hits are held in memory");
            }
            (Counters::Redis { .. }, Backend::Postgres) => {}
            (counters, backend) => panic!("{counters:?} on {backend:?}"),
        }
        let tables: Vec<String> = portico_store::schema::columns(app.db())
            .await
            .unwrap()
            .into_iter()
            .map(|(table, ..)| table)
            .collect();
        assert!(tables.iter().any(|t| t == "sessions"));
        assert!(!tables.iter().any(|t| t == "rate_limits"), "{tables:?}");
    })
    .await;
}
