//! Notification preferences (portal, API, team members), one-click unsubscribe, and the
//! reminder job: sent once per booking and start, never to a client who opted out, never
//! for a cancelled or stale booking; a reschedule gets a reminder for its new time.

use std::time::Duration;

use chrono::{DateTime, Duration as Span, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _};
use portico_jobs::Reminders;
use portico_store::bookings::{Actor, Party, Slot};
use portico_store::catalog::{Mode, Service};
use portico_store::notify::unsubscribe::{Recipient, Unsubscribe};
use portico_store::notify::{self, Kind};
use portico_store::tenants;
use portico_testkit::{PASSWORD, ReceivedMail, TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

/// 2026-12-`day` at `hour`:00 UTC (London is on UTC in December).
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

/// Books `party` at `start` as the owner, straight through the core workflow.
async fn book(app: &TestApp, service: &Service, start: DateTime<Utc>, party: Party) -> i64 {
    let tenant = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
    let slot = Slot { start, staff: None, block: None };
    let new = NewBooking {
        service,
        slot,
        party,
        notes: String::new(),
        hold_token: None,
        address: String::new(),
    };
    let ctx = portico_core::Context::new(Actor::Api, "", app.clock.now());
    (portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.expect("booked").id).get()
}

async fn reschedule(app: &TestApp, id: i64, start: DateTime<Utc>) {
    let tenant = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
    let slot = Slot { start, staff: None, block: None };
    let ctx = portico_core::Context::new(Actor::Api, "", app.clock.now());
    portico_core::bookings::reschedule(app.db(), &tenant, id, &slot, &ctx).await.expect("moved");
}

async fn cancel(app: &TestApp, id: i64) {
    let tenant = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
    let ctx = portico_core::Context::new(Actor::Api, "", app.clock.now());
    portico_core::bookings::cancel(app.db(), &tenant, id, &ctx).await.expect("cancelled");
}

/// Runs the reminder scan and everything it queues.
async fn scan(app: &TestApp) {
    app.enqueue(&Reminders::default()).await;
    app.run_pending_jobs().await;
}

/// Messages so far to `to` whose subject starts with `prefix`.
fn mails(app: &TestApp, to: &str, prefix: &str) -> Vec<ReceivedMail> {
    app.mail
        .messages()
        .into_iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject().starts_with(prefix))
        .collect()
}

/// A tenant `paws` with a 60-minute walk, open 08–18 every day.
async fn paws(app: &TestApp) -> (portico_testkit::SeededTenant, Service) {
    let tenant = app.seed_tenant("paws", Plan::Free).await;
    let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
    app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
    (tenant, walk)
}

#[tokio::test]
async fn reminders_go_once_to_those_who_want_them_and_follow_a_reschedule() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, walk) = paws(&app).await;
        let (ann, _) = app.seed_client(&tenant, "Ann", "ann@example.com", false).await;
        let (bob, _) = app.seed_client(&tenant, "Bob", "bob@example.com", false).await;
        let mut off = notify::prefs::client(app.db(), tenant.id, bob).await.unwrap();
        off.email.reminders = false;
        notify::prefs::set_client(app.db(), tenant.id, bob, &off, 0).await.unwrap();

        // Now: Tue 1 Dec 09:00. Bookings on Thu 3 Dec; the default reminder is a day before.
        let ann_booking = book(&app, &walk, at(3, 10), Party::Client(ann)).await;
        book(&app, &walk, at(3, 12), Party::Client(bob)).await;
        let guest = Party::Guest {
            name: "Lee".into(),
            email: "lee@example.com".into(),
            phone: "+44 7700 900456".into(),
        };
        let cancelled = book(&app, &walk, at(3, 14), guest).await;
        cancel(&app, cancelled).await;
        app.run_pending_jobs().await;

        // Not due yet.
        scan(&app).await;
        assert!(mails(&app, "ann@example.com", "Reminder").is_empty());

        // Wed 2 Dec 10:30: Ann's and Bob's are due (the cancelled one is not sent).
        app.clock.set(at(2, 10) + Span::minutes(30));
        scan(&app).await;
        scan(&app).await;
        let sent = mails(&app, "ann@example.com", "Reminder");
        assert_eq!(sent.len(), 1, "exactly one reminder, however often the scan runs");
        assert!(sent[0].text_body().contains("Thu 3 Dec 2026, 10:00"), "{}", sent[0].text_body());
        assert!(mails(&app, "bob@example.com", "Reminder").is_empty(), "Bob turned them off");
        assert!(mails(&app, "lee@example.com", "Reminder").is_empty(), "cancelled");
        // A reminder carries its one-click unsubscribe.
        let unsubscribe = sent[0].first_link_containing("/unsubscribe/").expect("link");
        assert!(sent[0].raw.contains(&format!("\r\nList-Unsubscribe: <{unsubscribe}>\r\n")));
        assert_eq!(
            sent[0].header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );

        // Moved to Fri 4 Dec 10:00: a new reminder for the new time, a day before it.
        reschedule(&app, ann_booking, at(4, 10)).await;
        app.run_pending_jobs().await;
        scan(&app).await;
        assert_eq!(mails(&app, "ann@example.com", "Reminder").len(), 1, "not due yet");
        app.clock.set(at(3, 10) + Span::minutes(1));
        scan(&app).await;
        let sent = mails(&app, "ann@example.com", "Reminder");
        assert_eq!(sent.len(), 2);
        assert!(sent[1].text_body().contains("Fri 4 Dec 2026, 10:00"), "{}", sent[1].text_body());
        // A worker that restarts and scans again sends nothing more.
        scan(&app).await;
        assert_eq!(mails(&app, "ann@example.com", "Reminder").len(), 2);
        let ledger = app.count("select count(*) from reminder_deliveries").await;
        assert_eq!(ledger, 3, "Ann twice, Bob once (settled without sending)");
    })
    .await;
}

