//! The owner's and the client's money pages: installment plans made on the invoice page,
//! client credit on the client page, the payments list and detail with refunds, the portal's
//! payment history and home, and the payment status of a billed booking.

use portico_testkit::{Browser, PASSWORD, TestApp, location, matrix};
use reqwest::StatusCode;
use serde_json::json;

use crate::invoice_pages::setup;
use crate::payments::post;

/// An issued invoice of `client` with one line of `minor`, due `due`; its id.
pub async fn issued(app: &TestApp, token: &str, client: i64, minor: i64, due: &str) -> i64 {
    let body = json!({ "client_id": client, "due_date": due, "lines": [
        { "description": "Twelve walks", "quantity": 1, "unit_price_minor": minor } ] });
    let (status, draft) = post(app, token, "/api/v1/paws/invoices", body).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    let (status, _) =
        post(app, token, &format!("/api/v1/paws/invoices/{id}/issue"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    id
}

/// A payment recorded over the API; its id.
pub async fn pay(app: &TestApp, token: &str, client: i64, invoice: Option<i64>, minor: i64) -> i64 {
    let body = json!({ "client_id": client, "invoice_id": invoice, "amount_minor": minor,
        "currency": "GBP", "method": "cash", "received_on": "2026-12-01", "reference": "TILL-9" });
    let (status, paid) = post(app, token, "/api/v1/paws/payments", body).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    paid["id"].as_i64().unwrap()
}

async fn token(app: &TestApp) -> String {
    let t = portico_store::tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
    app.api_token(t.id).await
}

async fn client_login(app: &TestApp, email: &str) -> Browser {
    let browser = app.browser();
    browser.login(email, PASSWORD).await;
    browser
}

#[tokio::test]
async fn the_owner_splits_an_open_invoice_into_installments_on_its_page() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, _, _) = setup(&app).await;
        let token = token(&app).await;
        let id = issued(&app, &token, ann, 10_000, "2026-12-31").await;
        let path = format!("/app/paws/invoices/{id}/installments");
        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        assert!(page.contains(&format!("action=\"{path}\"")), "the form is offered");

        // Bad input: a message per field, nothing saved.
        let response = owner
            .post_form(&path, &[("count", "1"), ("first_due", "31/12"), ("interval_days", "0")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        for message in ["Split into 2 to 24 parts.", "Enter a date as YYYY-MM-DD.", "from 1 to 366"] {
            assert!(html.contains(message), "{message}");
        }
        // Typed parts that do not add up to the balance.
        let form = [
            ("count", "3"),
            ("first_due", "2026-12-10"),
            ("interval_days", "30"),
            ("part_due", "2026-12-10"),
            ("part_amount", "40.00"),
            ("part_due", "2027-01-10"),
            ("part_amount", "40.00"),
            ("part_due", ""),
            ("part_amount", ""),
        ];
        let response = owner.post_form(&path, &form).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("The parts add up to GBP 80.00, not to the balance of GBP 100.00."));
        assert_eq!(app.count("select count(*) from installments").await, 0);

        // Equal parts: 33.33, 33.33, 33.34 every 30 days from 10 December.
        let response = owner
            .post_form(&path, &[("count", "3"), ("first_due", "2026-12-10"), ("interval_days", "30")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), format!("/app/paws/invoices/{id}#installments"));
        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        let plan = &page[page.find("id=\"installments\"").expect("the plan")..];
        for needle in ["2026-12-10", "2027-01-09", "2027-02-08", "GBP 33.33", "GBP 33.34"] {
            assert!(plan.contains(needle), "{needle}: {plan}");
        }

        // Typed parts replace it while nothing is paid under it.
        let mut form = form;
        form[4].1 = "60.00";
        let response = owner.post_form(&path, &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "select due_date, amount_minor from installments where invoice_id = $1 order by due_date",
        )
        .bind(id)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        assert_eq!(rows, vec![("2026-12-10".to_owned(), 6000), ("2027-01-10".to_owned(), 4000)]);

        // A payment settles the first part; the client sees the plan with it paid.
        pay(&app, &token, ann, Some(id), 6000).await;
        let portal = client_login(&app, "ann@example.com").await;
        let page = portal.page(&format!("/portal/paws/invoices/{id}")).await;
        let plan = &page[page.find("id=\"installments\"").expect("the plan")..];
        assert!(plan.contains("✓</span> Paid") && plan.contains("○</span> Open"), "{plan}");
        // Now a new plan is refused: nothing changes.
        let response = owner.post_form(&path, &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        assert!(page.contains("A payment was made since the current plan"), "{page}");
        assert_eq!(app.count("select count(*) from installments").await, 2);
    })
    .await;
}

