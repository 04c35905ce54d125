//! Invoices over the API: drafts with lines and totals, listing and filters, issuing with
//! gapless numbers (also under 50 concurrent issues), voiding, read-only issued invoices,
//! client writes, and another tenant's ids.

use chrono::{TimeZone as _, Utc};
use futures::future::join_all;
use portico_domain::plans::Plan;
use portico_store::{StoreError, invoices};
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn call(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, token, reqwest::Method::POST, path, Some(body)).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, token, reqwest::Method::GET, path, None).await
}

/// A draft of two lines: 3 × 19.99 at 7 % and 1 × 2.50 at 21 %.
fn draft_body(client: i64, due: &str) -> Value {
    json!({
        "client_id": client,
        "due_date": due,
        "notes": "Thanks!",
        "lines": [
            { "description": "Walks", "quantity": 3, "unit_price_minor": 1999, "tax_rate_bp": 700 },
            { "description": "Treats", "unit_price_minor": 250, "tax_rate_bp": 2100, "booking_id": null }
        ]
    })
}

fn numbers(list: &Value) -> Vec<String> {
    let mut numbers: Vec<String> = list["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["number"].as_str().map(str::to_owned))
        .collect();
    numbers.sort();
    numbers
}

#[tokio::test]
async fn drafts_are_created_listed_issued_and_voided_through_the_api() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;

        // A client created over the API, then changed.
        let (status, client) = post(&app, &token, "/api/v1/paws/clients", json!({ "name": "Ann", "email": "ANN@example.com", "phone": "+44 1632 960001", "notes": "Gate code 12" })).await;
        assert_eq!(status, StatusCode::CREATED, "{client}");
        assert_eq!((client["email"].as_str(), client["notes"].as_str()), (Some("ann@example.com"), Some("Gate code 12")));
        let ann = client["id"].as_i64().unwrap();
        let path = format!("/api/v1/paws/clients/{ann}");
        let (status, changed) = call(&app, &token, reqwest::Method::PATCH, &path, Some(json!({ "address": "1 Road" }))).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!((changed["address"].as_str(), changed["name"].as_str()), (Some("1 Road"), Some("Ann")));
        let (status, bad) = post(&app, &token, "/api/v1/paws/clients", json!({ "name": " ", "email": "nope", "colour": "red" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["name", "email", "colour"] {
            assert!(bad["error"]["fields"][field].is_string(), "{field}: {bad}");
        }
        assert_eq!(app.count(&format!("select count(*) from clients where tenant_id = {}", t.id)).await, 1);

        // The draft: per-line tax rounded half away from zero, totals exact.
        let (status, draft) = post(&app, &token, "/api/v1/paws/invoices", draft_body(ann, "2026-12-15")).await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        assert_eq!(draft["number"], Value::Null);
        assert_eq!(draft["status"], "draft");
        assert_eq!(draft["currency"], "GBP");
        // 59.97 × 7 % = 4.1979 → 4.20; 2.50 × 21 % = 0.525 → 0.53.
        assert_eq!(draft["lines"][0]["tax_minor"], 420);
        assert_eq!(draft["lines"][1]["tax_minor"], 53);
        assert_eq!(draft["lines"][1]["quantity"], 1);
        let amounts = ["subtotal_minor", "tax_minor", "total_minor", "paid_minor", "balance_minor"].map(|k| draft[k].as_i64().unwrap());
        assert_eq!(amounts, [6247, 473, 6720, 0, 6720]);
        assert_eq!((draft["due_date"].as_str(), draft["overdue"].as_bool()), (Some("2026-12-15"), Some(false)));
        assert_eq!(draft["installments"], json!([]));
        let id = draft["id"].as_i64().unwrap();

        // Bad input: a message per field, nothing written.
        let before = app.count("select count(*) from invoices").await;
        let bad = json!({ "client_id": 999_999, "due_date": "15/12/2026", "extra": 1,
            "lines": [{ "description": "", "quantity": 0, "unit_price_minor": -5, "tax_rate_bp": 10_001 }, 7] });
        let (status, answer) = post(&app, &token, "/api/v1/paws/invoices", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let fields = &answer["error"]["fields"];
        for field in ["due_date", "extra", "lines[0].description", "lines[0].quantity", "lines[0].unit_price_minor", "lines[0].tax_rate_bp", "lines[1]"] {
            assert!(fields[field].is_string(), "{field}: {answer}");
        }
        let unknown = json!({ "client_id": 999_999, "due_date": "2026-12-15", "lines": [] });
        let (status, answer) = post(&app, &token, "/api/v1/paws/invoices", unknown).await;
        assert_eq!((status, answer["error"]["fields"]["client_id"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("Unknown client.")));
        let booking = json!({ "client_id": ann, "due_date": "2026-12-15", "lines": [{ "description": "x", "unit_price_minor": 1, "booking_id": 999_999 }] });
        let (status, answer) = post(&app, &token, "/api/v1/paws/invoices", booking).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer["error"]["fields"]["lines[0].booking_id"].is_string(), "{answer}");
        assert_eq!(app.count("select count(*) from invoices").await, before);

        // An empty draft cannot be issued; the first real one is INV-0001.
        let (_, empty) = post(&app, &token, "/api/v1/paws/invoices", json!({ "client_id": ann, "due_date": "2026-11-30" })).await;
        let empty_id = empty["id"].as_i64().unwrap();
        let (status, answer) = post(&app, &token, &format!("/api/v1/paws/invoices/{empty_id}/issue"), json!({})).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")));
        let (status, issued) = post(&app, &token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{issued}");
        assert_eq!((issued["number"].as_str(), issued["status"].as_str()), (Some("INV-0001"), Some("open")));
        assert_eq!(issued["total_minor"], 6720);
        // Issuing twice is refused and changes nothing; there is no route that edits it.
        let (status, answer) = post(&app, &token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")), "{answer}");
        let (status, _) = call(&app, &token, reqwest::Method::PATCH, &format!("/api/v1/paws/invoices/{id}"), Some(json!({ "notes": "x" }))).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!(shown, issued);
        assert_eq!(app.count(&format!("select next_number from invoice_counters where tenant_id = {}", t.id)).await, 2);

        // Listing and filters; overdue is derived from the due date in the tenant's zone.
        let (_, all) = get(&app, &token, "/api/v1/paws/invoices").await;
        assert_eq!(all["invoices"].as_array().unwrap().len(), 2);
        let (_, open) = get(&app, &token, "/api/v1/paws/invoices?status=open").await;
        assert_eq!(numbers(&open), ["INV-0001"]);
        let (_, drafts) = get(&app, &token, &format!("/api/v1/paws/invoices?status=draft&client_id={ann}")).await;
        assert_eq!(drafts["invoices"][0]["id"], empty_id);
        let (_, none) = get(&app, &token, "/api/v1/paws/invoices?client_id=999999").await;
        assert_eq!(none["invoices"], json!([]));
        let (status, answer) = get(&app, &token, "/api/v1/paws/invoices?status=late").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer["error"]["fields"]["status"].is_string());
        let (_, overdue) = get(&app, &token, "/api/v1/paws/invoices?status=overdue").await;
        assert_eq!(overdue["invoices"], json!([]), "due 15 December");
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 15, 12, 0, 0).unwrap());
        let (_, overdue) = get(&app, &token, "/api/v1/paws/invoices?status=overdue").await;
        assert_eq!(overdue["invoices"], json!([]), "due today is not overdue");
        // 12:00 UTC on the 15th is already the 16th in Auckland.
        sqlx::query("update tenants set timezone = 'Pacific/Auckland' where id = $1").bind(t.id.get()).execute(app.db().pool()).await.unwrap();
        let (_, overdue) = get(&app, &token, "/api/v1/paws/invoices?status=overdue").await;
        assert_eq!(numbers(&overdue), ["INV-0001"]);
        assert_eq!(overdue["invoices"][0]["overdue"], true);

        // Void: a reason is required; paid or void invoices cannot be voided again.
        let void = format!("/api/v1/paws/invoices/{id}/void");
        let (status, answer) = post(&app, &token, &void, json!({ "reason": "  " })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer["error"]["fields"]["reason"].is_string());
        let (status, voided) = post(&app, &token, &void, json!({ "reason": "Wrong client" })).await;
        assert_eq!(status, StatusCode::OK, "{voided}");
        assert_eq!((voided["status"].as_str(), voided["void_reason"].as_str()), (Some("void"), Some("Wrong client")));
        assert_eq!((voided["number"].as_str(), voided["overdue"].as_bool()), (Some("INV-0001"), Some(false)));
        let (status, _) = post(&app, &token, &void, json!({ "reason": "Again" })).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = post(&app, &token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        // A draft can be voided too, and keeps no number.
        let (status, voided) = post(&app, &token, &format!("/api/v1/paws/invoices/{empty_id}/void"), json!({ "reason": "Empty" })).await;
        assert_eq!((status, voided["number"].clone()), (StatusCode::OK, Value::Null));
    })
    .await;
}

#[tokio::test]
async fn fifty_concurrent_issues_get_numbers_one_to_fifty_without_gaps() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let other = app.seed_tenant("other", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let other_token = app.api_token(other.id).await;
        let (client, _) = app.seed_client(&t, "Ann", "ann@example.com", false).await;
        let (other_client, _) = app.seed_client(&other, "Oz", "oz@example.com", false).await;
        let mut drafts = Vec::new();
        for _ in 0..50 {
            let (status, draft) =
                post(&app, &token, "/api/v1/paws/invoices", draft_body(client.get(), "2026-12-31"))
                    .await;
            assert_eq!(status, StatusCode::CREATED, "{draft}");
            drafts.push(draft["id"].as_i64().unwrap());
        }
        // Another tenant's draft: its numbering is its own.
        let (_, theirs) = post(
            &app,
            &other_token,
            "/api/v1/other/invoices",
            draft_body(other_client.get(), "2026-12-31"),
        )
        .await;

        let issues = drafts.iter().map(|id| {
            let (app, token) = (&app, &token);
            async move {
                post(app, token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await
            }
        });
        // Each draft issued twice at once: exactly one of each pair wins.
        let again = drafts.iter().take(10).map(|id| {
            let (app, token) = (&app, &token);
            async move {
                post(app, token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await
            }
        });
        let (answers, repeats) = futures::join!(join_all(issues), join_all(again));
        let ok = answers.iter().chain(&repeats).filter(|(s, _)| *s == StatusCode::OK).count();
        let refused =
            answers.iter().chain(&repeats).filter(|(s, _)| *s == StatusCode::CONFLICT).count();
        assert_eq!((ok, refused), (50, 10), "{answers:?} {repeats:?}");

        let (_, list) = get(&app, &token, "/api/v1/paws/invoices?status=open").await;
        let expected: Vec<String> = (1..=50).map(|n| format!("INV-{n:04}")).collect();
        assert_eq!(numbers(&list), expected, "gapless and unique");
        assert_eq!(
            app.count(&format!(
                "select next_number from invoice_counters where tenant_id = {}",
                t.id
            ))
            .await,
            51
        );

        let (status, theirs) = post(
            &app,
            &other_token,
            &format!("/api/v1/other/invoices/{}/issue", theirs["id"]),
            json!({}),
        )
        .await;
        assert_eq!((status, theirs["number"].as_str()), (StatusCode::OK, Some("INV-0001")));
    })
    .await;
}

#[tokio::test]
async fn another_tenants_invoices_are_404_and_stay_unchanged() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("alpha", Plan::Free).await;
        let b = app.seed_tenant("bravo", Plan::Free).await;
        let a_token = app.api_token(a.id).await;
        let b_token = app.api_token(b.id).await;
        let (a_client, _) = app.seed_client(&a, "Ann", "ann@example.com", false).await;
        let (b_client, _) = app.seed_client(&b, "Bob", "bob@example.com", false).await;
        let (_, b_draft) = post(
            &app,
            &b_token,
            "/api/v1/bravo/invoices",
            draft_body(b_client.get(), "2026-12-31"),
        )
        .await;
        let b_id = b_draft["id"].as_i64().unwrap();

        for slug in ["alpha", "bravo"] {
            let (status, _) = get(&app, &a_token, &format!("/api/v1/{slug}/invoices/{b_id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{slug}");
            for action in ["issue", "void"] {
                let path = format!("/api/v1/{slug}/invoices/{b_id}/{action}");
                let (status, answer) =
                    post(&app, &a_token, &path, json!({ "reason": "Mallory" })).await;
                assert_eq!(
                    (status, answer["error"]["code"].as_str()),
                    (StatusCode::NOT_FOUND, Some("not_found")),
                    "{path}"
                );
            }
        }
        // A's list does not show B's invoice; B's client cannot be billed on A.
        let (_, list) = get(&app, &a_token, "/api/v1/alpha/invoices").await;
        assert_eq!(list["invoices"], json!([]));
        let (_, list) =
            get(&app, &a_token, &format!("/api/v1/alpha/invoices?client_id={}", b_client.get()))
                .await;
        assert_eq!(list["invoices"], json!([]));
        let (status, _) = post(
            &app,
            &a_token,
            "/api/v1/alpha/invoices",
            draft_body(b_client.get(), "2026-12-31"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = post(
            &app,
            &a_token,
            "/api/v1/alpha/invoices",
            draft_body(a_client.get(), "2026-12-31"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);

        let (_, after) = get(&app, &b_token, &format!("/api/v1/bravo/invoices/{b_id}")).await;
        assert_eq!(after, b_draft, "B's invoice changed");
        assert_eq!(
            app.count("select count(*) from invoice_counters").await,
            0,
            "nothing was issued"
        );
    })
    .await;
}

#[tokio::test]
async fn a_stored_status_or_date_that_does_not_decode_names_its_column() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let (client, _) = app.seed_client(&t, "Ann", "ann@example.com", false).await;
        let (_, draft) =
            post(&app, &token, "/api/v1/paws/invoices", draft_body(client.get(), "2026-12-31"))
                .await;
        let id = draft["id"].as_i64().unwrap();
        for (sql, column) in [
            ("update invoices set status = 'late' where id = $1", "invoices.status"),
            (
                "update invoices set status = 'draft', due_date = '31/12/2026' where id = $1",
                "invoices.due_date",
            ),
            (
                "update invoices set due_date = '2026-12-31', currency = 'XXX' where id = $1",
                "invoices.currency",
            ),
        ] {
            sqlx::query(sql).bind(id).execute(app.db().pool()).await.unwrap();
            match invoices::get(app.db(), t.id, id).await {
                Err(StoreError::Corrupt { column: found, .. }) => assert_eq!(found, column),
                other => panic!("{sql}: {other:?}"),
            }
        }
        // Over the API that is a 500, never a default.
        let (status, _) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    })
    .await;
}

#[tokio::test]
async fn creating_issuing_and_voiding_are_audited_and_a_refusal_is_not() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let (client, _) = app.seed_client(&t, "Ann", "ann@example.com", false).await;
        let (status, draft) = post(&app, &token, "/api/v1/paws/invoices", draft_body(client.get(), "2026-12-31")).await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        let id = draft["id"].as_i64().unwrap();
        let issue = format!("/api/v1/paws/invoices/{id}/issue");
        assert_eq!(post(&app, &token, &issue, json!({})).await.0, StatusCode::OK);
        assert_eq!(post(&app, &token, &issue, json!({})).await.0, StatusCode::CONFLICT);
        let void = format!("/api/v1/paws/invoices/{id}/void");
        assert_eq!(post(&app, &token, &void, json!({ "reason": "Wrong client" })).await.0, StatusCode::OK);
        let actions: Vec<String> = sqlx::query_scalar(
            "select action from audit_log where tenant_id = $1 and action like 'invoice.%' order by id",
        )
        .bind(t.id.get())
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        assert_eq!(actions, ["invoice.created", "invoice.issued", "invoice.voided"]);
    })
    .await;
}
