//! The public booking page and the guest's manage link, as a browser uses them.

use std::time::Duration;

use chrono::{Duration as Span, NaiveDate};
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{Browser, TestApp, location, matrix};
use reqwest::StatusCode;

fn tomorrow() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

/// The value of the first hidden `start` field in a page of options.
pub(crate) fn first_option(html: &str) -> Option<String> {
    let marker = "name=\"start\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..start + html[start..].find('"')?].to_owned())
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.find(&marker)
        .map(|i| {
            let rest = &html[i + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .unwrap_or_default()
}

async fn book_as_guest(app: &TestApp, guest: &Browser, email: &str) -> String {
    let page = guest.page("/book/paws/services/walk?date=2026-12-02").await;
    let start = first_option(&page).expect("an option");
    let block = hidden(&page, "block_id");
    let r = guest
        .post_form(
            "/book/paws/services/walk/hold",
            &[("start", &start), ("staff_id", ""), ("block_id", &block)],
        )
        .await;
    assert_eq!(location(&r), "/book/paws/details");
    let details = guest.page("/book/paws/details").await;
    assert!(details.contains("We are holding this place for you until"));
    let r = guest
        .post_form(
            "/book/paws/details",
            &[("name", "Jo Guest"), ("email", email), ("phone", "+44 7700 900123"), ("notes", "")],
        )
        .await;
    assert_eq!(location(&r), "/book/paws/done");
    let _ = app;
    start
}

async fn manage_link(app: &TestApp, email: &str) -> String {
    app.run_pending_jobs().await;
    let mail = app.mail.wait_for_message_to(email, Duration::from_secs(10)).await;
    let link = mail.first_link_containing("/book/paws/manage/").expect("manage link");
    url::Url::parse(&link).unwrap().path().to_owned()
}

#[tokio::test]
async fn a_guest_books_on_the_public_page_and_gets_a_manage_link() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 2).await;
        let guest = app.browser();

        let index = guest.page("/book/paws").await;
        assert!(index.contains("Service walk") && index.contains("GBP 25.00"));
        let page = guest.page("/book/paws/services/walk?date=2026-12-02").await;
        assert!(page.contains("09:00") && page.contains("2 left"), "{page}");

        book_as_guest(&app, &guest, "jo@example.com").await;
        let done = guest.page("/book/paws/done").await;
        assert!(done.contains("You're booked!") && done.contains("jo@example.com"));
        // Add to calendar: Google and Outlook links, and the .ics of this visitor's booking.
        assert!(done.contains("https://calendar.google.com/calendar/render?action=TEMPLATE"));
        assert!(done.contains("https://outlook.live.com/calendar/0/deeplink/compose?"));
        assert!(done.contains("href=\"/book/paws/done/booking.ics\""), "{done}");
        let file = guest.get("/book/paws/done/booking.ics").await;
        assert_eq!(file.status(), StatusCode::OK);
        let text = file.text().await.unwrap();
        assert!(text.contains("BEGIN:VEVENT") && text.contains("UID:booking-"), "{text}");
        assert!(text.contains("DTSTART:20261202T090000Z"), "{text}");
        let stranger = app.browser().get("/book/paws/done/booking.ics").await;
        assert_eq!(stranger.status(), StatusCode::SEE_OTHER, "only the visitor's own booking");
        assert!(guest.page("/book/paws/services/walk?date=2026-12-02").await.contains("1 left"));

        let link = manage_link(&app, "jo@example.com").await;
        let manage = guest.page(&link).await;
        assert!(manage.contains("Service walk") && manage.contains("confirmed"));
        // The token is stored hashed and is at least 128 bits.
        let token = link.rsplit('/').next().unwrap();
        assert!(token.len() >= 32);
        let stored: String = sqlx::query_scalar("select token_hash from booking_links")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(stored, portico_store::tokens::hash(token));
    })
    .await;
}

#[tokio::test]
async fn details_are_validated_and_a_taken_place_shows_fresh_options() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let block = app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 1).await;
        app.seed_block(tenant.id, tomorrow(), 14 * 60, 15 * 60, &walk, 1).await;
        let first = app.browser();
        let second = app.browser();
        let page = first.page("/book/paws/services/walk?date=2026-12-02").await;
        let start = first_option(&page).unwrap();
        let block = block.to_string();

        // Both saw 09:00 free; the first holds it.
        first
            .post_form("/book/paws/services/walk/hold", &[("start", &start), ("block_id", &block)])
            .await;
        let r = second
            .post_form("/book/paws/services/walk/hold", &[("start", &start), ("block_id", &block)])
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(html.contains("that time was just taken"), "{html}");
        assert!(html.contains("14:00") && !html.contains("09:00 · Block"), "fresh options only");

        let r = first
            .post_form(
                "/book/paws/details",
                &[("name", ""), ("email", "nope"), ("phone", ""), ("notes", "")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("This field is required.")
                && html.contains("Enter a valid email address.")
                && html.contains("Enter a phone number")
        );
        let n: i64 = sqlx::query_scalar("select count(*) from bookings")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(n, 0);

        // The hold runs out while the guest types: a clear message, nothing booked.
        app.clock.advance(Span::minutes(11));
        let r = first
            .post_form(
                "/book/paws/details",
                &[("name", "Jo"), ("email", "jo@example.com"), ("phone", "123"), ("notes", "")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("Your reservation expired"));
        let n: i64 = sqlx::query_scalar("select count(*) from bookings")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(n, 0);
    })
    .await;
}

