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

/// A conflict (409) or a rate limit (429) keeps the frame of where it happened and the way
/// back: the dashboard's, the business's portal, its public booking page.
#[tokio::test]
async fn conflict_and_rate_limit_pages_keep_the_navigation_and_the_way_back() {
    use portico_store::catalog::Mode;
    use serde_json::json;

    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| s.set("rate_limits.booking_per_ip", "1")).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
        // Jo has a portal login but may not change bookings online.
        let (client, _) = app.seed_client(&tenant, "Jo", "jo@example.com", true).await;
        let token = app.api_token(tenant.id).await;
        let r = app
            .client
            .post(app.url("/api/v1/paws/bookings"))
            .bearer_auth(&token)
            .json(&json!({ "service": "walk", "start": "2026-12-03T10:00:00Z", "client_id": client.get() }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();

        // The portal: cancelling is not allowed for Jo (409), inside the portal's frame.
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;
        let response = jo.post_form(&format!("/portal/paws/bookings/{id}/cancel"), &[]).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let page = response.text().await.unwrap();
        assert!(page.contains("href=\"/portal/paws/bookings/new\">Book</a>"), "{page}");
        assert!(page.contains("href=\"/portal/paws\">Back to"), "{page}");
        assert!(page.contains("action=\"/accounts/logout\""));

        // The dashboard: cancelling twice is a conflict the second time.
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let cancel = format!("/app/paws/bookings/{id}/cancel");
        assert_eq!(owner.post_form(&cancel, &[]).await.status(), StatusCode::SEE_OTHER);
        let response = owner.post_form(&cancel, &[]).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let page = response.text().await.unwrap();
        assert!(page.contains("href=\"/app/paws/bookings\">Bookings</a>"), "{page}");
        assert!(page.contains("href=\"/app/paws\">Back to"), "{page}");

        // The public booking page: a second hold from this address is rate limited (429),
        // with the wait, the business's own frame (no Portico sign-up) and the way back.
        let guest = app.browser();
        let hold = |hour: u32| {
            let start = format!("2026-12-03T{hour}:00:00Z");
            let guest = &guest;
            async move {
                guest
                    .post_form("/book/paws/services/walk/hold", &[("start", start.as_str())])
                    .await
            }
        };
        assert_eq!(hold(11).await.status(), StatusCode::SEE_OTHER);
        let response = hold(12).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().contains_key("retry-after"));
        let page = response.text().await.unwrap();
        assert!(page.contains("Please wait 15 minutes and try again."), "{page}");
        assert!(page.contains("class=\"brand\" href=\"/book/paws\""), "{page}");
        assert!(page.contains("href=\"/book/paws\">Back to"), "{page}");
        assert!(!page.contains("href=\"/signup\""), "{page}");
    })
    .await;
}

/// Invitations a business emails to other people (client portal invitations and their
/// resending, staff and team invitations) are limited per business: past the limit the
/// dashboard answers 429 inside its frame, with the wait and `Retry-After`, and nothing is
/// queued or sent. Another business keeps its own allowance.
#[tokio::test]
async fn invitations_past_the_business_limit_get_429_inside_the_dashboard_and_send_nothing() {
    matrix(|backend| async move {
        let app =
            TestApp::spawn_with(backend, |s| s.set("rate_limits.invitations_per_tenant", "2"))
                .await;
        let paws = app.seed_tenant("paws", Plan::Pro).await;
        let other = app.seed_tenant("other", Plan::Pro).await;
        let (jo, _) = app.seed_client(&paws, "Jo", "jo@example.com", false).await;
        let (kit, _) = app.seed_client(&other, "Kit", "kit@example.com", false).await;
        let kim = app.seed_staff_member(paws.id, "Kim", &[]).await;
        sqlx::query("update staff_members set email = 'kim@example.com' where id = $1")
            .bind(kim.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let owner = app.browser();
        owner.login(&paws.owner_email, PASSWORD).await;

        // An invitation and its resending use up the allowance of two.
        let invite_jo = format!("/app/paws/clients/{jo}/invite");
        for _ in 0..2 {
            assert_eq!(owner.post_form(&invite_jo, &[]).await.status(), StatusCode::SEE_OTHER);
        }
        // The third of any kind is refused inside the dashboard, with the wait.
        let team = ("/app/paws/team/invite", vec![("email", "sam@example.com")]);
        let staff = (format!("/app/paws/staff/{kim}/invite"), vec![]);
        for (path, form) in [(invite_jo.as_str(), vec![]), (team.0, team.1), (&staff.0, staff.1)] {
            let response = owner.post_form(path, &form).await;
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
            let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=900).contains(&wait), "{wait}");
            let page = response.text().await.unwrap();
            assert!(page.contains("Please wait 15 minutes and try again."), "{path}: {page}");
            assert!(page.contains("href=\"/app/paws/bookings\">Bookings</a>"), "{path}: {page}");
            assert!(page.contains("href=\"/app/paws\">Back to"), "{path}");
        }
        let invited =
            "select count(*) from audit_log where action in ('client.invited', 'staff.invited')";
        assert_eq!(app.count(invited).await, 2, "nothing recorded past the limit");

        // Another business is unaffected.
        let other_owner = app.browser();
        other_owner.login(&other.owner_email, PASSWORD).await;
        let r = other_owner.post_form(&format!("/app/other/clients/{kit}/invite"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        app.run_pending_jobs().await;
        let wait = std::time::Duration::from_secs(10);
        app.mail.wait_for_message_to("jo@example.com", wait).await;
        app.mail.wait_for_message_to("jo@example.com", wait).await;
        app.mail.wait_for_message_to("kit@example.com", wait).await;
        let to = |address: &str| {
            app.mail.messages().iter().filter(|m| m.rcpt_to.iter().any(|r| r == address)).count()
        };
        assert_eq!(to("jo@example.com"), 2);
        assert_eq!(to("kit@example.com"), 1);
        assert_eq!(to("sam@example.com"), 0);
        assert_eq!(to("kim@example.com"), 0);
    })
    .await;
}
