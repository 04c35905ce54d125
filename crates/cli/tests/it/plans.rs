//! Plans and gates (DESIGN.md §5): FREE gets the upgrade page and 402 on the staff gate, PRO
//! passes, a lapsed PRO is FREE, a downgrade deletes nothing, and PRO stops at 10 staff.

use std::time::Duration;

use chrono::Duration as Span;
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_store::{outbox, tenants, tokens};
use portico_testkit::{Browser, PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::StatusCode;

const MAIL_WAIT: Duration = Duration::from_secs(10);

/// What the three staff-gated routes answer: the team page, an invitation, the API.
#[derive(Debug, PartialEq)]
struct Gate {
    page: StatusCode,
    invite: StatusCode,
    api: StatusCode,
}

const OPEN: Gate =
    Gate { page: StatusCode::OK, invite: StatusCode::SEE_OTHER, api: StatusCode::OK };
const CLOSED: Gate = Gate {
    page: StatusCode::PAYMENT_REQUIRED,
    invite: StatusCode::PAYMENT_REQUIRED,
    api: StatusCode::PAYMENT_REQUIRED,
};

async fn staff_gate(app: &TestApp, owner: &Browser, tenant: &SeededTenant, token: &str) -> Gate {
    let slug = &tenant.slug;
    let invitee = format!("invitee{}@example.com", app.count("select count(*) from outbox").await);
    Gate {
        page: owner.get(&format!("/app/{slug}/team")).await.status(),
        invite: owner
            .post_form(&format!("/app/{slug}/team/invite"), &[("email", &invitee)])
            .await
            .status(),
        api: app.api_get(&format!("/api/v1/{slug}/team"), Some(token)).await.0,
    }
}

async fn api_token(app: &TestApp, tenant: &SeededTenant) -> String {
    tokens::create_api_token(app.db(), tenant.id, "test", app.clock.now_ts()).await.unwrap().1
}

async fn staff_count(app: &TestApp, tenant: &SeededTenant) -> i64 {
    app.count(&format!(
        "select count(*) from memberships where tenant_id = {} and role = 'staff'",
        tenant.id
    ))
    .await
}

#[tokio::test]
async fn a_free_tenant_gets_the_upgrade_page_and_402_on_the_staff_gate() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("corner", Plan::Free).await;
        let token = api_token(&app, &tenant).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        assert!(owner.page("/app/corner").await.contains("Staff members are part of PRO"));

        let page = owner.get("/app/corner/team").await;
        assert_eq!(page.status(), StatusCode::PAYMENT_REQUIRED);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = page.text().await.unwrap();
        for explanation in [
            "Staff members",
            "Add up to 10 staff members",
            "Ask the Portico operator to move your business to PRO",
            "downgrading later deletes nothing",
        ] {
            assert!(html.contains(explanation), "the upgrade page lacks {explanation:?}:\n{html}");
        }

        let queued = outbox::pending_count(app.db()).await.unwrap();
        let invite =
            owner.post_form("/app/corner/team/invite", &[("email", "sam@example.com")]).await;
        assert_eq!(invite.status(), StatusCode::PAYMENT_REQUIRED);
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), queued, "nothing enqueued");
        assert_eq!(
            app.count("select count(*) from audit_log where action = 'staff.invited'").await,
            0
        );

        let (status, body) = app.api_get("/api/v1/corner/team", Some(&token)).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(body["error"]["code"], "plan_required", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("Staff members"));
        // What is not gated works on FREE.
        assert_eq!(app.api_get("/api/v1/corner/clients", Some(&token)).await.0, StatusCode::OK);
        assert_eq!(owner.get("/app/corner/clients").await.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_pro_tenant_passes_the_staff_gate() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        app.seed_staff(&tenant, "sam@example.com").await;
        let token = api_token(&app, &tenant).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;

        assert!(owner.page("/app/paws/team").await.contains("sam@example.com"));
        let queued = outbox::pending_count(app.db()).await.unwrap();
        let invite =
            owner.post_form("/app/paws/team/invite", &[("email", "kim@example.com")]).await;
        assert_eq!(invite.status(), StatusCode::SEE_OTHER);
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), queued + 1);

        let (status, body) = app.api_get("/api/v1/paws/team", Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        let members = body["members"].as_array().unwrap();
        assert!(members.iter().any(|m| m["email"] == "sam@example.com" && m["role"] == "staff"));
        assert!(members.iter().any(|m| m["email"] == "owner@paws.example" && m["role"] == "owner"));
    })
    .await;
}

