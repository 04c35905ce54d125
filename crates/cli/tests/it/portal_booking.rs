//! Booking in the client portal: a logged-in client books, sees, cancels and reschedules their
//! own bookings, under the tenant's policy, and never sees anyone else's.

use std::time::Duration;

use chrono::{Duration as Span, TimeZone as _, Utc};
use portico_domain::ClientId;
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{Browser, PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::StatusCode;

const TOMORROW: &str = "2026-12-02";

/// The value of the first hidden `name` field in `html` (empty when there is none).
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.find(&marker)
        .map(|i| {
            let rest = &html[i + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .unwrap_or_default()
}

/// The option of a page of options starting at `time` ("T14:00"): its start, staff and block.
fn option_at(html: &str, time: &str) -> Option<[String; 3]> {
    let marker = "name=\"start\" value=\"";
    let i = html.match_indices(marker).map(|(i, _)| i).find(|i| {
        let value = &html[i + marker.len()..];
        value[..value.find('"').unwrap()].contains(time)
    })?;
    let form = &html[i..];
    Some([hidden(form, "start"), hidden(form, "staff_id"), hidden(form, "block_id")])
}

/// A logged-in browser for a new client of `tenant` with a portal login.
async fn client(
    app: &TestApp,
    tenant: &SeededTenant,
    name: &str,
    email: &str,
) -> (Browser, ClientId) {
    let (id, _) = app.seed_client(tenant, name, email, true).await;
    let browser = app.browser();
    browser.login(email, PASSWORD).await;
    (browser, id)
}

async fn allow_self_reschedule(app: &TestApp, client: ClientId) {
    sqlx::query("update clients set can_self_reschedule = 1 where id = $1")
        .bind(client.get())
        .execute(app.db().pool())
        .await
        .unwrap();
}

/// Takes a hold on the option at `time` of `code` tomorrow; returns the hold's answer.
async fn hold(browser: &Browser, slug: &str, code: &str, time: &str) -> reqwest::Response {
    let page = browser.page(&format!("/portal/{slug}/bookings/new/{code}?date={TOMORROW}")).await;
    let [start, staff, block] = option_at(&page, time).unwrap_or_else(|| panic!("{time}: {page}"));
    let path = format!("/portal/{slug}/bookings/new/{code}/hold");
    browser.post_form(&path, &[("start", &start), ("staff_id", &staff), ("block_id", &block)]).await
}

/// Books the option at `time` of `code` tomorrow through the portal; returns the booking id.
async fn book(browser: &Browser, code: &str, time: &str, notes: &str) -> i64 {
    let r = hold(browser, "paws", code, time).await;
    assert_eq!(location(&r), "/portal/paws/bookings/confirm");
    let r = browser.post_form("/portal/paws/bookings/confirm", &[("notes", notes)]).await;
    let to = location(&r);
    to.strip_prefix("/portal/paws/bookings/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("booked? {:?} → {to:?}", r.status()))
}

/// (status, starts_at, block_id) of a booking.
async fn stored(app: &TestApp, id: i64) -> (String, i64, Option<i64>) {
    sqlx::query_as("select status, starts_at, block_id from bookings where id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

fn at(hour: u32) -> i64 {
    Utc.with_ymd_and_hms(2026, 12, 2, hour, 0, 0).unwrap().timestamp()
}

#[tokio::test]
async fn a_client_books_a_block_place_and_sees_it_upcoming_with_a_confirmation_email() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let block =
            app.seed_block(tenant.id, TOMORROW.parse().unwrap(), 9 * 60, 12 * 60, &walk, 2).await;
        let (jo, jo_id) = client(&app, &tenant, "Jo Bloggs", "jo@example.com").await;

        let home = jo.page("/portal/paws").await;
        assert!(
            home.contains("Welcome, Jo Bloggs") && home.contains("Nothing booked yet."),
            "{home}"
        );
        assert!(home.contains("href=\"/portal/paws/bookings/new\""), "a Book link");
        assert!(jo.page("/portal/paws/bookings/new").await.contains("Service walk"));
        let options = jo.page(&format!("/portal/paws/bookings/new/walk?date={TOMORROW}")).await;
        assert!(options.contains("09:00") && options.contains("2 left"), "{options}");

        let r = hold(&jo, "paws", "walk", "T09:00").await;
        assert_eq!(location(&r), "/portal/paws/bookings/confirm");
        let confirm = jo.page("/portal/paws/bookings/confirm").await;
        assert!(confirm.contains("We are holding this place for you until 09:10"), "{confirm}");
        assert!(
            confirm.contains("Block 540")
                && confirm.contains("Jo Bloggs")
                && confirm.contains("09:00 – 12:00")
        );
        assert!(
            !confirm.contains("name=\"email\"") && !confirm.contains("name=\"phone\""),
            "no contact fields"
        );
        let r = jo.post_form("/portal/paws/bookings/confirm", &[("notes", "Two spaniels")]).await;
        let id: i64 = location(&r).strip_prefix("/portal/paws/bookings/").unwrap().parse().unwrap();

        let (client_id, guest_name, notes, status): (Option<i64>, String, String, String) =
            sqlx::query_as(
                "select client_id, guest_name, notes, status from bookings where id = $1",
            )
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(
            (client_id, guest_name.as_str(), notes.as_str(), status.as_str()),
            (Some(jo_id.get()), "", "Two spaniels", "confirmed")
        );
        assert_eq!(stored(&app, id).await, ("confirmed".to_owned(), at(9), Some(block)));
        assert_eq!(
            app.count("select count(*) from holds where consumed_at is null").await,
            0,
            "the hold was used"
        );
        let event: (String, String) =
            sqlx::query_as("select action, actor_kind from booking_events where booking_id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!(event, ("created".to_owned(), "client".to_owned()));

        let detail = jo.page(&format!("/portal/paws/bookings/{id}")).await;
        assert!(
            detail.contains("We sent a confirmation to jo@example.com")
                && detail.contains("Service walk")
                && detail.contains("confirmed"),
            "{detail}"
        );
        assert!(
            detail.contains("Wed 2 Dec 2026, 09:00 – 12:00")
                && detail.contains("Block 540")
                && detail.contains("Two spaniels"),
            "{detail}"
        );
        let home = jo.page("/portal/paws").await;
        assert!(
            home.contains(&format!("/portal/paws/bookings/{id}\""))
                && !home.contains("Nothing booked yet."),
            "{home}"
        );
        assert!(
            jo.page(&format!("/portal/paws/bookings/new/walk?date={TOMORROW}"))
                .await
                .contains("1 left")
        );
        assert_eq!(
            jo.get("/portal/paws/bookings/confirm").await.status(),
            StatusCode::SEE_OTHER,
            "the hold is gone"
        );

        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("jo@example.com", Duration::from_secs(10)).await;
        assert!(mail.subject().starts_with("Booked:"), "{}", mail.subject());
        let link = mail.first_link_containing("/portal/paws/bookings/").expect("a portal link");
        assert_eq!(url::Url::parse(&link).unwrap().path(), format!("/portal/paws/bookings/{id}"));
    })
    .await;
}

#[tokio::test]
async fn a_client_books_a_slot_with_a_chosen_staff_member_on_pro() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let groom = app.seed_service(tenant.id, "groom", Mode::Slot, 30).await;
        let sam = app.seed_staff_member(tenant.id, "Sam", &[&groom]).await;
        let kim = app.seed_staff_member(tenant.id, "Kim", &[&groom]).await;
        app.seed_hours(tenant.id, Some(sam), 9 * 60, 12 * 60).await;
        app.seed_hours(tenant.id, Some(kim), 13 * 60, 17 * 60).await;
        let (jo, _) = client(&app, &tenant, "Jo", "jo@example.com").await;

        let any = jo.page(&format!("/portal/paws/bookings/new/groom?date={TOMORROW}")).await;
        assert!(
            any.contains("Any available") && any.contains(">Sam<") && any.contains(">Kim<"),
            "{any}"
        );
        assert!(any.contains("T09:00") && any.contains("T13:00"));
        let with_kim =
            jo.page(&format!("/portal/paws/bookings/new/groom?date={TOMORROW}&staff={kim}")).await;
        assert!(with_kim.contains("T13:00") && !with_kim.contains("T09:00"), "only Kim's times");

        let [start, staff, _] = option_at(&with_kim, "T13:00").unwrap();
        assert_eq!(staff, kim.to_string());
        let r = jo
            .post_form(
                "/portal/paws/bookings/new/groom/hold",
                &[("start", &start), ("staff_id", &staff), ("block_id", "")],
            )
            .await;
        assert_eq!(location(&r), "/portal/paws/bookings/confirm");
        assert!(jo.page("/portal/paws/bookings/confirm").await.contains("with Kim"));
        let r = jo.post_form("/portal/paws/bookings/confirm", &[("notes", "")]).await;
        let id: i64 = location(&r).strip_prefix("/portal/paws/bookings/").unwrap().parse().unwrap();

        let (staff_id, starts_at): (Option<i64>, i64) =
            sqlx::query_as("select staff_id, starts_at from bookings where id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!((staff_id, starts_at), (Some(kim.get()), at(13)));
        let detail = jo.page(&format!("/portal/paws/bookings/{id}")).await;
        assert!(detail.contains("with Kim") && detail.contains("13:00 – 13:30"), "{detail}");
        let later =
            jo.page(&format!("/portal/paws/bookings/new/groom?date={TOMORROW}&staff={kim}")).await;
        assert!(!later.contains("T13:00:00"), "Kim's 13:00 is taken");
    })
    .await;
}

#[tokio::test]
async fn a_client_with_permission_may_reschedule_and_cancel_before_the_cut_off() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_block(tenant.id, TOMORROW.parse().unwrap(), 9 * 60, 12 * 60, &walk, 1).await;
        let afternoon =
            app.seed_block(tenant.id, TOMORROW.parse().unwrap(), 14 * 60, 15 * 60, &walk, 1).await;
        let (jo, jo_id) = client(&app, &tenant, "Jo", "jo@example.com").await;
        allow_self_reschedule(&app, jo_id).await;
        let id = book(&jo, "walk", "T09:00", "").await;
        let detail_path = format!("/portal/paws/bookings/{id}");

        let detail = jo.page(&detail_path).await;
        assert!(
            detail.contains("Choose another time") && detail.contains("Cancel booking"),
            "{detail}"
        );

        // 09:00 → 14:00 (the booking starts in 25 hours; the cut-off is 24).
        let options = jo.page(&format!("{detail_path}/reschedule?date={TOMORROW}")).await;
        let [start, _, block] = option_at(&options, "T14:00").expect("14:00 offered");
        assert_eq!(block, afternoon.to_string());
        let r = jo
            .post_form(
                &format!("{detail_path}/reschedule"),
                &[("start", &start), ("block_id", &block)],
            )
            .await;
        assert_eq!(location(&r), detail_path);
        assert_eq!(stored(&app, id).await, ("confirmed".to_owned(), at(14), Some(afternoon)));
        let detail = jo.page(&detail_path).await;
        assert!(detail.contains("has a new time") && detail.contains("14:00 – 15:00"), "{detail}");
        assert!(
            detail.contains("Moved by you from Wed 2 Dec 2026, 09:00 to Wed 2 Dec 2026, 14:00"),
            "{detail}"
        );

        let r = jo.post_form(&format!("{detail_path}/cancel"), &[]).await;
        assert_eq!(location(&r), detail_path);
        assert_eq!(stored(&app, id).await.0, "cancelled");
        let detail = jo.page(&detail_path).await;
        assert!(
            detail.contains("cancelled")
                && detail.contains("This booking can no longer be changed.")
        );
        assert!(!detail.contains("Cancel booking"));
        assert_eq!(
            jo.post_form(&format!("{detail_path}/cancel"), &[]).await.status(),
            StatusCode::CONFLICT,
            "once"
        );

        // The home page moves it from upcoming to recent.
        let home = jo.page("/portal/paws").await;
        assert!(
            home.contains("Nothing booked yet.")
                && home.contains("Recent bookings")
                && home.contains(&format!("{detail_path}\"")),
            "{home}"
        );

        let history: Vec<(String, String)> = sqlx::query_as(
            "select action, actor_kind from booking_events where booking_id = $1 order by id",
        )
        .bind(id)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        let history: Vec<(&str, &str)> =
            history.iter().map(|(a, k)| (a.as_str(), k.as_str())).collect();
        assert_eq!(
            history,
            [("created", "client"), ("rescheduled", "client"), ("cancelled", "client")]
        );
        app.run_pending_jobs().await;
        let subjects: Vec<String> = app
            .mail
            .messages()
            .iter()
            .filter(|m| m.rcpt_to == ["jo@example.com"])
            .map(|m| m.subject())
            .collect();
        assert!(
            subjects.iter().any(|s| s.starts_with("New time:"))
                && subjects.iter().any(|s| s.starts_with("Cancelled:")),
            "{subjects:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn changes_are_refused_without_the_permission_and_after_the_cut_off() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let morning =
            app.seed_block(tenant.id, TOMORROW.parse().unwrap(), 9 * 60, 12 * 60, &walk, 1).await;
        let afternoon =
            app.seed_block(tenant.id, TOMORROW.parse().unwrap(), 14 * 60, 15 * 60, &walk, 1).await;
        let (jo, jo_id) = client(&app, &tenant, "Jo", "jo@example.com").await;
        let id = book(&jo, "walk", "T09:00", "").await;
        let path = format!("/portal/paws/bookings/{id}");
        // A move that would succeed if it were allowed.
        let afternoon = afternoon.to_string();
        let move_to = [("start", "2026-12-02T14:00:00+00:00"), ("block_id", afternoon.as_str())];
        let unchanged = ("confirmed".to_owned(), at(9), Some(morning));
        let events = "select count(*) from booking_events";

        // Without can_self_reschedule: the reason, no actions, and the POSTs change nothing.
        let detail = jo.page(&path).await;
        assert!(detail.contains("Changes online are not enabled for you"), "{detail}");
        assert!(!detail.contains("Cancel booking") && !detail.contains("/reschedule\""));
        assert_eq!(
            jo.post_form(&format!("{path}/cancel"), &[]).await.status(),
            StatusCode::CONFLICT
        );
        assert_eq!(jo.get(&format!("{path}/reschedule")).await.status(), StatusCode::CONFLICT);
        assert_eq!(
            jo.post_form(&format!("{path}/reschedule"), &move_to).await.status(),
            StatusCode::CONFLICT
        );
        assert_eq!(stored(&app, id).await, unchanged);
        assert_eq!(app.count(events).await, 1);

        // Allowed, but less than 24 hours before the start.
        allow_self_reschedule(&app, jo_id).await;
        assert!(jo.page(&path).await.contains("Cancel booking"));
        app.clock.advance(Span::hours(1) + Span::minutes(1));
        jo.login("jo@example.com", PASSWORD).await;
        let detail = jo.page(&path).await;
        assert!(
            detail.contains("Changes are possible until 24 hours before the start"),
            "{detail}"
        );
        assert!(!detail.contains("Cancel booking"));
        let r = jo.post_form(&format!("{path}/cancel"), &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("Changes are possible until 24 hours"));
        assert_eq!(
            jo.post_form(&format!("{path}/reschedule"), &move_to).await.status(),
            StatusCode::CONFLICT
        );
        assert_eq!(stored(&app, id).await, unchanged);
        assert_eq!(app.count(events).await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_client_cannot_see_or_change_another_clients_or_another_tenants_booking() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let paws = app.seed_tenant("paws", Plan::Free).await;
        let other = app.seed_tenant("other", Plan::Free).await;
        let walk = app.seed_service(paws.id, "walk", Mode::Block, 60).await;
        app.seed_block(paws.id, TOMORROW.parse().unwrap(), 9 * 60, 12 * 60, &walk, 5).await;
        let afternoon = app.seed_block(paws.id, TOMORROW.parse().unwrap(), 14 * 60, 15 * 60, &walk, 5).await.to_string();
        let (jo, jo_id) = client(&app, &paws, "Jo", "jo@example.com").await;
        let (bea, bea_id) = client(&app, &paws, "Bea", "bea@example.com").await;
        allow_self_reschedule(&app, jo_id).await;
        allow_self_reschedule(&app, bea_id).await;
        // Jo is a client of the other business too, with the same login.
        let (jo_other, _) = app.seed_client(&other, "Jo", "jo@example.com", false).await;
        sqlx::query("update clients set user_id = (select user_id from clients where id = $1) where id = $2")
            .bind(jo_id.get())
            .bind(jo_other.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        assert!(jo.page("/portal/other").await.contains("Welcome, Jo"));

        let beas = book(&bea, "walk", "T09:00", "Private note").await;
        let jos = book(&jo, "walk", "T09:00", "").await;
        let before = (stored(&app, beas).await, stored(&app, jos).await);
        let events = app.count("select count(*) from booking_events").await;
        let move_to = [("start", "2026-12-02T14:00:00+00:00"), ("block_id", afternoon.as_str())];

        for path in [format!("/portal/paws/bookings/{beas}"), format!("/portal/other/bookings/{jos}"), format!("/portal/other/bookings/{beas}")] {
            let r = jo.get(&path).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(!r.text().await.unwrap().contains("Private note"));
            assert_eq!(jo.get(&format!("{path}/reschedule")).await.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(jo.post_form(&format!("{path}/cancel"), &[]).await.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(jo.post_form(&format!("{path}/reschedule"), &move_to).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(jo.get("/portal/paws/bookings/not-a-number").await.status(), StatusCode::NOT_FOUND);
        assert_eq!((stored(&app, beas).await, stored(&app, jos).await), before);
        assert_eq!(app.count("select count(*) from booking_events").await, events);
        assert!(!jo.page("/portal/paws").await.contains(&format!("/portal/paws/bookings/{beas}\"")));
        assert!(jo.page("/portal/other").await.contains("Nothing booked yet."), "each business lists its own");

        // A login that is not a client of the business has no booking pages there.
        let stranger = app.browser();
        app.seed_user("stranger@example.com", "Stranger").await;
        stranger.login("stranger@example.com", PASSWORD).await;
        assert_eq!(stranger.get("/portal/paws/bookings/new").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(stranger.get(&format!("/portal/paws/bookings/{jos}")).await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_taken_place_or_an_expired_hold_shows_fresh_options_and_books_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_block(tenant.id, TOMORROW.parse().unwrap(), 9 * 60, 12 * 60, &walk, 1).await;
        app.seed_block(tenant.id, TOMORROW.parse().unwrap(), 14 * 60, 15 * 60, &walk, 1).await;
        let (jo, _) = client(&app, &tenant, "Jo", "jo@example.com").await;
        let (bea, _) = client(&app, &tenant, "Bea", "bea@example.com").await;
        let bookings = "select count(*) from bookings";

        // Both saw 09:00 free; Jo holds it first, Bea gets fresh options.
        let page = bea.page(&format!("/portal/paws/bookings/new/walk?date={TOMORROW}")).await;
        let [start, _, block] = option_at(&page, "T09:00").unwrap();
        assert_eq!(
            location(&hold(&jo, "paws", "walk", "T09:00").await),
            "/portal/paws/bookings/confirm"
        );
        let r = bea
            .post_form(
                "/portal/paws/bookings/new/walk/hold",
                &[("start", &start), ("block_id", &block)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(html.contains("that time was just taken"), "{html}");
        assert!(html.contains("T14:00") && !html.contains("T09:00"), "fresh options only");

        // Jo's hold runs out on the confirm page: a clear message, the options again.
        app.clock.advance(Span::minutes(11));
        let r = jo.get("/portal/paws/bookings/confirm").await;
        assert_eq!(location(&r), format!("/portal/paws/bookings/new/walk?date={TOMORROW}"));
        let again = jo.page(&location(&r)).await;
        assert!(again.contains("Your reservation expired") && again.contains("T09:00"), "{again}");

        // Jo holds again, the hold expires while Jo reads, and Bea takes the place meanwhile.
        hold(&jo, "paws", "walk", "T09:00").await;
        app.clock.advance(Span::minutes(11));
        let bea_booking = book(&bea, "walk", "T09:00", "").await;
        let r = jo.post_form("/portal/paws/bookings/confirm", &[("notes", "Please")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(html.contains("Your reservation expired"), "{html}");
        assert!(
            html.contains("T14:00") && !html.contains("T09:00"),
            "fresh options: 09:00 is Bea's"
        );
        assert_eq!(app.count(bookings).await, 1);
        assert_eq!(stored(&app, bea_booking).await.0, "confirmed");
        assert_eq!(
            location(&jo.get("/portal/paws/bookings/confirm").await),
            "/portal/paws/bookings/new",
            "the hold is gone"
        );

        // A hold that expired with the place still free is not booked either.
        hold(&jo, "paws", "walk", "T14:00").await;
        app.clock.advance(Span::minutes(10));
        let r = jo.post_form("/portal/paws/bookings/confirm", &[("notes", "")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("Your reservation expired"));
        assert_eq!(app.count(bookings).await, 1);
    })
    .await;
}