/// The text of the page from the element with `id` on.
fn from<'a>(page: &'a str, id: &str) -> &'a str {
    &page[page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("#{id} in {page}"))..]
}

#[tokio::test]
async fn the_owner_sees_a_clients_credit_with_its_causes_and_grants_more() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, _, _) = setup(&app).await;
        let token = token(&app).await;
        // 40.00 paid on a 25.00 invoice: 15.00 of it is credit, naming the payment.
        let invoice = issued(&app, &token, ann, 2500, "2026-12-31").await;
        let payment = pay(&app, &token, ann, Some(invoice), 4000).await;
        let page = owner.page(&format!("/app/paws/clients/{ann}")).await;
        let credit = from(&page, "credit");
        assert!(credit.contains("GBP 15.00"), "{credit}");
        assert!(credit.contains(&format!("href=\"/app/paws/payments/{payment}\"")), "{credit}");
        assert!(credit.contains(&format!("Overpayment of payment #{payment}")), "{credit}");

        // Bad input: a message per field, nothing granted.
        let path = format!("/app/paws/clients/{ann}/credit");
        let response = owner.post_form(&path, &[("amount", "-3"), ("reason", " ")]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("Enter the credit to give, such as 25.00 (in GBP)."), "{html}");
        assert!(html.contains("Say why the credit is given."), "{html}");
        assert_eq!(app.count("select count(*) from credit_entries").await, 1);

        let response =
            owner.post_form(&path, &[("amount", "10.50"), ("reason", "Sorry <b>late</b>")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = owner.page(&format!("/app/paws/clients/{ann}")).await;
        assert!(page.contains("balance is GBP 25.50"), "the flash");
        let credit = from(&page, "credit");
        assert!(credit.contains("GBP 25.50") && credit.contains("+GBP 10.50"), "{credit}");
        assert!(
            credit.contains("Granted by you — Sorry &lt;b&gt;late&lt;&#x2F;b&gt;")
                || credit.contains("Granted by you — Sorry &lt;b&gt;late&lt;/b&gt;"),
            "{credit}"
        );
        let (_, json) =
            crate::payments::get(&app, &token, &format!("/api/v1/paws/clients/{ann}/credit")).await;
        assert_eq!(json["balance_minor"], 2550);
    })
    .await;
}

