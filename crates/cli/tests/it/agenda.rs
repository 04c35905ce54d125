//! The provider's booking pages: day and week agenda, booking detail and history, booking for
//! a client, completed / no-show / cancel / reschedule, what a staff login sees, and tenancy.

use std::time::Duration;

use chrono::{DateTime, Duration as Span, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _};
use portico_store::bookings::{Actor, Party, Slot};
use portico_store::catalog::{Mode, Service};
use portico_store::tenants;
use portico_testkit::{PASSWORD, TestApp, location, matrix};
use reqwest::StatusCode;

/// 2026-12-`day` at `hour`:00 UTC (London is on UTC in December).
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

/// Books straight in the store, as `actor`.
async fn book(
    app: &TestApp,
    slug: &str,
    service: &Service,
    slot: Slot,
    party: Party,
    actor: Actor,
) -> i64 {
    let tenant = tenants::by_slug(app.db(), slug).await.unwrap().unwrap();
    let new = NewBooking {
        service,
        slot,
        party,
        notes: "Gate code 1234".into(),
        hold_token: None,
        address: String::new(),
    };
    let ctx = portico_core::Context::new(actor, "", app.clock.now());
    (portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.expect("booked").id).get()
}

fn slot(start: DateTime<Utc>, staff: Option<i64>, block: Option<i64>) -> Slot {
    Slot { start, staff, block }
}

fn client(id: ClientId) -> Party {
    Party::Client(id)
}

fn guest(name: &str) -> Party {
    Party::Guest {
        name: name.into(),
        email: "lee@example.com".into(),
        phone: "+44 7700 900456".into(),
    }
}

/// The `<section id="…">` of a page, up to its end.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").expect("section end")]
}

/// The end of a link to booking `id`.
fn link(id: i64) -> String {
    format!("/bookings/{id}\"")
}

/// The value of the option starting at `start` in a page of options, if offered.
fn option(html: &str, start: &str) -> Option<String> {
    let marker = format!("value=\"{start}");
    let from = html.find(&marker)? + "value=\"".len();
    Some(html[from..from + html[from..].find('"')?].to_owned())
}

