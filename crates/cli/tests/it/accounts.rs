//! Sign-up, login, sessions, password reset, invitations, CSRF and rate limits.

use std::time::Duration;

use chrono::Duration as Span;
use portico_domain::plans::Plan;
use portico_store::tokens;
use portico_testkit::{PASSWORD, TestApp, location, matrix};
use reqwest::StatusCode;

const MAIL_WAIT: Duration = Duration::from_secs(10);

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_up_creates_a_free_tenant_and_lands_on_its_dashboard() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let browser = app.browser();
        assert!(browser.page("/signup").await.contains("Start taking bookings"));
        let response = browser
            .post_form(
                "/signup",
                &[
                    ("business_name", "Happy Paws Dog Walking"),
                    ("slug", ""),
                    ("timezone", "America/New_York"),
                    ("currency", "USD"),
                    ("owner_name", "Alex Morgan"),
                    ("email", "Alex@Example.com"),
                    ("password", "a long and unusual passphrase"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&response),
            "/app/happy-paws-dog-walking",
            "slug suggested from the name"
        );

        let dashboard = browser.page("/app/happy-paws-dog-walking").await;
        assert!(dashboard.contains("Happy Paws Dog Walking"));
        assert!(dashboard.contains("FREE"), "new tenants start on FREE");
        assert!(dashboard.contains("America/New_York"));

        // The owner is asked to confirm the address.
        assert_eq!(app.run_pending_jobs().await, 1);
        let mail = app.mail.wait_for_message_to("alex@example.com", MAIL_WAIT).await;
        assert_eq!(mail.subject(), "Confirm your email address");
        let path =
            path_of(&mail.first_link_containing("/accounts/verify/").expect("verification link"));
        assert!(browser.page(&path).await.contains("alex@example.com"));
        assert_eq!(browser.post_form(&path, &[]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            count(&app, "select count(*) from users where email_verified_at is not null").await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn sign_up_refuses_bad_input_field_by_field_and_changes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        app.seed_tenant("taken-slug", Plan::Free).await;
        let browser = app.browser();
        let response = browser
            .post_form(
                "/signup",
                &[
                    ("business_name", ""),
                    ("slug", "taken-slug"),
                    ("timezone", "Mars/Olympus"),
                    ("currency", "XXX"),
                    ("owner_name", "Alex"),
                    ("email", "not-an-email"),
                    ("password", "password"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        for message in [
            "This field is required.",
            "Choose a time zone from the list (type a city to search).",
            "Choose a currency from the list.",
            "Enter a valid email address.",
            "most common passwords",
        ] {
            assert!(html.contains(message), "missing {message:?}");
        }
        assert_eq!(count(&app, "select count(*) from tenants").await, 1);
        assert_eq!(count(&app, "select count(*) from users").await, 1);
    })
    .await;
}

#[tokio::test]
async fn passwords_are_argon2id_with_the_required_parameters() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let hash: String = sqlx::query_scalar("select password_hash from users where id = $1")
            .bind(tenant.owner.get())
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        // 64 and 100 characters are accepted, and never truncated.
        let long = "x".repeat(100) + "ünïcödé";
        let browser = app.browser();
        browser.login(&tenant.owner_email, PASSWORD).await;
        let response = browser
            .post_form(
                "/accounts/password",
                &[("current", PASSWORD), ("password", &long), ("confirm", &long)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let other = app.browser();
        let truncated = &long[..72];
        let response = other
            .post_form(
                "/accounts/login",
                &[("email", &tenant.owner_email), ("password", truncated)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a prefix is not the password"
        );
        other.login(&tenant.owner_email, &long).await;
    })
    .await;
}

#[tokio::test]
async fn login_and_logout_and_the_old_cookie_is_refused() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        let dashboard = format!("/app/{}", tenant.slug);

        let before = browser.get(&dashboard).await;
        assert_eq!(before.status(), StatusCode::SEE_OTHER);
        assert!(location(&before).starts_with("/accounts/login?next="));

        browser.page("/accounts/login").await;
        let anonymous_cookie = browser.cookies();
        assert!(!anonymous_cookie.is_empty());
        let response = browser
            .post_form("/accounts/login", &[("email", &tenant.owner_email), ("password", PASSWORD)])
            .await;
        assert_eq!(location(&response), dashboard, "a single business: straight to it");
        let logged_in_cookie = browser.cookies();
        assert_ne!(anonymous_cookie, logged_in_cookie, "session id changes at login");
        assert!(browser.page(&dashboard).await.contains("Business paws"));

        // The pre-login cookie does not carry the login.
        assert_eq!(
            browser.get_with_cookies(&dashboard, &anonymous_cookie).await.status(),
            StatusCode::SEE_OTHER
        );

        assert_eq!(
            browser.post_form("/accounts/logout", &[]).await.status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(browser.get(&dashboard).await.status(), StatusCode::SEE_OTHER);
        // Replaying the logged-in cookie after logout does not work either: the session is gone.
        assert_eq!(
            browser.get_with_cookies(&dashboard, &logged_in_cookie).await.status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            count(&app, "select count(*) from audit_log where action = 'login.success'").await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn log_out_everywhere_ends_every_session_of_the_login() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let phone = app.browser();
        let laptop = app.browser();
        phone.login(&tenant.owner_email, PASSWORD).await;
        laptop.login(&tenant.owner_email, PASSWORD).await;
        let dashboard = format!("/app/{}", tenant.slug);
        let phone_cookie = phone.cookies();

        assert_eq!(
            laptop.post_form("/accounts/logout-everywhere", &[]).await.status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(phone.get(&dashboard).await.status(), StatusCode::SEE_OTHER, "phone logged out");
        assert_eq!(laptop.get(&dashboard).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            phone.get_with_cookies(&dashboard, &phone_cookie).await.status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            count(&app, "select count(*) from audit_log where action = 'logout.everywhere'").await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn sessions_end_after_idle_and_absolute_timeouts() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_client(&tenant, "Jo", "jo@example.com", true).await;
        let client = app.browser();
        client.login("jo@example.com", PASSWORD).await;
        assert!(client.page("/portal/paws").await.contains("Welcome, Jo"));
        app.clock.advance(Span::minutes(29));
        assert!(
            client.page("/portal/paws").await.contains("Welcome, Jo"),
            "activity keeps it alive"
        );
        app.clock.advance(Span::minutes(31));
        assert_eq!(
            client.get("/portal/paws").await.status(),
            StatusCode::SEE_OTHER,
            "client idle timeout: 30 minutes"
        );

        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        app.clock.advance(Span::minutes(60));
        assert_eq!(owner.get("/app/paws").await.status(), StatusCode::OK, "owners idle longer");
        for _ in 0..5 {
            app.clock.advance(Span::hours(5));
            owner.get("/app/paws").await;
        }
        assert_eq!(
            owner.get("/app/paws").await.status(),
            StatusCode::SEE_OTHER,
            "absolute timeout: 24 hours"
        );
    })
    .await;
}

#[tokio::test]
async fn a_post_without_a_csrf_token_or_from_another_origin_is_refused() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        browser.login(&tenant.owner_email, PASSWORD).await;

        let no_token = browser
            .post_form_raw("/app/paws/clients/new", &[("name", "Jo"), ("email", "jo@example.com")])
            .await;
        assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
        let wrong = browser
            .post_form_raw(
                "/app/paws/clients/new",
                &[("name", "Jo"), ("email", "jo@example.com"), ("_csrf", "forged")],
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        let token = browser.csrf().await;
        let cross_site = browser
            .client
            .post(browser.url("/app/paws/clients/new"))
            .header("origin", "https://evil.example")
            .form(&[("name", "Jo"), ("email", "jo@example.com"), ("_csrf", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
        assert_eq!(count(&app, "select count(*) from clients").await, 0, "nothing changed");

        let ok = browser
            .post_form("/app/paws/clients/new", &[("name", "Jo"), ("email", "jo@example.com")])
            .await;
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        assert_eq!(count(&app, "select count(*) from clients").await, 1);
        // Logging out is a POST too; a GET changes nothing.
        assert_eq!(browser.get("/accounts/logout").await.status(), StatusCode::METHOD_NOT_ALLOWED);
    })
    .await;
}

#[tokio::test]
async fn login_attempts_are_rate_limited_with_retry_after() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| {
            s.set("rate_limits.login_per_account", "3").set("rate_limits.login_per_ip", "100")
        })
        .await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        for _ in 0..3 {
            let r = browser
                .post_form(
                    "/accounts/login",
                    &[("email", &tenant.owner_email), ("password", "wrong password!")],
                )
                .await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        let limited = browser
            .post_form("/accounts/login", &[("email", &tenant.owner_email), ("password", PASSWORD)])
            .await;
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 900);
        // Another browser (another session) is limited too: the counter is server-side.
        let other = app.browser();
        let r = other
            .post_form("/accounts/login", &[("email", &tenant.owner_email), ("password", PASSWORD)])
            .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        // The window passes.
        app.clock.advance(Span::seconds(retry as i64));
        other.login(&tenant.owner_email, PASSWORD).await;
    })
    .await;
}

#[tokio::test]
async fn password_reset_requests_are_rate_limited_per_ip() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| s.set("rate_limits.reset_per_ip", "2")).await;
        let browser = app.browser();
        for n in 0..2 {
            let email = format!("someone{n}@example.com");
            assert_eq!(
                browser.post_form("/accounts/password/reset", &[("email", &email)]).await.status(),
                StatusCode::OK
            );
        }
        let r =
            browser.post_form("/accounts/password/reset", &[("email", "third@example.com")]).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    })
    .await;
}

