//! Invoices in the client portal: the outstanding total on the home page, the list grouped
//! overdue / unpaid / paid with status words, the detail and the PDF (downloads are audited);
//! drafts and other clients' invoices are not found.

use chrono::{TimeZone as _, Utc};
use portico_testkit::{PASSWORD, TestApp, matrix};
use reqwest::StatusCode;

use crate::invoice_pages::{post_draft, setup};
use crate::invoice_pdf::pdf_text;

#[tokio::test]
async fn clients_see_and_download_only_their_own_issued_invoices() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (owner, ann, bob, _) = setup(&app).await;
        let (ann_s, bob_s) = (ann.to_string(), bob.to_string());
        let mut ids = Vec::new();
        for (client, due, description) in [
            (&ann_s, "2026-12-05", "Walks in November"),
            (&ann_s, "2026-12-20", "Walks in December"),
            (&bob_s, "2026-12-20", "Bob's grooming"),
            (&ann_s, "2026-12-20", "Ann's draft"),
        ] {
            let response = post_draft(&owner, "/app/paws/invoices/new", client, due, &[(description, "1", "30.00", "")], &[]).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            let id: i64 = portico_testkit::location(&response).rsplit('/').next().unwrap().parse().unwrap();
            ids.push(id);
        }
        let [november, december, bobs, draft] = ids[..] else { unreachable!() };
        for id in [november, december, bobs] {
            owner.post_form(&format!("/app/paws/invoices/{id}/issue"), &[]).await;
        }
        app.clock.set(Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap());

        let client = app.browser();
        client.login("ann@example.com", PASSWORD).await;
        // The home page shows the outstanding total, and the navigation has Invoices.
        let home = client.page("/portal/paws").await;
        assert!(home.contains("GBP 60.00") && home.contains("GBP 30.00 overdue"), "{home}");
        assert!(home.contains("href=\"/portal/paws/invoices\""));

        let list = client.page("/portal/paws/invoices").await;
        let overdue = list.find("id=\"group-overdue\"").expect("an overdue group");
        let unpaid = list.find("id=\"group-open\"").expect("an unpaid group");
        assert!(overdue < unpaid, "overdue first");
        assert!(list[overdue..unpaid].contains("INV-0001") && list[unpaid..].contains("INV-0002"));
        assert!(list.contains("Overdue") && list.contains("Unpaid") && list.contains("status-icon"));
        assert!(!list.contains("INV-0003"), "Bob's invoice");
        assert!(!list.contains("Ann's draft"));

        let page = client.page(&format!("/portal/paws/invoices/{november}")).await;
        assert!(page.contains("Walks in November") && page.contains("GBP 30.00") && page.contains("Overdue"));
        let response = client.get(&format!("/portal/paws/invoices/{november}/pdf")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let text = pdf_text(&response.bytes().await.unwrap());
        assert!(text.contains("INV-0001") && text.contains("Ann Walker") && text.contains("Walks in November"));
        let audited = app
            .count(&format!("select count(*) from audit_log where action = 'invoice.downloaded' and detail like '#{november} INV-0001 by client #{ann}'"))
            .await;
        assert_eq!(audited, 1);

        // Another client's invoice and a draft: not found, on every route, and not audited.
        for id in [bobs, draft, 999_999] {
            for path in [format!("/portal/paws/invoices/{id}"), format!("/portal/paws/invoices/{id}/pdf")] {
                assert_eq!(client.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
            }
        }
        assert_eq!(app.count("select count(*) from audit_log where action = 'invoice.downloaded'").await, 1);
        // Bob sees his own, not Ann's.
        let bob_browser = app.browser();
        bob_browser.login("bob@example.com", PASSWORD).await;
        let list = bob_browser.page("/portal/paws/invoices").await;
        assert!(list.contains("INV-0003") && !list.contains("INV-0001"));
        assert_eq!(bob_browser.get(&format!("/portal/paws/invoices/{november}/pdf")).await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}
