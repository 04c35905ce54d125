//! "Any available" in every who-picker: the choice sends `staff=`, which means anyone. On a PRO
//! tenant with two groomers, Sam already busy at 09:00, each picker (public page, portal, owner
//! booking, owner and portal reschedule) answers the empty choice with Kim's 09:00 and books it.

use portico_domain::ClientId;
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{Browser, PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOMORROW: &str = "2026-12-02";
const NINE: &str = "2026-12-02T09:00:00+00:00";
const HALF_NINE: &str = "2026-12-02T09:30:00+00:00";
const HALF_TEN: &str = "2026-12-02T10:30:00+00:00";

/// The people of the scenario.
struct Paws {
    app: TestApp,
    tenant: SeededTenant,
    token: String,
    sam: i64,
    kim: i64,
}

/// PRO "paws": a 30-minute groom by Sam or Kim, both working 09:00–11:00, and a guest
/// booking Sam at 09:00 tomorrow.
async fn paws(app: TestApp) -> Paws {
    let tenant = app.seed_tenant("paws", Plan::Pro).await;
    let groom = app.seed_service(tenant.id, "groom", Mode::Slot, 30).await;
    let sam = app.seed_staff_member(tenant.id, "Sam", &[&groom]).await;
    let kim = app.seed_staff_member(tenant.id, "Kim", &[&groom]).await;
    app.seed_hours(tenant.id, Some(sam), 9 * 60, 11 * 60).await;
    app.seed_hours(tenant.id, Some(kim), 9 * 60, 11 * 60).await;
    let token = app.api_token(tenant.id).await;
    let paws = Paws { app, tenant, token, sam: sam.get(), kim: kim.get() };
    let guest = json!({ "name": "Lee", "email": "lee@example.com", "phone": "+44 7700 900456" });
    paws.api_book(json!({ "start": NINE, "staff_id": sam, "guest": guest })).await;
    paws
}

impl Paws {
    /// Books groom over the API; returns the booking id.
    async fn api_book(&self, mut body: Value) -> i64 {
        body["service"] = json!("groom");
        let response = self
            .app
            .client
            .post(self.app.url("/api/v1/paws/bookings"))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["id"].as_i64().unwrap_or_else(|| panic!("an id: {body}"))
    }

    /// Who takes each booking at `start`.
    async fn staff_at(&self, start: &str) -> Vec<Option<i64>> {
        let at = chrono::DateTime::parse_from_rfc3339(start).unwrap().timestamp();
        sqlx::query_scalar(
            "select staff_id from bookings where starts_at = $1 and status = 'confirmed' \
             order by staff_id",
        )
        .bind(at)
        .fetch_all(self.app.db().pool())
        .await
        .unwrap()
    }

    async fn owner(&self) -> Browser {
        let owner = self.app.browser();
        owner.login("owner@paws.example", PASSWORD).await;
        owner
    }

    /// A client of paws with a portal login, logged in.
    async fn client(&self, email: &str) -> (Browser, ClientId) {
        let (id, _) = self.app.seed_client(&self.tenant, "Jo", email, true).await;
        let browser = self.app.browser();
        browser.login(email, PASSWORD).await;
        (browser, id)
    }
}

/// The page at `path`, which must answer 200 (the empty choice used to be a 400).
async fn picker(browser: &Browser, path: &str) -> String {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

/// The `staff_id` of the option form starting at `start` in a page of options.
fn staff_of_option(html: &str, start: &str) -> Option<String> {
    let form = &html[html.find(&format!("name=\"start\" value=\"{start}\""))?..];
    let marker = "name=\"staff_id\" value=\"";
    let from = form.find(marker)? + marker.len();
    Some(form[from..from + form[from..].find('"')?].to_owned())
}

#[tokio::test]
async fn the_public_page_books_whoever_is_free() {
    matrix(|backend| async move {
        let paws = paws(TestApp::spawn(backend).await).await;
        let guest = paws.app.browser();
        let page =
            picker(&guest, &format!("/book/paws/services/groom?date={TOMORROW}&staff=")).await;
        assert!(page.contains("Any available") && page.contains(">Sam<"), "{page}");
        let kim = paws.kim.to_string();
        assert_eq!(staff_of_option(&page, NINE).as_deref(), Some(kim.as_str()), "Sam is busy");

        let choice = [("start", NINE), ("staff_id", kim.as_str()), ("block_id", "")];
        let r = guest.post_form("/book/paws/services/groom/hold", &choice).await;
        assert_eq!(location(&r), "/book/paws/details");
        let details = [
            ("name", "Jo Guest"),
            ("email", "jo@example.com"),
            ("phone", "+44 7700 900123"),
            ("notes", ""),
        ];
        let r = guest.post_form("/book/paws/details", &details).await;
        assert_eq!(location(&r), "/book/paws/done");
        assert_eq!(paws.staff_at(NINE).await, [Some(paws.sam), Some(paws.kim)]);
        let page =
            picker(&guest, &format!("/book/paws/services/groom?date={TOMORROW}&staff=")).await;
        assert!(staff_of_option(&page, NINE).is_none(), "09:00 is full");
    })
    .await;
}

#[tokio::test]
async fn the_portal_books_whoever_is_free() {
    matrix(|backend| async move {
        let paws = paws(TestApp::spawn(backend).await).await;
        let (jo, _) = paws.client("jo@example.com").await;
        let path = format!("/portal/paws/bookings/new/groom?date={TOMORROW}&staff=");
        let page = picker(&jo, &path).await;
        assert!(page.contains("Any available"), "{page}");
        let kim = paws.kim.to_string();
        assert_eq!(staff_of_option(&page, NINE).as_deref(), Some(kim.as_str()), "Sam is busy");

        let choice = [("start", NINE), ("staff_id", kim.as_str()), ("block_id", "")];
        let r = jo.post_form("/portal/paws/bookings/new/groom/hold", &choice).await;
        assert_eq!(location(&r), "/portal/paws/bookings/confirm");
        let r = jo.post_form("/portal/paws/bookings/confirm", &[("notes", "")]).await;
        assert!(location(&r).starts_with("/portal/paws/bookings/"), "{r:?}");
        assert_eq!(paws.staff_at(NINE).await, [Some(paws.sam), Some(paws.kim)]);
    })
    .await;
}

#[tokio::test]
async fn the_owner_books_whoever_is_free_for_a_client() {
    matrix(|backend| async move {
        let paws = paws(TestApp::spawn(backend).await).await;
        let (_, client) = paws.client("jo@example.com").await;
        let owner = paws.owner().await;
        let path = format!(
            "/app/paws/bookings/new?client={}&service=groom&date={TOMORROW}&staff=",
            client.get()
        );
        let page = picker(&owner, &path).await;
        assert!(page.contains(">Anyone<"), "{page}");
        let option = format!("{NINE}|{}|", paws.kim);
        assert!(page.contains(&format!("value=\"{option}\"")), "Kim's 09:00: {page}");
        assert!(!page.contains(&format!("{NINE}|{}|", paws.sam)), "Sam is busy");

        let form = [
            ("client", client.get().to_string()),
            ("service", "groom".to_owned()),
            ("option", option),
            ("notes", String::new()),
            ("staff", String::new()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = owner.post_form("/app/paws/bookings/new", &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(paws.staff_at(NINE).await, [Some(paws.sam), Some(paws.kim)]);
    })
    .await;
}

#[tokio::test]
async fn rescheduling_by_the_owner_or_in_the_portal_moves_to_whoever_is_free() {
    matrix(|backend| async move {
        let paws = paws(TestApp::spawn(backend).await).await;
        let (jo, client) = paws.client("jo@example.com").await;
        sqlx::query("update clients set can_self_reschedule = 1 where id = $1")
            .bind(client.get())
            .execute(paws.app.db().pool())
            .await
            .unwrap();
        let kim = paws.kim.to_string();

        // The owner moves a 09:30 with Kim to 09:00: only Kim is free then.
        let guest =
            json!({ "name": "Ann", "email": "ann@example.com", "phone": "+44 7700 900789" });
        let id = paws
            .api_book(json!({ "start": HALF_NINE, "staff_id": paws.kim, "guest": guest }))
            .await;
        let owner = paws.owner().await;
        let path = format!("/app/paws/bookings/{id}/reschedule?date={TOMORROW}&staff=");
        let page = picker(&owner, &path).await;
        assert!(page.contains(">Anyone<"), "{page}");
        assert_eq!(staff_of_option(&page, NINE).as_deref(), Some(kim.as_str()), "{page}");
        let choice = [("start", NINE), ("staff_id", kim.as_str()), ("block_id", "")];
        let r = owner.post_form(&format!("/app/paws/bookings/{id}/reschedule"), &choice).await;
        assert_eq!(location(&r), format!("/app/paws/bookings/{id}"));
        assert_eq!(paws.staff_at(NINE).await, [Some(paws.sam), Some(paws.kim)]);

        // Jo moves her 10:30 with Sam to 09:30, when Sam is busy: Kim takes it.
        let guest =
            json!({ "name": "Max", "email": "max@example.com", "phone": "+44 7700 900111" });
        paws.api_book(json!({ "start": HALF_NINE, "staff_id": paws.sam, "guest": guest })).await;
        let jos = json!({ "start": HALF_TEN, "staff_id": paws.sam, "client_id": client.get() });
        let detail = format!("/portal/paws/bookings/{}", paws.api_book(jos).await);
        let page = picker(&jo, &format!("{detail}/reschedule?date={TOMORROW}&staff=")).await;
        assert!(page.contains("Any available"), "{page}");
        assert!(staff_of_option(&page, NINE).is_none(), "09:00 is full: {page}");
        assert_eq!(staff_of_option(&page, HALF_NINE).as_deref(), Some(kim.as_str()), "{page}");
        let r = jo
            .post_form(
                &format!("{detail}/reschedule"),
                &[("start", HALF_NINE), ("staff_id", kim.as_str()), ("block_id", "")],
            )
            .await;
        assert_eq!(location(&r), detail);
        assert_eq!(paws.staff_at(HALF_NINE).await, [Some(paws.sam), Some(paws.kim)]);
    })
    .await;
}
