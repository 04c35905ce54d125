//! Clients per tenant: the owner's pages (create, search, edit), portal logins (disable,
//! enable, remove), the client portal (self-registration, profile, unlinked logins, portal
//! off), API tokens on the settings page, and the audit page.

use std::time::Duration;

use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _, UserId};
use portico_store::clients::{self, Client, ClientFields};
use portico_store::tokens;
use portico_testkit::{Browser, PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::StatusCode;

const MAIL_WAIT: Duration = Duration::from_secs(10);

async fn client(app: &TestApp, tenant: &SeededTenant, id: ClientId) -> Client {
    clients::get(app.db(), tenant.id, id.get()).await.unwrap().expect("the client record")
}

/// A client record with contact details, linked to `user` if given.
async fn insert_client(
    app: &TestApp,
    tenant: &SeededTenant,
    fields: ClientFields,
    user: Option<UserId>,
) -> ClientId {
    let mut tx = app.db().begin().await.unwrap();
    let id = clients::insert(&mut tx, tenant.id, &fields, user, app.clock.now_ts()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

fn fields(name: &str, email: &str, phone: &str, address: &str) -> ClientFields {
    ClientFields {
        name: name.into(),
        email: email.into(),
        phone: phone.into(),
        address: address.into(),
        ..Default::default()
    }
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.count(&format!("select count(*) from audit_log where action = '{action}'")).await
}

async fn owner_of(app: &TestApp, tenant: &SeededTenant) -> Browser {
    let owner = app.browser();
    owner.login(&tenant.owner_email, PASSWORD).await;
    owner
}

#[tokio::test]
async fn an_owner_creates_and_edits_a_client_and_bad_input_changes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let owner = owner_of(&app, &tenant).await;
        assert!(owner.page("/app/paws/clients/new").await.contains("New client"));

        let bad = owner
            .post_form(
                "/app/paws/clients/new",
                &[("name", " "), ("email", "not-an-email"), ("phone", "call me")],
            )
            .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = bad.text().await.unwrap();
        for message in [
            "This field is required.",
            "Enter a valid email address.",
            "Enter the number with its country code",
        ] {
            assert!(html.contains(message), "missing {message:?}");
        }
        assert!(html.contains("not-an-email"), "what was typed is kept");
        assert_eq!(app.count("select count(*) from clients").await, 0);
        assert_eq!(audit_count(&app, "client.created").await, 0);

        let created = owner
            .post_form(
                "/app/paws/clients/new",
                &[
                    ("name", "Jo Bloggs"),
                    ("email", "Jo@Example.com"),
                    ("phone", "+44 7700 900123"),
                    ("address", "12 Elm Road"),
                    ("notes", "Two spaniels"),
                    ("can_self_reschedule", "on"),
                ],
            )
            .await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let path = location(&created);
        let id = app.client_id(tenant.id, path.rsplit('/').next().unwrap().parse().unwrap()).await;
        assert_eq!(path, format!("/app/paws/clients/{id}"));
        let jo = client(&app, &tenant, id).await;
        assert_eq!(
            (jo.name.as_str(), jo.email.as_str(), jo.phone.as_str(), jo.address.as_str()),
            ("Jo Bloggs", "jo@example.com", "+44 7700 900123", "12 Elm Road")
        );
        assert_eq!(
            (jo.notes.as_str(), jo.can_self_reschedule, jo.user_id),
            ("Two spaniels", 1, None)
        );
        let page = owner.page(&path).await;
        assert!(page.contains("Jo Bloggs") && page.contains("No login yet."));

        let edited = owner
            .post_form(
                &path,
                &[("name", "Jo Smith"), ("email", "jo@example.com"), ("phone", "+44 1632 960000")],
            )
            .await;
        assert_eq!(location(&edited), path);
        let jo = client(&app, &tenant, id).await;
        assert_eq!((jo.name.as_str(), jo.phone.as_str()), ("Jo Smith", "+44 1632 960000"));
        assert_eq!((jo.address.as_str(), jo.can_self_reschedule), ("", 0), "cleared fields");

        let bad_edit = owner.post_form(&path, &[("name", "Jo Jones"), ("email", "nope")]).await;
        assert_eq!(bad_edit.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_edit.text().await.unwrap().contains("Enter a valid email address."));
        assert_eq!(client(&app, &tenant, id).await.name, "Jo Smith");

        assert_eq!(audit_count(&app, "client.created").await, 1);
        assert_eq!(audit_count(&app, "client.updated").await, 1);
        // An id of no client is 404.
        assert_eq!(owner.get("/app/paws/clients/999999").await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn the_client_list_searches_by_name_email_and_phone_within_the_tenant() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let other = app.seed_tenant("cats", Plan::Free).await;
        let jo = fields("Jo Bloggs", "jo@example.com", "+44 7700 900123", "");
        let priya = fields("Priya Shah", "priya@example.net", "+44 7700 900456", "");
        let alex = fields("Alex Morgan", "alex@example.org", "01632 960000", "");
        for client in [jo, priya, alex] {
            insert_client(&app, &tenant, client, None).await;
        }
        let elsewhere = fields("Jo Elsewhere", "jo@elsewhere.example", "+44 7700 900999", "");
        insert_client(&app, &other, elsewhere, None).await;
        let owner = owner_of(&app, &tenant).await;

        let all = ["Jo Bloggs", "Priya Shah", "Alex Morgan"];
        for (query, expected) in [
            ("", &all[..]),
            ("BLOGGS", &["Jo Bloggs"][..]),
            ("jo", &["Jo Bloggs"][..]),
            ("example.net", &["Priya Shah"][..]),
            ("900456", &["Priya Shah"][..]),
            ("7700", &["Jo Bloggs", "Priya Shah"][..]),
            ("01632", &["Alex Morgan"][..]),
        ] {
            let html = owner.page(&format!("/app/paws/clients?q={query}")).await;
            for name in all {
                assert_eq!(html.contains(name), expected.contains(&name), "q={query:?}: {name}");
            }
            assert!(!html.contains("Jo Elsewhere"), "another tenant's client for q={query:?}");
        }
        let none = owner.page("/app/paws/clients?q=nobody").await;
        assert!(none.contains("No client matches"));
    })
    .await;
}

#[tokio::test]
async fn disabling_a_portal_login_ends_its_sessions_and_refuses_login_until_enabled() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let (id, user) = app.seed_client(&tenant, "Jo Bloggs", "jo@example.com", true).await;
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;
        assert!(jo.page("/portal/paws").await.contains("Welcome, Jo Bloggs"));
        let owner = owner_of(&app, &tenant).await;

        let disabled = owner.post_form(&format!("/app/paws/clients/{id}/disable-login"), &[]).await;
        assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
        // Logged out at once: the next request goes to the login page.
        let next = jo.get("/portal/paws").await;
        assert_eq!(next.status(), StatusCode::SEE_OTHER);
        assert!(location(&next).starts_with("/accounts/login"));
        let again = jo
            .post_form("/accounts/login", &[("email", "jo@example.com"), ("password", PASSWORD)])
            .await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text().await.unwrap().contains("Your portal login has been disabled"));
        // The account and its link are kept.
        let record = client(&app, &tenant, id).await;
        assert!(record.login_disabled());
        assert_eq!(record.user_id, user);
        assert_eq!(app.count("select count(*) from users where email = 'jo@example.com'").await, 1);
        assert!(owner.page("/app/paws/clients").await.contains("disabled"));
        assert_eq!(audit_count(&app, "client.login_disabled").await, 1);
        assert_eq!(audit_count(&app, "login.refused").await, 1);

        let enabled = owner.post_form(&format!("/app/paws/clients/{id}/enable-login"), &[]).await;
        assert_eq!(enabled.status(), StatusCode::SEE_OTHER);
        jo.login("jo@example.com", PASSWORD).await;
        assert!(jo.page("/portal/paws").await.contains("Welcome, Jo Bloggs"));
        assert_eq!(audit_count(&app, "client.login_enabled").await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_disabled_login_used_elsewhere_still_logs_in_but_sees_nothing_here() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let paws = app.seed_tenant("paws", Plan::Free).await;
        let cats = app.seed_tenant("cats", Plan::Free).await;
        let jo_at_paws = fields("Jo Bloggs", "jo@example.com", "+44 7700 900123", "12 Elm Road");
        let jo_user = app.seed_user("jo@example.com", "Jo Bloggs").await;
        let id = insert_client(&app, &paws, jo_at_paws, Some(jo_user)).await;
        insert_client(&app, &cats, fields("Jo B", "jo@example.com", "", ""), Some(jo_user)).await;
        let owner = owner_of(&app, &paws).await;
        owner.post_form(&format!("/app/paws/clients/{id}/disable-login"), &[]).await;

        let jo = app.browser();
        let response = jo
            .post_form("/accounts/login", &[("email", "jo@example.com"), ("password", PASSWORD)])
            .await;
        assert_eq!(location(&response), "/portal/cats", "the one portal still open");
        let here = jo.page("/portal/paws").await;
        assert!(here.contains("Your login is not linked to a client profile"));
        for detail in ["900123", "12 Elm Road"] {
            assert!(!here.contains(detail), "shows {detail:?}");
        }
        assert_eq!(jo.get("/portal/paws/profile").await.status(), StatusCode::NOT_FOUND);
        // "Becoming a client" again does not undo the owner's decision.
        jo.post_form("/portal/paws/join", &[]).await;
        assert!(client(&app, &paws, id).await.login_disabled());
        assert_eq!(app.count("select count(*) from clients").await, 2);
        assert!(jo.page("/portal/cats").await.contains("Welcome, Jo B"));
    })
    .await;
}