#[tokio::test]
async fn a_lapsed_pro_plan_is_free_and_a_downgrade_deletes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        app.seed_staff(&tenant, "sam@example.com").await;
        let token = api_token(&app, &tenant).await;
        let set_plan = |plan, until: Option<Span>| {
            let app = &app;
            async move {
                let now = app.clock.now();
                let pro_until = until.map(|span| now + span);
                tenants::set_plan(app.db(), tenant.id, plan, pro_until, now.timestamp())
                    .await
                    .unwrap();
            }
        };
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;

        // PRO for 30 days, then the time passes.
        set_plan(Plan::Pro, Some(Span::days(30))).await;
        assert_eq!(staff_gate(&app, &owner, &tenant, &token).await, OPEN);
        app.clock.advance(Span::days(31));
        owner.login(&tenant.owner_email, PASSWORD).await;
        assert_eq!(staff_gate(&app, &owner, &tenant, &token).await, CLOSED, "lapsed PRO");
        assert!(owner.page("/app/paws").await.contains("FREE"));

        // PRO whose `pro_until` is already past is FREE too.
        set_plan(Plan::Pro, Some(Span::days(-1))).await;
        assert_eq!(staff_gate(&app, &owner, &tenant, &token).await, CLOSED, "expired PRO");
        set_plan(Plan::Free, None).await;
        assert_eq!(staff_gate(&app, &owner, &tenant, &token).await, CLOSED, "FREE");

        // Nothing was deleted: the staff member is still on the team and can still log in.
        assert_eq!(staff_count(&app, &tenant).await, 1);
        let sam = app.browser();
        sam.login("sam@example.com", PASSWORD).await;
        assert!(sam.page("/app/paws").await.contains("You are staff"));

        // Upgrading again opens the gate and shows the same team.
        set_plan(Plan::Pro, None).await;
        assert_eq!(staff_gate(&app, &owner, &tenant, &token).await, OPEN, "PRO again");
        assert!(owner.page("/app/paws/team").await.contains("sam@example.com"));
        assert_eq!(staff_count(&app, &tenant).await, 1);
    })
    .await;
}

/// An invitation POSTed as a browser's JavaScript would, asking for JSON.
async fn invite_as_json(browser: &Browser, slug: &str, email: &str) -> reqwest::Response {
    let csrf = browser.csrf().await;
    browser
        .client
        .post(browser.url(&format!("/app/{slug}/team/invite")))
        .header("accept", "application/json")
        .form(&[("email", email), ("_csrf", &csrf)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn pro_allows_ten_staff_members_and_refuses_an_eleventh_invitation() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        for n in 0..9 {
            app.seed_staff(&tenant, &format!("staff{n}@example.com")).await;
        }
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        assert!(owner.page("/app/paws/team").await.contains("Up to 10 staff members"));
        // Nine staff: a tenth may be invited.
        let tenth =
            owner.post_form("/app/paws/team/invite", &[("email", "tenth@example.com")]).await;
        assert_eq!(tenth.status(), StatusCode::SEE_OTHER);
        app.seed_staff(&tenant, "staff9@example.com").await;
        assert_eq!(staff_count(&app, &tenant).await, 10);

        let queued = outbox::pending_count(app.db()).await.unwrap();
        let page =
            owner.post_form("/app/paws/team/invite", &[("email", "extra@example.com")]).await;
        assert_eq!(page.status(), StatusCode::CONFLICT);
        assert!(page.text().await.unwrap().contains("staff limit is reached"));
        let json = invite_as_json(&owner, "paws", "extra@example.com").await;
        assert_eq!(json.status(), StatusCode::CONFLICT);
        let body: serde_json::Value = json.json().await.unwrap();
        assert_eq!(body["error"]["code"], "staff_limit", "{body}");
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), queued, "nothing enqueued");
        assert_eq!(staff_count(&app, &tenant).await, 10);
    })
    .await;
}

/// Sends the owner's staff invitation to `email` and returns the link in the email.
async fn invitation(app: &TestApp, owner: &Browser, email: &str) -> String {
    let response = owner.post_form("/app/paws/team/invite", &[("email", email)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "inviting {email}");
    app.run_pending_jobs().await;
    let mail = app.mail.wait_for_message_to(email, MAIL_WAIT).await;
    let link = mail.first_link_containing("/accounts/invite/").expect("an invitation link");
    url::Url::parse(&link).unwrap().path().to_owned()
}

/// A new person accepts an invitation, setting their name and password.
async fn accept(app: &TestApp, link: &str) -> reqwest::Response {
    app.browser().post_form(link, &[("name", "New Person"), ("password", "leads and treats")]).await
}

#[tokio::test]
async fn accepting_an_invitation_cannot_exceed_the_limit_or_the_plan() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        for n in 0..9 {
            app.seed_staff(&tenant, &format!("staff{n}@example.com")).await;
        }
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        // Both invitations go out while there is room for one more.
        let first = invitation(&app, &owner, "first@example.com").await;
        let second = invitation(&app, &owner, "second@example.com").await;
        let third = invitation(&app, &owner, "third@example.com").await;

        let joined = accept(&app, &first).await;
        assert_eq!(location(&joined), "/app/paws");
        assert_eq!(staff_count(&app, &tenant).await, 10);

        let refused = accept(&app, &second).await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        assert!(refused.text().await.unwrap().contains("staff limit"));
        assert_eq!(staff_count(&app, &tenant).await, 10);
        assert_eq!(
            app.count("select count(*) from users where email = 'second@example.com'").await,
            0
        );

        // On FREE, a pending invitation no longer makes anyone staff.
        let now = app.clock.now_ts();
        tenants::set_plan(app.db(), tenant.id, Plan::Free, None, now).await.unwrap();
        let refused = accept(&app, &third).await;
        assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
        assert!(refused.text().await.unwrap().contains("Staff members"));
        assert_eq!(staff_count(&app, &tenant).await, 10);
    })
    .await;
}

#[tokio::test]
async fn accepting_a_staff_invitation_never_demotes_the_owner() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let link = invitation(&app, &owner, &tenant.owner_email).await;

        let response = owner.post_form(&link, &[]).await;
        assert_eq!(location(&response), "/app/paws");
        let role = tenants::role_of(app.db(), tenant.id, tenant.owner).await.unwrap();
        assert_eq!(role, Some(portico_domain::accounts::Role::Owner));
        assert_eq!(owner.get("/app/paws/clients").await.status(), StatusCode::OK);
        assert_eq!(staff_count(&app, &tenant).await, 0);
    })
    .await;
}