#[tokio::test]
async fn reminders_catch_up_after_downtime_but_never_send_stale_ones() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, walk) = paws(&app).await;
        let (ann, _) = app.seed_client(&tenant, "Ann", "ann@example.com", false).await;
        let (cat, _) = app.seed_client(&tenant, "Cat", "cat@example.com", false).await;
        let (dan, _) = app.seed_client(&tenant, "Dan", "dan@example.com", false).await;
        // Ann: Wed 2 Dec 15:00 (due Tue 15:00). Cat: Wed 2 Dec 10:00 (due Tue 10:00).
        book(&app, &walk, at(2, 15), Party::Client(ann)).await;
        book(&app, &walk, at(2, 10), Party::Client(cat)).await;
        // Dan books at 09:00 for 16:00 the same day: his reminder was due before he booked.
        book(&app, &walk, at(1, 16), Party::Client(dan)).await;
        app.run_pending_jobs().await;

        // The workers were down from 09:00 until Wed 10:30: Cat's booking has started.
        app.clock.set(at(2, 10) + Span::minutes(30));
        scan(&app).await;
        assert_eq!(mails(&app, "ann@example.com", "Reminder").len(), 1, "caught up");
        assert!(mails(&app, "cat@example.com", "Reminder").is_empty(), "already started");
        assert!(mails(&app, "dan@example.com", "Reminder").is_empty(), "booked after due");

        // Reminders off for the business: none at all.
        let settings = notify::Settings { reminder_minutes_before: None, sms_enabled: false };
        notify::prefs::set_settings(app.db(), tenant.id, &settings, 0).await.unwrap();
        book(&app, &walk, at(4, 10), Party::Client(ann)).await;
        app.clock.set(at(4, 9));
        scan(&app).await;
        assert_eq!(mails(&app, "ann@example.com", "Reminder").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn an_unsubscribe_link_works_without_login_only_for_its_recipient_and_kind() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, walk) = paws(&app).await;
        let (ann, _) = app.seed_client(&tenant, "Ann", "ann@example.com", false).await;
        let (bob, _) = app.seed_client(&tenant, "Bob", "bob@example.com", false).await;
        book(&app, &walk, at(3, 10), Party::Client(ann)).await;
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("ann@example.com", WAIT).await;
        let link = mail.first_link_containing("/unsubscribe/").expect("an unsubscribe link");
        assert!(mail.raw.contains(&format!("\r\nList-Unsubscribe: <{link}>\r\n")), "{}", mail.raw);
        let path = &link[link.find("/unsubscribe/").unwrap()..];
        let token = path.trim_start_matches("/unsubscribe/");
        let db = app.db().clone();
        let prefs = |id: ClientId| {
            let db = db.clone();
            async move { notify::prefs::client(&db, tenant.id, id).await.unwrap() }
        };
        let before_ann = prefs(ann).await;

        // Tampered: another client, another kind, a broken signature: refused, nothing changes.
        let (payload, signature) = token.rsplit_once('.').unwrap();
        let forged = [
            format!(
                "{}.{signature}",
                payload.replace(&format!("c{}", ann.get()), &format!("c{}", bob.get()))
            ),
            format!("{}.{signature}", payload.replace("changes", "reminders")),
            format!("{payload}.{}", signature.replace(&signature[..2], "AA")),
            "garbage".to_owned(),
        ];
        let anonymous = reqwest::Client::new();
        for forged in &forged {
            let url = app.url(&format!("/unsubscribe/{forged}"));
            assert_eq!(anonymous.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
            let response = anonymous.post(&url).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{forged}");
        }
        assert_eq!(prefs(ann).await, before_ann);
        assert_eq!(prefs(bob).await, notify::ClientPrefs::default());

        // Looking at the link changes nothing; the one-click POST (no cookie, no CSRF token,
        // as a mail client sends it) turns off exactly that kind for exactly that client.
        let page = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("Unsubscribe"));
        assert_eq!(prefs(ann).await, before_ann);
        let response = anonymous
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let after = prefs(ann).await;
        assert!(!after.email.changes);
        assert!(after.email.reminders && after.email.invoices, "only the link's kind");
        assert_eq!(prefs(bob).await, notify::ClientPrefs::default());

        // Ann's next change is not emailed to her; the owner still hears of it.
        book(&app, &walk, at(4, 10), Party::Client(ann)).await;
        app.run_pending_jobs().await;
        let to_ann =
            app.mail.messages().iter().filter(|m| m.rcpt_to == ["ann@example.com"]).count();
        assert_eq!(to_ann, 1, "only the first confirmation");
        assert_eq!(mails(&app, &tenant.owner_email, "New booking").len(), 2);

        // A link signed with another key is refused.
        let other_key = Unsubscribe {
            tenant: tenant.id,
            recipient: Recipient::Client(bob),
            kind: Kind::Changes,
        }
        .sign(b"not the server's key");
        let url = app.url(&format!("/unsubscribe/{other_key}"));
        assert_eq!(anonymous.post(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(prefs(bob).await, notify::ClientPrefs::default());
    })
    .await;
}

