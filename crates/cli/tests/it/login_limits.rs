//! Login limits stop guessing, not owners: only failures count, per account and per address,
//! and the refusal says how long to wait. The client address comes from X-Forwarded-For only
//! behind a trusted proxy.

use chrono::Duration as Span;
use portico_domain::plans::Plan;
use portico_testkit::{Browser, PASSWORD, TestApp, matrix};
use reqwest::{Response, StatusCode};

async fn login(browser: &Browser, email: &str, password: &str) -> Response {
    browser.post_form("/accounts/login", &[("email", email), ("password", password)]).await
}

/// A login attempt claiming to come from `forwarded` through a proxy.
async fn login_via(browser: &Browser, forwarded: &str, email: &str, password: &str) -> Response {
    let token = browser.csrf().await;
    browser
        .client
        .post(browser.url("/accounts/login"))
        .header("x-forwarded-for", forwarded)
        .form(&[("email", email), ("password", password), ("_csrf", &token)])
        .send()
        .await
        .expect("POST")
}

#[tokio::test]
async fn successful_logins_are_never_locked_and_failed_ones_are() {
    matrix(|backend| async move {
        // The shipped defaults: 10 failures per account, 50 per address, 15-minute windows.
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let owner = &tenant.owner_email;
        let browser = app.browser();
        for n in 0..20 {
            let r = login(&browser, owner, PASSWORD).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "successful login {n}");
        }

        for n in 0..10 {
            let r = login(&browser, owner, "wrong password!").await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "failed login {n}");
        }
        // The 11th attempt is refused even with the right password, on the page, with the wait.
        let r = login(&browser, owner, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 900, "{retry}");
        let page = r.text().await.unwrap();
        assert!(page.contains("Too many failed login attempts"), "{page}");
        assert!(page.contains("please wait 15 minutes"), "{page}");
        assert!(page.contains("name=\"password\""), "the login form is shown again: {page}");

        // Another address is refused too: the lock is the account's.
        let r = login_via(&app.browser(), "198.51.100.7", owner, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

        // Once the window is over, the owner gets in.
        app.clock.advance(Span::seconds(retry));
        assert_eq!(login(&browser, owner, PASSWORD).await.status(), StatusCode::SEE_OTHER);
    })
    .await;
}

#[tokio::test]
async fn a_success_clears_the_accounts_failures_but_not_the_addresses() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| {
            s.set("rate_limits.login_per_account", "3").set("rate_limits.login_per_ip", "5")
        })
        .await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let owner = &tenant.owner_email;
        let browser = app.browser();
        // Two typos, then the right password: the account starts over…
        for _ in 0..2 {
            assert_eq!(
                login(&browser, owner, "typo").await.status(),
                StatusCode::UNPROCESSABLE_ENTITY
            );
        }
        assert_eq!(login(&browser, owner, PASSWORD).await.status(), StatusCode::SEE_OTHER);
        for _ in 0..2 {
            assert_eq!(
                login(&browser, owner, "typo").await.status(),
                StatusCode::UNPROCESSABLE_ENTITY
            );
        }
        assert_eq!(login(&browser, owner, PASSWORD).await.status(), StatusCode::SEE_OTHER);
        // …but the address has 4 failures, so one more (against anyone) locks it.
        let r = login(&browser, "nobody@example.com", "guess").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = login(&browser, owner, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "5 failures from this address");
        assert!(r.text().await.unwrap().contains("Too many failed login attempts"));
    })
    .await;
}

#[tokio::test]
async fn failures_lock_unknown_accounts_and_addresses_alike() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| {
            s.set("rate_limits.login_per_account", "100").set("rate_limits.login_per_ip", "3")
        })
        .await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        for n in 0..3 {
            let email = format!("guess{n}@example.com");
            let r = login(&browser, &email, "guess").await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        // Guessing across many accounts is stopped per address.
        let r = login(&browser, &tenant.owner_email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    })
    .await;
}

#[tokio::test]
async fn an_untrusted_peer_cannot_choose_its_address_with_x_forwarded_for() {
    matrix(|backend| async move {
        // No trusted proxies (the default): the header is ignored.
        let app = TestApp::spawn_with(backend, |s| {
            s.set("rate_limits.login_per_account", "100").set("rate_limits.login_per_ip", "2")
        })
        .await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        for (n, forwarded) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
            let r = login_via(&browser, forwarded, &format!("guess{n}@example.com"), "x").await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        // A third "address" is still this peer, which is locked.
        let r = login_via(&browser, "203.0.113.3", &tenant.owner_email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    })
    .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_count() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| {
            s.set("rate_limits.login_per_account", "100")
                .set("rate_limits.login_per_ip", "2")
                .set("http.trusted_proxies", "127.0.0.1")
        })
        .await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        // The client wrote a fake address on the left; the proxy appended the real one.
        for n in 0..2 {
            let r = login_via(&browser, &format!("10.9.9.{n}, 203.0.113.1"), "a@example.com", "x")
                .await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        let r = login_via(&browser, "10.9.9.9, 203.0.113.1", &tenant.owner_email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "203.0.113.1 is locked");
        // Another client behind the same proxy is not.
        let r = login_via(&browser, "203.0.113.2", &tenant.owner_email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    })
    .await;
}