async fn status_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("select status from bookings where id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn start_of(app: &TestApp, id: i64) -> i64 {
    sqlx::query_scalar("select starts_at from bookings where id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn events(app: &TestApp, id: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "select action, actor_kind from booking_events where booking_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap()
}

/// A FREE business with a one-hour slot service, the owner working 08:00–18:00, and a client.
async fn free_business(
    app: &TestApp,
    slug: &str,
) -> (portico_testkit::SeededTenant, Service, ClientId) {
    let tenant = app.seed_tenant(slug, Plan::Free).await;
    let groom = app.seed_service(tenant.id, "groom", Mode::Slot, 60).await;
    app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
    let (jo, _) = app.seed_client(&tenant, "Jo Client", &format!("jo@{slug}.example"), false).await;
    (tenant, groom, jo)
}

#[tokio::test]
async fn the_day_and_week_agenda_show_bookings_per_person_and_per_block() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Pro).await;
        let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
        let walk = app.seed_service(t.id, "walk", Mode::Block, 60).await;
        let alex = app.seed_staff_member(t.id, "Alex Groomer", &[&groom]).await;
        let sam = app.seed_staff_member(t.id, "Sam Groomer", &[&groom]).await;
        app.seed_hours(t.id, Some(alex), 8 * 60, 18 * 60).await;
        app.seed_hours(t.id, Some(sam), 8 * 60, 18 * 60).await;
        let block = app.seed_block(t.id, at(2, 0).date_naive(), 9 * 60, 12 * 60, &walk, 3).await;
        let (jo, _) = app.seed_client(&t, "Jo Client", "jo@example.com", false).await;
        let (kim, _) = app.seed_client(&t, "Kim Client", "kim@example.com", false).await;
        let with_alex = book(
            &app,
            "paws",
            &groom,
            slot(at(2, 10), Some(alex.get()), None),
            client(jo),
            Actor::System,
        )
        .await;
        let with_sam = book(
            &app,
            "paws",
            &groom,
            slot(at(2, 11), Some(sam.get()), None),
            client(kim),
            Actor::System,
        )
        .await;
        let in_block =
            book(&app, "paws", &walk, slot(at(2, 9), None, Some(block)), client(jo), Actor::System)
                .await;
        let next_day = book(
            &app,
            "paws",
            &groom,
            slot(at(3, 10), Some(alex.get()), None),
            guest("Lee Guest"),
            Actor::System,
        )
        .await;
        let owner = app.browser();
        owner.login(&t.owner_email, PASSWORD).await;

        let day = owner.page("/app/paws/bookings?date=2026-12-02").await;
        assert!(
            day.contains("href=\"/app/paws/bookings\">Bookings</a>"),
            "the nav links the agenda"
        );
        let alex_day = section(&day, &format!("person-{alex}"));
        assert!(
            alex_day.contains("Alex Groomer") && alex_day.contains(&link(with_alex)),
            "{alex_day}"
        );
        assert!(alex_day.contains("10:00–11:00") && alex_day.contains("Jo Client"));
        assert!(!alex_day.contains(&link(with_sam)) && !alex_day.contains(&link(in_block)));
        let sam_day = section(&day, &format!("person-{sam}"));
        assert!(sam_day.contains(&link(with_sam)) && sam_day.contains("Kim Client"));
        assert!(!sam_day.contains(&link(with_alex)));
        let block_day = section(&day, &format!("block-{block}"));
        assert!(
            block_day.contains(&link(in_block)) && block_day.contains("Jo Client"),
            "{block_day}"
        );
        assert!(block_day.contains("1 booked · 2 left of 3"), "{block_day}");
        assert!(!day.contains(&link(next_day)), "another day's booking is not on this day");
        assert!(
            day.contains("date=2026-12-01&amp;view=day")
                && day.contains("date=2026-12-03&amp;view=day")
        );

        let week = owner.page("/app/paws/bookings?date=2026-12-02&view=week").await;
        assert!(
            week.contains("id=\"day-2026-11-30\"") && week.contains("id=\"day-2026-12-06\""),
            "Monday to Sunday"
        );
        let wednesday = section(&week, "day-2026-12-02");
        for id in [with_alex, with_sam, in_block] {
            assert!(wednesday.contains(&link(id)), "{id} in {wednesday}");
        }
        assert!(
            wednesday.contains("Alex Groomer") && wednesday.contains("Block 540"),
            "who and which block"
        );
        assert!(!wednesday.contains(&link(next_day)));
        let thursday = section(&week, "day-2026-12-03");
        assert!(thursday.contains(&link(next_day)) && thursday.contains("Lee Guest"));
        assert!(
            week.contains("date=2026-11-23&amp;view=week")
                && week.contains("date=2026-12-07&amp;view=week")
        );

        // The owner narrows the agenda to one person: no one else, no blocks.
        let only_sam = owner.page(&format!("/app/paws/bookings?date=2026-12-02&staff={sam}")).await;
        assert!(only_sam.contains(&link(with_sam)));
        assert!(!only_sam.contains(&link(with_alex)) && !only_sam.contains(&link(in_block)));
        let sam_week =
            owner.page(&format!("/app/paws/bookings?date=2026-12-02&view=week&staff={sam}")).await;
        assert!(sam_week.contains(&link(with_sam)) && !sam_week.contains(&link(next_day)));
        assert!(sam_week.contains(&format!("view=week&amp;staff={sam}")), "links keep the filter");
    })
    .await;
}

