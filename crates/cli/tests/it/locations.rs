//! Booking locations (seed 000): a service takes place at the business, at the client's
//! address (asked when booking, stored on the booking) or online (a meeting link per booking),
//! and every surface that shows the booking says where.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _};
use portico_store::bookings::{self, Actor, Party, Slot};
use portico_store::catalog::{self, Mode};
use portico_store::tenants;
use portico_testkit::{Browser, PASSWORD, TestApp, location, matrix};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn tomorrow() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Stores the client's address, as the owner's client form would.
async fn set_address(app: &TestApp, client: ClientId, address: &str) {
    sqlx::query("update clients set address = $1 where id = $2")
        .bind(address)
        .bind(client.get())
        .execute(app.db().pool())
        .await
        .unwrap();
}

/// The value of the first hidden `name` field in `html`.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let i = html.find(&marker).unwrap_or_else(|| panic!("no {name}: {html}")) + marker.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

/// Holds the first option of `walk` tomorrow on the public page.
async fn hold(browser: &Browser) {
    let page = browser.page("/book/paws/services/walk?date=2026-12-02").await;
    let fields = [
        ("start", hidden(&page, "start")),
        ("staff_id", String::new()),
        ("block_id", hidden(&page, "block_id")),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = browser.post_form("/book/paws/services/walk/hold", &fields).await;
    assert_eq!(location(&r), "/book/paws/details");
}

async fn details(browser: &Browser, address: &str) -> reqwest::Response {
    let fields = [
        ("name", "Jo Guest"),
        ("email", "jo@example.com"),
        ("phone", "+44 7700 900123"),
        ("notes", ""),
        ("address", address),
    ];
    browser.post_form("/book/paws/details", &fields).await
}

#[tokio::test]
async fn a_service_at_the_clients_address_asks_for_it_and_shows_it_wherever_the_booking_is() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let block = app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 5).await;
        let token = app.api_token(tenant.id).await;
        let (status, body) = call(&app, &token, Method::PATCH, "/api/v1/paws/services/walk", json!({ "location_kind": "client" })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["location_kind"], "client");

        let guest = app.browser();
        hold(&guest).await;
        let page = guest.page("/book/paws/details").await;
        assert!(page.contains("name=\"address\""), "the form asks where: {page}");
        let r = details(&guest, "  ").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("Enter the address where the appointment takes place."), "{page}");
        assert_eq!(app.count("select count(*) from bookings").await, 0, "nothing booked");

        let r = details(&guest, "1 Dog Lane\nLeeds").await;
        assert_eq!(location(&r), "/book/paws/done");
        let stored: (String, String) = sqlx::query_as("select location_kind, location from bookings")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(stored, ("client".to_owned(), "1 Dog Lane\nLeeds".to_owned()));
        let done = guest.page("/book/paws/done").await;
        assert!(done.contains("At the client&#39;s address") && done.contains("1 Dog Lane\nLeeds"), "{done}");
        assert!(done.contains("location=1+Dog+Lane%0ALeeds"), "the Google link carries it: {done}");
        let ics = guest.page("/book/paws/done/booking.ics").await;
        assert!(ics.contains("LOCATION:1 Dog Lane\\nLeeds"), "{ics}");

        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("jo@example.com", Duration::from_secs(10)).await;
        assert!(mail.text_body().contains("At the client's address: 1 Dog Lane"), "{}", mail.text_body());
        let (_, file) = mail.attachment("booking.ics").expect("an .ics");
        assert!(String::from_utf8_lossy(&file).contains("LOCATION:1 Dog Lane\\nLeeds"));
        let link = mail.first_link_containing("/book/paws/manage/").expect("manage link");
        let manage = guest.page(url::Url::parse(&link).unwrap().path()).await;
        assert!(manage.contains("1 Dog Lane"), "{manage}");
        let owner_mail = app.mail.wait_for_message_to(&tenant.owner_email, Duration::from_secs(10)).await;
        assert!(owner_mail.text_body().contains("1 Dog Lane"), "{}", owner_mail.text_body());

        // A portal client confirms their stored address, or types another one.
        let (client, _) = app.seed_client(&tenant, "Ann Client", "ann@example.com", true).await;
        set_address(&app, client, "7 Cat Road").await;
        let ann = app.browser();
        ann.login("ann@example.com", PASSWORD).await;
        let page = ann.page("/portal/paws/bookings/new/walk?date=2026-12-02").await;
        let fields = [("start", hidden(&page, "start")), ("staff_id", String::new()), ("block_id", hidden(&page, "block_id"))];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ann.post_form("/portal/paws/bookings/new/walk/hold", &fields).await;
        let confirm = ann.page("/portal/paws/bookings/confirm").await;
        assert!(confirm.contains(">7 Cat Road</textarea>"), "prefilled: {confirm}");
        let r = ann.post_form("/portal/paws/bookings/confirm", &[("notes", ""), ("address", "")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "an emptied address is refused");
        assert_eq!(app.count("select count(*) from bookings").await, 1);
        let r = ann.post_form("/portal/paws/bookings/confirm", &[("notes", ""), ("address", "9 Bird Street")]).await;
        let to = location(&r);
        assert!(to.starts_with("/portal/paws/bookings/"), "{to}");
        assert!(ann.page(&to).await.contains("9 Bird Street"));
        let id = to.rsplit('/').next().unwrap();
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        assert!(owner.page(&format!("/app/paws/bookings/{id}")).await.contains("9 Bird Street"));

        // The API asks for the address of a guest's booking, and a client's falls back to
        // their stored one.
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap().to_rfc3339();
        let guest_body = json!({ "service": "walk", "start": start, "block_id": block, "guest": { "name": "Al", "email": "al@example.com", "phone": "+44 7700 900124" } });
        let (status, body) = call(&app, &token, Method::POST, "/api/v1/paws/bookings", guest_body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["address"].is_string(), "{body}");
        let (bo, _) = app.seed_client(&tenant, "Bo Client", "bo@example.com", false).await;
        set_address(&app, bo, "7 Cat Road").await;
        let (status, body) = call(&app, &token, Method::POST, "/api/v1/paws/bookings", json!({ "service": "walk", "start": start, "block_id": block, "client_id": bo.get() })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!((body["location_kind"].as_str(), body["location"].as_str()), (Some("client"), Some("7 Cat Road")));

        // The owner books for a client: the form offers the client's stored address.
        let (cy, _) = app.seed_client(&tenant, "Cy Client", "cy@example.com", false).await;
        set_address(&app, cy, "2 Cy Street").await;
        let new = format!("/app/paws/bookings/new?client={}&service=walk&date=2026-12-02", cy.get());
        let page = owner.page(&new).await;
        assert!(page.contains(">2 Cy Street</textarea>"), "{page}");
        let option = hidden(&page, "option");
        let cy_id = cy.get().to_string();
        let fields = |address: &'static str| {
            vec![("client", cy_id.clone()), ("service", "walk".to_owned()), ("option", option.clone()), ("address", address.to_owned())]
        };
        let post = |fields: Vec<(&'static str, String)>| {
            let owner = &owner;
            async move {
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                owner.post_form("/app/paws/bookings/new", &fields).await
            }
        };
        let r = post(fields(" ")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("Enter the address where the appointment takes place."), "{page}");
        let r = post(fields("5 Owner Way")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let stored: String = sqlx::query_scalar("select location from bookings where client_id = $1")
            .bind(cy.get())
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(stored, "5 Owner Way");
    })
    .await;
}