#[tokio::test]
async fn the_payments_list_filters_and_pages_and_a_payment_is_refunded_once() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, bob, _) = setup(&app).await;
        let token = token(&app).await;
        let invoice = issued(&app, &token, ann, 2500, "2026-12-31").await;
        let number: String = sqlx::query_scalar("select number from invoices where id = $1")
            .bind(invoice)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        let payment = pay(&app, &token, ann, Some(invoice), 4000).await;
        let body = json!({ "client_id": bob, "invoice_id": null, "amount_minor": 700,
            "currency": "GBP", "method": "bank_transfer", "received_on": "2026-11-30", "reference": "BOB-1" });
        let (status, _) = post(&app, &token, "/api/v1/paws/payments", body).await;
        assert_eq!(status, StatusCode::CREATED);

        let page = owner.page("/app/paws/payments").await;
        assert!(page.contains("href=\"/app/paws/payments\""), "in the navigation");
        for needle in ["Ann Walker", "Bob Barker", "GBP 40.00", "GBP 7.00", "Cash", "Bank transfer", &number] {
            assert!(page.contains(needle), "{needle}: {page}");
        }
        let page = owner.page("/app/paws/payments?method=cash&status=received").await;
        assert!(page.contains("Ann Walker") && !page.contains("Bob Barker"), "{page}");
        let page = owner.page("/app/paws/payments?method=bank_transfer").await;
        assert!(!page.contains("Ann Walker") && page.contains("Bob Barker"), "{page}");
        let response = owner.get("/app/paws/payments?status=lost").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);

        // The detail: 25.00 on the invoice, 15.00 to credit; linked from the invoice page.
        let detail = format!("/app/paws/payments/{payment}");
        let page = owner.page(&format!("/app/paws/invoices/{invoice}")).await;
        assert!(page.contains(&format!("href=\"{detail}\"")), "{page}");
        let page = owner.page(&detail).await;
        let went = from(&page, "allocations");
        assert!(went.contains(&number) && went.contains("GBP 25.00") && went.contains("GBP 15.00"), "{went}");
        assert!(page.contains("Up to GBP 40.00"), "{page}");

        // Bad input changes nothing.
        let refund = format!("{detail}/refund");
        let response = owner
            .post_form(&refund, &[("amount", "x"), ("reason", ""), ("refunded_before", "0")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("Enter the amount to refund") && html.contains("Say why it is refunded."));
        let response = owner
            .post_form(&refund, &[("amount", "40.01"), ("reason", "Too much"), ("refunded_before", "0")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("At most GBP 40.00 of this payment can be refunded now."));
        assert_eq!(app.count("select count(*) from payment_refunds").await, 0);

        // A partial refund; the same form submitted five times at once, then again, refunds
        // once (checked under the payment's lock, not just before it).
        let form = [("amount", "10.00"), ("reason", "Walk cut short"), ("refunded_before", "0")];
        let submits = (0..5).map(|_| owner.post_form(&refund, &form));
        for response in futures::future::join_all(submits).await {
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        let response = owner.post_form(&refund, &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        // The workflow itself refuses a refund asked against an older state.
        let tenant = portico_store::tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let ctx = portico_core::Context::system(portico_domain::Clock::now(&*app.clock));
        let gbp = portico_domain::money::Currency::parse(&tenant.currency).unwrap();
        let ten = portico_domain::Money::new(1000, gbp);
        let stale = portico_web::online::refund_payment(
            &app.state, tenant.id, payment, ten, "Again", Some(0), &ctx,
        )
        .await
        .unwrap();
        assert!(
            matches!(
                stale,
                Err(portico_core::online::OnlineRefusal::Refused(
                    portico_core::payments::Refusal::RefundedMeanwhile
                ))
            ),
            "{stale:?}"
        );
        let page = owner.page(&detail).await;
        assert!(page.contains("was refunded meanwhile"), "{page}");
        let refunded: i64 = app.count(&format!("select refunded_minor from payments where id = {payment}")).await;
        assert_eq!(refunded, 1000);
        let refunds = from(&page, "refunds");
        assert!(refunds.contains("Walk cut short") && refunds.contains("GBP 10.00"), "{refunds}");
        // The rest, in full (it was taken from the credit first, then off the invoice).
        let response = owner
            .post_form(&refund, &[("amount", "30.00"), ("reason", "All back"), ("refunded_before", "1000")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let refunded: i64 = app.count(&format!("select refunded_minor from payments where id = {payment}")).await;
        assert_eq!(refunded, 4000);
        let page = owner.page(&detail).await;
        assert!(!page.contains(&format!("action=\"{refund}\"")), "nothing left to refund");
        let (_, json) = crate::payments::get(&app, &token, &format!("/api/v1/paws/invoices/{invoice}")).await;
        assert_eq!((json["status"].as_str(), json["balance_minor"].as_i64()), (Some("open"), Some(2500)));

        // Pages of 50.
        for _ in 0..50 {
            pay(&app, &token, bob, None, 100).await;
        }
        let page = owner.page("/app/paws/payments").await;
        assert!(page.contains("Page 1 of 2 · 52 payments") && page.contains("page=2"), "{page}");
        let page = owner.page("/app/paws/payments?page=2").await;
        assert!(page.contains("Page 2 of 2") && page.contains("GBP 7.00"), "the oldest is last");
    })
    .await;
}

#[tokio::test]
async fn a_client_sees_their_own_payments_refunds_open_invoices_and_plans_only() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, bob, _) = setup(&app).await;
        let token = token(&app).await;
        let planned = issued(&app, &token, ann, 9000, "2026-12-31").await;
        let plan = json!({ "count": 3, "first_due": "2026-12-05", "interval_days": 30 });
        let (status, _) =
            post(&app, &token, &format!("/api/v1/paws/invoices/{planned}/installments"), plan).await;
        assert_eq!(status, StatusCode::CREATED);
        let payment = pay(&app, &token, ann, Some(planned), 3500).await;
        let other = issued(&app, &token, ann, 1250, "2026-12-20").await;
        owner
            .post_form(
                &format!("/app/paws/payments/{payment}/refund"),
                &[("amount", "5.00"), ("reason", "Goodwill"), ("refunded_before", "0")],
            )
            .await;
        let bob_invoice = issued(&app, &token, bob, 4400, "2026-12-31").await;
        let body = json!({ "client_id": bob, "invoice_id": bob_invoice, "amount_minor": 4400,
            "currency": "GBP", "method": "card_terminal", "received_on": "2026-12-01", "reference": "BOBS-OWN" });
        post(&app, &token, "/api/v1/paws/payments", body).await;

        let portal = client_login(&app, "ann@example.com").await;
        let page = portal.page("/portal/paws/payments").await;
        assert!(page.contains("href=\"/portal/paws/payments\""), "in the navigation");
        for needle in ["GBP 35.00", "TILL-9", "Goodwill", "GBP 5.00", &format!("/portal/paws/invoices/{planned}")] {
            assert!(page.contains(needle), "{needle}: {page}");
        }
        assert!(!page.contains("BOBS-OWN") && !page.contains("44.00"), "not Bob's");

        // Home: 90.00 − 35.00 + 5.00 = 60.00 and 12.50 outstanding, and the plan's next part.
        let home = portal.page("/portal/paws").await;
        assert!(home.contains("GBP 72.50"), "{home}");
        let open = from(&home, "owed-title");
        assert!(open.contains(&format!("/portal/paws/invoices/{other}")), "{open}");
        assert!(open.contains("GBP 12.50 due 2026-12-20"), "{open}");
        assert!(!open.contains(&format!("/portal/paws/invoices/{bob_invoice}")), "{open}");
        // 30.00 paid (35.00 less the 5.00 refund): the first part of 30.00 is paid.
        let plans = &open[open.find("installment-plans").expect("plans")..];
        assert!(plans.contains("1 of 3 paid"), "{plans}");
        assert!(plans.contains("next: GBP 30.00 due 2027-01-04"), "{plans}");

        let bob_portal = client_login(&app, "bob@example.com").await;
        let page = bob_portal.page("/portal/paws/payments").await;
        assert!(page.contains("BOBS-OWN") && !page.contains("TILL-9") && !page.contains("Goodwill"), "{page}");
    })
    .await;
}

