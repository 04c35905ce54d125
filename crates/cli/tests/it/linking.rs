//! Guest → account linking (issue 12, item 1): once a login's address is verified, its guest
//! bookings at the businesses where it is a client move into its portal — never before, never
//! at another business, never onto another login's record; once, with one email.

use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::plans::Plan;
use portico_domain::{Clock as _, UserId};
use portico_jobs::LinkGuest;
use portico_store::bookings::{Actor, Party, Slot};
use portico_store::catalog::{Mode, Service};
use portico_store::clients::{self, ClientFields};
use portico_store::tenants;
use portico_testkit::{PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::StatusCode;

const MAIL_WAIT: Duration = Duration::from_secs(10);
const LINKED_SUBJECT: &str = "Your bookings with Business paws are now in your account";

/// A tenant with a "walk" block tomorrow 09:00–12:00 with room for 10.
async fn business(app: &TestApp, slug: &str) -> (SeededTenant, Service, i64) {
    let tenant = app.seed_tenant(slug, Plan::Free).await;
    let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
    let date = "2026-12-02".parse().unwrap();
    let block = app.seed_block(tenant.id, date, 9 * 60, 12 * 60, &walk, 10).await;
    (tenant, walk, block)
}

fn nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()
}

/// Books the block at 09:00 for `party`, straight through the booking workflow.
async fn book(app: &TestApp, slug: &str, walk: &Service, block: i64, party: Party) -> i64 {
    let tenant = tenants::by_slug(app.db(), slug).await.unwrap().unwrap();
    let slot = Slot { start: nine(), staff: None, block: Some(block) };
    let new = NewBooking {
        service: walk,
        slot,
        party,
        notes: String::new(),
        hold_token: None,
        address: String::new(),
    };
    let ctx = portico_core::Context::new(Actor::System, "", app.clock.now());
    (portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.expect("booked").id).get()
}

fn guest(email: &str) -> Party {
    Party::Guest { name: "Jo Guest".into(), email: email.into(), phone: "+44 7700 900123".into() }
}

