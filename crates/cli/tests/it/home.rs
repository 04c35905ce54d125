//! The provider home: today's and the next days' bookings with their actions, the booking
//! link, the setup checklist of a new business, the week's numbers, and a staff login's own day.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_store::bookings::{Actor, Party, Slot};
use portico_store::catalog::{Mode, Service};
use portico_store::tenants;
use portico_testkit::{PASSWORD, TestApp, location, matrix};
use reqwest::StatusCode;

/// 2026-12-`day` at `hour`:00 UTC (London is on UTC in December; the test clock starts at
/// 2026-12-01 09:00).
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

async fn book(app: &TestApp, slug: &str, service: &Service, slot: Slot, name: &str) -> i64 {
    let tenant = tenants::by_slug(app.db(), slug).await.unwrap().unwrap();
    let party = Party::Guest {
        name: name.into(),
        email: format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        phone: String::new(),
    };
    let new = NewBooking {
        service,
        slot,
        party,
        notes: String::new(),
        hold_token: None,
        address: String::new(),
    };
    let ctx = portico_core::Context::new(Actor::System, "", app.clock.now());
    (portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.expect("booked").id).get()
}

fn slot(start: DateTime<Utc>, staff: Option<i64>) -> Slot {
    Slot { start, staff, block: None }
}

/// The `<section id="…">` of a page, up to its end.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").expect("section end")]
}

#[tokio::test]
async fn a_new_business_sees_its_setup_checklist_until_every_step_is_done() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("fresh", Plan::Free).await;
        let owner = app.browser();
        owner.login(&t.owner_email, PASSWORD).await;

        let home = owner.page("/app/fresh").await;
        assert!(home.contains("/book/fresh\""), "the booking link is on the home: {home}");
        assert!(home.contains("data-copy=\"booking-link\""), "with a copy button");
        let checklist = section(&home, "setup-title");
        for todo in ["/app/fresh/services/new", "/app/fresh/hours", "/app/fresh/clients/new"] {
            assert!(checklist.contains(todo), "{todo} is still to do: {checklist}");
        }
        assert!(!checklist.contains(">done<"), "nothing is done yet");

        let walk = app.seed_service(t.id, "walk", Mode::Slot, 30).await;
        app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
        let home = owner.page("/app/fresh").await;
        let checklist = section(&home, "setup-title");
        assert!(!checklist.contains("/app/fresh/services/new"), "service done: {checklist}");
        assert!(!checklist.contains("href=\"/app/fresh/hours\""), "hours done: {checklist}");
        assert!(checklist.contains("/app/fresh/clients/new"), "clients still to do");

        app.seed_client(&t, "Jo Client", "jo@example.com", false).await;
        book(&app, "fresh", &walk, slot(at(2, 10), None), "Lee Guest").await;
        let home = owner.page("/app/fresh").await;
        assert!(!home.contains("setup-title"), "the checklist is gone once all is done: {home}");
    })
    .await;
}