#[tokio::test]
async fn an_online_service_gets_a_meeting_link_per_booking_and_the_business_its_address() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let block = app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 5).await;
        let token = app.api_token(tenant.id).await;
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap().to_rfc3339();
        let book = |email: &'static str| {
            let (app, token, start) = (&app, token.clone(), start.clone());
            async move {
                let body = json!({ "service": "walk", "start": start, "block_id": block, "guest": { "name": "Guest", "email": email, "phone": "+44 7700 900124" } });
                let (status, body) = call(app, &token, Method::POST, "/api/v1/paws/bookings", body).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                body
            }
        };

        // At the business: its address, in the .ics too.
        let (status, _) = call(&app, &token, Method::PATCH, "/api/v1/paws/settings/branding", json!({ "address": "3 High Street" })).await;
        assert_eq!(status, StatusCode::OK);
        let at_business = book("a@example.com").await;
        assert_eq!((at_business["location_kind"].as_str(), at_business["location"].as_str()), (Some("business"), Some("")));
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("a@example.com", Duration::from_secs(10)).await;
        let (_, file) = mail.attachment("booking.ics").expect("an .ics");
        assert!(String::from_utf8_lossy(&file).contains("LOCATION:3 High Street"));

        // Online: a new, unguessable room for each booking…
        let (status, body) = call(&app, &token, Method::PATCH, "/api/v1/paws/services/walk", json!({ "location_kind": "online", "meeting_url": "javascript:alert(1)" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["meeting_url"].is_string());
        let (status, _) = call(&app, &token, Method::PATCH, "/api/v1/paws/services/walk", json!({ "location_kind": "online" })).await;
        assert_eq!(status, StatusCode::OK);
        let first = book("b@example.com").await["location"].as_str().unwrap().to_owned();
        let second = book("c@example.com").await["location"].as_str().unwrap().to_owned();
        assert!(first.starts_with("https://meet.jit.si/Portico-") && first.len() > 40, "{first}");
        assert_ne!(first, second);
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("b@example.com", Duration::from_secs(10)).await;
        assert!(mail.text_body().contains(&format!("Online: {first}")), "{}", mail.text_body());
        assert!(mail.html_body().unwrap().contains(&format!("<a href=\"{first}\">")));
        let (_, file) = mail.attachment("booking.ics").expect("an .ics");
        assert!(String::from_utf8_lossy(&file).contains(&format!("LOCATION:{first}")));
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let id = at_business["id"].as_i64().unwrap() + 1;
        let page = owner.page(&format!("/app/paws/bookings/{id}")).await;
        assert!(page.contains(&format!("href=\"{first}\"")), "{page}");

        // …or the owner's own meeting room.
        let (status, body) = call(&app, &token, Method::PATCH, "/api/v1/paws/services/walk", json!({ "meeting_url": "https://zoom.example/j/123" })).await;
        assert_eq!((status, body["meeting_url"].as_str()), (StatusCode::OK, Some("https://zoom.example/j/123")));
        assert_eq!(book("d@example.com").await["location"], "https://zoom.example/j/123");
        let form = owner.page("/app/paws/services/walk").await;
        assert!(form.contains("value=\"online\" checked") && form.contains("https://zoom.example/j/123"), "{form}");
    })
    .await;
}