async fn client_of(app: &TestApp, booking: i64) -> Option<i64> {
    sqlx::query_scalar("select client_id from bookings where id = $1")
        .bind(booking)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

fn linked_mails(app: &TestApp, to: &str) -> usize {
    app.mail
        .messages()
        .iter()
        .filter(|m| m.rcpt_to == [to] && m.subject() == LINKED_SUBJECT)
        .count()
}

async fn user_id(app: &TestApp, email: &str) -> UserId {
    let id: i64 = sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    app.user_id(id).await
}

#[tokio::test]
async fn a_guest_booking_joins_the_portal_only_after_verification_and_only_at_that_business() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (paws, walk, block) = business(&app, "paws").await;
        let (_other, other_walk, other_block) = business(&app, "other").await;
        let x = "x@example.com";
        let mine = book(&app, "paws", &walk, block, guest("X@Example.com")).await;
        let someone_else = book(&app, "paws", &walk, block, guest("y@example.com")).await;
        let elsewhere = book(&app, "other", &other_walk, other_block, guest(x)).await;
        app.run_pending_jobs().await; // the booking confirmations

        // X registers at paws' portal: a login and a client record, but nothing linked yet.
        let browser = app.browser();
        let form = [
            ("name", "Jo Guest"),
            ("email", x),
            ("phone", ""),
            ("password", "a fine long passphrase"),
        ];
        let r = browser.post_form("/portal/paws/register", &form).await;
        assert_eq!(r.status(), StatusCode::OK);
        app.run_pending_jobs().await;
        let user = user_id(&app, x).await;
        // Even a link job run by hand does nothing while the address is unverified.
        portico_workers::dispatch(&app.deps(), "link_guest", &link_payload(user)).await.unwrap();
        assert_eq!(app.run_pending_jobs().await, 0);
        assert_eq!(client_of(&app, mine).await, None, "nothing linked before verification");
        assert_eq!(
            count(&app, "select count(*) from audit_log where action = 'client.linked'").await,
            0
        );

        // X verifies: the job links the booking to X's client record at paws.
        let mail = app.mail.wait_for_message_to(x, MAIL_WAIT).await;
        assert_eq!(mail.subject(), "Confirm your email address");
        let link = mail.first_link_containing("/accounts/verify/").expect("verification link");
        let path = url::Url::parse(&link).unwrap().path().to_owned();
        assert_eq!(browser.post_form(&path, &[]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(client_of(&app, mine).await, None, "linking is the job's work");
        assert_eq!(app.run_pending_jobs().await, 2, "the link job, then its email");

        let record = clients::for_user(app.db(), paws.id, user).await.unwrap().unwrap();
        assert_eq!(client_of(&app, mine).await, Some(record.id.get()));
        assert_eq!(client_of(&app, someone_else).await, None, "another address stays a guest");
        assert_eq!(client_of(&app, elsewhere).await, None, "never across tenants");

        // It is in X's portal.
        let jo = app.browser();
        jo.login(x, "a fine long passphrase").await;
        let home = jo.page("/portal/paws").await;
        assert!(home.contains(&format!("/portal/paws/bookings/{mine}\"")), "{home}");
        let r = jo.get(&format!("/portal/paws/bookings/{mine}")).await;
        assert_eq!(r.status(), StatusCode::OK);

        // Audited, and X is told once, with what was linked.
        let detail: String =
            sqlx::query_scalar("select detail from audit_log where action = 'client.linked'")
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert!(
            detail.contains("1 guest booking(s)") && detail.contains(&format!("#{mine}")),
            "{detail}"
        );
        assert_eq!(linked_mails(&app, x), 1);
        let told = app.mail.messages().into_iter().find(|m| m.subject() == LINKED_SUBJECT).unwrap();
        assert!(told.text_body().contains("Service walk"), "{}", told.text_body());
        assert!(told.text_body().contains("Wed 2 Dec 2026, 09:00"), "{}", told.text_body());
        assert!(told.first_link_containing("/portal/paws").is_some());

        // Running the job again changes nothing and sends nothing.
        app.enqueue(&LinkGuest::Link { user_id: user.get() }).await;
        app.enqueue(&LinkGuest::Link { user_id: user.get() }).await;
        assert_eq!(app.run_pending_jobs().await, 2, "two link jobs, no email job");
        assert_eq!(client_of(&app, mine).await, Some(record.id.get()));
        assert_eq!(client_of(&app, elsewhere).await, None);
        assert_eq!(
            count(&app, "select count(*) from audit_log where action = 'client.linked'").await,
            1
        );
        assert_eq!(linked_mails(&app, x), 1, "the email is sent once");
    })
    .await;
}

fn link_payload(user: UserId) -> String {
    serde_json::to_string(&LinkGuest::Link { user_id: user.get() }).unwrap()
}

