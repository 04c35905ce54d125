//! The invoice PDF over the API: a real PDF whose extracted text holds the business, the
//! number, the client, the lines and the totals; drafts download marked DRAFT.

use portico_domain::plans::Plan;
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every page's text, as a PDF reader extracts it.
pub fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text")
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response =
        app.client.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap()
}

async fn download(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let response = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_invoice_pdf_holds_the_number_client_lines_and_totals() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let client = post(&app, &token, "/api/v1/paws/clients", json!({ "name": "Zoë O'Brien",
            "email": "zoe@example.com", "address": "1 Park Lane, London" })).await;
        let body = json!({ "client_id": client["id"], "due_date": "2026-12-15", "notes": "Thank you!",
            "lines": [
                { "description": "Dog walk (60 min)", "quantity": 3, "unit_price_minor": 1999, "tax_rate_bp": 700 },
                { "description": "Treats", "unit_price_minor": 250, "tax_rate_bp": 2100 }
            ] });
        let draft = post(&app, &token, "/api/v1/paws/invoices", body).await;
        let id = draft["id"].as_i64().unwrap();
        let path = format!("/api/v1/paws/invoices/{id}/pdf");

        // A draft downloads, marked as one.
        let (status, kind, bytes) = download(&app, &token, &path).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
        assert!(bytes.starts_with(b"%PDF-1.4"));
        let text = pdf_text(&bytes);
        assert!(text.contains("DRAFT"), "{text}");

        post(&app, &token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await;
        let response = app.client.get(app.url(&path)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(
            response.headers()["content-disposition"],
            "attachment; filename=\"INV-0001.pdf\""
        );
        let text = pdf_text(&response.bytes().await.unwrap());
        for expected in [
            "Business paws",
            "INV-0001",
            "Zoë O'Brien",
            "zoe@example.com",
            "1 Park Lane, London",
            "Dog walk (60 min)",
            "19.99",
            "59.97",
            "7%",
            "Treats",
            "21%",
            // 59.97 + 2.50; tax 4.20 + 0.53; total; nothing paid; the balance.
            "GBP 62.47",
            "GBP 4.73",
            "GBP 67.20",
            "GBP 0.00",
            "Due",
            "2026-12-15",
            "Unpaid",
            "Thank you!",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(!text.contains("DRAFT"), "{text}");

        // An unknown id is the API's 404.
        let (status, _, body) = download(&app, &token, "/api/v1/paws/invoices/999999/pdf").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["error"]["code"], "not_found");
    })
    .await;
}