/// The "your invoice" emails so far to `to`.
fn invoice_mails(app: &TestApp, to: &str) -> Vec<portico_testkit::ReceivedMail> {
    app.mail
        .messages()
        .into_iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject().starts_with("Invoice "))
        .collect()
}

#[tokio::test]
async fn an_issued_invoice_is_emailed_once_and_not_to_a_client_who_opted_out() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, bob, _) = setup(&app).await;
        let token = token(&app).await;
        let t = portico_store::tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let bob_id = app.client_id(t.id, bob).await;
        let mut off = portico_store::notify::prefs::client(app.db(), t.id, bob_id)
            .await
            .unwrap();
        off.email.invoices = false;
        portico_store::notify::prefs::set_client(app.db(), t.id, bob_id, &off, 0)
            .await
            .unwrap();

        // Issued on the owner's page.
        let body = json!({ "client_id": ann, "due_date": "2026-12-15", "lines": [
            { "description": "Walks", "quantity": 2, "unit_price_minor": 1250 } ] });
        let (_, draft) = post(&app, &token, "/api/v1/paws/invoices", body).await;
        let id = draft["id"].as_i64().unwrap();
        let response = owner.post_form(&format!("/app/paws/invoices/{id}/issue"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        app.run_pending_jobs().await;
        // The job delivered twice (at-least-once): still one email.
        app.enqueue(&portico_jobs::InvoiceIssued { tenant_id: t.id.get(), invoice_id: id }).await;
        app.run_pending_jobs().await;
        let sent = invoice_mails(&app, "ann@example.com");
        assert_eq!(sent.len(), 1, "one email per invoice");
        let number: String = sqlx::query_scalar("select number from invoices where id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(sent[0].subject(), format!("Invoice {number} from Business paws"));
        let text = sent[0].text_body();
        for expected in ["Amount due: GBP 25.00", "Due date: Tue 15 Dec 2026", "PDF"] {
            assert!(text.contains(expected), "{expected}: {text}");
        }
        assert!(sent[0].first_link_containing(&format!("/portal/paws/invoices/{id}")).is_some());
        let unsubscribe = sent[0].first_link_containing("/unsubscribe/").expect("link");
        assert!(sent[0].raw.contains(&format!("\r\nList-Unsubscribe: <{unsubscribe}>\r\n")));

        // Issued over the API for Bob, who turned invoice emails off: none, and settled.
        let bob_invoice = issued(&app, &token, bob, 900, "2026-12-20").await;
        app.run_pending_jobs().await;
        assert!(invoice_mails(&app, "bob@example.com").is_empty());
        let settled = app
            .count(&format!(
                "select count(*) from invoice_notices where invoice_id = {bob_invoice} and sent_at is not null"
            ))
            .await;
        assert_eq!(settled, 1);
        assert_eq!(app.count("select count(*) from invoice_notices").await, 2);
    })
    .await;
}