#[tokio::test]
async fn client_preferences_over_the_portal_and_the_api() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, walk) = paws(&app).await;
        let (ann, _) = app.seed_client(&tenant, "Ann", "ann@example.com", true).await;
        let token = app.api_token(tenant.id).await;
        let path = format!("/api/v1/paws/clients/{}/preferences", ann.get());
        let t = Some(token.as_str());

        let (status, body) = app.api_get(&path, t).await;
        assert_eq!(status, StatusCode::OK);
        let defaults = json!({
            "email": {"changes": true, "reminders": true, "invoices": true},
            "sms": {"changes": false, "reminders": false, "invoices": false},
        });
        assert_eq!(body, defaults);

        let patch = |body: Value| {
            let request = reqwest::Client::new().patch(app.url(&path)).bearer_auth(&token);
            async move {
                let response = request.json(&body).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, body) =
            patch(json!({"email": {"reminders": false}, "sms": {"changes": true}})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["email"], json!({"changes": true, "reminders": false, "invoices": true}));
        assert_eq!(body["sms"], json!({"changes": true, "reminders": false, "invoices": false}));
        let stored = notify::prefs::client(app.db(), tenant.id, ann).await.unwrap();
        assert!(!stored.email.reminders && stored.sms.changes);

        for (bad, field) in [
            (json!({"email": {"reminders": "no"}}), "email.reminders"),
            (json!({"email": {"reminder": false}}), "email.reminder"),
            (json!({"push": {}}), "push"),
            (json!({"sms": true}), "sms"),
        ] {
            let (status, body) = patch(bad.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert!(body["error"]["fields"][field].is_string(), "{bad}: {body}");
        }
        assert_eq!(notify::prefs::client(app.db(), tenant.id, ann).await.unwrap(), stored);
        let (status, _) = app.api_get("/api/v1/paws/clients/999999/preferences", t).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The portal: Ann turns booking emails off and reminders back on.
        let browser = app.browser();
        browser.login("ann@example.com", PASSWORD).await;
        let page = browser.page("/portal/paws/profile").await;
        assert!(page.contains("name=\"email_reminders\" value=\"on\">"), "reminders shown off");
        let response = browser
            .post_form(
                "/portal/paws/profile/notifications",
                &[("email_reminders", "on"), ("email_invoices", "on")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let stored = notify::prefs::client(app.db(), tenant.id, ann).await.unwrap();
        assert_eq!(
            (stored.email.changes, stored.email.reminders, stored.email.invoices),
            (false, true, true)
        );
        assert!(stored.sms.changes, "SMS choices are kept");

        // Checked at send time: the confirmation of a booking made now is not emailed to her.
        book(&app, &walk, at(3, 10), Party::Client(ann)).await;
        app.run_pending_jobs().await;
        assert!(mails(&app, "ann@example.com", "Booked").is_empty());
        assert_eq!(mails(&app, &tenant.owner_email, "New booking").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn notification_settings_over_the_api_and_team_members_own_choice() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, walk) = paws(&app).await;
        let token = app.api_token(tenant.id).await;
        let path = "/api/v1/paws/settings/notifications";
        let patch = |body: Value| {
            let request = reqwest::Client::new().patch(app.url(path)).bearer_auth(&token);
            async move {
                let response = request.json(&body).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, body) = app.api_get(path, Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({"reminder_minutes_before": 1440, "sms_enabled": false}));

        let (status, body) = patch(json!({"reminder_minutes_before": 90})).await;
        assert_eq!((status, body["reminder_minutes_before"].as_i64()), (StatusCode::OK, Some(90)));
        let (status, body) = patch(json!({"reminder_minutes_before": null})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({"reminder_minutes_before": null, "sms_enabled": false}));
        for (bad, field) in [
            (json!({"reminder_minutes_before": 0}), "reminder_minutes_before"),
            (json!({"reminder_minutes_before": 50000}), "reminder_minutes_before"),
            (json!({"reminder_minutes_before": "1h"}), "reminder_minutes_before"),
            (json!({"sms_enabled": "yes"}), "sms_enabled"),
            (json!({"reminders": 5}), "reminders"),
        ] {
            let (status, body) = patch(bad.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert!(body["error"]["fields"][field].is_string(), "{bad}: {body}");
        }
        // SMS is a PRO feature.
        let (status, body) = patch(json!({"sms_enabled": true})).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
        let stored = notify::prefs::settings(app.db(), tenant.id).await.unwrap();
        assert_eq!(stored, notify::Settings { reminder_minutes_before: None, sms_enabled: false });
        sqlx::query("update tenants set plan = 'pro' where id = $1")
            .bind(tenant.id.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let (status, body) = patch(json!({"sms_enabled": true})).await;
        assert_eq!((status, body["sms_enabled"].as_bool()), (StatusCode::OK, Some(true)));

        // The owner's page sets reminders, and turns their own booking emails off.
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let page = owner.page("/app/paws/notifications").await;
        assert!(page.contains("Reminders to clients"), "{page}");
        let response = owner
            .post_form("/app/paws/settings/notifications", &[("reminder_minutes", "abc")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let response = owner
            .post_form("/app/paws/settings/notifications", &[("reminder_minutes", "120")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let stored = notify::prefs::settings(app.db(), tenant.id).await.unwrap();
        assert_eq!(stored.reminder_minutes_before, Some(120));
        assert!(!stored.sms_enabled, "an unchecked box is off");
        let response = owner.post_form("/app/paws/notifications", &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);

        let guest = Party::Guest {
            name: "Lee".into(),
            email: "lee@example.com".into(),
            phone: "+44 7700 900456".into(),
        };
        book(&app, &walk, at(3, 10), guest).await;
        app.run_pending_jobs().await;
        assert_eq!(mails(&app, "lee@example.com", "Booked").len(), 1);
        assert!(mails(&app, &tenant.owner_email, "New booking").is_empty(), "the owner opted out");
    })
    .await;
}

/// `paws` with a client Ann, booked by the owner for a walk on 3 December at 10:00, its
/// emails sent: the tenant and the booking.
async fn ann_booked(app: &TestApp) -> (portico_testkit::SeededTenant, i64) {
    let (tenant, walk) = paws(app).await;
    let (ann, _) = app.seed_client(&tenant, "Ann", "ann@example.com", false).await;
    let id = book(app, &walk, at(3, 10), Party::Client(ann)).await;
    app.run_pending_jobs().await;
    (tenant, id)
}

/// The `booking.ics` of `mail`: its METHOD, and its one event's UID, SEQUENCE, start and end.
fn calendar_file(mail: &ReceivedMail) -> (String, String, u32, DateTime<Utc>, DateTime<Utc>) {
    use icalendar::{CalendarDateTime, Component as _, DatePerhapsTime};
    let (content_type, bytes) = mail.attachment("booking.ics").expect("a booking.ics");
    let text = String::from_utf8(bytes).unwrap();
    let calendar: icalendar::Calendar = text.parse().unwrap_or_else(|e| panic!("{e}: {text}"));
    let method = calendar.property_value("METHOD").unwrap().to_owned();
    assert!(content_type.starts_with("text/calendar"), "{content_type}");
    assert!(content_type.contains(&format!("method={method}")), "{content_type}");
    let event = calendar.events().next().expect("one event");
    let utc = |value: Option<DatePerhapsTime>| match value {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(at))) => at,
        other => panic!("not a UTC time: {other:?} in {text}"),
    };
    (
        method,
        event.get_uid().unwrap().to_owned(),
        event.get_sequence().unwrap(),
        utc(event.get_start()),
        utc(event.get_end()),
    )
}

#[tokio::test]
async fn booking_emails_carry_a_calendar_file_that_follows_the_booking() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, id) = ann_booked(&app).await;
        let uid = format!("booking-{}-{id}@portico", tenant.id.get());

        let confirmed = app.mail.wait_for_message_to("ann@example.com", WAIT).await;
        let (method, got_uid, sequence, start, end) = calendar_file(&confirmed);
        assert_eq!((method.as_str(), got_uid.as_str(), sequence), ("REQUEST", uid.as_str(), 0));
        assert_eq!((start, end), (at(3, 10), at(3, 11)));
        // The owner's email carries it too.
        let to_owner = app.mail.wait_for_message_to(&tenant.owner_email, WAIT).await;
        assert_eq!(calendar_file(&to_owner).1, uid);

        reschedule(&app, id, at(4, 15)).await;
        app.run_pending_jobs().await;
        let moved = app.mail.wait_for_message_to("ann@example.com", WAIT).await;
        let (method, got_uid, sequence, start, end) = calendar_file(&moved);
        assert_eq!((method.as_str(), got_uid.as_str(), sequence), ("REQUEST", uid.as_str(), 1));
        assert_eq!((start, end), (at(4, 15), at(4, 16)));

        cancel(&app, id).await;
        app.run_pending_jobs().await;
        let cancelled = app.mail.wait_for_message_to("ann@example.com", WAIT).await;
        let (method, got_uid, sequence, ..) = calendar_file(&cancelled);
        assert_eq!((method.as_str(), got_uid.as_str(), sequence), ("CANCEL", uid.as_str(), 2));
    })
    .await;
}

/// The notice job keeps a copy of the tenant between jobs; a change to the business (its
/// name, its time zone) reaches the very next email.
#[tokio::test]
async fn a_booking_email_shows_the_business_as_it_is_when_sent() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, id) = ann_booked(&app).await;
        let confirmed = app.mail.wait_for_message_to("ann@example.com", WAIT).await;
        assert!(confirmed.text_body().contains("Business paws"), "{}", confirmed.text_body());
        assert!(
            confirmed.text_body().contains("Thu 3 Dec 2026, 10:00"),
            "{}",
            confirmed.text_body()
        );

        let settings = tenants::Settings {
            name: "Paws and Claws",
            timezone: chrono_tz::America::New_York,
            currency: "GBP",
            portal_enabled: true,
            staff_edit_own_hours: false,
        };
        tenants::update_settings(app.db(), tenant.id, &settings, app.clock.now_ts()).await.unwrap();
        reschedule(&app, id, at(4, 15)).await;
        app.run_pending_jobs().await;
        let moved = app.mail.wait_for_message_to("ann@example.com", WAIT).await;
        let text = moved.text_body();
        assert!(text.contains("Paws and Claws") && !text.contains("Business paws"), "{text}");
        assert!(text.contains("Fri 4 Dec 2026, 10:00"), "15:00 UTC in New York: {text}");
    })
    .await;
}

