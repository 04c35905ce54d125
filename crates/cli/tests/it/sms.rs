//! SMS (PRO): texts go through Twilio (a local fake speaking its wire format) with the
//! business's own sealed account, only to clients who opted in and have an E.164 number,
//! never on FREE; each text is in a delivery ledger, so a retried job never sends one twice.

use chrono::{DateTime, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _};
use portico_jobs::{BookingNotice, InvoiceIssued, Reminder, Reminders};
use portico_store::bookings::{Actor, Party, Slot};
use portico_store::catalog::{self, Mode, Service};
use portico_store::notify::{self, reminders};
use portico_store::sealed::{self, SecretKind, Slot as SecretSlot};
use portico_store::tenants;
use portico_testkit::sms::{ACCOUNT_SID, AUTH_TOKEN};
use portico_testkit::{FakeTwilio, PASSWORD, SeededTenant, TestApp, matrix};
use portico_workers::JobError;
use reqwest::StatusCode;

/// 2026-12-`day` at `hour`:00 UTC (London is on UTC in December).
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

/// The app sending texts through `twilio`.
async fn spawn(backend: portico_testkit::Backend, twilio: &FakeTwilio) -> TestApp {
    let base = twilio.base();
    TestApp::spawn_with(backend, |s| {
        s.set("sms.transport", "twilio").set("sms.twilio_api_base", base)
    })
    .await
}

/// A tenant with a 60-minute walk, open 08–18 every day.
async fn business(app: &TestApp, slug: &str, plan: Plan) -> (SeededTenant, Service) {
    let tenant = app.seed_tenant(slug, plan).await;
    let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
    app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
    (tenant, walk)
}

/// Turns SMS on and stores the fake's account straight in the store (for FREE, where the
/// settings page refuses it: a lapsed PRO keeps its stored switch).
async fn sms_on_in_store(app: &TestApp, tenant: &SeededTenant) {
    let db = app.db();
    let mut settings = notify::prefs::settings(db, tenant.id).await.unwrap();
    settings.sms_enabled = true;
    notify::prefs::set_settings(db, tenant.id, &settings, 0).await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    let ring = &app.state.keyring;
    for (kind, value) in
        [(SecretKind::TwilioAccountSid, ACCOUNT_SID), (SecretKind::TwilioAuthToken, AUTH_TOKEN)]
    {
        sealed::put(&mut tx, ring, tenant.id, SecretSlot::tenant(kind), value, 0).await.unwrap();
    }
    notify::sms::set_sender(&mut tx, tenant.id, "+447700900000", 0).await.unwrap();
    tx.commit().await.unwrap();
}

/// A client with `phone` who wants texts of the kinds given.
async fn client(
    app: &TestApp,
    tenant: &SeededTenant,
    name: &str,
    phone: &str,
    changes: bool,
    reminders: bool,
) -> ClientId {
    let email = format!("{}@example.com", name.to_lowercase());
    let (id, _) = app.seed_client(tenant, name, &email, false).await;
    sqlx::query("update clients set phone = $1 where id = $2")
        .bind(phone)
        .bind(id.get())
        .execute(app.db().pool())
        .await
        .unwrap();
    let mut prefs = notify::prefs::client(app.db(), tenant.id, id).await.unwrap();
    prefs.sms.changes = changes;
    prefs.sms.reminders = reminders;
    notify::prefs::set_client(app.db(), tenant.id, id, &prefs, 0).await.unwrap();
    id
}

async fn book(
    app: &TestApp,
    slug: &str,
    service: &Service,
    start: DateTime<Utc>,
    who: ClientId,
) -> i64 {
    let tenant = tenants::by_slug(app.db(), slug).await.unwrap().unwrap();
    let slot = Slot { start, staff: None, block: None };
    let new = NewBooking {
        service,
        slot,
        party: Party::Client(who),
        notes: String::new(),
        hold_token: None,
        address: String::new(),
    };
    let ctx = portico_core::Context::new(Actor::Api, "", app.clock.now());
    (portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.expect("booked").id).get()
}

async fn scan(app: &TestApp) {
    app.enqueue(&Reminders::default()).await;
    app.run_pending_jobs().await;
}

fn texts_to(twilio: &FakeTwilio, to: &str) -> Vec<String> {
    twilio.messages().into_iter().filter(|m| m.to == to).map(|m| m.body).collect()
}

