use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_and_readyz_answer_on_every_backend() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let health = app.get("/healthz").await;
        assert_eq!(health.status(), StatusCode::OK);

        let ready = app.get("/readyz").await;
        assert_eq!(ready.status(), StatusCode::OK);
        let body: serde_json::Value = ready.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"database": "ok", "queue": "ok"}));
    })
    .await;
}

#[tokio::test]
async fn readyz_is_503_naming_the_database_when_it_is_gone() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        app.kill_database().await;

        let ready = app.get("/readyz").await;
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = ready.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"database": "down", "queue": "ok"}));
        // The process itself is still alive.
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_request_id() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let response = app.get("/").await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
        assert!(!headers["x-request-id"].is_empty());
        let html = response.text().await.unwrap();
        assert!(html.contains("<meta name=\"viewport\""), "mobile-first layout");
        assert!(!html.contains("<script>"), "no inline script");
    })
    .await;
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404_and_api_paths_get_json() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let page = app.get("/no/such/page").await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = page.text().await.unwrap();
        assert!(html.contains("We could not find that page."), "{html}");
        assert!(html.contains("Go to the home page"));

        let api = app.get("/api/v1/nothing").await;
        assert_eq!(api.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = api.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    })
    .await;
}

#[tokio::test]
async fn static_files_are_served_with_their_type() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let css = app.get("/static/css/portico.css").await;
        assert_eq!(css.status(), StatusCode::OK);
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
        assert!(css.text().await.unwrap().contains("--brand"));
        assert_eq!(app.get("/static/missing.css").await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| s.set("http.body_limit_bytes", "1024")).await;
        let response = app
            .client
            .post(app.url("/api/v1/anything"))
            .body(vec![b'x'; 4096])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let response = app.get("/api/v1/openapi.json").await;
        assert_eq!(response.status(), StatusCode::OK);
        let doc: serde_json::Value = response.json().await.unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        // Every route the API router declares is documented.
        let source = include_str!("../../../web/src/routes/api/mod.rs");
        let declared: Vec<&str> =
            source.split('"').filter(|s| s.starts_with("/api/v1/{tenant}")).collect();
        assert!(declared.len() >= 15, "{declared:?}");
        for path in declared {
            assert!(paths.contains_key(path), "{path} is not in openapi.json");
        }
    })
    .await;
}
