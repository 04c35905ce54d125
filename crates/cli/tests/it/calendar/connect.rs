//! Connecting: PKCE checked by Google, the state single-use and bound to the session, tokens
//! sealed (never in the database in plain text), disconnect revokes, FREE gets the upgrade
//! page, and without a client id the page says Google is not configured.

use portico_domain::plans::Plan;
use portico_integrations::google::{Google, GoogleError, Pkce};
use portico_store::Backend as DbBackend;
use portico_store::sealed::{self, SecretKind};
use portico_testkit::google::ACCOUNT;
use portico_testkit::{PASSWORD, TestApp, location, matrix};
use reqwest::StatusCode;

use super::Shop;

#[tokio::test]
async fn connecting_uses_pkce_and_seals_the_tokens() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let page = shop.owner.page("/app/paws/calendar").await;
        assert!(page.contains("Connect Google Calendar"), "{page}");
        let to_do = "<a href=\"/app/paws/calendar\">Connect your Google Calendar</a>";
        assert!(shop.owner.page("/app/paws").await.contains(to_do), "a setup step on the home");

        let connection = shop.connect_owner().await;
        assert!(connection.is_connected());
        assert!(!shop.owner.page("/app/paws").await.contains(to_do), "done once connected");
        assert_eq!(connection.google_account, ACCOUNT);
        assert_eq!(connection.calendar_id, "primary");
        let page = shop.owner.page("/app/paws/calendar").await;
        assert!(page.contains(&format!("Connected as <strong>{ACCOUNT}</strong>")), "{page}");
        assert!(page.contains("Team"), "the calendar list is offered: {page}");

        // The authorization request and the exchange as Google sees them.
        let calls = shop.google.calls();
        let auth = calls.iter().find(|c| c.path == "/o/oauth2/v2/auth").unwrap();
        for part in [
            "response_type=code",
            "access_type=offline",
            "prompt=consent",
            "code_challenge_method=S256",
            "calendar.events",
            "redirect_uri=http%3A%2F%2F127.0.0.1",
        ] {
            assert!(auth.body.contains(part), "{part} missing in {}", auth.body);
        }
        let exchange = calls.iter().find(|c| c.path == "/token").unwrap();
        assert!(exchange.body.contains("grant_type=authorization_code"));
        assert!(exchange.body.contains("code_verifier="), "{}", exchange.body);

        // The refresh and access tokens are sealed: not in the database in plain text.
        let tokens = shop.google.refresh_tokens();
        assert_eq!(tokens.len(), 1);
        let refresh = &tokens[0];
        let raw = raw_database(&shop.app).await;
        assert!(!raw.contains(refresh.as_str()), "the refresh token is in the database");
        assert!(!raw.contains(&hex(refresh)), "the refresh token is in the database (hex)");
        assert!(!raw.contains("ya29."), "an access token is in the database");
        // … and open with the connection's id as part of the associated data.
        let ring = &shop.app.state.keyring;
        let slot =
            portico_store::calendar::token_slot(SecretKind::GoogleRefreshToken, connection.id);
        let opened = sealed::get(shop.app.db(), ring, shop.seeded.id, slot).await.unwrap().unwrap();
        assert_eq!(opened.as_str(), refresh);
        let moved =
            sealed::Slot::integration(SecretKind::GoogleRefreshToken, connection.id.get() + 1);
        assert!(sealed::get(shop.app.db(), ring, shop.seeded.id, moved).await.unwrap().is_none());

        // Disconnect revokes at Google and deletes the tokens.
        let r = shop.owner.post_form("/app/paws/calendar/disconnect", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(shop.google.revoked(refresh));
        assert!(shop.connection().await.is_none());
        assert_eq!(shop.app.count("select count(*) from tenant_secrets").await, 0);
    })
    .await;
}