#[tokio::test]
async fn a_billed_booking_shows_its_payment_status_and_invoice_to_the_client() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, ann, _, first) = setup(&app).await;
        let token = token(&app).await;
        let (status, _) = crate::payments::call(
            &app,
            &token,
            reqwest::Method::PATCH,
            "/api/v1/paws/settings/billing",
            Some(json!({ "bill_when": "confirmed" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let book = |hour: u32| {
            let app = &app;
            let token = &token;
            async move {
                let body = json!({ "service": "walk", "start": format!("2026-12-09T{hour:02}:00:00Z"), "client_id": ann });
                let (status, booking) = post(app, token, "/api/v1/paws/bookings", body).await;
                assert_eq!(status, StatusCode::CREATED, "{booking}");
                app.run_pending_jobs().await;
                booking["id"].as_i64().unwrap()
            }
        };
        let billed = book(10).await;
        let invoice: i64 = app
            .count(&format!("select invoice_id from booking_charges where booking_id = {billed}"))
            .await;
        let portal = client_login(&app, "ann@example.com").await;
        let page = portal.page(&format!("/portal/paws/bookings/{billed}")).await;
        let payment = &page[page.find("booking-payment").expect("the payment status")..];
        assert!(payment.contains("Unpaid"), "{payment}");
        assert!(payment.contains(&format!("href=\"/portal/paws/invoices/{invoice}\"")), "{payment}");
        pay(&app, &token, ann, Some(invoice), 2500).await;
        let page = portal.page(&format!("/portal/paws/bookings/{billed}")).await;
        assert!(page[page.find("booking-payment").unwrap()..].contains("Paid"), "{page}");

        // Covered by credit: no invoice.
        let (status, _) = post(&app, &token, &format!("/api/v1/paws/clients/{ann}/credit"),
            json!({ "amount_minor": 3000, "reason": "Voucher" })).await;
        assert_eq!(status, StatusCode::CREATED);
        let covered = book(12).await;
        let page = portal.page(&format!("/portal/paws/bookings/{covered}")).await;
        let payment = &page[page.find("booking-payment").expect("the payment status")..];
        assert!(payment.contains("Paid with credit") && payment.contains("GBP 25.00 from your credit"), "{payment}");

        // The booking made before billing was switched on shows no payment status.
        let page = portal.page(&format!("/portal/paws/bookings/{first}")).await;
        assert!(!page.contains("booking-payment"), "not billed");
    })
    .await;
}