#[tokio::test]
async fn a_staff_login_sees_and_works_only_its_own_bookings() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Pro).await;
        let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
        let walk = app.seed_service(t.id, "walk", Mode::Block, 60).await;
        let alex = app.seed_staff_member(t.id, "Alex Groomer", &[&groom]).await;
        let sam = app.seed_staff_member(t.id, "Sam Groomer", &[&groom]).await;
        app.seed_hours(t.id, Some(alex), 8 * 60, 18 * 60).await;
        app.seed_hours(t.id, Some(sam), 8 * 60, 18 * 60).await;
        let block = app.seed_block(t.id, at(2, 0).date_naive(), 9 * 60, 12 * 60, &walk, 3).await;
        let (jo, _) = app.seed_client(&t, "Jo Client", "jo@example.com", false).await;
        let mine = book(
            &app,
            "paws",
            &groom,
            slot(at(2, 10), Some(alex.get()), None),
            client(jo),
            Actor::System,
        )
        .await;
        let theirs = book(
            &app,
            "paws",
            &groom,
            slot(at(2, 11), Some(sam.get()), None),
            client(jo),
            Actor::System,
        )
        .await;
        let in_block =
            book(&app, "paws", &walk, slot(at(2, 9), None, Some(block)), client(jo), Actor::System)
                .await;
        let login = app.seed_staff(&t, "alex@paws.example").await;
        assert!(app.link_staff_login(t.id, alex, login).await);
        let other = app.seed_tenant("other", Plan::Pro).await;
        let other_groom = app.seed_service(other.id, "groom", Mode::Slot, 60).await;
        app.seed_hours(other.id, None, 8 * 60, 18 * 60).await;
        let (other_client, _) =
            app.seed_client(&other, "Other Client", "oc@example.com", false).await;
        let foreign = book(
            &app,
            "other",
            &other_groom,
            slot(at(2, 10), None, None),
            client(other_client),
            Actor::System,
        )
        .await;
        let browser = app.browser();
        browser.login("alex@paws.example", PASSWORD).await;

        for path in
            ["/app/paws/bookings?date=2026-12-02", "/app/paws/bookings?date=2026-12-02&view=week"]
        {
            let page = browser.page(path).await;
            assert!(page.contains(&link(mine)) && page.contains(&link(in_block)), "{path}: {page}");
            assert!(!page.contains(&link(theirs)) && !page.contains("Sam Groomer"), "{path}");
        }
        // The owner's filter does not widen a staff login's view.
        let page = browser.page(&format!("/app/paws/bookings?date=2026-12-02&staff={sam}")).await;
        assert!(page.contains(&link(mine)) && !page.contains(&link(theirs)));

        assert!(browser.page(&format!("/app/paws/bookings/{mine}")).await.contains("Alex Groomer"));
        assert_eq!(
            browser.get(&format!("/app/paws/bookings/{theirs}")).await.status(),
            StatusCode::NOT_FOUND
        );
        for action in ["cancel", "complete", "no-show"] {
            let r = browser.post_form(&format!("/app/paws/bookings/{theirs}/{action}"), &[]).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action}");
        }
        assert_eq!(status_of(&app, theirs).await, "confirmed");
        assert_eq!(events(&app, theirs).await.len(), 1);

        // Rescheduling offers only their own times, and a tampered choice stays with them.
        let options =
            browser.page(&format!("/app/paws/bookings/{mine}/reschedule?date=2026-12-02")).await;
        assert!(options.contains("Alex Groomer") && !options.contains("Sam Groomer"), "{options}");
        let r = browser
            .post_form(
                &format!("/app/paws/bookings/{mine}/reschedule"),
                &[
                    ("start", &at(2, 14).to_rfc3339()),
                    ("staff_id", &sam.to_string()),
                    ("block_id", ""),
                ],
            )
            .await;
        assert_eq!(location(&r), format!("/app/paws/bookings/{mine}"));
        let (start, person): (i64, Option<i64>) =
            sqlx::query_as("select starts_at, staff_id from bookings where id = $1")
                .bind(mine)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!((start, person), (at(2, 14).timestamp(), Some(alex.get())));
        assert_eq!(
            events(&app, mine).await.last().unwrap(),
            &("rescheduled".to_owned(), "staff".to_owned())
        );

        // Another tenant is invisible: its agenda and its ids are 404.
        assert_eq!(browser.get("/app/other/bookings").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            browser.get(&format!("/app/other/bookings/{foreign}")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            browser.get(&format!("/app/paws/bookings/{foreign}")).await.status(),
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn the_booking_detail_shows_everything_and_the_history() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (t, groom, jo) = free_business(&app, "paws").await;
        let id = book(
            &app,
            "paws",
            &groom,
            slot(at(2, 10), None, None),
            client(jo),
            Actor::Owner(t.owner),
        )
        .await;
        let guest_booking = book(
            &app,
            "paws",
            &groom,
            slot(at(2, 12), None, None),
            guest("Lee Guest"),
            Actor::Guest,
        )
        .await;
        let owner = app.browser();
        owner.login(&t.owner_email, PASSWORD).await;

        let r = owner
            .post_form(
                &format!("/app/paws/bookings/{id}/reschedule"),
                &[("start", &at(2, 14).to_rfc3339()), ("staff_id", ""), ("block_id", "")],
            )
            .await;
        assert_eq!(location(&r), format!("/app/paws/bookings/{id}"));

        let page = owner.page(&format!("/app/paws/bookings/{id}")).await;
        assert!(
            page.contains("Service groom") && page.contains("Wed 2 Dec 2026, 14:00–15:00"),
            "{page}"
        );
        assert!(
            page.contains("Europe/London")
                && page.contains("GBP 25.00")
                && page.contains("confirmed")
        );
        assert!(
            page.contains(&format!("href=\"/app/paws/clients/{}\">Jo Client</a>", jo.get())),
            "links the client"
        );
        assert!(page.contains("Gate code 1234"), "notes");
        let history = section(&page, "history");
        assert!(history.contains("Booked") && history.contains("Rescheduled"), "{history}");
        assert!(history.contains("Owner (owner@paws.example)"));
        assert!(history.contains("Wed 2 Dec 2026, 10:00 → Wed 2 Dec 2026, 14:00"), "{history}");
        assert!(page.contains("Completed and no-show can be marked once the booking has started."));

        let page = owner.page(&format!("/app/paws/bookings/{guest_booking}")).await;
        assert!(
            page.contains("Lee Guest")
                && page.contains("lee@example.com")
                && page.contains("+44 7700 900456")
        );
        assert!(section(&page, "history").contains("Guest"));
    })
    .await;
}

