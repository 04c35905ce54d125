//! What the owner decides about the events and what the API says: the client's contact
//! details go into event descriptions only once the owner enables it (and leave them when it
//! is switched off again); `GET /api/v1/{tenant}/calendar` lists each person's connection, 402
//! on FREE.

use chrono::{TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_core::{Actor, Context};
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_store::bookings::{Party, Slot};
use portico_store::catalog;
use portico_testkit::google::ACCOUNT;
use portico_testkit::matrix;
use reqwest::StatusCode;
use serde_json::Value;

use super::{PRIMARY, Shop};

#[tokio::test]
async fn contact_details_are_in_events_only_while_the_owner_enables_it() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        sqlx::query("update clients set phone = '+44 7700 900123' where id = $1")
            .bind(shop.jo.get())
            .execute(shop.app.db().pool())
            .await
            .unwrap();
        shop.connect_owner().await;
        let booking = shop.book(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()).await;
        shop.app.run_pending_jobs().await;
        let description =
            |shop: &Shop| shop.google.event(PRIMARY, &shop.event_id(booking)).unwrap().description;
        let off = description(&shop);
        assert!(off.contains("Jo Client") && off.contains("/bookings/"), "{off}");
        assert!(!off.contains("jo@paws.example") && !off.contains("7700"), "{off}");
        let page = shop.owner.page("/app/paws/calendar").await;
        assert!(page.contains("Include the client's email and phone"), "{page}");

        let form = [("contact_details", "on")];
        let r = shop.owner.post_form("/app/paws/calendar/details", &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        shop.app.run_pending_jobs().await;
        let on = description(&shop);
        assert!(on.contains("Email: jo@paws.example"), "{on}");
        assert!(on.contains("Phone: +44 7700 900123"), "{on}");
        assert!(
            shop.owner
                .page("/app/paws/calendar")
                .await
                .contains("name=\"contact_details\" checked")
        );
        // New bookings carry them too.
        let next = shop.book(Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap()).await;
        shop.app.run_pending_jobs().await;
        let event = shop.google.event(PRIMARY, &shop.event_id(next)).unwrap();
        assert!(event.description.contains("Email: jo@paws.example"), "{}", event.description);

        let r = shop.owner.post_form("/app/paws/calendar/details", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        shop.app.run_pending_jobs().await;
        assert_eq!(description(&shop), off, "taken out again");
        let audit = shop
            .app
            .count("select count(*) from audit_log where action = 'calendar.details'")
            .await;
        assert_eq!(audit, 2);
    })
    .await;
}

#[tokio::test]
async fn the_api_lists_each_persons_connection_and_free_gets_402() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let staff = shop.app.seed_staff(&shop.seeded, "staff@paws.example").await;
        shop.connect_owner().await;
        let token = shop.app.api_token(shop.seeded.id).await;
        let get = |token: String| {
            let request = shop.app.client.get(shop.app.url("/api/v1/paws/calendar"));
            async move { request.bearer_auth(token).send().await.unwrap() }
        };
        let r = get(token.clone()).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["configured"], true);
        assert_eq!(body["contact_details"], false);
        let people = body["people"].as_array().unwrap();
        assert_eq!(people.len(), 2, "{body}");
        let owner = people.iter().find(|p| p["user_id"] == shop.seeded.owner.get()).unwrap();
        assert_eq!(owner["status"], "connected");
        assert_eq!(owner["google_account"], ACCOUNT);
        assert_eq!(owner["calendar_id"], "primary");
        assert_eq!(owner["sync_enabled"], true);
        assert!(owner["last_synced_at"].is_i64(), "{owner}");
        let member = people.iter().find(|p| p["user_id"] == staff.get()).unwrap();
        assert_eq!(member["status"], "not_connected");
        assert_eq!(member["google_account"], Value::Null);

        let (db, id, now) = (shop.app.db(), shop.seeded.id, shop.app.clock.now_ts());
        portico_store::tenants::set_plan(db, id, Plan::Free, None, now).await.unwrap();
        let r = get(token).await;
        assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "plan_required", "{body}");
    })
    .await;
}

#[tokio::test]
async fn events_carry_the_place_as_their_location() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let db = shop.app.db().pool();
        sqlx::query("update tenants set contact_address = '3 High Street\nLeeds' where id = $1")
            .bind(shop.seeded.id.get())
            .execute(db)
            .await
            .unwrap();
        sqlx::query("update clients set address = '7 Cat Road\nLeeds' where id = $1")
            .bind(shop.jo.get())
            .execute(db)
            .await
            .unwrap();
        shop.connect_owner().await;
        let book = |kind: &'static str, meeting: &'static str, hour: u32| {
            let shop = &shop;
            async move {
                sqlx::query("update services set location_kind = $1, meeting_url = $2")
                    .bind(kind)
                    .bind(meeting)
                    .execute(shop.app.db().pool())
                    .await
                    .unwrap();
                let tenant = shop.tenant().await;
                let service =
                    catalog::by_code(shop.app.db(), tenant.id, "walk").await.unwrap().unwrap();
                let new = NewBooking {
                    service: &service,
                    slot: Slot {
                        start: Utc.with_ymd_and_hms(2026, 12, 3, hour, 0, 0).unwrap(),
                        staff: None,
                        block: None,
                    },
                    party: Party::Client(shop.jo),
                    notes: String::new(),
                    hold_token: None,
                    address: String::new(),
                };
                let ctx = Context::new(Actor::Owner(shop.seeded.owner), "", shop.app.clock.now());
                let id = portico_core::bookings::create(shop.app.db(), &tenant, &new, &ctx)
                    .await
                    .unwrap()
                    .id;
                shop.app.run_pending_jobs().await;
                shop.google.event(PRIMARY, &shop.event_id(id.get())).expect("event")
            }
        };
        let at_business = book("business", "", 9).await;
        assert_eq!(at_business.location, "3 High Street, Leeds");
        let at_client = book("client", "", 11).await;
        assert_eq!(at_client.location, "7 Cat Road, Leeds");
        assert!(
            at_client.description.contains("At the client's address: 7 Cat Road"),
            "{}",
            at_client.description
        );
        let online = book("online", "https://zoom.example/j/123", 13).await;
        assert_eq!(online.location, "https://zoom.example/j/123");
        let body = shop
            .google
            .calls()
            .into_iter()
            .rev()
            .find(|c| c.method == "POST" && c.path.ends_with("/events"))
            .unwrap()
            .body;
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["location"], "https://zoom.example/j/123",
            "the field Google's events resource reads"
        );
    })
    .await;
}