#[tokio::test]
async fn removing_a_portal_login_unlinks_it_and_deletes_it_only_when_unused() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let paws = app.seed_tenant("paws", Plan::Free).await;
        let cats = app.seed_tenant("cats", Plan::Free).await;
        let (jo_id, _) = app.seed_client(&paws, "Jo Bloggs", "jo@example.com", true).await;
        let (kim_id, kim_user) = app.seed_client(&paws, "Kim Park", "kim@example.com", true).await;
        insert_client(&app, &cats, fields("Kim Park", "kim@example.com", "", ""), kim_user).await;
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;
        let owner = owner_of(&app, &paws).await;

        // Jo's login is used nowhere else: it is deleted, and its session ends.
        let removed =
            owner.post_form(&format!("/app/paws/clients/{jo_id}/remove-login"), &[]).await;
        assert_eq!(removed.status(), StatusCode::SEE_OTHER);
        let record = client(&app, &paws, jo_id).await;
        assert_eq!((record.user_id, record.login_disabled()), (None, false));
        assert_eq!(app.count("select count(*) from users where email = 'jo@example.com'").await, 0);
        assert_eq!(jo.get("/portal/paws").await.status(), StatusCode::SEE_OTHER);
        let refused = jo
            .post_form("/accounts/login", &[("email", "jo@example.com"), ("password", PASSWORD)])
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(owner.page(&format!("/app/paws/clients/{jo_id}")).await.contains("No login yet."));

        // Kim's login is also a client of another business: unlinked here, kept there.
        let removed =
            owner.post_form(&format!("/app/paws/clients/{kim_id}/remove-login"), &[]).await;
        assert_eq!(removed.status(), StatusCode::SEE_OTHER);
        assert_eq!(client(&app, &paws, kim_id).await.user_id, None);
        assert_eq!(
            app.count("select count(*) from users where email = 'kim@example.com'").await,
            1
        );
        let kim = app.browser();
        kim.login("kim@example.com", PASSWORD).await;
        assert!(kim.page("/portal/cats").await.contains("Welcome, Kim Park"));
        assert!(kim.page("/portal/paws").await.contains("not linked to a client profile"));

        // Both client records stay; a record without a login has nothing to remove.
        assert_eq!(
            app.count(&format!("select count(*) from clients where tenant_id = {}", paws.id)).await,
            2
        );
        let again = owner.post_form(&format!("/app/paws/clients/{kim_id}/remove-login"), &[]).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        let details: Vec<String> = sqlx::query_scalar(
            "select detail from audit_log where action = 'client.login_removed' order by id",
        )
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        assert_eq!(
            details,
            [format!("#{jo_id}, login deleted"), format!("#{kim_id}, login kept (used elsewhere)")]
        );
    })
    .await;
}

