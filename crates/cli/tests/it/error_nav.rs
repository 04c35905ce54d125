//! Error pages of the provider dashboard keep its navigation and offer the way back, for a
//! member of the tenant; FREE tenants see the PRO items of the navigation marked as PRO.

use portico_domain::plans::Plan;
use portico_testkit::{PASSWORD, TestApp, matrix};
use reqwest::StatusCode;

const PRO_MARK: &str = "<span class=\"badge pro\">PRO</span>";

#[tokio::test]
async fn dashboard_error_pages_keep_the_navigation_and_the_way_back() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let free = app.seed_tenant("paws", Plan::Free).await;
        let other = app.seed_tenant("other", Plan::Pro).await;
        let owner = app.browser();
        owner.login(&free.owner_email, PASSWORD).await;

        let home = owner.page("/app/paws").await;
        assert!(home.contains(&format!("/app/paws/staff\">Staff {PRO_MARK}</a>")), "{home}");
        assert!(home.contains(&format!("/app/paws/team\">Team {PRO_MARK}</a>")));
        assert!(home.contains(&format!("/app/paws/calendar\">Google Calendar {PRO_MARK}</a>")));

        // 402 (a PRO page on FREE), 404 (an unknown id): inside the dashboard frame.
        for (path, status) in [
            ("/app/paws/staff", StatusCode::PAYMENT_REQUIRED),
            ("/app/paws/bookings/999999", StatusCode::NOT_FOUND),
            ("/app/paws/no-such-page", StatusCode::NOT_FOUND),
        ] {
            let response = owner.get(path).await;
            assert_eq!(response.status(), status, "{path}");
            let page = response.text().await.unwrap();
            assert!(page.contains("href=\"/app/paws/bookings\">Bookings</a>"), "{path}: {page}");
            assert!(page.contains("href=\"/app/paws\">Back to"), "{path}");
            assert!(page.contains("action=\"/accounts/logout\""), "{path}");
        }
        // Another tenant's pages are a plain 404 that names nothing of it.
        let response = owner.get("/app/other/bookings").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let page = response.text().await.unwrap();
        assert!(!page.contains("/app/other"), "{page}");
        assert!(page.contains("href=\"/\">Go to the home page"));

        // A staff login on an owner-only page: 403, still inside its frame.
        let staff_owner = app.browser();
        staff_owner.login(&other.owner_email, PASSWORD).await;
        let home = staff_owner.page("/app/other").await;
        assert!(!home.contains(PRO_MARK), "PRO tenants see no marks");
        app.seed_staff(&other, "sam@other.example").await;
        let sam = app.browser();
        sam.login("sam@other.example", PASSWORD).await;
        let response = sam.get("/app/other/settings").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let page = response.text().await.unwrap();
        assert!(page.contains("href=\"/app/other/bookings\">Bookings</a>"), "{page}");
        assert!(page.contains("href=\"/app/other\">Back to"));
    })
    .await;
}
