//! Every view of an invoice shows the real money: the owner's and the client's detail pages,
//! the PDF and the API show what was paid, the installment plan (due, amount, paid, overdue)
//! and the payment history; a void invoice owes nothing.

use chrono::{TimeZone as _, Utc};
use portico_testkit::{PASSWORD, TestApp, matrix};
use reqwest::StatusCode;
use serde_json::json;

use crate::invoice_pages::setup;
use crate::invoice_pdf::pdf_text;
use crate::payments::{get, post};

#[tokio::test]
async fn paid_amounts_installments_and_payments_show_on_pages_pdf_and_api() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, _, _) = setup(&app).await;
        let t = portico_store::tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let token = app.api_token(t.id).await;
        let body = json!({ "client_id": ann, "due_date": "2026-12-31", "lines": [
            { "description": "Twelve walks", "quantity": 12, "unit_price_minor": 1000 } ] });
        let (status, draft) = post(&app, &token, "/api/v1/paws/invoices", body).await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        let id = draft["id"].as_i64().unwrap();
        post(&app, &token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await;
        let plan = json!({ "count": 3, "first_due": "2026-12-03", "interval_days": 30 });
        let (status, planned) =
            post(&app, &token, &format!("/api/v1/paws/invoices/{id}/installments"), plan).await;
        assert_eq!(status, StatusCode::CREATED, "{planned}");
        let pay = json!({ "client_id": ann, "invoice_id": id, "amount_minor": 5000,
            "currency": "GBP", "method": "cash", "received_on": "2026-12-02", "reference": "TILL-7" });
        let (status, paid) = post(&app, &token, "/api/v1/paws/payments", pay).await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        // The second part (due 2 January) is partly paid and not yet due; on 10 January it is.
        app.clock.set(Utc.with_ymd_and_hms(2027, 1, 10, 9, 0, 0).unwrap());
        // Sessions end with the moved time: sign in again.
        owner.login("owner@paws.example", PASSWORD).await;

        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        let totals = &page[page.find("class=\"totals\"").unwrap()..];
        assert!(totals.contains("GBP 50.00") && totals.contains("GBP 70.00"), "{page}");
        let plan = &page[page.find("id=\"installments\"").expect("the plan")..];
        assert!(plan.contains("2026-12-03") && plan.contains("2027-01-02"), "{page}");
        assert!(plan.contains("Overdue") && plan.contains("Paid"), "{page}");
        let history = &page[page.find("id=\"payments\"").expect("the history")..];
        assert!(history.contains("TILL-7") && history.contains("Cash"), "{page}");
        assert!(page.contains("Overdue"), "the invoice is overdue through its plan");

        let client = app.browser();
        client.login("ann@example.com", PASSWORD).await;
        let page = client.page(&format!("/portal/paws/invoices/{id}")).await;
        assert!(page.contains("id=\"installments\"") && page.contains("TILL-7"), "{page}");
        assert!(page.contains("GBP 70.00"), "{page}");

        let response = owner.get(&format!("/app/paws/invoices/{id}/pdf")).await;
        let text = pdf_text(&response.bytes().await.unwrap());
        for needle in ["Installment schedule", "Payment history", "TILL-7", "2027-01-02", "70.00"] {
            assert!(text.contains(needle), "{needle} in {text}");
        }

        let (_, json) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!((json["paid_minor"].as_i64(), json["balance_minor"].as_i64()), (Some(5000), Some(7000)));
        assert_eq!(json["overdue"], true);

        // A void invoice owes nothing, on the API and the pages.
        let body = json!({ "client_id": ann, "due_date": "2027-02-01", "lines": [
            { "description": "Bath", "unit_price_minor": 2500 } ] });
        let (_, other) = post(&app, &token, "/api/v1/paws/invoices", body).await;
        let other = other["id"].as_i64().unwrap();
        post(&app, &token, &format!("/api/v1/paws/invoices/{other}/issue"), json!({})).await;
        let (status, void) = post(
            &app,
            &token,
            &format!("/api/v1/paws/invoices/{other}/void"),
            json!({ "reason": "Sent twice" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{void}");
        let (_, json) = get(&app, &token, &format!("/api/v1/paws/invoices/{other}")).await;
        assert_eq!((json["total_minor"].as_i64(), json["balance_minor"].as_i64()), (Some(2500), Some(0)));
        let page = owner.page(&format!("/app/paws/invoices/{other}")).await;
        let totals = &page[page.find("class=\"totals\"").unwrap()..];
        assert!(totals.contains("Balance due</dt><dd class=\"strong\">GBP 0.00"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn the_owner_records_a_payment_on_the_invoice_page() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, _, _) = setup(&app).await;
        let t = portico_store::tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let token = app.api_token(t.id).await;
        let body = json!({ "client_id": ann, "due_date": "2026-12-31", "lines": [
            { "description": "Walks", "quantity": 4, "unit_price_minor": 1000 } ] });
        let (_, draft) = post(&app, &token, "/api/v1/paws/invoices", body).await;
        let id = draft["id"].as_i64().unwrap();
        let path = format!("/app/paws/invoices/{id}");
        // A draft takes no payment: the form is not offered.
        assert!(!owner.page(&path).await.contains("Record a payment"));
        post(&app, &token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await;
        let page = owner.page(&path).await;
        assert!(page.contains("Record a payment") && page.contains("Card terminal"), "{page}");

        // Bad input: a message per field, nothing recorded.
        let action = format!("{path}/payments");
        let bad =
            [("amount", "-3"), ("method", "cheque"), ("received_on", "soon"), ("reference", "")];
        let response = owner.post_form(&action, &bad).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert_eq!(page.matches("field-error").count(), 3, "{page}");
        assert!(page.contains("value=\"soon\""), "what was typed stays");
        assert_eq!(app.count("select count(*) from payments").await, 0);

        let good = [
            ("amount", "25.00"),
            ("method", "cash"),
            ("received_on", "2026-12-01"),
            ("reference", "Till 4"),
        ];
        let response = owner.post_form(&action, &good).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = owner.page(&path).await;
        assert!(page.contains("Payment recorded.") && page.contains("Till 4"), "{page}");
        let (_, json) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!(
            (json["paid_minor"].as_i64(), json["status"].as_str()),
            (Some(2500), Some("open"))
        );

        // More than the balance: the invoice is paid and the rest is credit.
        let over = [
            ("amount", "20.00"),
            ("method", "bank_transfer"),
            ("received_on", "2026-12-01"),
            ("reference", ""),
        ];
        owner.post_form(&action, &over).await;
        let page = owner.page(&path).await;
        assert!(
            page.contains("GBP 5.00 went to the client")
                || page.contains("5.00 GBP went to the client"),
            "{page}"
        );
        let (_, json) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!(
            (json["balance_minor"].as_i64(), json["status"].as_str()),
            (Some(0), Some("paid"))
        );
        let (_, credit) = get(&app, &token, &format!("/api/v1/paws/clients/{ann}/credit")).await;
        assert_eq!(credit["balance_minor"], 500);
    })
    .await;
}

#[tokio::test]
async fn a_client_declares_a_bank_transfer_for_their_own_open_invoice_only() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, ann, bob, _) = setup(&app).await;
        let t = portico_store::tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let token = app.api_token(t.id).await;
        let mut ids = Vec::new();
        for client in [ann, bob] {
            let body = json!({ "client_id": client, "due_date": "2026-12-31", "lines": [
                { "description": "Walks", "quantity": 3, "unit_price_minor": 1000 } ] });
            let (_, draft) = post(&app, &token, "/api/v1/paws/invoices", body).await;
            let id = draft["id"].as_i64().unwrap();
            post(&app, &token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await;
            ids.push(id);
        }
        let (anns, bobs) = (ids[0], ids[1]);
        let client = app.browser();
        client.login("ann@example.com", PASSWORD).await;
        let path = format!("/portal/paws/invoices/{anns}");
        assert!(client.page(&path).await.contains("Declare transfer"));

        // Bad input: a message per field, nothing declared.
        let response = client
            .post_form(&format!("{path}/transfer"), &[("amount", "lots"), ("reference", " ")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.text().await.unwrap().matches("field-error").count(), 2);
        // Bob's invoice is not found, and nothing is declared on it.
        let response = client
            .post_form(
                &format!("/portal/paws/invoices/{bobs}/transfer"),
                &[("amount", "30.00"), ("reference", "X")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.count("select count(*) from payments").await, 0);

        let response = client
            .post_form(
                &format!("{path}/transfer"),
                &[("amount", "30.00"), ("reference", "ANN-DEC")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = client.page(&path).await;
        assert!(page.contains("Pending confirmation") && page.contains("ANN-DEC"), "{page}");
        // Pending: nothing is paid until the owner confirms.
        let (_, json) = get(&app, &token, &format!("/api/v1/paws/invoices/{anns}")).await;
        assert_eq!((json["paid_minor"].as_i64(), json["status"].as_str()), (Some(0), Some("open")));
        let (_, list) = get(&app, &token, &format!("/api/v1/paws/payments?client_id={ann}")).await;
        assert_eq!(list.to_string().matches("\"pending\"").count(), 1, "{list}");

        // The owner sees it pending on the invoice page; rejecting needs a reason.
        let payment = list["payments"][0]["id"].as_i64().unwrap();
        let owner = app.browser();
        owner.login("owner@paws.example", PASSWORD).await;
        let page = owner.page(&format!("/app/paws/invoices/{anns}")).await;
        assert!(page.contains(&format!("id=\"pending-{payment}\"")), "{page}");
        let response = owner
            .post_form(&format!("/app/paws/payments/{payment}/reject"), &[("reason", " ")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("Say why it is rejected."));
        let response = owner.post_form(&format!("/app/paws/payments/{payment}/confirm"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, json) = get(&app, &token, &format!("/api/v1/paws/invoices/{anns}")).await;
        assert_eq!(
            (json["paid_minor"].as_i64(), json["status"].as_str()),
            (Some(3000), Some("paid"))
        );
        let page = owner.page(&format!("/app/paws/invoices/{anns}")).await;
        assert!(page.contains("Transfer confirmed.") && !page.contains("id=\"pending-"), "{page}");
    })
    .await;
}