/// The feed path in a page that just made one: `/feeds/<token>.ics`.
fn feed_path(html: &str) -> String {
    let start = html.find("/feeds/").unwrap_or_else(|| panic!("no feed address in {html}"));
    let rest = &html[start..];
    rest[..rest.find(".ics").expect("ends in .ics") + 4].to_owned()
}

#[tokio::test]
async fn private_calendar_feeds_list_only_their_owners_bookings_and_can_be_revoked() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, walk) = paws(&app).await;
        let (ann, _) = app.seed_client(&tenant, "Ann", "ann@example.com", true).await;
        let (bob, _) = app.seed_client(&tenant, "Bob", "bob@example.com", false).await;
        let anns = book(&app, &walk, at(3, 10), Party::Client(ann)).await;
        let bobs = book(&app, &walk, at(3, 12), Party::Client(bob)).await;
        let gone = book(&app, &walk, at(3, 14), Party::Client(ann)).await;
        cancel(&app, gone).await;
        let uid = |id: i64| format!("UID:booking-{}-{id}@portico", tenant.id.get());
        let anonymous = reqwest::Client::new();
        let fetch = |path: String| {
            let request = anonymous.get(app.url(&path));
            async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                let kind = response
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                (status, kind, response.text().await.unwrap())
            }
        };

        // The owner's feed: the owner's bookings (FREE: all of them), not the cancelled one.
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let response = owner.post_form("/app/paws/notifications/feed", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let first = feed_path(&response.text().await.unwrap());
        let (status, kind, body) = fetch(first.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("text/calendar"), "{kind}");
        let calendar: icalendar::Calendar = body.parse().expect("the feed parses");
        assert_eq!(calendar.events().count(), 2, "{body}");
        assert!(body.contains(&uid(anns)) && body.contains(&uid(bobs)), "{body}");
        assert!(!body.contains(&uid(gone)), "cancelled bookings are not listed");

        // A new address revokes the old one.
        let response = owner.post_form("/app/paws/notifications/feed", &[]).await;
        let second = feed_path(&response.text().await.unwrap());
        assert_ne!(first, second);
        assert_eq!(fetch(first).await.0, StatusCode::NOT_FOUND);
        assert_eq!(fetch(second).await.0, StatusCode::OK);
        assert_eq!(fetch("/feeds/not-a-token.ics".to_owned()).await.0, StatusCode::NOT_FOUND);

        // A client's feed lists only their own bookings.
        let client = app.browser();
        client.login("ann@example.com", PASSWORD).await;
        let response = client.post_form("/portal/paws/profile/feed", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let (status, _, body) = fetch(feed_path(&response.text().await.unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&uid(anns)), "{body}");
        assert!(!body.contains(&uid(bobs)) && !body.contains(&uid(gone)), "{body}");
        let stored = app.count("select count(*) from calendar_feeds").await;
        assert_eq!(stored, 2, "one feed each for the owner and Ann");
    })
    .await;
}

