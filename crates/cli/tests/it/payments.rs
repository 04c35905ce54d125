//! Money over the API: client credit (grants, a balance that never goes negative), payments
//! applied to invoices and their installments oldest first with the excess as credit,
//! refunds, installment plans, 20 concurrent full payments of one invoice, and the client's
//! declared bank transfer that the owner confirms or rejects.

use chrono::{TimeZone as _, Utc};
use futures::future::join_all;
use portico_domain::Clock as _;
use portico_domain::booking::Actor;
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Currency, Money};
use portico_store::tenants;
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub(crate) async fn call(
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

pub(crate) async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    call(app, token, reqwest::Method::POST, path, Some(body)).await
}

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, token, reqwest::Method::GET, path, None).await
}

/// An issued invoice of the client: 3 × 19.99 at 7 % and 2.50 at 21 % = 67.20, due `due`.
async fn issued(app: &TestApp, token: &str, client: i64, due: &str) -> Value {
    let body = json!({ "client_id": client, "due_date": due, "lines": [
        { "description": "Walks", "quantity": 3, "unit_price_minor": 1999, "tax_rate_bp": 700 },
        { "description": "Treats", "unit_price_minor": 250, "tax_rate_bp": 2100 } ] });
    let (status, draft) = post(app, token, "/api/v1/paws/invoices", body).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let (status, open) =
        post(app, token, &format!("/api/v1/paws/invoices/{}/issue", draft["id"]), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{open}");
    assert_eq!(open["total_minor"], 6720);
    open
}

fn payment(client: i64, invoice: Option<i64>, amount: i64) -> Value {
    json!({ "client_id": client, "invoice_id": invoice, "amount_minor": amount, "currency": "GBP",
        "method": "bank_transfer", "received_on": "2026-12-01", "reference": "REF 1" })
}

async fn credit_of(app: &TestApp, token: &str, client: i64) -> Value {
    let (status, credit) = get(app, token, &format!("/api/v1/paws/clients/{client}/credit")).await;
    assert_eq!(status, StatusCode::OK, "{credit}");
    credit
}

async fn audit_actions(app: &TestApp, prefix: &str) -> Vec<String> {
    sqlx::query_scalar("select action from audit_log where action like $1 order by id")
        .bind(format!("{prefix}%"))
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn credit_is_granted_with_a_reason_and_listed_with_its_causes() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let (ann, _) = app.seed_client(&t, "Ann", "ann@example.com", false).await;
        let path = format!("/api/v1/paws/clients/{ann}/credit");

        let credit = credit_of(&app, &token, ann.get()).await;
        assert_eq!(credit, json!({ "balance_minor": 0, "currency": "GBP", "entries": [] }));

        // Bad input: a message per field, nothing written.
        for (body, fields) in [
            (json!({ "amount_minor": 0, "reason": " " }), vec!["amount_minor", "reason"]),
            (
                json!({ "amount_minor": -5, "reason": "x", "colour": 1 }),
                vec!["amount_minor", "colour"],
            ),
            (json!({ "amount_minor": "30", "reason": 3 }), vec!["amount_minor", "reason"]),
        ] {
            let (status, answer) = post(&app, &token, &path, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            for field in fields {
                assert!(answer["error"]["fields"][field].is_string(), "{field}: {answer}");
            }
        }
        assert_eq!(app.count("select count(*) from credit_entries").await, 0);
        let (status, _) = post(
            &app,
            &token,
            "/api/v1/paws/clients/999999/credit",
            json!({ "amount_minor": 1, "reason": "x" }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, credit) = post(
            &app,
            &token,
            &path,
            json!({ "amount_minor": 3000, "reason": "Sorry for the wait" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{credit}");
        assert_eq!(credit["balance_minor"], 3000);
        let entry = &credit["entries"][0];
        assert_eq!(
            (entry["kind"].as_str(), entry["amount_minor"].as_i64()),
            (Some("grant"), Some(3000))
        );
        assert_eq!(entry["reason"], "Sorry for the wait");

        // A payment without an invoice is all credit, naming the payment.
        let (status, paid) =
            post(&app, &token, "/api/v1/paws/payments", payment(ann.get(), None, 1250)).await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        assert_eq!(
            (paid["applied"].clone(), paid["credit_minor"].as_i64()),
            (json!([]), Some(1250))
        );
        let credit = credit_of(&app, &token, ann.get()).await;
        assert_eq!(credit["balance_minor"], 4250);
        assert_eq!(credit["entries"][1]["kind"], "overpayment");
        assert_eq!(credit["entries"][1]["payment_id"], paid["id"]);
        assert_eq!(audit_actions(&app, "credit.").await, ["credit.granted"]);
        assert_eq!(audit_actions(&app, "payment.").await, ["payment.recorded"]);
    })
    .await;
}

#[tokio::test]
async fn payments_settle_installments_oldest_first_and_the_excess_becomes_credit() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let (ann, _) = app.seed_client(&t, "Ann", "ann@example.com", false).await;
        let (bob, _) = app.seed_client(&t, "Bob", "bob@example.com", false).await;
        let invoice = issued(&app, &token, ann.get(), "2026-12-15").await;
        let id = invoice["id"].as_i64().unwrap();
        let plan_path = format!("/api/v1/paws/invoices/{id}/installments");

        // Plans: bad shapes are 422 and change nothing; a draft cannot have one.
        for (body, field) in [
            (json!({ "count": 1, "first_due": "2026-12-10" }), "count"),
            (json!({ "count": 3 }), "first_due"),
            (json!({ "count": 3, "first_due": "2026-12-10", "interval_days": 0 }), "interval_days"),
            (json!({ "parts": [{ "due_date": "2026-12-10", "amount_minor": 6000 }, { "due_date": "2027-01-10", "amount_minor": 700 }] }), "parts"),
            (json!({ "parts": [{ "due_date": "soon", "amount_minor": 6720 }] }), "parts[0]"),
        ] {
            let (status, answer) = post(&app, &token, &plan_path, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert!(answer["error"]["fields"][field].is_string(), "{field}: {answer}");
        }
        assert_eq!(app.count("select count(*) from installments").await, 0);
        let (_, draft) = post(&app, &token, "/api/v1/paws/invoices", json!({ "client_id": ann.get(), "due_date": "2026-12-31", "lines": [{ "description": "x", "unit_price_minor": 100 }] })).await;
        let (status, _) = post(&app, &token, &format!("/api/v1/paws/invoices/{}/installments", draft["id"]), json!({ "count": 2, "first_due": "2026-12-10" })).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // Explicit parts are kept in due-date order; then replaced by three equal ones.
        let (status, planned) = post(&app, &token, &plan_path, json!({ "parts": [{ "due_date": "2027-01-10", "amount_minor": 720 }, { "due_date": "2026-12-10", "amount_minor": 6000 }] })).await;
        assert_eq!(status, StatusCode::CREATED, "{planned}");
        assert_eq!(planned["installments"][0]["amount_minor"], 6000);
        let (status, planned) = post(&app, &token, &plan_path, json!({ "count": 3, "first_due": "2026-12-10", "interval_days": 30 })).await;
        assert_eq!(status, StatusCode::CREATED, "{planned}");
        let parts: Vec<(String, i64)> = planned["installments"].as_array().unwrap().iter()
            .map(|p| (p["due_date"].as_str().unwrap().to_owned(), p["amount_minor"].as_i64().unwrap())).collect();
        assert_eq!(parts, [("2026-12-10".into(), 2240), ("2027-01-09".into(), 2240), ("2027-02-08".into(), 2240)]);

        // Another client's invoice, or an unknown one, takes nothing.
        let before = app.count("select count(*) from payments").await;
        let (status, answer) = post(&app, &token, "/api/v1/paws/payments", payment(bob.get(), Some(id), 100)).await;
        assert_eq!((status, answer["error"]["fields"]["invoice_id"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("Unknown invoice of this client.")));
        let (status, answer) = post(&app, &token, "/api/v1/paws/payments", payment(999_999, None, 100)).await;
        assert_eq!((status, answer["error"]["fields"]["client_id"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("Unknown client.")));
        let bad = json!({ "client_id": ann.get(), "amount_minor": 0, "currency": "EUR", "method": "card", "received_on": "1/12/2026", "tip": 1 });
        let (status, answer) = post(&app, &token, "/api/v1/paws/payments", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["amount_minor", "currency", "method", "received_on", "tip"] {
            assert!(answer["error"]["fields"][field].is_string(), "{field}: {answer}");
        }
        let (status, answer) = post(&app, &token, "/api/v1/paws/payments", payment(ann.get(), Some(draft["id"].as_i64().unwrap()), 100)).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_payable")));
        assert_eq!(app.count("select count(*) from payments").await, before);

        // 30.00: the first part, then some of the second.
        let (status, first) = post(&app, &token, "/api/v1/paws/payments", payment(ann.get(), Some(id), 3000)).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["applied"], json!([{ "invoice_id": id, "amount_minor": 3000 }]));
        assert_eq!(first["credit_minor"], 0);
        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!((shown["paid_minor"].as_i64(), shown["balance_minor"].as_i64(), shown["status"].as_str()), (Some(3000), Some(3720), Some("open")));
        let paid: Vec<i64> = shown["installments"].as_array().unwrap().iter().map(|p| p["paid_minor"].as_i64().unwrap()).collect();
        assert_eq!(paid, [2240, 760, 0]);
        // Money on it: it cannot be voided (the payment would be stranded).
        let (status, answer) = post(&app, &token, &format!("/api/v1/paws/invoices/{id}/void"), json!({ "reason": "Oops" })).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")), "{answer}");
        // Paid under the plan: it can no longer be replaced.
        let (status, answer) = post(&app, &token, &plan_path, json!({ "count": 2, "first_due": "2026-12-10" })).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")), "{answer}");

        // The plan's dates decide overdue: past the invoice's due date but the first part paid.
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 20, 12, 0, 0).unwrap());
        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!(shown["overdue"], false, "{shown}");
        app.clock.set(Utc.with_ymd_and_hms(2027, 1, 10, 12, 0, 0).unwrap());
        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!((shown["overdue"].as_bool(), shown["installments"][1]["overdue"].as_bool()), (Some(true), Some(true)));
        let (_, overdue) = get(&app, &token, "/api/v1/paws/invoices?status=overdue").await;
        assert_eq!(overdue["invoices"][0]["id"], id);

        // 50.00 more: the rest of the balance, and 12.80 credit; the invoice is paid.
        let (status, second) = post(&app, &token, "/api/v1/paws/payments", payment(ann.get(), Some(id), 5000)).await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        assert_eq!((second["applied"][0]["amount_minor"].as_i64(), second["credit_minor"].as_i64()), (Some(3720), Some(1280)));
        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!((shown["status"].as_str(), shown["balance_minor"].as_i64(), shown["overdue"].as_bool()), (Some("paid"), Some(0), Some(false)));
        assert_eq!(credit_of(&app, &token, ann.get()).await["balance_minor"], 1280);

        // Refunds: never more than is held; credit first, then off the invoice, which opens.
        let refund = format!("/api/v1/paws/payments/{}/refund", second["id"]);
        let (status, answer) = post(&app, &token, &refund, json!({ "amount_minor": 5001, "reason": "Too much" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(answer["error"]["fields"]["amount_minor"].is_string());
        let (status, answer) = post(&app, &token, &refund, json!({ "amount_minor": 100, "reason": "" })).await;
        assert_eq!((status, answer["error"]["fields"]["reason"].is_string()), (StatusCode::UNPROCESSABLE_ENTITY, true));
        let (status, refunded) = post(&app, &token, &refund, json!({ "amount_minor": 2000, "reason": "Overpaid" })).await;
        assert_eq!(status, StatusCode::OK, "{refunded}");
        assert_eq!((refunded["refunded_minor"].as_i64(), refunded["credit_minor"].as_i64()), (Some(2000), Some(0)));
        assert_eq!(refunded["applied"][0]["amount_minor"], 3000);
        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!((shown["status"].as_str(), shown["paid_minor"].as_i64(), shown["balance_minor"].as_i64()), (Some("open"), Some(6000), Some(720)));
        let credit = credit_of(&app, &token, ann.get()).await;
        assert_eq!(credit["balance_minor"], 0);
        let kinds: Vec<&str> = credit["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["overpayment", "refund"]);
        // What is left of it: 30.00 on the invoice.
        let (status, _) = post(&app, &token, &refund, json!({ "amount_minor": 3001, "reason": "All" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        let (_, list) = get(&app, &token, &format!("/api/v1/paws/payments?client_id={}", ann.get())).await;
        let ids: Vec<i64> = list["payments"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [second["id"].as_i64().unwrap(), first["id"].as_i64().unwrap()]);
        let (_, none) = get(&app, &token, &format!("/api/v1/paws/payments?client_id={}", bob.get())).await;
        assert_eq!(none["payments"], json!([]));
        assert_eq!(audit_actions(&app, "payment.").await, ["payment.recorded", "payment.recorded", "payment.refunded"]);
        assert_eq!(audit_actions(&app, "invoice.installments").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn twenty_concurrent_full_payments_pay_the_invoice_once_and_the_rest_is_credit() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let (ann, _) = app.seed_client(&t, "Ann", "ann@example.com", false).await;
        let invoice = issued(&app, &token, ann.get(), "2026-12-15").await;
        let id = invoice["id"].as_i64().unwrap();

        let payments = (0..20).map(|_| {
            let (app, token) = (&app, &token);
            async move { post(app, token, "/api/v1/paws/payments", payment(ann.get(), Some(id), 6720)).await }
        });
        let answers = join_all(payments).await;
        assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED), "{answers:?}");
        let applied: Vec<i64> = answers.iter().map(|(_, p)| p["applied"].as_array().unwrap().iter().map(|a| a["amount_minor"].as_i64().unwrap()).sum()).collect();
        assert_eq!(applied.iter().filter(|a| **a == 6720).count(), 1, "{applied:?}");
        assert_eq!(applied.iter().filter(|a| **a == 0).count(), 19, "{applied:?}");

        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!((shown["status"].as_str(), shown["paid_minor"].as_i64()), (Some("paid"), Some(6720)));
        let sum = |table: &str| format!("select cast(coalesce(sum(amount_minor), 0) as bigint) from {table} where tenant_id = {}", t.id);
        let payments = app.count(&sum("payments")).await;
        let on_invoices = app.count(&sum("payment_allocations")).await;
        let credit = app.count(&sum("credit_entries")).await;
        assert_eq!((payments, on_invoices, credit), (20 * 6720, 6720, 19 * 6720));
        assert_eq!(payments, on_invoices + credit);
        assert_eq!(credit_of(&app, &token, ann.get()).await["balance_minor"], 19 * 6720);
    })
    .await;
}

#[tokio::test]
async fn a_declared_transfer_is_pending_until_the_owner_confirms_or_rejects_it() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let (ann, user) = app.seed_client(&t, "Ann", "ann@example.com", true).await;
        let (bob, _) = app.seed_client(&t, "Bob", "bob@example.com", false).await;
        let invoice = issued(&app, &token, ann.get(), "2026-12-15").await;
        let id = invoice["id"].as_i64().unwrap();
        let tenant = tenants::by_id(app.db(), t.id.get()).await.unwrap().unwrap();
        let ctx =
            portico_core::Context::new(Actor::Client(user.unwrap()), "192.0.2.1", app.clock.now());
        let gbp = |minor| Money::new(minor, Currency::parse("GBP").unwrap());
        let declare = |client: ClientId, amount| {
            let (db, tenant, ctx) = (app.db(), &tenant, &ctx);
            async move {
                portico_core::payments::declare_transfer(
                    db,
                    tenant,
                    client,
                    id,
                    gbp(amount),
                    "Bank ref 77",
                    ctx,
                )
                .await
                .unwrap()
            }
        };

        // Another client's invoice is not found; nothing is written.
        assert_eq!(declare(bob, 1000).await, Err(portico_core::payments::Refusal::NotFound));
        assert_eq!(app.count("select count(*) from payments").await, 0);

        let pending = declare(ann, 6720).await.unwrap();
        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!(shown["paid_minor"], 0, "pending is not paid");
        let (_, list) = get(&app, &token, "/api/v1/paws/payments").await;
        assert_eq!(
            (list["payments"][0]["status"].as_str(), list["payments"][0]["method"].as_str()),
            (Some("pending"), Some("bank_transfer"))
        );
        // A pending payment cannot be refunded.
        let (status, _) = post(
            &app,
            &token,
            &format!("/api/v1/paws/payments/{}/refund", pending.id),
            json!({ "amount_minor": 1, "reason": "x" }),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);

        let confirm = format!("/api/v1/paws/payments/{}/confirm", pending.id);
        let (status, confirmed) = post(&app, &token, &confirm, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{confirmed}");
        assert_eq!(
            (confirmed["status"].as_str(), confirmed["applied"][0]["amount_minor"].as_i64()),
            (Some("received"), Some(6720))
        );
        let (_, shown) = get(&app, &token, &format!("/api/v1/paws/invoices/{id}")).await;
        assert_eq!(shown["status"], "paid");
        let (status, answer) = post(&app, &token, &confirm, json!({})).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("invalid_transition"))
        );

        // A paid invoice takes no more declarations; a rejected one applies nothing.
        assert!(matches!(
            declare(ann, 100).await,
            Err(portico_core::payments::Refusal::NotPayable("paid"))
        ));
        let other = issued(&app, &token, ann.get(), "2026-12-20").await;
        let other_id = other["id"].as_i64().unwrap();
        let declared = portico_core::payments::declare_transfer(
            app.db(),
            &tenant,
            ann,
            other_id,
            gbp(500),
            "ref",
            &ctx,
        )
        .await
        .unwrap()
        .unwrap();
        let reject = format!("/api/v1/paws/payments/{}/reject", declared.id);
        let (status, answer) = post(&app, &token, &reject, json!({})).await;
        assert_eq!(
            (status, answer["error"]["fields"]["reason"].is_string()),
            (StatusCode::UNPROCESSABLE_ENTITY, true)
        );
        let (status, rejected) =
            post(&app, &token, &reject, json!({ "reason": "Not on our statement" })).await;
        assert_eq!(status, StatusCode::OK, "{rejected}");
        assert_eq!(
            (
                rejected["status"].as_str(),
                rejected["decision_reason"].as_str(),
                rejected["applied"].clone()
            ),
            (Some("rejected"), Some("Not on our statement"), json!([]))
        );
        let (_, other) = get(&app, &token, &format!("/api/v1/paws/invoices/{other_id}")).await;
        assert_eq!(other["paid_minor"], 0);
        assert_eq!(
            audit_actions(&app, "payment.").await,
            ["payment.declared", "payment.confirmed", "payment.declared", "payment.rejected"]
        );
    })
    .await;
}