/// Replaces what legitimately differs between two answers (the typed email).
fn normalized(html: &str, email: &str) -> String {
    html.replace(email, "EMAIL")
}

#[tokio::test]
async fn existing_and_unknown_emails_get_identical_answers() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let unknown = "nobody@example.com";
        let browser = app.browser();

        // Login failure.
        let a = browser
            .post_form(
                "/accounts/login",
                &[("email", &tenant.owner_email), ("password", "not the password")],
            )
            .await;
        let b = browser
            .post_form("/accounts/login", &[("email", unknown), ("password", "not the password")])
            .await;
        assert_eq!(a.status(), b.status());
        assert_eq!(
            normalized(&a.text().await.unwrap(), &tenant.owner_email),
            normalized(&b.text().await.unwrap(), unknown)
        );

        // Password reset request.
        let a =
            browser.post_form("/accounts/password/reset", &[("email", &tenant.owner_email)]).await;
        let b = browser.post_form("/accounts/password/reset", &[("email", unknown)]).await;
        assert_eq!(a.status(), b.status());
        assert_eq!(
            normalized(&a.text().await.unwrap(), &tenant.owner_email),
            normalized(&b.text().await.unwrap(), unknown)
        );

        // Portal registration.
        let form = |email: &'static str| {
            [
                ("name", "Jo"),
                ("email", email),
                ("phone", ""),
                ("password", "a fine long passphrase"),
            ]
        };
        let existing_email = "owner@paws.example";
        let a = browser.post_form("/portal/paws/register", &form(existing_email)).await;
        let b = browser.post_form("/portal/paws/register", &form("newcomer@example.com")).await;
        assert_eq!(a.status(), b.status());
        assert_eq!(
            normalized(&a.text().await.unwrap(), existing_email),
            normalized(&b.text().await.unwrap(), "newcomer@example.com")
        );
        // Behind the identical pages: one reset email, one "already registered", one verification.
        assert_eq!(app.run_pending_jobs().await, 3);
        let mails = app.mail.messages();
        assert!(
            mails.iter().any(|m| m.rcpt_to == [existing_email]
                && m.subject() == "You already have a Portico login")
        );
        assert!(mails.iter().any(|m| m.rcpt_to == ["newcomer@example.com"]
            && m.subject() == "Confirm your email address"));
        assert!(!mails.iter().any(|m| m.rcpt_to == [unknown]));
    })
    .await;
}