#[tokio::test]
async fn a_client_record_of_another_login_is_never_taken() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (paws, walk, block) = business(&app, "paws").await;
        let x = "x@example.com";
        // Someone else's login has a record at paws that carries X's address.
        let other_login = app.seed_user("v@example.com", "Vee").await;
        let fields = ClientFields { name: "Vee".into(), email: x.into(), ..Default::default() };
        let mut tx = app.db().begin().await.unwrap();
        let theirs =
            clients::insert(&mut tx, paws.id, &fields, Some(other_login), app.clock.now_ts())
                .await
                .unwrap();
        tx.commit().await.unwrap();
        let their_booking = book(&app, "paws", &walk, block, Party::Client(theirs)).await;
        let guest_booking = book(&app, "paws", &walk, block, guest(x)).await;
        // X is a verified client of paws with a record of their own.
        let (mine, user) = app.seed_client(&paws, "Jo Guest", x, true).await;
        let user = user.unwrap();
        app.run_pending_jobs().await;

        app.enqueue(&LinkGuest::Link { user_id: user.get() }).await;
        app.run_pending_jobs().await;

        assert_eq!(client_of(&app, guest_booking).await, Some(mine.get()), "onto X's own record");
        assert_eq!(client_of(&app, their_booking).await, Some(theirs.get()), "theirs stays theirs");
        let owner: Option<i64> = sqlx::query_scalar("select user_id from clients where id = $1")
            .bind(theirs.get())
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(owner, Some(other_login.get()), "the other login keeps its record");
        assert_eq!(linked_mails(&app, x), 1);
        assert_eq!(linked_mails(&app, "v@example.com"), 0);

        // A login with no client record anywhere links nothing, even with matching guests.
        let stranger = app.seed_user("z@example.com", "Zed").await;
        let z_booking = book(&app, "paws", &walk, block, guest("z@example.com")).await;
        app.run_pending_jobs().await;
        app.enqueue(&LinkGuest::Link { user_id: stranger.get() }).await;
        app.run_pending_jobs().await;
        assert_eq!(client_of(&app, z_booking).await, None, "not a client of paws");
    })
    .await;
}

#[tokio::test]
async fn accepting_a_client_invitation_links_the_guest_bookings() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (paws, walk, block) = business(&app, "paws").await;
        let x = "x@example.com";
        let booking = book(&app, "paws", &walk, block, guest(x)).await;
        let (client, _) = app.seed_client(&paws, "Jo Guest", x, false).await;
        let owner = app.browser();
        owner.login(&paws.owner_email, PASSWORD).await;
        let r = owner.post_form(&format!("/app/paws/clients/{client}/invite"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to(x, MAIL_WAIT).await;
        let link = mail.first_link_containing("/accounts/invite/").unwrap();
        let path = url::Url::parse(&link).unwrap().path().to_owned();
        assert_eq!(client_of(&app, booking).await, None);

        let jo = app.browser();
        let r = jo
            .post_form(&path, &[("name", "Jo Guest"), ("password", "walkies every morning")])
            .await;
        assert_eq!(location(&r), "/portal/paws");
        app.run_pending_jobs().await;
        assert_eq!(client_of(&app, booking).await, Some(client.get()));
        assert!(
            jo.page("/portal/paws").await.contains(&format!("/portal/paws/bookings/{booking}\""))
        );
        assert_eq!(linked_mails(&app, x), 1);
    })
    .await;
}

