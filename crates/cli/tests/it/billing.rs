//! Billing from bookings: the tenant's billing settings; credit pays first and only the rest
//! is invoiced; a guest's booking is billed to a client found or created by email; a booking
//! is billed once; cancelling gives credit back and voids an unpaid invoice, and what was
//! paid on it becomes credit (or stays, when the owner refunds by hand).

use portico_domain::plans::Plan;
use portico_domain::{ClientId, TenantId};
use portico_store::billing::{self, Charge};
use portico_store::catalog::Mode;
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::payments::{call, get, post};

async fn patch(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    call(app, token, reqwest::Method::PATCH, "/api/v1/paws/settings/billing", Some(body)).await
}

/// A tenant with a 25.00 slot service `walk` open 08:00–18:00, and its API token.
async fn setup(app: &TestApp) -> (TenantId, String) {
    let t = app.seed_tenant("paws", Plan::Free).await;
    app.seed_service(t.id, "walk", Mode::Slot, 60).await;
    app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
    (t.id, app.api_token(t.id).await)
}

/// Books `walk` at `hour`:00 UTC on 2 December for the client (or a guest).
async fn book(app: &TestApp, token: &str, hour: u32, party: Value) -> i64 {
    let mut body = json!({ "service": "walk", "start": format!("2026-12-02T{hour:02}:00:00Z") });
    if let Value::Object(party) = party {
        body.as_object_mut().unwrap().extend(party);
    }
    let (status, booking) = post(app, token, "/api/v1/paws/bookings", body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    booking["id"].as_i64().unwrap()
}

async fn balance(app: &TestApp, token: &str, client: ClientId) -> i64 {
    let (_, credit) = get(app, token, &format!("/api/v1/paws/clients/{client}/credit")).await;
    credit["balance_minor"].as_i64().unwrap()
}

async fn invoices_of(app: &TestApp, token: &str, client: ClientId) -> Vec<Value> {
    let (_, list) = get(app, token, &format!("/api/v1/paws/invoices?client_id={client}")).await;
    list["invoices"].as_array().unwrap().clone()
}

#[tokio::test]
async fn billing_settings_are_read_and_changed_and_bad_ones_change_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, token) = setup(&app).await;
        let (status, settings) = get(&app, &token, "/api/v1/paws/settings/billing").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(settings, json!({ "bill_when": "none", "invoice_prefix": "INV-", "payment_terms_days": 14, "cancel_paid": "credit" }));
        let bad = json!({ "bill_when": "later", "invoice_prefix": "A very long prefix", "payment_terms_days": 400, "cancel_paid": "cash", "colour": 1 });
        let (status, answer) = patch(&app, &token, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["bill_when", "invoice_prefix", "payment_terms_days", "cancel_paid", "colour"] {
            assert!(answer["error"]["fields"][field].is_string(), "{field}: {answer}");
        }
        let (status, answer) = patch(&app, &token, json!({ "bill_when": "confirmed", "payment_terms_days": -1 })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(get(&app, &token, "/api/v1/paws/settings/billing").await.1, settings, "nothing changed");
        assert_eq!(app.count("select count(*) from billing_settings").await, 0);

        let (status, changed) = patch(&app, &token, json!({ "bill_when": "completed", "invoice_prefix": "PW-" })).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed, json!({ "bill_when": "completed", "invoice_prefix": "PW-", "payment_terms_days": 14, "cancel_paid": "credit" }));
        assert_eq!(get(&app, &token, "/api/v1/paws/settings/billing").await.1, changed);
        let actions: Vec<String> = sqlx::query_scalar("select action from audit_log where action = 'settings.billing'")
            .fetch_all(app.db().pool()).await.unwrap();
        assert_eq!(actions.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn credit_pays_first_and_only_the_rest_is_invoiced() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, token) = setup(&app).await;
        let (status, _) = patch(
            &app,
            &token,
            json!({ "bill_when": "confirmed", "invoice_prefix": "PW-", "payment_terms_days": 7 }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let client: i64 =
            app.count(&format!("select count(*) from tenants where id = {tenant}")).await;
        assert_eq!(client, 1);
        let (_, ann) = post(
            &app,
            &token,
            "/api/v1/paws/clients",
            json!({ "name": "Ann", "email": "ann@example.com" }),
        )
        .await;
        let ann = app.client_id(tenant, ann["id"].as_i64().unwrap()).await;
        let (status, _) = post(
            &app,
            &token,
            &format!("/api/v1/paws/clients/{ann}/credit"),
            json!({ "amount_minor": 3000, "reason": "Voucher" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);

        // Credit 30.00, a 25.00 booking: no invoice, 5.00 left, a `use` naming the booking.
        let first = book(&app, &token, 10, json!({ "client_id": ann.get() })).await;
        assert_eq!(invoices_of(&app, &token, ann).await, Vec::<Value>::new());
        assert_eq!(balance(&app, &token, ann).await, 500);
        let (_, credit) = get(&app, &token, &format!("/api/v1/paws/clients/{ann}/credit")).await;
        assert_eq!(
            (credit["entries"][1]["kind"].as_str(), credit["entries"][1]["booking_id"].as_i64()),
            (Some("use"), Some(first))
        );
        assert_eq!(credit["entries"][1]["amount_minor"], -2500);

        // Another: 5.00 from credit, an issued invoice of 20.00 due in 7 days; credit 0.
        let second = book(&app, &token, 12, json!({ "client_id": ann.get() })).await;
        assert_eq!(balance(&app, &token, ann).await, 0);
        let invoices = invoices_of(&app, &token, ann).await;
        assert_eq!(invoices.len(), 1);
        let invoice = &invoices[0];
        assert_eq!(
            (
                invoice["number"].as_str(),
                invoice["status"].as_str(),
                invoice["total_minor"].as_i64()
            ),
            (Some("PW-0001"), Some("open"), Some(2000))
        );
        assert_eq!(
            (invoice["due_date"].as_str(), invoice["lines"][0]["booking_id"].as_i64()),
            (Some("2026-12-08"), Some(second))
        );
        assert!(
            invoice["lines"][0]["description"].as_str().unwrap().contains("5.00 paid from credit"),
            "{invoice}"
        );

        // A booking is billed at most once.
        let again = Charge {
            client: ann,
            amount_minor: 2500,
            credit_minor: 0,
            invoice: None,
            cancelled: false,
        };
        let mut tx = app.db().begin_write().await.unwrap();
        assert!(
            !billing::record_charge(
                &mut tx,
                tenant,
                app.booking_id(tenant, second).await,
                &again,
                0
            )
            .await
            .unwrap()
        );
        drop(tx);

        // Cancelling: the unpaid invoice is void; the credit each used comes back.
        let (status, _) =
            post(&app, &token, &format!("/api/v1/paws/bookings/{second}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let invoices = invoices_of(&app, &token, ann).await;
        assert_eq!(
            (invoices[0]["status"].as_str(), invoices[0]["void_reason"].as_str()),
            (Some("void"), Some(format!("booking {second} cancelled").as_str()))
        );
        assert_eq!(balance(&app, &token, ann).await, 500);
        let (status, _) =
            post(&app, &token, &format!("/api/v1/paws/bookings/{first}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(balance(&app, &token, ann).await, 3000);
        let billed: Vec<String> = sqlx::query_scalar(
            "select action from audit_log where action like 'booking.%billed' order by id",
        )
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        assert_eq!(
            billed,
            ["booking.billed", "booking.billed", "booking.unbilled", "booking.unbilled"]
        );
    })
    .await;
}

#[tokio::test]
async fn a_guests_booking_is_billed_to_a_client_by_email_and_paid_cancellations_become_credit() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, token) = setup(&app).await;
        patch(&app, &token, json!({ "bill_when": "confirmed" })).await;
        let guest = json!({ "guest": { "name": "Gus", "email": "Gus@Example.com", "phone": "123" } });
        let booking = book(&app, &token, 10, guest.clone()).await;
        let clients = format!("select count(*) from clients where tenant_id = {tenant} and email = 'gus@example.com' and user_id is null");
        assert_eq!(app.count(&clients).await, 1, "a client without a login");
        let gus = app.count(&format!("select id from clients where tenant_id = {tenant}")).await;
        let gus = app.client_id(tenant, gus).await;
        // The same guest again is the same client.
        let other = book(&app, &token, 12, guest).await;
        assert_eq!(app.count(&clients).await, 1);
        let invoices = invoices_of(&app, &token, gus).await;
        assert_eq!(invoices.len(), 2);
        // Billing issues them as an owner would: the client is emailed about each, once.
        app.run_pending_jobs().await;
        app.run_pending_jobs().await;
        let issued = app.mail.messages().iter().filter(|m| m.subject().starts_with("Invoice ")).count();
        assert_eq!(issued, 2, "one email per billed invoice");
        let (paid_id, open_id) = (invoices[1]["id"].as_i64().unwrap(), invoices[0]["id"].as_i64().unwrap());

        // Paid in full, then cancelled: the payment's money becomes credit, the invoice void.
        let pay = json!({ "client_id": gus.get(), "invoice_id": paid_id, "amount_minor": 2500, "currency": "GBP", "method": "cash", "received_on": "2026-12-01" });
        let (status, payment) = post(&app, &token, "/api/v1/paws/payments", pay).await;
        assert_eq!(status, StatusCode::CREATED, "{payment}");
        let (status, _) = post(&app, &token, &format!("/api/v1/paws/bookings/{booking}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (_, invoice) = get(&app, &token, &format!("/api/v1/paws/invoices/{paid_id}")).await;
        assert_eq!((invoice["status"].as_str(), invoice["paid_minor"].as_i64()), (Some("void"), Some(0)));
        assert_eq!(balance(&app, &token, gus).await, 2500);
        let (_, credit) = get(&app, &token, &format!("/api/v1/paws/clients/{gus}/credit")).await;
        let entry = &credit["entries"][0];
        assert_eq!((entry["kind"].as_str(), entry["payment_id"].clone(), entry["booking_id"].as_i64()), (Some("cancellation"), payment["id"].clone(), Some(booking)));

        // With manual refunds, a paid invoice stays paid and nothing becomes credit.
        patch(&app, &token, json!({ "cancel_paid": "manual" })).await;
        let pay = json!({ "client_id": gus.get(), "invoice_id": open_id, "amount_minor": 2500, "currency": "GBP", "method": "cash", "received_on": "2026-12-01" });
        assert_eq!(post(&app, &token, "/api/v1/paws/payments", pay).await.0, StatusCode::CREATED);
        assert_eq!(post(&app, &token, &format!("/api/v1/paws/bookings/{other}/cancel"), json!({})).await.0, StatusCode::OK);
        let (_, invoice) = get(&app, &token, &format!("/api/v1/paws/invoices/{open_id}")).await;
        assert_eq!(invoice["status"], "paid");
        assert_eq!(balance(&app, &token, gus).await, 2500);
    })
    .await;
}

#[tokio::test]
async fn billing_on_completion_waits_for_the_booking_to_be_completed() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, token) = setup(&app).await;
        patch(&app, &token, json!({ "bill_when": "completed" })).await;
        let (_, ann) = post(
            &app,
            &token,
            "/api/v1/paws/clients",
            json!({ "name": "Ann", "email": "ann@example.com" }),
        )
        .await;
        let ann = app.client_id(tenant, ann["id"].as_i64().unwrap()).await;
        let booking = book(&app, &token, 10, json!({ "client_id": ann.get() })).await;
        assert!(invoices_of(&app, &token, ann).await.is_empty(), "not on confirmation");
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-12-02T11:30:00Z").unwrap().into());
        let (status, answer) =
            post(&app, &token, &format!("/api/v1/paws/bookings/{booking}/complete"), json!({}))
                .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let invoices = invoices_of(&app, &token, ann).await;
        assert_eq!((invoices.len(), invoices[0]["total_minor"].as_i64()), (1, Some(2500)));
        assert_eq!(invoices[0]["due_date"], "2026-12-16");
    })
    .await;
}