fn path_of(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    url.path().to_owned()
}

#[tokio::test]
async fn password_reset_through_email_is_single_use_hashed_and_expires() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        browser.post_form("/accounts/password/reset", &[("email", &tenant.owner_email)]).await;
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to(&tenant.owner_email, MAIL_WAIT).await;
        assert_eq!(mail.subject(), "Reset your Portico password");
        let link = path_of(&mail.first_link_containing("/accounts/password/reset/").unwrap());
        let token = link.rsplit('/').next().unwrap().to_owned();

        // Stored hashed: the plain token is nowhere in the database.
        let stored: Vec<String> = sqlx::query_scalar("select token_hash from auth_tokens")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
        assert_eq!(stored, vec![tokens::hash(&token)]);
        assert!(token.len() >= 32, "at least 128 bits");

        assert!(browser.page(&link).await.contains("Choose a new password"));
        let new_password = "a brand new passphrase";
        let r = browser
            .post_form(&link, &[("password", new_password), ("confirm", new_password)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // Single use.
        assert_eq!(browser.get(&link).await.status(), StatusCode::NOT_FOUND);
        let again = browser
            .post_form(
                &link,
                &[("password", "yet another passphrase"), ("confirm", "yet another passphrase")],
            )
            .await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);

        let fresh = app.browser();
        let r = fresh
            .post_form("/accounts/login", &[("email", &tenant.owner_email), ("password", PASSWORD)])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "old password no longer works");
        fresh.login(&tenant.owner_email, new_password).await;
        assert_eq!(
            count(&app, "select count(*) from audit_log where action = 'password.reset'").await,
            1
        );

        // A second link expires after 60 minutes.
        browser.post_form("/accounts/password/reset", &[("email", &tenant.owner_email)]).await;
        app.run_pending_jobs().await;
        let mails = app.mail.messages();
        let second = path_of(
            &mails.last().unwrap().first_link_containing("/accounts/password/reset/").unwrap(),
        );
        app.clock.advance(Span::minutes(59));
        assert_eq!(browser.get(&second).await.status(), StatusCode::OK);
        app.clock.advance(Span::minutes(2));
        assert_eq!(browser.get(&second).await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_client_invitation_creates_a_verified_login_linked_to_the_client() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let (client, _) = app.seed_client(&tenant, "Jo Bloggs", "jo@example.com", false).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let r = owner.post_form(&format!("/app/paws/clients/{client}/invite"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("jo@example.com", MAIL_WAIT).await;
        assert_eq!(mail.subject(), "Your client portal at Business paws");
        let link = path_of(&mail.first_link_containing("/accounts/invite/").unwrap());

        let jo = app.browser();
        assert!(jo.page(&link).await.contains("Your client portal at Business paws"));
        let weak = jo.post_form(&link, &[("name", "Jo Bloggs"), ("password", "short")]).await;
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = jo.post_form(&link, &[("name", "Jo Bloggs"), ("password", "walkies every morning")]).await;
        assert_eq!(location(&r), "/portal/paws");
        assert!(jo.page("/portal/paws").await.contains("Welcome, Jo Bloggs"));
        assert_eq!(jo.get(&link).await.status(), StatusCode::NOT_FOUND, "used");
        let linked: Option<i64> = sqlx::query_scalar("select user_id from clients where id = $1")
            .bind(client.get())
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert!(linked.is_some());
        assert_eq!(count(&app, "select count(*) from users where email = 'jo@example.com' and email_verified_at is not null").await, 1);
        assert_eq!(count(&app, "select count(*) from audit_log where action = 'invitation.accepted.client'").await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_staff_invitation_on_pro_makes_a_staff_member() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let r = owner.post_form("/app/paws/team/invite", &[("email", "sam@example.com")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("sam@example.com", MAIL_WAIT).await;
        let link = path_of(&mail.first_link_containing("/accounts/invite/").unwrap());
        let sam = app.browser();
        let r =
            sam.post_form(&link, &[("name", "Sam Lee"), ("password", "leads and treats")]).await;
        assert_eq!(location(&r), "/app/paws");
        assert!(sam.page("/app/paws").await.contains("You are staff"));
        // Staff are not owners: owner-only pages say so.
        assert_eq!(sam.get("/app/paws/clients").await.status(), StatusCode::FORBIDDEN);
        assert!(owner.page("/app/paws/team").await.contains("sam@example.com"));
    })
    .await;
}

#[tokio::test]
async fn a_user_with_several_businesses_gets_the_switcher() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("alpha", Plan::Free).await;
        let b = app.seed_tenant("bravo", Plan::Free).await;
        let mut tx = portico_store::versions::begin(app.db(), b.id).await.unwrap();
        portico_store::tenants::add_member(
            &mut tx,
            b.id,
            a.owner,
            portico_domain::accounts::Role::Staff,
            0,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let browser = app.browser();
        let r = browser
            .post_form("/accounts/login", &[("email", &a.owner_email), ("password", PASSWORD)])
            .await;
        assert_eq!(location(&r), "/accounts");
        let page = browser.page("/accounts").await;
        assert!(page.contains("/app/alpha") && page.contains("/app/bravo"));
        assert!(browser.page("/app/bravo").await.contains("You are staff"));
    })
    .await;
}

#[tokio::test]
async fn session_cookies_are_http_only_lax_and_host_bound_under_https() {
    matrix(|backend| async move {
        let plain = TestApp::spawn(backend).await;
        let response = plain.get("/accounts/login").await;
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("portico_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/")
        );
        assert!(!cookie.contains("Secure"), "plain http cannot carry Secure cookies");

        let https =
            TestApp::spawn_with(backend, |s| s.set("public_url", "https://book.example.com")).await;
        let response = https.get("/accounts/login").await;
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("__Host-portico="), "{cookie}");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
        }
        assert!(!cookie.contains("Domain="), "__Host- cookies carry no Domain");
        assert!(response.headers().contains_key("strict-transport-security"));
    })
    .await;
}