#[tokio::test]
async fn texts_go_once_to_opted_in_pro_clients_only() {
    matrix(|backend| async move {
        let twilio = FakeTwilio::start().await;
        let app = spawn(backend, &twilio).await;
        let (pro, walk) = business(&app, "paws", Plan::Pro).await;
        let (free, free_walk) = business(&app, "free", Plan::Free).await;

        // The owner turns texts on and enters the Twilio account on the notifications page.
        let owner = app.browser();
        owner.login(&pro.owner_email, PASSWORD).await;
        let page = owner.page("/app/paws/notifications").await;
        assert!(page.contains("Twilio Account SID (not set)"), "{page}");
        let bad = owner
            .post_form(
                "/app/paws/settings/notifications",
                &[
                    ("reminder_minutes", "1440"),
                    ("sms_enabled", "on"),
                    ("twilio_account_sid", "nope"),
                ],
            )
            .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let saved = owner
            .post_form(
                "/app/paws/settings/notifications",
                &[
                    ("reminder_minutes", "1440"),
                    ("sms_enabled", "on"),
                    ("twilio_account_sid", ACCOUNT_SID),
                    ("twilio_auth_token", AUTH_TOKEN),
                    ("sms_from", "+44 7700 900000"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let page = owner.page("/app/paws/notifications").await;
        assert!(page.contains("Twilio Account SID (saved)"), "{page}");
        assert!(!page.contains(AUTH_TOKEN) && !page.contains(ACCOUNT_SID), "write-only fields");
        // Sealed at rest: no plaintext secret in the database.
        let rows: Vec<Vec<u8>> = sqlx::query_scalar("select sealed from tenant_secrets")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        for row in rows {
            let text = String::from_utf8_lossy(&row);
            assert!(!text.contains(AUTH_TOKEN) && !text.contains(ACCOUNT_SID));
        }

        // Ann wants texted reminders, Dee texted confirmations; Bob wants none; Cy wants them
        // but her stored number is not E.164; FREE's Fay wants them but FREE sends none.
        let ann = client(&app, &pro, "Ann", "+44 7700 900001", false, true).await;
        let bob = client(&app, &pro, "Bob", "+44 7700 900002", false, false).await;
        let cy = client(&app, &pro, "Cy", "07700 900003", true, true).await;
        let dee = client(&app, &pro, "Dee", "+44 (0)7700 900004", true, false).await;
        sms_on_in_store(&app, &free).await;
        let fay = client(&app, &free, "Fay", "+44 7700 900005", true, true).await;

        for (who, hour) in [(ann, 10), (bob, 11), (cy, 12), (dee, 13)] {
            book(&app, "paws", &walk, at(3, hour), who).await;
        }
        book(&app, "free", &free_walk, at(3, 10), fay).await;
        app.run_pending_jobs().await;
        let confirmations = twilio.messages();
        assert_eq!(
            confirmations.len(),
            1,
            "only Dee wants texted confirmations: {confirmations:?}"
        );
        assert_eq!(confirmations[0].to, "+447700900004");
        assert_eq!(confirmations[0].from, "+447700900000");
        let body = &confirmations[0].body;
        assert!(
            body.contains("Business paws: your Service walk on Thu 3 Dec 2026, 13:00 is confirmed"),
            "{body}"
        );

        // Wed 2 Dec 14:00: every reminder is due; the scan runs twice.
        app.clock.set(at(2, 14));
        scan(&app).await;
        scan(&app).await;
        let to_ann = texts_to(&twilio, "+447700900001");
        assert_eq!(to_ann.len(), 1, "exactly one texted reminder: {to_ann:?}");
        assert!(to_ann[0].starts_with(
            "Reminder from Business paws: your Service walk on Thu 3 Dec 2026, 10:00"
        ));
        assert!(texts_to(&twilio, "+447700900002").is_empty(), "Bob did not opt in");
        assert!(texts_to(&twilio, "+447700900005").is_empty(), "FREE sends no texts");
        assert_eq!(twilio.messages().len(), 2, "Cy's invalid number gets nothing");
        assert_eq!(twilio.requests(), 2, "nothing was even attempted for Cy or Fay");
        // The emails went as before.
        assert!(
            app.mail.messages().iter().any(|m| m.rcpt_to.iter().any(|r| r == "cy@example.com")
                && m.subject().starts_with("Reminder"))
        );

        // Turned off: no more texts, even for the opted-in. (A day passed: log in again.)
        owner.login(&pro.owner_email, PASSWORD).await;
        let response = owner
            .post_form("/app/paws/settings/notifications", &[("reminder_minutes", "1440")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(!notify::prefs::settings(app.db(), pro.id).await.unwrap().sms_enabled);
        book(&app, "paws", &walk, at(4, 15), dee).await;
        app.run_pending_jobs().await;
        assert_eq!(twilio.messages().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_twilio_failure_fails_the_job_and_the_retry_texts_once() {
    matrix(|backend| async move {
        let twilio = FakeTwilio::start().await;
        let app = spawn(backend, &twilio).await;
        let (pro, walk) = business(&app, "paws", Plan::Pro).await;
        sms_on_in_store(&app, &pro).await;
        let ann = client(&app, &pro, "Ann", "+44 7700 900001", false, true).await;
        let id = book(&app, "paws", &walk, at(3, 10), ann).await;
        app.run_pending_jobs().await;

        // The reminder is claimed as the scan would, then its send job runs by hand.
        app.clock.set(at(2, 14));
        let mut tx = app.db().begin().await.unwrap();
        let now = app.clock.now_ts();
        let start = at(3, 10).timestamp();
        let booking = app.booking_id(pro.id, id).await;
        assert!(reminders::claim(&mut tx, pro.id, booking, start, now).await.unwrap());
        tx.commit().await.unwrap();
        let job = Reminder { tenant_id: pro.id.get(), booking_id: id, starts_at: start };
        let deps = app.deps();

        twilio.fail_next(1);
        let error = portico_workers::reminders::send(&deps, job.clone()).await.unwrap_err();
        assert!(matches!(error, JobError::Transient(_)), "{error}");
        assert!(
            error.to_string().contains("503") && error.to_string().contains("20503"),
            "{error}"
        );
        assert!(twilio.messages().is_empty());
        let emails = |app: &TestApp| {
            app.mail
                .messages()
                .iter()
                .filter(|m| {
                    m.rcpt_to.iter().any(|r| r == "ann@example.com")
                        && m.subject().starts_with("Reminder")
                })
                .count()
        };
        assert_eq!(emails(&app), 1, "the email went out before the text failed");

        // The retry texts once and does not email again; a further run does nothing.
        portico_workers::reminders::send(&deps, job.clone()).await.unwrap();
        portico_workers::reminders::send(&deps, job).await.unwrap();
        assert_eq!(texts_to(&twilio, "+447700900001").len(), 1);
        assert_eq!(emails(&app), 1);

        // A refusal (bad credentials: 401, code 20003) is permanent and says why.
        let mut tx = app.db().begin_write().await.unwrap();
        let slot = SecretSlot::tenant(SecretKind::TwilioAuthToken);
        sealed::put(
            &mut tx,
            &app.state.keyring,
            pro.id,
            slot,
            "0000000000000000wrongwrongwrong0",
            0,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut prefs = notify::prefs::client(app.db(), pro.id, ann).await.unwrap();
        prefs.sms.changes = true;
        notify::prefs::set_client(app.db(), pro.id, ann, &prefs, 0).await.unwrap();
        let event: i64 = sqlx::query_scalar("select max(id) from booking_events")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        let notice = BookingNotice {
            tenant_id: pro.id.get(),
            booking_id: id,
            event: "confirmed".into(),
            event_id: Some(event),
        };
        let error = portico_workers::booking_notice::run(&deps, notice).await.unwrap_err();
        assert!(matches!(error, JobError::Permanent(_)), "{error}");
        assert!(error.to_string().contains("20003"), "{error}");
        assert_eq!(texts_to(&twilio, "+447700900001").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn client_phone_numbers_must_be_e164_on_the_pages_and_the_api() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (pro, _) = business(&app, "paws", Plan::Pro).await;
        let (ann, _) = app.seed_client(&pro, "Ann", "ann@example.com", true).await;
        let token = app.api_token(pro.id).await;
        let patch = |phone: &'static str| {
            app.client
                .patch(app.url(&format!("/api/v1/paws/clients/{}", ann.get())))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "phone": phone }))
                .send()
        };
        let refused = patch("07700 900123").await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = refused.json().await.unwrap();
        assert!(body["error"].to_string().contains("country code"), "{body}");
        assert_eq!(patch("+44 7700 900123").await.unwrap().status(), StatusCode::OK);

        let portal = app.browser();
        portal.login("ann@example.com", PASSWORD).await;
        let refused = portal
            .post_form("/portal/paws/profile", &[("name", "Ann"), ("phone", "7700 900123")])
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let stored =
            portico_store::clients::get(app.db(), pro.id, ann.get()).await.unwrap().unwrap();
        assert_eq!(stored.phone, "+44 7700 900123", "bad input changes nothing");
        // The texts section shows only where the business sends texts.
        assert!(!portal.page("/portal/paws/profile").await.contains("Text me reminders"));
        sms_on_in_store(&app, &pro).await;
        assert!(portal.page("/portal/paws/profile").await.contains("Text me reminders"));
        let saved = portal
            .post_form(
                "/portal/paws/profile/notifications",
                &[("email_changes", "on"), ("sms_reminders", "on"), ("sms_invoices", "on")],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let prefs = notify::prefs::client(app.db(), pro.id, ann).await.unwrap();
        assert!(prefs.sms.reminders && !prefs.sms.changes && !prefs.email.reminders);
        assert!(prefs.sms.invoices, "invoices by text");
    })
    .await;
}

#[tokio::test]
async fn texts_say_where_the_booking_takes_place_on_one_line() {
    matrix(|backend| async move {
        let twilio = FakeTwilio::start().await;
        let app = spawn(backend, &twilio).await;
        let (pro, _) = business(&app, "paws", Plan::Pro).await;
        sms_on_in_store(&app, &pro).await;
        sqlx::query("update services set location_kind = 'client'")
            .execute(app.db().pool())
            .await
            .unwrap();
        let walk = catalog::by_code(app.db(), pro.id, "walk").await.unwrap().unwrap();
        let dee = client(&app, &pro, "Dee", "+44 7700 900004", true, true).await;
        sqlx::query("update clients set address = $1 where id = $2")
            .bind("7 Cat Road\nLeeds")
            .bind(dee.get())
            .execute(app.db().pool())
            .await
            .unwrap();

        let id = book(&app, "paws", &walk, at(3, 10), dee).await;
        app.run_pending_jobs().await;
        let tenant = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let ctx = portico_core::Context::new(Actor::Api, "", app.clock.now());
        let slot = Slot { start: at(3, 12), staff: None, block: None };
        portico_core::bookings::reschedule(app.db(), &tenant, id, &slot, &ctx).await.unwrap();
        app.run_pending_jobs().await;
        app.clock.set(at(2, 14));
        scan(&app).await;
        portico_core::bookings::cancel(app.db(), &tenant, id, &ctx).await.unwrap();
        app.run_pending_jobs().await;

        let texts = texts_to(&twilio, "+447700900004");
        assert_eq!(texts.len(), 4, "{texts:?}");
        let place = "At your address: 7 Cat Road, Leeds";
        assert!(texts[0].ends_with(&format!("10:00 is confirmed. {place}")), "{}", texts[0]);
        assert!(texts[1].contains(&format!("12:00 is the new time. {place}")), "{}", texts[1]);
        assert!(texts[2].starts_with("Reminder from") && texts[2].ends_with(place), "{}", texts[2]);
        assert!(
            texts[3].contains("was cancelled") && !texts[3].contains("Cat Road"),
            "{}",
            texts[3]
        );
        assert!(texts.iter().all(|t| !t.contains('\n')), "one line each: {texts:?}");
    })
    .await;
}

#[tokio::test]
async fn an_issued_invoice_is_texted_once_to_a_client_who_wants_invoices_by_text() {
    matrix(|backend| async move {
        let twilio = FakeTwilio::start().await;
        let app = spawn(backend, &twilio).await;
        let (pro, _) = business(&app, "paws", Plan::Pro).await;
        sms_on_in_store(&app, &pro).await;
        // Dee wants invoices by text; Bob wants every other text but not invoices.
        let dee = client(&app, &pro, "Dee", "+44 7700 900004", false, false).await;
        let mut prefs = notify::prefs::client(app.db(), pro.id, dee).await.unwrap();
        prefs.sms.invoices = true;
        notify::prefs::set_client(app.db(), pro.id, dee, &prefs, 0).await.unwrap();
        let bob = client(&app, &pro, "Bob", "+44 7700 900002", true, true).await;
        let token = app.api_token(pro.id).await;
        let emails = |app: &TestApp, to: &str| {
            app.mail
                .messages()
                .iter()
                .filter(|m| {
                    m.rcpt_to.iter().any(|r| r == to) && m.subject().starts_with("Invoice ")
                })
                .count()
        };

        // Twilio is down for the first try: the email goes, the job fails, the retry only texts.
        let id = crate::money_pages::issued(&app, &token, dee.get(), 2500, "2026-12-15").await;
        let job = InvoiceIssued { tenant_id: pro.id.get(), invoice_id: id };
        let deps = app.deps();
        twilio.fail_next(1);
        assert!(portico_workers::invoice_issued::send(&deps, job.clone()).await.is_err());
        assert_eq!((emails(&app, "dee@example.com"), twilio.messages().len()), (1, 0));
        portico_workers::invoice_issued::send(&deps, job.clone()).await.unwrap();
        portico_workers::invoice_issued::send(&deps, job).await.unwrap();
        app.run_pending_jobs().await;
        assert_eq!(emails(&app, "dee@example.com"), 1, "never emailed twice");
        let texts = texts_to(&twilio, "+447700900004");
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(texts[0].starts_with("Business paws: invoice "), "{}", texts[0]);
        assert!(texts[0].contains("for GBP 25.00, due Tue 15 Dec 2026."), "{}", texts[0]);

        crate::money_pages::issued(&app, &token, bob.get(), 900, "2026-12-20").await;
        app.run_pending_jobs().await;
        assert_eq!(emails(&app, "bob@example.com"), 1);
        assert!(texts_to(&twilio, "+447700900002").is_empty(), "Bob wants no invoice texts");
    })
    .await;
}
