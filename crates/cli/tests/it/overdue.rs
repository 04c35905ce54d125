//! Overdue-invoice notices: one email per stage (when an invoice falls overdue, then 7 and 14
//! days later) however often the scan runs, none for a paid invoice or a client who turned
//! invoice emails off, a portal link only for a client with a portal login, and the
//! one-click unsubscribe of the `invoices` kind.

use chrono::{DateTime, TimeZone as _, Utc};
use portico_domain::plans::Plan;
use portico_jobs::OverdueScan;
use portico_store::notify;
use portico_testkit::{ReceivedMail, TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::payments::post;

/// 2026-`month`-`day` at 09:00 UTC (London is on UTC in winter).
fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 9, 0, 0).unwrap()
}

/// An issued invoice of 25.00 for `client`, due `due`.
async fn issued(app: &TestApp, token: &str, client: i64, due: &str) -> Value {
    let body = json!({ "client_id": client, "due_date": due, "lines": [
        { "description": "Walks", "quantity": 1, "unit_price_minor": 2500 } ] });
    let (status, draft) = post(app, token, "/api/v1/paws/invoices", body).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let path = format!("/api/v1/paws/invoices/{}/issue", draft["id"]);
    let (status, open) = post(app, token, &path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{open}");
    open
}

/// Runs the overdue scan and everything it queues.
async fn scan(app: &TestApp) {
    app.enqueue(&OverdueScan::default()).await;
    app.run_pending_jobs().await;
}

/// Overdue notices so far to `to`.
fn notices(app: &TestApp, to: &str) -> Vec<ReceivedMail> {
    app.mail
        .messages()
        .into_iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject().contains("overdue"))
        .collect()
}

#[tokio::test]
async fn an_overdue_invoice_gets_one_notice_per_stage_and_only_while_owed_and_wanted() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let (ann, _) = app.seed_client(&t, "Ann", "ann@example.com", true).await;
        let (bob, _) = app.seed_client(&t, "Bob", "bob@example.com", false).await;
        let (cat, _) = app.seed_client(&t, "Cat", "cat@example.com", false).await;
        let (dan, _) = app.seed_client(&t, "Dan", "dan@example.com", false).await;
        let mut off = notify::prefs::client(app.db(), t.id, bob).await.unwrap();
        off.email.invoices = false;
        notify::prefs::set_client(app.db(), t.id, bob, &off, 0).await.unwrap();

        // Now: Tue 1 Dec. Ann's, Bob's and Cat's invoices were due on Mon 30 Nov; Dan's is due
        // on Sat 5 Dec; today's due date is not overdue yet.
        let ann_invoice = issued(&app, &token, ann.get(), "2026-11-30").await;
        issued(&app, &token, bob.get(), "2026-11-30").await;
        let cat_invoice = issued(&app, &token, cat.get(), "2026-11-30").await;
        issued(&app, &token, dan.get(), "2026-12-05").await;
        let paid = json!({ "client_id": cat.get(), "invoice_id": cat_invoice["id"],
            "amount_minor": 2500, "currency": "GBP", "method": "cash",
            "received_on": "2026-11-30", "reference": "" });
        let (status, answer) = post(&app, &token, "/api/v1/paws/payments", paid).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        app.run_pending_jobs().await;

        scan(&app).await;
        scan(&app).await;
        let sent = notices(&app, "ann@example.com");
        assert_eq!(sent.len(), 1, "exactly one first notice, however often the scan runs");
        let number = ann_invoice["number"].as_str().unwrap();
        assert_eq!(sent[0].subject(), format!("Invoice {number} is overdue"));
        let text = sent[0].text_body();
        for expected in ["Amount due: GBP 25.00", "Due date: Mon 30 Nov 2026", "Business paws"] {
            assert!(text.contains(expected), "{expected}: {text}");
        }
        let link = format!("/portal/paws/invoices/{}", ann_invoice["id"]);
        assert!(sent[0].first_link_containing(&link).is_some(), "{text}");
        let unsubscribe = sent[0].first_link_containing("/unsubscribe/").expect("link");
        assert!(sent[0].raw.contains(&format!("\r\nList-Unsubscribe: <{unsubscribe}>\r\n")));
        assert!(notices(&app, "bob@example.com").is_empty(), "Bob turned invoice emails off");
        assert!(notices(&app, "cat@example.com").is_empty(), "Cat paid");
        assert!(notices(&app, "dan@example.com").is_empty(), "not due yet");

        // Mon 7 Dec: Ann's is 7 days late (the second notice); Dan's fell overdue on Sun 6,
        // and he has no portal login, so his notice has no link to it.
        app.clock.set(at(12, 7));
        scan(&app).await;
        scan(&app).await;
        let sent = notices(&app, "ann@example.com");
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[1].subject(), format!("Reminder: invoice {number} is still overdue"));
        let dan_sent = notices(&app, "dan@example.com");
        assert_eq!(dan_sent.len(), 1);
        assert!(dan_sent[0].first_link_containing("/portal/").is_none(), "no portal login");
        assert!(dan_sent[0].text_body().contains("Due date: Sat 5 Dec 2026"));

        // Sun 20 Dec: Ann's third and last stage; later scans send nothing more.
        app.clock.set(at(12, 20));
        scan(&app).await;
        app.clock.set(at(12, 30));
        scan(&app).await;
        scan(&app).await;
        assert_eq!(notices(&app, "ann@example.com").len(), 3);
        assert!(notices(&app, "bob@example.com").is_empty());
        assert!(notices(&app, "cat@example.com").is_empty());
        // Dan's went from the first notice to his last (15 days late on 20 Dec), not a burst.
        assert_eq!(notices(&app, "dan@example.com").len(), 2);
        let ledger = app.count("select count(*) from overdue_notices").await;
        assert_eq!(ledger, 3 + 3 + 2, "Ann 3, Bob 3 settled without sending, Dan 2");
    })
    .await;
}