#[tokio::test]
async fn an_unlinked_login_is_told_so_and_a_portal_turned_off_is_404() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_client(&tenant, "Jo Bloggs", "jo@example.com", true).await;
        app.seed_user("lee@example.com", "Lee Unlinked").await;
        let lee = app.browser();
        lee.login("lee@example.com", PASSWORD).await;
        let page = lee.page("/portal/paws").await;
        assert!(page.contains("Your login is not linked to a client profile"));
        assert!(!page.contains("Jo Bloggs"));
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;
        let owner = owner_of(&app, &tenant).await;

        let settings =
            [("name", "Business paws"), ("timezone", "Europe/London"), ("currency", "GBP")];
        let off = owner.post_form("/app/paws/settings", &settings).await;
        assert_eq!(off.status(), StatusCode::SEE_OTHER);
        assert!(owner.page("/app/paws/settings").await.contains("Settings saved."));
        for path in ["/portal/paws", "/portal/paws/profile", "/portal/paws/register"] {
            assert_eq!(jo.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let register = app.browser().get("/portal/paws/register").await;
        assert_eq!(register.status(), StatusCode::NOT_FOUND, "nobody can register");
        assert_eq!(lee.get("/portal/paws").await.status(), StatusCode::NOT_FOUND);
        let jo_profile = jo
            .post_form("/portal/paws/profile", &[("name", "Jo Bloggs"), ("phone", "01632 960000")])
            .await;
        assert_eq!(jo_profile.status(), StatusCode::NOT_FOUND);
        assert!(owner.page("/app/paws").await.contains("Off."));

        let on = [&settings[..], &[("portal_enabled", "on")]].concat();
        owner.post_form("/app/paws/settings", &on).await;
        assert!(jo.page("/portal/paws").await.contains("Welcome, Jo Bloggs"));
        assert_eq!(audit_count(&app, "tenant.settings_changed").await, 2);
    })
    .await;
}