#[tokio::test]
async fn the_home_lists_the_next_days_with_one_click_actions_and_the_weeks_numbers() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Pro).await;
        let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
        let alex = app.seed_staff_member(t.id, "Alex Groomer", &[&groom]).await;
        let sam = app.seed_staff_member(t.id, "Sam Groomer", &[&groom]).await;
        app.seed_hours(t.id, Some(alex), 8 * 60, 18 * 60).await;
        app.seed_hours(t.id, Some(sam), 8 * 60, 18 * 60).await;
        // Today 10:00 (after the clock moves past it), tomorrow, the day after, and too far.
        let today =
            book(&app, "paws", &groom, slot(at(1, 10), Some(alex.get())), "Ann Today").await;
        let later = book(&app, "paws", &groom, slot(at(1, 15), Some(sam.get())), "Bo Later").await;
        let tomorrow =
            book(&app, "paws", &groom, slot(at(2, 11), Some(sam.get())), "Cy Tomorrow").await;
        let third = book(&app, "paws", &groom, slot(at(3, 9), Some(alex.get())), "Di Third").await;
        let far = book(&app, "paws", &groom, slot(at(4, 9), Some(alex.get())), "Ed Far").await;
        let owner = app.browser();
        owner.login(&t.owner_email, PASSWORD).await;
        app.clock.advance(Duration::hours(2)); // 11:00: today's 10:00 has started

        let home = owner.page("/app/paws").await;
        let day = section(&home, "day-2026-12-01");
        assert!(day.contains("Today") && day.contains("Ann Today") && day.contains("Bo Later"));
        assert!(day.contains("Alex Groomer") && day.contains("Sam Groomer"), "{day}");
        let complete = format!("/app/paws/bookings/{today}/complete");
        assert!(day.contains(&complete), "a started booking can be marked: {day}");
        assert!(
            !day.contains(&format!("/bookings/{later}/complete")),
            "one that has not started cannot"
        );
        let next = section(&home, "day-2026-12-02");
        assert!(next.contains("Tomorrow") && next.contains(&format!("/bookings/{tomorrow}\"")));
        assert!(section(&home, "day-2026-12-03").contains(&format!("/bookings/{third}\"")));
        assert!(!home.contains(&format!("/bookings/{far}\"")), "three days, not four");

        // One click marks it and comes back home.
        let response = owner.post_form(&complete, &[("back", "home")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/app/paws");
        let status: String = sqlx::query_scalar("select status from bookings where id = $1")
            .bind(today)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(status, "completed");
        // Without `back` it returns to the booking, as before.
        owner.post_form(&format!("/app/paws/bookings/{later}/cancel"), &[]).await;

        let home = owner.page("/app/paws").await;
        let week = section(&home, "week-title");
        assert!(week.contains("Week of 30 November"), "{week}");
        // Booked: Ann (completed), Cy, Di, Ed; cancelled: Bo.
        for (label, n) in [("Booked", 4), ("Completed", 1), ("Cancelled", 1), ("No-shows", 0)] {
            assert!(week.contains(&format!("<dt>{label}</dt><dd>{n}</dd>")), "{label} {n}: {week}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_staff_login_sees_its_own_days_and_no_business_numbers() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Pro).await;
        let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
        let alex = app.seed_staff_member(t.id, "Alex Groomer", &[&groom]).await;
        let sam = app.seed_staff_member(t.id, "Sam Groomer", &[&groom]).await;
        app.seed_hours(t.id, Some(alex), 8 * 60, 18 * 60).await;
        app.seed_hours(t.id, Some(sam), 8 * 60, 18 * 60).await;
        let mine = book(&app, "paws", &groom, slot(at(2, 10), Some(alex.get())), "Ann Mine").await;
        let theirs =
            book(&app, "paws", &groom, slot(at(2, 11), Some(sam.get())), "Bo Theirs").await;
        let user = app.seed_staff(&t, "alex@paws.example").await;
        sqlx::query("update staff_members set user_id = $1 where id = $2")
            .bind(user.get())
            .bind(alex.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let staff = app.browser();
        staff.login("alex@paws.example", PASSWORD).await;

        let home = staff.page("/app/paws").await;
        assert!(home.contains(&format!("/bookings/{mine}\"")), "{home}");
        assert!(!home.contains(&format!("/bookings/{theirs}\"")), "not a colleague's");
        assert!(!home.contains("Bo Theirs"));
        assert!(!home.contains("week-title") && !home.contains("setup-title"));
    })
    .await;
}

/// Cancel, reschedule, delete and revoke ask first (a `<dialog>` from a static script, no
/// inline script) and say what will happen.
#[tokio::test]
async fn destructive_actions_ask_for_confirmation_and_say_what_happens() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(t.id, "walk", Mode::Slot, 60).await;
        app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
        let id = book(&app, "paws", &walk, slot(at(3, 10), None), "Ann Guest").await;
        let owner = app.browser();
        owner.login(&t.owner_email, PASSWORD).await;

        let detail = owner.page(&format!("/app/paws/bookings/{id}")).await;
        assert!(detail.contains("<script src=\"/static/js/confirm.js\" defer></script>"));
        assert!(!detail.contains("<script>"), "no inline script");
        assert!(
            detail.contains("/cancel\" data-confirm=\"Cancel this booking? The place is freed and the client is emailed.\""),
            "{detail}"
        );
        let moves = owner.page(&format!("/app/paws/bookings/{id}/reschedule?date=2026-12-03")).await;
        assert!(moves.contains("data-confirm=\"Move the booking to 2026-12-03 "), "{moves}");
        let services = owner.page("/app/paws/services/walk").await;
        assert!(services.contains("/delete\" data-confirm=\"Delete this service?"));

        let script = owner.get("/static/js/confirm.js").await;
        assert_eq!(script.status(), StatusCode::OK);
        assert!(script.headers()["content-type"].to_str().unwrap().contains("javascript"));
        assert!(script.text().await.unwrap().contains("showModal"));
    })
    .await;
}