#[tokio::test]
async fn registering_with_the_address_of_the_providers_record_takes_that_record_once_verified() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (paws, walk, block) = business(&app, "paws").await;
        let x = "x@example.com";
        // The provider already keeps a record for X, with a booking, and X once booked as a guest.
        let (kept, _) = app.seed_client(&paws, "Jo (regular)", x, false).await;
        let regular = book(&app, "paws", &walk, block, Party::Client(kept)).await;
        let as_guest = book(&app, "paws", &walk, block, guest(x)).await;
        app.run_pending_jobs().await;

        let browser = app.browser();
        let form = [
            ("name", "Jo Guest"),
            ("email", x),
            ("phone", "+44 7700 900999"),
            ("password", "a fine long passphrase"),
        ];
        assert_eq!(
            browser.post_form("/portal/paws/register", &form).await.status(),
            StatusCode::OK
        );
        app.run_pending_jobs().await;
        let user = user_id(&app, x).await;
        let registered = clients::for_user(app.db(), paws.id, user).await.unwrap().unwrap();
        assert_ne!(registered.id, kept, "registration alone links no existing record");

        let mail = app.mail.wait_for_message_to(x, MAIL_WAIT).await;
        let link = mail.first_link_containing("/accounts/verify/").expect("verification link");
        let path = url::Url::parse(&link).unwrap().path().to_owned();
        assert_eq!(browser.post_form(&path, &[]).await.status(), StatusCode::SEE_OTHER);
        app.run_pending_jobs().await;

        let now_mine = clients::for_user(app.db(), paws.id, user).await.unwrap().unwrap();
        assert_eq!(now_mine.id, kept, "the provider's record is the login's");
        assert_eq!(now_mine.phone, "+44 7700 900999", "an empty phone is filled");
        assert_eq!(client_of(&app, regular).await, Some(kept.get()));
        assert_eq!(client_of(&app, as_guest).await, Some(kept.get()));
        let sql = format!("select count(*) from clients where id = {}", registered.id);
        assert_eq!(count(&app, &sql).await, 0, "the emptied registration record is gone");

        let jo = app.browser();
        jo.login(x, "a fine long passphrase").await;
        let home = jo.page("/portal/paws").await;
        assert!(home.contains(&format!("/portal/paws/bookings/{regular}\"")), "{home}");
        assert!(home.contains(&format!("/portal/paws/bookings/{as_guest}\"")), "{home}");
        assert_eq!(linked_mails(&app, x), 1);
        let told = app.mail.messages().into_iter().find(|m| m.subject() == LINKED_SUBJECT).unwrap();
        assert!(told.text_body().contains("client details Business paws keeps for you"));
        assert!(told.text_body().contains("these 2 bookings"), "{}", told.text_body());

        app.enqueue(&LinkGuest::Link { user_id: user.get() }).await;
        app.run_pending_jobs().await;
        let again = clients::for_user(app.db(), paws.id, user).await.unwrap().unwrap();
        assert_eq!(again.id, kept, "idempotent");
        assert_eq!(
            count(&app, "select count(*) from audit_log where action = 'client.linked'").await,
            1
        );
        assert_eq!(linked_mails(&app, x), 1);
    })
    .await;
}

#[tokio::test]
async fn joining_a_portal_verified_or_proving_the_address_by_a_password_reset_links_too() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (paws, walk, block) = business(&app, "paws").await;

        // A verified login with no record at paws joins its portal.
        let x = "x@example.com";
        let user = app.seed_user(x, "Jo Guest").await;
        let booking = book(&app, "paws", &walk, block, guest(x)).await;
        app.run_pending_jobs().await;
        let jo = app.browser();
        jo.login(x, PASSWORD).await;
        assert_eq!(location(&jo.post_form("/portal/paws/join", &[]).await), "/portal/paws");
        app.run_pending_jobs().await;
        let record = clients::for_user(app.db(), paws.id, user).await.unwrap().unwrap();
        assert_eq!(client_of(&app, booking).await, Some(record.id.get()));
        assert_eq!(linked_mails(&app, x), 1);

        // A registration never confirmed, whose address a password reset then proves.
        let y = "y@example.com";
        let booking = book(&app, "paws", &walk, block, guest(y)).await;
        let browser = app.browser();
        let form =
            [("name", "Yu"), ("email", y), ("phone", ""), ("password", "a fine long passphrase")];
        assert_eq!(
            browser.post_form("/portal/paws/register", &form).await.status(),
            StatusCode::OK
        );
        browser.post_form("/accounts/password/reset", &[("email", y)]).await;
        app.run_pending_jobs().await;
        assert_eq!(client_of(&app, booking).await, None);
        let reset = app
            .mail
            .messages()
            .into_iter()
            .find(|m| m.rcpt_to == [y] && m.subject() == "Reset your Portico password")
            .expect("reset email");
        let link = reset.first_link_containing("/accounts/password/reset/").unwrap();
        let path = url::Url::parse(&link).unwrap().path().to_owned();
        let new_password = "a brand new passphrase";
        let r = browser
            .post_form(&path, &[("password", new_password), ("confirm", new_password)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        app.run_pending_jobs().await;
        let yu = user_id(&app, y).await;
        let record = clients::for_user(app.db(), paws.id, yu).await.unwrap().unwrap();
        assert_eq!(client_of(&app, booking).await, Some(record.id.get()));
        assert_eq!(linked_mails(&app, y), 1);
    })
    .await;
}