#[tokio::test]
async fn google_refuses_a_code_with_the_wrong_verifier() {
    let fake = portico_testkit::FakeGoogle::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sources = fake.configure(
        portico_config::Sources::default().set("data_dir", dir.path().display().to_string()),
    );
    let config = portico_config::load(&sources).unwrap();
    let google = Google::new(&config.google).unwrap();
    let redirect = "http://127.0.0.1:1/oauth/google/callback";
    let code_for = |pkce: Pkce| {
        let url = google.authorize_url(redirect, "s", &pkce).unwrap();
        async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let answer = client.get(url.as_str()).send().await.unwrap();
            let back = url::Url::parse(&location(&answer)).unwrap();
            back.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned()
        }
    };
    let pkce = Pkce::new();
    let code = code_for(pkce.clone()).await;
    let wrong = google.exchange_code(&code, &Pkce::new().verifier, redirect).await.unwrap_err();
    assert!(matches!(wrong, GoogleError::InvalidGrant(_)), "{wrong:?}");
    let code = code_for(pkce.clone()).await;
    let tokens = google.exchange_code(&code, &pkce.verifier, redirect).await.unwrap();
    assert!(tokens.refresh_token.is_some());
    // A code works once.
    let again = google.exchange_code(&code, &pkce.verifier, redirect).await.unwrap_err();
    assert!(matches!(again, GoogleError::InvalidGrant(_)), "{again:?}");
}

#[tokio::test]
async fn a_replayed_foreign_or_wrong_state_is_refused() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let callback = shop.consent(&shop.owner).await;

        // Another session (here: the same person on another device) cannot use it.
        let other = shop.app.browser();
        other.login(&shop.seeded.owner_email, PASSWORD).await;
        assert_eq!(other.get(&callback).await.status(), StatusCode::BAD_REQUEST);
        // Nor another login's session.
        let staff_user = shop.app.seed_staff(&shop.seeded, "staff@paws.example").await;
        let staff = shop.app.browser();
        staff.login("staff@paws.example", PASSWORD).await;
        assert_eq!(staff.get(&callback).await.status(), StatusCode::BAD_REQUEST);
        // A tampered state is refused, and spends the pending connection.
        let tampered = callback.replace("state=", "state=x");
        assert_eq!(shop.owner.get(&tampered).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(shop.owner.get(&callback).await.status(), StatusCode::BAD_REQUEST);
        assert!(shop.connection().await.is_none());
        assert_eq!(shop.google.calls_to("/token"), 0, "no code was exchanged");

        // A fresh start works once; the replay is refused.
        let callback = shop.consent(&shop.owner).await;
        assert_eq!(shop.owner.get(&callback).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(shop.owner.get(&callback).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(shop.google.calls_to("/token"), 1);
        assert_eq!(shop.app.count("select count(*) from calendar_connections").await, 1);
        let _ = staff_user;
    })
    .await;
}

#[tokio::test]
async fn free_gets_the_upgrade_page_and_no_client_id_says_so() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let free = app.seed_tenant("corner", Plan::Free).await;
        let pro = app.seed_tenant("paws", Plan::Pro).await;
        let owner = app.browser();
        owner.login(&free.owner_email, PASSWORD).await;
        let r = owner.get("/app/corner/calendar").await;
        assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
        assert!(r.text().await.unwrap().contains("Google Calendar sync"));
        assert_eq!(
            owner.get("/app/corner/calendar/connect").await.status(),
            StatusCode::PAYMENT_REQUIRED
        );

        let owner = app.browser();
        owner.login(&pro.owner_email, PASSWORD).await;
        let page = owner.page("/app/paws/calendar").await;
        assert!(page.contains("has not configured Google"), "{page}");
        assert_eq!(owner.get("/app/paws/calendar/connect").await.status(), StatusCode::CONFLICT);
    })
    .await;
}

/// Everything the database holds, as text: the SQLite files' bytes, or every PostgreSQL
/// table's rows cast to text.
pub(super) async fn raw_database(app: &TestApp) -> String {
    match app.db().backend() {
        DbBackend::Sqlite => {
            let portico_config::DatabaseTarget::Sqlite(path) = &app.config().database else {
                unreachable!()
            };
            let mut text = String::new();
            for suffix in ["", "-wal"] {
                let file = format!("{}{suffix}", path.display());
                if let Ok(bytes) = std::fs::read(&file) {
                    text.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            text
        }
        DbBackend::Postgres => {
            let tables: Vec<String> = sqlx::query_scalar(
                "select table_name::text from information_schema.tables \
                 where table_schema = 'public' and table_type = 'BASE TABLE'",
            )
            .fetch_all(app.db().pool())
            .await
            .unwrap();
            let mut text = String::new();
            for table in tables {
                let rows: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "select string_agg(t::text, '|') from \"{table}\" t"
                )))
                .fetch_one(app.db().pool())
                .await
                .unwrap();
                text.push_str(&rows.unwrap_or_default());
            }
            text
        }
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}