#[tokio::test]
async fn the_owner_books_for_a_client_and_a_taken_time_shows_fresh_options() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, _, jo) = free_business(&app, "paws").await;
        let t = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let kim = {
            let fields = portico_store::clients::ClientFields {
                name: "Kim Client".into(),
                email: "kim@example.com".into(),
                ..Default::default()
            };
            let mut tx = app.db().begin().await.unwrap();
            let id = portico_store::clients::insert(&mut tx, t.id, &fields, None, 0).await.unwrap();
            tx.commit().await.unwrap();
            id
        };
        let owner = app.browser();
        owner.login("owner@paws.example", PASSWORD).await;

        let client_page = owner.page(&format!("/app/paws/clients/{}", jo.get())).await;
        assert!(
            client_page.contains(&format!("/app/paws/bookings/new?client={}\"", jo.get())),
            "Book for this client"
        );
        let search = owner.page("/app/paws/bookings/new?q=kim").await;
        assert!(
            search.contains(&format!("?client={}\"", kim.get()))
                && !search.contains(&format!("?client={}\"", jo.get()))
        );
        let services = owner.page(&format!("/app/paws/bookings/new?client={}", jo.get())).await;
        assert!(services.contains("Jo Client") && services.contains("service=groom"));

        // Providers may book inside the notice period guests have (60 minutes).
        let today = owner
            .page(&format!(
                "/app/paws/bookings/new?client={}&service=groom&date=2026-12-01",
                jo.get()
            ))
            .await;
        assert!(option(&today, "2026-12-01T09:15:00+00:00").is_some(), "{today}");
        let page = owner
            .page(&format!(
                "/app/paws/bookings/new?client={}&service=groom&date=2026-12-02",
                jo.get()
            ))
            .await;
        let ten = option(&page, "2026-12-02T10:00:00+00:00").expect("10:00 is free");

        let r = owner
            .post_form(
                "/app/paws/bookings/new",
                &[("client", &jo.get().to_string()), ("service", "groom"), ("option", "")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Choose a time from the list."));

        let r = owner
            .post_form(
                "/app/paws/bookings/new",
                &[
                    ("client", &jo.get().to_string()),
                    ("service", "groom"),
                    ("option", &ten),
                    ("notes", "Bring the blue lead"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
        let (client_id, notes, starts_at): (Option<i64>, String, i64) =
            sqlx::query_as("select client_id, notes, starts_at from bookings where id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!(
            (client_id, notes.as_str(), starts_at),
            (Some(jo.get()), "Bring the blue lead", at(2, 10).timestamp())
        );
        assert_eq!(events(&app, id).await, vec![("created".to_owned(), "owner".to_owned())]);
        assert!(
            owner
                .page(&format!("/app/paws/bookings/{id}"))
                .await
                .contains("Booked Service groom for Jo Client")
        );
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("jo@paws.example", Duration::from_secs(10)).await;
        assert!(mail.subject().starts_with("Booked:"), "{}", mail.subject());

        // The same page, still showing 10:00, books Kim: taken meanwhile → 409 and fresh options.
        let r = owner
            .post_form(
                "/app/paws/bookings/new",
                &[
                    ("client", &kim.get().to_string()),
                    ("service", "groom"),
                    ("option", &ten),
                    ("notes", "A note for Kim"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(html.contains("that time was just taken"), "{html}");
        assert!(
            option(&html, "2026-12-02T10:00:00+00:00").is_none()
                && option(&html, "2026-12-02T11:00:00+00:00").is_some()
        );
        assert!(
            html.contains("Kim Client") && html.contains("A note for Kim"),
            "the choice so far is kept"
        );
        assert_eq!(app.count("select count(*) from bookings").await, 1);
    })
    .await;
}

#[tokio::test]
async fn completed_no_show_cancel_and_reschedule_work_and_write_history() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (t, groom, jo) = free_business(&app, "paws").await;
        let first = book(&app, "paws", &groom, slot(at(1, 10), None, None), client(jo), Actor::System).await;
        let second = book(&app, "paws", &groom, slot(at(1, 11), None, None), client(jo), Actor::System).await;
        let third = book(&app, "paws", &groom, slot(at(2, 10), None, None), client(jo), Actor::System).await;
        let fourth = book(&app, "paws", &groom, slot(at(2, 11), None, None), client(jo), Actor::System).await;
        let owner = app.browser();
        owner.login(&t.owner_email, PASSWORD).await;
        let detail = |id: i64| format!("/app/paws/bookings/{id}");

        // Not started yet: neither completed nor no-show.
        let r = owner.post_form(&format!("{}/complete", detail(first)), &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!((status_of(&app, first).await, events(&app, first).await.len()), ("confirmed".to_owned(), 1));

        app.clock.advance(Span::hours(2));
        let r = owner.post_form(&format!("{}/complete", detail(first)), &[]).await;
        assert_eq!(location(&r), detail(first));
        assert_eq!(status_of(&app, first).await, "completed");
        let page = owner.page(&detail(first)).await;
        // Completed is final: no correction to no-show, no second completion.
        assert!(page.contains("Marked completed.") && !page.contains("Mark no-show") && !page.contains(">Mark completed<"));
        for action in ["no-show", "complete"] {
            let r = owner.post_form(&format!("{}/{action}", detail(first)), &[]).await;
            assert_eq!(r.status(), StatusCode::CONFLICT, "{action} after completed");
        }
        assert_eq!((status_of(&app, first).await, events(&app, first).await.len()), ("completed".to_owned(), 2));
        assert!(!page.contains("/reschedule\""), "a completed booking is not moved");
        let r = owner.post_form(&format!("{}/no-show", detail(second)), &[]).await;
        assert_eq!(location(&r), detail(second));
        assert_eq!(status_of(&app, second).await, "no_show");
        assert_eq!(events(&app, second).await.last().unwrap(), &("no_show".to_owned(), "owner".to_owned()));

        // Cancel at any time; the place is free again and the client is told.
        let r = owner.post_form(&format!("{}/cancel", detail(third)), &[]).await;
        assert_eq!(location(&r), detail(third));
        assert_eq!(status_of(&app, third).await, "cancelled");
        assert_eq!(events(&app, third).await.last().unwrap(), &("cancelled".to_owned(), "owner".to_owned()));
        assert_eq!(owner.post_form(&format!("{}/cancel", detail(third)), &[]).await.status(), StatusCode::CONFLICT);
        assert_eq!(owner.get(&format!("{}/reschedule", detail(third))).await.status(), StatusCode::CONFLICT);
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("jo@paws.example", Duration::from_secs(10)).await;
        assert!(mail.subject().starts_with("Cancelled:"), "{}", mail.subject());

        // Reschedule: its own place and the freed one are offered.
        let options = owner.page(&format!("{}/reschedule?date=2026-12-02", detail(fourth))).await;
        assert!(option(&options, "2026-12-02T11:00:00+00:00").is_some(), "its own time");
        assert!(option(&options, "2026-12-02T10:00:00+00:00").is_some(), "the cancelled time");
        let r = owner.post_form(&format!("{}/reschedule", detail(fourth)), &[("start", &at(2, 14).to_rfc3339()), ("staff_id", ""), ("block_id", "")]).await;
        assert_eq!(location(&r), detail(fourth));
        assert_eq!(start_of(&app, fourth).await, at(2, 14).timestamp());
        let moved: (Option<i64>, Option<i64>, String) = sqlx::query_as(
            "select from_starts_at, to_starts_at, actor_kind from booking_events where booking_id = $1 and action = 'rescheduled'",
        )
        .bind(fourth)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!(moved, (Some(at(2, 11).timestamp()), Some(at(2, 14).timestamp()), "owner".to_owned()));

        // A time taken meanwhile: 409, fresh options, the booking stays where it was.
        book(&app, "paws", &groom, slot(at(2, 16), None, None), client(jo), Actor::System).await;
        let r = owner.post_form(&format!("{}/reschedule", detail(fourth)), &[("start", &at(2, 16).to_rfc3339()), ("staff_id", ""), ("block_id", "")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(html.contains("that time was just taken") && option(&html, "2026-12-02T16:00:00+00:00").is_none(), "{html}");
        assert_eq!(start_of(&app, fourth).await, at(2, 14).timestamp());
    })
    .await;
}

/// Everything a tenant's bookings are, to compare before and after.
async fn snapshot(app: &TestApp) -> (Vec<(i64, i64, String, i64)>, i64, i64) {
    let rows = sqlx::query_as("select id, tenant_id, status, starts_at from bookings order by id")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    (
        rows,
        app.count("select count(*) from booking_events").await,
        app.count("select count(*) from outbox").await,
    )
}

#[tokio::test]
async fn every_booking_route_refuses_another_tenant_with_404_and_changes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (a, groom_a, jo) = free_business(&app, "paws").await;
        let (_, groom_b, kim) = free_business(&app, "other").await;
        let b_staff = app
            .seed_staff_member(
                tenants::by_slug(app.db(), "other").await.unwrap().unwrap().id,
                "Bo",
                &[&groom_b],
            )
            .await;
        let mine =
            book(&app, "paws", &groom_a, slot(at(1, 10), None, None), client(jo), Actor::System)
                .await;
        let theirs =
            book(&app, "other", &groom_b, slot(at(1, 10), None, None), client(kim), Actor::System)
                .await;
        // Both have started, so only the tenant check can refuse what follows.
        app.clock.advance(Span::hours(2));
        let owner = app.browser();
        owner.login(&a.owner_email, PASSWORD).await;
        let before = snapshot(&app).await;

        let gets = [
            "/app/other/bookings".to_owned(),
            "/app/other/bookings?view=week".to_owned(),
            "/app/other/bookings/new".to_owned(),
            format!("/app/other/bookings/{theirs}"),
            format!("/app/other/bookings/{theirs}/reschedule"),
            format!("/app/paws/bookings/{theirs}"),
            format!("/app/paws/bookings/{theirs}/reschedule"),
            format!("/app/paws/bookings/new?client={}", kim.get()),
            format!("/app/paws/bookings?staff={b_staff}"),
        ];
        for path in &gets {
            assert_eq!(owner.get(path).await.status(), StatusCode::NOT_FOUND, "GET {path}");
        }
        let later = at(1, 15).to_rfc3339();
        let choice = [("start", later.as_str()), ("staff_id", ""), ("block_id", "")];
        for base in ["/app/other/bookings", "/app/paws/bookings"] {
            for action in ["complete", "no-show", "cancel", "reschedule"] {
                let path = format!("{base}/{theirs}/{action}");
                assert_eq!(
                    owner.post_form(&path, &choice).await.status(),
                    StatusCode::NOT_FOUND,
                    "POST {path}"
                );
            }
        }
        let option = format!("{later}||");
        for (path, client) in [
            ("/app/other/bookings/new", kim),
            ("/app/paws/bookings/new", kim),
            ("/app/other/bookings/new", jo),
        ] {
            let form = [
                ("client", client.get().to_string()),
                ("service", "groom".to_owned()),
                ("option", option.clone()),
            ];
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(
                owner.post_form(path, &form).await.status(),
                StatusCode::NOT_FOUND,
                "POST {path} for {client:?}"
            );
        }
        assert_eq!(snapshot(&app).await, before, "nothing changed");
        let agenda = owner.page("/app/paws/bookings?date=2026-12-01").await;
        assert!(agenda.contains(&link(mine)) && !agenda.contains(&link(theirs)));
    })
    .await;
}