#[tokio::test]
async fn a_client_registers_confirms_the_email_logs_in_and_updates_the_profile() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let visitor = app.browser();
        assert!(
            visitor.page("/portal/paws/register").await.contains("Register with Business paws")
        );
        let sent = visitor
            .post_form(
                "/portal/paws/register",
                &[
                    ("name", "Pat Lee"),
                    ("email", "pat@example.com"),
                    ("phone", "0161 496 0000"),
                    ("password", "a fine long passphrase"),
                ],
            )
            .await;
        assert_eq!(sent.status(), StatusCode::OK);
        assert!(sent.text().await.unwrap().contains("We have sent an email to pat@example.com"));

        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("pat@example.com", MAIL_WAIT).await;
        assert_eq!(mail.subject(), "Confirm your email address");
        let link = mail.first_link_containing("/accounts/verify/").expect("a verification link");
        let path = url::Url::parse(&link).unwrap().path().to_owned();
        assert_eq!(visitor.post_form(&path, &[]).await.status(), StatusCode::SEE_OTHER);
        let verified = "select count(*) from users where email = 'pat@example.com' \
                        and email_verified_at is not null";
        assert_eq!(app.count(verified).await, 1);

        let pat = app.browser();
        let login = pat
            .post_form(
                "/accounts/login",
                &[("email", "pat@example.com"), ("password", "a fine long passphrase")],
            )
            .await;
        assert_eq!(location(&login), "/portal/paws");
        let home = pat.page("/portal/paws").await;
        assert!(home.contains("Welcome, Pat Lee") && home.contains("0161 496 0000"));
        assert!(pat.page("/portal/paws/profile").await.contains("0161 496 0000"));

        let bad = pat
            .post_form(
                "/portal/paws/profile",
                &[("name", "Pat Lee"), ("phone", "ring me"), ("address", "5 Oak St")],
            )
            .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().await.unwrap().contains("Enter the number with its country code"));
        let saved = pat
            .post_form(
                "/portal/paws/profile",
                &[("name", "Pat Lee"), ("phone", "+44 161 496 0001"), ("address", "5 Oak St")],
            )
            .await;
        assert_eq!(location(&saved), "/portal/paws/profile");
        let record = clients::search(app.db(), tenant.id, "pat@", 10).await.unwrap().remove(0);
        assert_eq!(
            (record.phone.as_str(), record.address.as_str()),
            ("+44 161 496 0001", "5 Oak St")
        );
        assert!(record.user_id.is_some());
        assert!(pat.page("/portal/paws").await.contains("5 Oak St"));
        assert_eq!(audit_count(&app, "client.registered").await, 1);
        assert_eq!(audit_count(&app, "client.profile_updated").await, 1);
    })
    .await;
}

