//! The owner's invoice pages: a draft written on a page (typed lines and the client's
//! unbilled bookings), field errors that change nothing, editing, issuing, the list with its
//! filters and totals, voiding after a confirmation step, the PDF, and the billing section of
//! the client's page.

use chrono::{TimeZone as _, Utc};
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{Browser, PASSWORD, TestApp, location, matrix};
use reqwest::StatusCode;
use serde_json::json;

use crate::invoice_pdf::pdf_text;

/// A tenant with clients Ann and Bob (both with portal logins), a 25.00 walk, and Ann's
/// confirmed booking on 8 December. Returns the owner's browser, Ann's and Bob's ids and
/// Ann's booking.
pub async fn setup(app: &TestApp) -> (Browser, i64, i64, i64) {
    let t = app.seed_tenant("paws", Plan::Free).await;
    let (ann, _) = app.seed_client(&t, "Ann Walker", "ann@example.com", true).await;
    let (bob, _) = app.seed_client(&t, "Bob Barker", "bob@example.com", true).await;
    app.seed_service(t.id, "walk", Mode::Slot, 60).await;
    app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
    let token = app.api_token(t.id).await;
    let body =
        json!({ "service": "walk", "start": "2026-12-08T10:00:00Z", "client_id": ann.get() });
    let (status, booking) = app.api_post("/api/v1/paws/bookings", &token, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let owner = app.browser();
    owner.login(&t.owner_email, PASSWORD).await;
    (owner, ann.get(), bob.get(), booking["id"].as_i64().unwrap())
}

/// Posts the draft form: `rows` of (description, quantity, price, tax) and ticked bookings.
pub async fn post_draft(
    owner: &Browser,
    path: &str,
    client: &str,
    due: &str,
    rows: &[(&str, &str, &str, &str)],
    bookings: &[&str],
) -> reqwest::Response {
    let mut form = vec![("client", client), ("due_date", due), ("notes", "Thanks!")];
    for (description, quantity, price, tax) in rows {
        form.extend([
            ("description", *description),
            ("quantity", *quantity),
            ("price", *price),
            ("tax", *tax),
            ("line_booking", ""),
        ]);
    }
    form.extend(bookings.iter().map(|b| ("booking", *b)));
    owner.post_form(path, &form).await
}

/// The id at the end of a redirect to an invoice.
fn invoice_id(response: &reqwest::Response) -> i64 {
    location(response).rsplit('/').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_owner_writes_edits_issues_lists_and_voids_invoices_on_pages() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, bob, booking) = setup(&app).await;
        let (ann_s, bob_s, booking_s) = (ann.to_string(), bob.to_string(), booking.to_string());

        // The form offers Ann's unbilled booking.
        let page = owner.page(&format!("/app/paws/invoices/new?client={ann}")).await;
        assert!(page.contains("walk — 2026-12-08"), "{page}");
        assert!(page.contains(&format!("value=\"{booking}\"")));

        // Bad input: every field's message, nothing saved.
        let before = app.count("select count(*) from invoices").await;
        let response = post_draft(
            &owner,
            "/app/paws/invoices/new",
            "",
            "31/12/2026",
            &[("", "0", "abc", "x"), ("", "", "", ""), ("Walk", "1", "1", "200")],
            &["999999"],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        for message in [
            "Choose a client.",
            "Enter a whole quantity",
            "Enter a price such as 25.00",
            "Enter the tax as a percentage",
            "Enter a tax rate from 0 to 100 %.",
            "Describe the line.",
            "not an unbilled booking",
        ] {
            assert!(html.contains(message), "{message}");
        }
        assert!(html.contains("31/12/2026"), "the typed values are kept");
        // Bob cannot be billed for Ann's booking.
        let response =
            post_draft(&owner, "/app/paws/invoices/new", &bob_s, "2026-12-31", &[], &[&booking_s])
                .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.count("select count(*) from invoices").await, before);

        // A draft with a typed line (3 × 19.99 at 7 %) and Ann's booking (25.00, no tax).
        let response = post_draft(
            &owner,
            "/app/paws/invoices/new",
            &ann_s,
            "2026-12-15",
            &[("Dog walks", "3", "19.99", "7"), ("", "", "", "")],
            &[&booking_s],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let id = invoice_id(&response);
        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        assert!(page.contains("Draft invoice") && page.contains("Ann Walker"));
        // 59.97 + 25.00; tax 4.20 (59.97 × 7 % = 4.1979); total 89.17.
        for amount in ["GBP 84.97", "GBP 4.20", "GBP 89.17", "7%"] {
            assert!(page.contains(amount), "{amount}");
        }
        assert_eq!(
            app.count(&format!("select count(*) from invoice_lines where booking_id = {booking}"))
                .await,
            1
        );
        // Billed now: the booking is no longer offered.
        let page = owner.page(&format!("/app/paws/invoices/new?client={ann}")).await;
        assert!(!page.contains("walk — 2026-12-08"));
        // The draft's PDF is marked DRAFT.
        let response = owner.get(&format!("/app/paws/invoices/{id}/pdf")).await;
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert!(pdf_text(&response.bytes().await.unwrap()).contains("DRAFT"));

        // Editing keeps the booking's line (it travels as a hidden field) and replaces the rest.
        let edit = owner.page(&format!("/app/paws/invoices/{id}/edit")).await;
        assert!(
            edit.contains("value=\"Dog walks\"")
                && edit.contains(&format!("name=\"line_booking\" value=\"{booking}\""))
        );
        let form = [
            ("client", ann_s.as_str()),
            ("due_date", "2026-12-10"),
            ("notes", ""),
            ("description", "Dog walks"),
            ("quantity", "2"),
            ("price", "19.99"),
            ("tax", ""),
            ("line_booking", ""),
            ("description", "walk — 2026-12-08 10:00"),
            ("quantity", "1"),
            ("price", "25.00"),
            ("tax", ""),
            ("line_booking", booking_s.as_str()),
        ];
        let response = owner.post_form(&format!("/app/paws/invoices/{id}/edit"), &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        assert!(page.contains("GBP 64.98") && page.contains("2026-12-10"), "{page}");
        // A bad edit changes nothing.
        let bad = [
            ("client", ann_s.as_str()),
            ("due_date", "2026-12-10"),
            ("description", "x"),
            ("quantity", "-1"),
            ("price", "1"),
            ("tax", ""),
            ("line_booking", ""),
        ];
        let response = owner.post_form(&format!("/app/paws/invoices/{id}/edit"), &bad).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(owner.page(&format!("/app/paws/invoices/{id}")).await.contains("GBP 64.98"));

        // Issue: INV-0001, read-only from then on.
        let response = owner.post_form(&format!("/app/paws/invoices/{id}/issue"), &[]).await;
        assert_eq!(location(&response), format!("/app/paws/invoices/{id}"));
        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        assert!(page.contains("Issued as INV-0001.") && page.contains("Invoice INV-0001"));
        assert!(page.contains("Unpaid") && !page.contains("Edit draft"));
        assert_eq!(
            owner.get(&format!("/app/paws/invoices/{id}/edit")).await.status(),
            StatusCode::CONFLICT
        );
        let response = owner.post_form(&format!("/app/paws/invoices/{id}/edit"), &form).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let response = owner.post_form(&format!("/app/paws/invoices/{id}/issue"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        assert!(page.contains("Only a draft can be issued; this invoice is open."), "{page}");
        assert_eq!(app.count("select count(*) from invoices where number is not null").await, 1);

        // A second draft, for Bob.
        let response = post_draft(
            &owner,
            "/app/paws/invoices/new",
            &bob_s,
            "2026-12-31",
            &[("Grooming", "1", "40", "20")],
            &[],
        )
        .await;
        let bob_draft = invoice_id(&response);

        // The list: filters and totals. Outstanding counts the open invoice only.
        let page = owner.page("/app/paws/invoices").await;
        assert!(page.contains("INV-0001") && page.contains(&format!("Draft #{bob_draft}")));
        assert!(page.contains("GBP 64.98"), "outstanding");
        let page = owner.page("/app/paws/invoices?status=draft").await;
        assert!(!page.contains("INV-0001") && page.contains(&format!("Draft #{bob_draft}")));
        let page = owner.page(&format!("/app/paws/invoices?client={ann}")).await;
        assert!(page.contains("INV-0001") && !page.contains(&format!("Draft #{bob_draft}")));
        assert!(!owner.page("/app/paws/invoices?status=overdue").await.contains("INV-0001"));
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 11, 9, 0, 0).unwrap());
        // Ten days on, the session has timed out.
        owner.login("owner@paws.example", PASSWORD).await;
        let page = owner.page("/app/paws/invoices?status=overdue").await;
        assert!(page.contains("INV-0001") && page.contains("Overdue"), "due the 10th");
        assert_eq!(
            owner.get("/app/paws/invoices?status=late").await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            owner.get("/app/paws/invoices?client=999999").await.status(),
            StatusCode::NOT_FOUND
        );

        // The client's page: the billing section with what Ann owes and her invoices.
        let page = owner.page(&format!("/app/paws/clients/{ann}")).await;
        assert!(
            page.contains("Billing") && page.contains("INV-0001") && page.contains("GBP 64.98")
        );
        assert!(page.contains(&format!("/app/paws/invoices/new?client={ann}")));

        // Void: a confirmation step; a reason is required.
        let page = owner.page(&format!("/app/paws/invoices/{id}/void")).await;
        assert!(page.contains("Void invoice INV-0001?"));
        let response =
            owner.post_form(&format!("/app/paws/invoices/{id}/void"), &[("reason", " ")]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("Say why the invoice is void."));
        assert_eq!(app.count("select count(*) from invoices where status = 'void'").await, 0);
        let response = owner
            .post_form(&format!("/app/paws/invoices/{id}/void"), &[("reason", "Wrong dog")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = owner.page(&format!("/app/paws/invoices/{id}")).await;
        assert!(page.contains("Wrong dog") && page.contains("Void"));
        let page = owner.page("/app/paws/invoices").await;
        assert!(page.contains("<strong class=\"amount\">Nothing</strong>"), "nothing outstanding");
        // Voiding frees the booking for another invoice.
        assert!(
            owner
                .page(&format!("/app/paws/invoices/new?client={ann}"))
                .await
                .contains("walk — 2026-12-08")
        );
        let audit: Vec<String> = sqlx::query_scalar(
            "select action from audit_log where action like 'invoice.%' order by id",
        )
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        assert_eq!(
            audit,
            [
                "invoice.created",
                "invoice.updated",
                "invoice.issued",
                "invoice.created",
                "invoice.voided"
            ]
        );
    })
    .await;
}