/// Books `service` at `hour`:00 on 2 Dec through the workflow, as the API would.
async fn book_at(
    app: &TestApp,
    service: &str,
    hour: u32,
    staff: Option<i64>,
    party: Party,
    address: &str,
) -> portico_store::bookings::Booking {
    let tenant = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
    let service = catalog::by_code(app.db(), tenant.id, service).await.unwrap().unwrap();
    let start = Utc.with_ymd_and_hms(2026, 12, 2, hour, 0, 0).unwrap();
    let new = NewBooking {
        service: &service,
        slot: Slot { start, staff, block: None },
        party,
        notes: String::new(),
        hold_token: None,
        address: address.to_owned(),
    };
    let ctx = portico_core::Context::new(Actor::Api, "", app.clock.now());
    portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.expect("booked")
}

#[tokio::test]
async fn every_list_of_bookings_says_where_in_one_line() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let call_service = app.seed_service(tenant.id, "call", Mode::Slot, 30).await;
        app.seed_service(tenant.id, "trim", Mode::Slot, 30).await;
        let rex = app.seed_staff_member(tenant.id, "Rex", &[&walk, &call_service]).await;
        app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
        app.seed_hours(tenant.id, Some(rex), 8 * 60, 18 * 60).await;
        let token = app.api_token(tenant.id).await;
        for (path, body) in [
            ("/api/v1/paws/services/walk", json!({ "location_kind": "client" })),
            ("/api/v1/paws/services/call", json!({ "location_kind": "online" })),
            ("/api/v1/paws/settings/branding", json!({ "address": "3 High Street\nLeeds" })),
        ] {
            let (status, body) = call(&app, &token, Method::PATCH, path, body).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let (ann, _) = app.seed_client(&tenant, "Ann Client", "ann@example.com", true).await;
        sqlx::query("update clients set can_self_reschedule = 1 where id = $1")
            .bind(ann.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let walk_id =
            book_at(&app, "walk", 10, Some(rex.get()), Party::Client(ann), "7 Cat Road\nLeeds")
                .await
                .id;
        let online = book_at(&app, "call", 14, None, Party::Client(ann), "").await;
        let link = online.meeting_link().unwrap().to_owned();
        let gone = book_at(&app, "walk", 16, None, Party::Client(ann), "8 Old Road").await;
        let t = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let ctx = portico_core::Context::new(Actor::Api, "", app.clock.now());
        portico_core::bookings::cancel(app.db(), &t, gone.id.get(), &ctx).await.unwrap();
        let guest = Party::Guest {
            name: "Jo".into(),
            email: "jo@example.com".into(),
            phone: String::new(),
        };
        let guest_walk = book_at(&app, "walk", 12, None, guest.clone(), "1 Dog Lane").await;
        book_at(&app, "trim", 9, None, guest, "").await;

        // The client's portal: upcoming and recent, in the client's words, the link clickable.
        let client = app.browser();
        client.login("ann@example.com", PASSWORD).await;
        let home = client.page("/portal/paws").await;
        assert!(home.contains("At your address: 7 Cat Road, Leeds"), "{home}");
        assert!(home.contains(&format!("Online: <a href=\"{link}\"")), "{home}");
        let recent = &home[home.find("id=\"recent\"").expect("recent list")..];
        assert!(recent.contains("At your address: 8 Old Road"), "{recent}");
        let moving = client.page(&format!("/portal/paws/bookings/{walk_id}/reschedule")).await;
        assert!(moving.contains("At your address: 7 Cat Road, Leeds"), "{moving}");

        // The business: agenda (day and week), home, calendar (day and week), reschedule.
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let theirs = "At the client&#39;s address: 7 Cat Road, Leeds";
        for path in [
            "/app/paws/bookings?date=2026-12-02&view=day",
            "/app/paws/bookings?date=2026-12-02&view=week",
            "/app/paws",
            "/app/paws/schedule?view=day&date=2026-12-02",
            "/app/paws/schedule?view=week&date=2026-12-02",
        ] {
            let page = owner.page(path).await;
            assert!(page.contains(theirs), "{path}: {page}");
            assert!(page.contains("3 High Street, Leeds"), "the business's address at {path}");
            assert!(page.contains(&link), "{path}");
        }
        let agenda = owner.page("/app/paws/bookings?date=2026-12-02&view=day").await;
        assert!(agenda.contains(&format!("Online: <a href=\"{link}\"")), "{agenda}");
        let moving = owner.page(&format!("/app/paws/bookings/{walk_id}/reschedule")).await;
        assert!(moving.contains(theirs), "{moving}");

        // A staff member's own day on their home page.
        let user = app.seed_staff(&tenant, "rex@example.com").await;
        assert!(app.link_staff_login(tenant.id, rex, user).await);
        let staff = app.browser();
        staff.login("rex@example.com", PASSWORD).await;
        let home = staff.page("/app/paws").await;
        assert!(home.contains(theirs), "{home}");

        // A guest's manage link.
        let now = app.clock.now().timestamp();
        let token =
            bookings::create_link(app.db(), &t, guest_walk.id, now + 86_400, now).await.unwrap();
        let moving = app.browser().page(&format!("/book/paws/manage/{token}/reschedule")).await;
        assert!(moving.contains("At your address: 1 Dog Lane"), "{moving}");
    })
    .await;
}

#[tokio::test]
async fn a_configured_meeting_base_makes_the_rooms() {
    matrix(|backend| async move {
        let app = TestApp::spawn_with(backend, |s| s.set("meetings.base_url", "https://meet.example.org/rooms/")).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let block = app.seed_block(tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, 5).await;
        let token = app.api_token(tenant.id).await;
        let (status, _) = call(&app, &token, Method::PATCH, "/api/v1/paws/services/walk", json!({ "location_kind": "online" })).await;
        assert_eq!(status, StatusCode::OK);
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap().to_rfc3339();
        let body = json!({ "service": "walk", "start": start, "block_id": block, "guest": { "name": "Guest", "email": "g@example.com", "phone": "+44 7700 900124" } });
        let (status, body) = call(&app, &token, Method::POST, "/api/v1/paws/bookings", body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let room = body["location"].as_str().unwrap();
        assert!(room.starts_with("https://meet.example.org/rooms/Portico-") && room.len() > 50, "{room}");
        assert!(!room.contains("meet.jit.si"));
    })
    .await;
}