/// The token shown on the settings page after creating one.
fn shown_token(html: &str) -> Option<String> {
    let start = html.find("ptk_")?;
    let token: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    Some(token)
}

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_and_revocable_on_the_settings_page() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_client(&tenant, "Jo Bloggs", "jo@example.com", false).await;
        let owner = owner_of(&app, &tenant).await;

        let unnamed = owner.post_form("/app/paws/settings/tokens", &[("name", "")]).await;
        assert_eq!(unnamed.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.count("select count(*) from api_tokens").await, 0);

        let created = owner.post_form("/app/paws/settings/tokens", &[("name", "Zapier")]).await;
        assert_eq!(created.status(), StatusCode::OK);
        let html = created.text().await.unwrap();
        assert!(html.contains("shown only once"));
        let token = shown_token(&html).expect("the new token on the page");
        assert!(token.len() > 40, "{token}");

        // Stored hashed: the plain token is nowhere in the table.
        let hashes: Vec<String> = sqlx::query_scalar("select token_hash from api_tokens")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
        assert_eq!(hashes, [tokens::hash(&token)]);
        let plain = format!(
            "select count(*) from api_tokens where token_hash = '{token}' or name = '{token}'"
        );
        assert_eq!(app.count(&plain).await, 0);
        // Shown once: the settings page lists the token by name only.
        let settings = owner.page("/app/paws/settings").await;
        assert!(settings.contains("Zapier") && !settings.contains(&token));

        let (status, body) = app.api_get("/api/v1/paws/clients", Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["clients"][0]["name"], "Jo Bloggs");

        let id = app.count("select id from api_tokens").await;
        let revoked = owner.post_form(&format!("/app/paws/settings/tokens/{id}/revoke"), &[]).await;
        assert_eq!(location(&revoked), "/app/paws/settings");
        let (status, body) = app.api_get("/api/v1/paws/clients", Some(&token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(!owner.page("/app/paws/settings").await.contains("Zapier"));
        assert_eq!(audit_count(&app, "api_token.created").await, 1);
        assert_eq!(audit_count(&app, "api_token.revoked").await, 1);
    })
    .await;
}

/// The rows of the audit page's table (the page frame names the logged-in user too).
fn audit_rows(html: &str) -> String {
    let start = html.find("<tbody>").expect("an audit table");
    let end = html.find("</tbody>").expect("the end of the audit table");
    html[start..end].to_owned()
}

#[tokio::test]
async fn the_audit_page_shows_the_team_logins_and_client_events_of_this_tenant_only() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let paws = app.seed_tenant("paws", Plan::Pro).await;
        let cats = app.seed_tenant("cats", Plan::Free).await;
        app.seed_staff(&paws, "sam@paws.example").await;
        let (jo, _) = app.seed_client(&paws, "Jo Bloggs", "jo@example.com", false).await;

        let owner = app.browser();
        let failed = owner
            .post_form(
                "/accounts/login",
                &[("email", &paws.owner_email), ("password", "not it at all")],
            )
            .await;
        assert_eq!(failed.status(), StatusCode::UNPROCESSABLE_ENTITY);
        owner.login(&paws.owner_email, PASSWORD).await;
        app.browser().login("sam@paws.example", PASSWORD).await;
        owner
            .post_form(
                &format!("/app/paws/clients/{jo}"),
                &[("name", "Jo Smith"), ("email", "jo@example.com")],
            )
            .await;
        // Another business's activity.
        let cats_owner = owner_of(&app, &cats).await;
        cats_owner
            .post_form(
                "/app/cats/clients/new",
                &[("name", "Cat Client"), ("email", "c@example.com")],
            )
            .await;

        let log = audit_rows(&owner.page("/app/paws/audit").await);
        for expected in [
            "login.success",
            "login.failure",
            "client.updated",
            "owner@paws.example",
            "sam@paws.example",
        ] {
            assert!(log.contains(expected), "the audit page lacks {expected:?}:\n{log}");
        }
        for foreign in ["owner@cats.example", "Cat Client", "client.created"] {
            assert!(!log.contains(foreign), "the audit page shows {foreign:?}");
        }
        let cats_log = audit_rows(&cats_owner.page("/app/cats/audit").await);
        assert!(cats_log.contains("client.created") && cats_log.contains("owner@cats.example"));
        for foreign in ["owner@paws.example", "sam@paws.example", "client.updated"] {
            assert!(!cats_log.contains(foreign), "cats' audit page shows {foreign:?}");
        }
    })
    .await;
}