#[tokio::test]
async fn a_notice_is_not_sent_once_the_invoice_is_paid_before_it_goes_out() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let (ann, _) = app.seed_client(&t, "Ann", "ann@example.com", false).await;
        let invoice = issued(&app, &token, ann.get(), "2026-11-30").await;
        app.run_pending_jobs().await;

        // The scan claims the notice; the invoice is paid before the send job runs.
        let deps = app.deps();
        portico_workers::overdue::scan(&deps, OverdueScan::default()).await.unwrap();
        let paid = json!({ "client_id": ann.get(), "invoice_id": invoice["id"],
            "amount_minor": 2500, "currency": "GBP", "method": "cash",
            "received_on": "2026-12-01", "reference": "" });
        let (status, answer) = post(&app, &token, "/api/v1/paws/payments", paid).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        app.run_pending_jobs().await;
        assert!(notices(&app, "ann@example.com").is_empty(), "paid at send time");
        let settled = app.count("select count(*) from overdue_notices where sent_at is not null");
        assert_eq!(settled.await, 1);
    })
    .await;
}

#[tokio::test]
async fn an_invoice_falls_overdue_at_midnight_in_the_tenants_time_zone() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        sqlx::query("update tenants set timezone = 'Pacific/Auckland' where id = $1")
            .bind(t.id.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let token = app.api_token(t.id).await;
        let (ann, _) = app.seed_client(&t, "Ann", "ann@example.com", false).await;
        issued(&app, &token, ann.get(), "2026-12-01").await;

        // Tue 1 Dec 10:30 UTC is 23:30 on Tue 1 Dec in Auckland: due today, not overdue.
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 10, 30, 0).unwrap());
        scan(&app).await;
        assert!(notices(&app, "ann@example.com").is_empty(), "due today in Auckland");
        // 11:30 UTC is 00:30 on Wed 2 Dec there, still Tue 1 Dec in UTC: overdue.
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 11, 30, 0).unwrap());
        scan(&app).await;
        assert_eq!(notices(&app, "ann@example.com").len(), 1);
    })
    .await;
}