#[tokio::test]
async fn the_manage_link_enforces_the_cut_off_and_wrong_tokens_are_404() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_tenant("other", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 2).await;
        app.seed_block(tenant.id, tomorrow(), 14 * 60, 15 * 60, &walk, 2).await;
        let guest = app.browser();
        book_as_guest(&app, &guest, "jo@example.com").await;
        let link = manage_link(&app, "jo@example.com").await;
        let token = link.rsplit('/').next().unwrap().to_owned();

        // Wrong token, another tenant's path: 404.
        assert_eq!(
            guest.get("/book/paws/manage/not-a-real-token").await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            guest.get(&format!("/book/other/manage/{token}")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            guest.post_form(&format!("/book/other/manage/{token}/cancel"), &[]).await.status(),
            StatusCode::NOT_FOUND
        );

        // Reschedule 09:00 → 14:00 (the booking is tomorrow 09:00; the cut-off is 24 h).
        let options = guest.page(&format!("{link}/reschedule?date=2026-12-02")).await;
        assert!(options.contains("14:00"));
        let afternoon = options
            .split("name=\"start\" value=\"")
            .filter_map(|s| s.split('"').next())
            .find(|s| s.contains("T14:00"))
            .unwrap()
            .to_owned();
        let block = {
            let i = options.find(&afternoon).unwrap();
            hidden(&options[i..], "block_id")
        };
        let r = guest
            .post_form(
                &format!("{link}/reschedule"),
                &[("start", &afternoon), ("block_id", &block)],
            )
            .await;
        assert_eq!(location(&r), link);
        assert!(guest.page(&link).await.contains("14:00"));

        // Past the cut-off (less than 24 h before 14:00): no changes.
        app.clock.advance(Span::hours(5) + Span::minutes(1));
        let page = guest.page(&link).await;
        assert!(page.contains("Changes are possible until 24 hours before the start"), "{page}");
        let r = guest.post_form(&format!("{link}/cancel"), &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let status: String = sqlx::query_scalar("select status from bookings")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(status, "confirmed");

        // The link expires after the booking.
        app.clock.advance(Span::days(2));
        assert_eq!(guest.get(&link).await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_guest_can_cancel_before_the_cut_off_and_the_place_is_free_again() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_block(
            tenant.id,
            NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
            9 * 60,
            12 * 60,
            &walk,
            1,
        )
        .await;
        let guest = app.browser();
        let page = guest.page("/book/paws/services/walk?date=2026-12-05").await;
        let start = first_option(&page).unwrap();
        let block = hidden(&page, "block_id");
        guest
            .post_form("/book/paws/services/walk/hold", &[("start", &start), ("block_id", &block)])
            .await;
        guest
            .post_form(
                "/book/paws/details",
                &[("name", "Jo"), ("email", "jo@example.com"), ("phone", "123"), ("notes", "")],
            )
            .await;
        let link = manage_link(&app, "jo@example.com").await;
        assert!(
            !guest.page("/book/paws/services/walk?date=2026-12-05").await.contains("1 left"),
            "full"
        );

        let r = guest.post_form(&format!("{link}/cancel"), &[]).await;
        assert_eq!(location(&r), link);
        assert!(guest.page(&link).await.contains("cancelled"));
        assert!(
            guest.page("/book/paws/services/walk?date=2026-12-05").await.contains("1 left"),
            "free again"
        );
        app.run_pending_jobs().await;
        let mails = app.mail.messages();
        assert!(
            mails
                .iter()
                .any(|m| m.rcpt_to == ["jo@example.com"] && m.subject().starts_with("Cancelled:"))
        );
        let history: Vec<String> =
            sqlx::query_scalar("select actor_kind from booking_events order by id")
                .fetch_all(app.db().pool())
                .await
                .unwrap();
        assert_eq!(history, vec!["guest", "guest"]);
    })
    .await;
}

#[tokio::test]
async fn choosing_another_time_gives_the_first_place_back_and_blocks_show_their_end() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let morning =
            app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 1).await.to_string();
        let afternoon =
            app.seed_block(tenant.id, tomorrow(), 14 * 60, 15 * 60, &walk, 1).await.to_string();
        let guest = app.browser();
        let nine = "2026-12-02T09:00:00+00:00";
        let two = "2026-12-02T14:00:00+00:00";
        guest
            .post_form("/book/paws/services/walk/hold", &[("start", nine), ("block_id", &morning)])
            .await;
        let details = guest.page("/book/paws/details").await;
        assert!(
            details.contains("09:00 – 12:00"),
            "a block booking lasts until the block ends: {details}"
        );

        // Changing their mind: the morning place comes back at once.
        guest
            .post_form("/book/paws/services/walk/hold", &[("start", two), ("block_id", &afternoon)])
            .await;
        let other = app.browser();
        let r = other
            .post_form("/book/paws/services/walk/hold", &[("start", nine), ("block_id", &morning)])
            .await;
        assert_eq!(location(&r), "/book/paws/details");
    })
    .await;
}