#[tokio::test]
async fn the_portal_booking_page_offers_add_to_calendar_for_the_clients_own_booking() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, walk) = paws(&app).await;
        let (ann, _) = app.seed_client(&tenant, "Ann", "ann@example.com", true).await;
        let (bob, _) = app.seed_client(&tenant, "Bob", "bob@example.com", false).await;
        let anns = book(&app, &walk, at(3, 10), Party::Client(ann)).await;
        let bobs = book(&app, &walk, at(3, 12), Party::Client(bob)).await;
        let browser = app.browser();
        browser.login("ann@example.com", PASSWORD).await;

        let page = browser.page(&format!("/portal/paws/bookings/{anns}")).await;
        assert!(page.contains("dates=20261203T100000Z%2F20261203T110000Z"), "{page}");
        assert!(page.contains("startdt=2026-12-03T10%3A00%3A00Z"), "{page}");
        let ics = format!("/portal/paws/bookings/{anns}/booking.ics");
        assert!(page.contains(&format!("href=\"{ics}\"")), "{page}");
        let file = browser.get(&ics).await;
        assert_eq!(file.status(), StatusCode::OK);
        let text = file.text().await.unwrap();
        let calendar: icalendar::Calendar = text.parse().expect("parses");
        assert_eq!(calendar.events().count(), 1);
        assert!(
            text.contains(&format!("UID:booking-{}-{anns}@portico", tenant.id.get())),
            "{text}"
        );
        // Bob's booking is not Ann's to download.
        let other = browser.get(&format!("/portal/paws/bookings/{bobs}/booking.ics")).await;
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
    })
    .await;
}