/// The time zone is searchable (a text field over the list of zones, a city alone is
/// enough) and defaults to the browser's own zone on a fresh sign-up form (a static script;
/// no inline script); on the settings page the browser's zone is offered, not forced.
#[tokio::test]
async fn the_time_zone_is_searched_and_defaults_to_the_browsers_zone() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let browser = app.browser();
        let page = browser.page("/signup").await;
        assert!(page.contains("list=\"timezone-names\""), "{page}");
        assert!(page.contains("<datalist id=\"timezone-names\">"));
        assert!(page.contains("<option value=\"Europe/Paris\">"));
        assert!(page.contains("data-browser-zone=\"fill\""));
        assert!(page.contains("<script src=\"/static/js/timezone.js\" defer></script>"));
        assert!(!page.contains("<select id=\"timezone\""));
        let script = browser.get("/static/js/timezone.js").await;
        assert_eq!(script.status(), StatusCode::OK);
        let script = script.text().await.unwrap();
        assert!(script.contains("resolvedOptions().timeZone") && script.contains("\"fill\""));

        // A city typed instead of picked is understood; nonsense is refused and the form
        // keeps what was typed (the browser's zone no longer replaces it).
        let form = |zone: &'static str| {
            [
                ("business_name", "Paris Paws"),
                ("slug", ""),
                ("timezone", zone),
                ("currency", "EUR"),
                ("owner_name", "Alex Morgan"),
                ("email", "alex@example.com"),
                ("password", "a long and unusual passphrase"),
            ]
        };
        let response = browser.post_form("/signup", &form("Atlantis")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("Choose a time zone from the list (type a city to search)."));
        assert!(
            page.contains("value=\"Atlantis\"") && page.contains("data-browser-zone=\"offer\"")
        );
        assert_eq!(count(&app, "select count(*) from tenants").await, 0);
        let response = browser.post_form("/signup", &form("paris")).await;
        assert_eq!(location(&response), "/app/paris-paws");
        let stored: String = sqlx::query_scalar("select timezone from tenants")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(stored, "Europe/Paris");

        // Settings: the same search, the browser's zone offered.
        let page = browser.page("/app/paris-paws/settings").await;
        assert!(page.contains("value=\"Europe/Paris\" autocomplete=\"off\""), "{page}");
        assert!(page.contains("data-browser-zone=\"offer\""));
        assert!(page.contains("<script src=\"/static/js/timezone.js\" defer></script>"));
        let settings = [
            ("name", "Paris Paws"),
            ("timezone", "new york"),
            ("currency", "EUR"),
            ("portal_enabled", "on"),
        ];
        let response = browser.post_form("/app/paris-paws/settings", &settings).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let stored: String = sqlx::query_scalar("select timezone from tenants")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(stored, "America/New_York");
    })
    .await;
}
