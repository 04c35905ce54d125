//! Weekly hours, time off and booking rules: the owner's pages and the API.

use portico_domain::StaffId;
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{PASSWORD, TestApp, location, matrix};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An API call with a bearer token; the status and the JSON body (`Null` if none).
pub(crate) async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("API request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// "paws" (PRO) where the owner walks dogs and Alex grooms, both 08:00–18:00 every day.
struct Walkers {
    tenant: portico_store::tenants::Tenant,
    owner_email: String,
    groom: portico_store::catalog::Service,
    walk: portico_store::catalog::Service,
    alex: portico_domain::StaffId,
}

async fn walkers(app: &TestApp) -> Walkers {
    let t = app.seed_tenant("paws", Plan::Pro).await;
    let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
    // Nobody else provides walks: the owner does.
    let walk = app.seed_service(t.id, "walk", Mode::Slot, 60).await;
    let alex = app.seed_staff_member(t.id, "Alex Groomer", &[&groom]).await;
    app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
    app.seed_hours(t.id, Some(alex), 8 * 60, 18 * 60).await;
    let tenant = portico_store::tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
    Walkers { tenant, owner_email: t.owner_email, groom, walk, alex }
}

impl Walkers {
    /// A guest's booking on 2026-12-03 at `hour`:00 UTC: a groom with Alex, or a walk with the
    /// owner.
    async fn book(&self, app: &TestApp, hour: u32, alex: bool, name: &str) -> i64 {
        use chrono::{TimeZone as _, Utc};
        use portico_core::bookings::NewBooking;
        use portico_domain::Clock as _;
        use portico_store::bookings::{Actor, Party, Slot};

        let (service, staff) =
            if alex { (&self.groom, Some(self.alex)) } else { (&self.walk, None) };
        let party = Party::Guest {
            name: name.into(),
            email: format!("{}@example.com", name.to_lowercase()),
            phone: "+44 7700 900123".into(),
        };
        let start = Utc.with_ymd_and_hms(2026, 12, 3, hour, 0, 0).unwrap();
        let slot = Slot { start, staff: staff.map(StaffId::get), block: None };
        let new = NewBooking {
            service,
            slot,
            party,
            notes: String::new(),
            hold_token: None,
            address: String::new(),
        };
        let ctx = portico_core::Context::new(Actor::System, "", app.clock.now());
        (portico_core::bookings::create(app.db(), &self.tenant, &new, &ctx).await.unwrap().id).get()
    }
}

async fn status_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("select status from bookings where id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn hours_rows(app: &TestApp) -> i64 {
    app.count("select count(*) from weekly_hours").await
}

#[tokio::test]
async fn owner_sets_split_weekly_hours_and_sees_field_messages() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        browser.login(&tenant.owner_email, PASSWORD).await;
        let page = browser.page("/app/paws/hours").await;
        assert!(page.contains("Business hours") && page.contains("Monday"));

        let response = browser
            .post_form(
                "/app/paws/hours",
                &[
                    ("start_1_0", "09:00"),
                    ("end_1_0", "12:00"),
                    ("start_1_1", "13:00"),
                    ("end_1_1", "17:30"),
                    ("start_7_0", "22:00"),
                    ("end_7_0", "24:00"),
                    ("start_3_0", ""),
                    ("end_3_0", ""),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/app/paws/hours");
        assert_eq!(hours_rows(&app).await, 3);
        let page = browser.page("/app/paws/hours").await;
        assert!(page.contains("Weekly hours saved."));
        assert!(page.contains("value=\"17:30\"") && page.contains("value=\"24:00\""));

        for (fields, message) in [
            (
                [("start_1_0", "9am"), ("end_1_0", "12:00"), ("start_2_0", ""), ("end_2_0", "")],
                "Use the 24-hour HH:MM format, e.g. 09:00.",
            ),
            (
                [("start_1_0", "09:00"), ("end_1_0", "25:00"), ("start_2_0", ""), ("end_2_0", "")],
                "Hours go from 00 to 23",
            ),
            (
                [("start_1_0", "12:00"), ("end_1_0", "09:00"), ("start_2_0", ""), ("end_2_0", "")],
                "The end must be after the start.",
            ),
            (
                [
                    ("start_1_0", "09:00"),
                    ("end_1_0", "12:00"),
                    ("start_1_1", "11:00"),
                    ("end_1_1", "14:00"),
                ],
                "Overlaps 09:00–12:00 on Monday.",
            ),
            (
                [("start_1_0", "09:00"), ("end_1_0", ""), ("start_2_0", ""), ("end_2_0", "")],
                "Enter both a start and an end, or neither.",
            ),
        ] {
            let response = browser.post_form("/app/paws/hours", &fields).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
            let html = response.text().await.unwrap();
            assert!(html.contains(message), "{message:?} missing for {fields:?}");
            assert!(html.contains("nothing was saved"));
        }
        // Nothing changed.
        assert_eq!(hours_rows(&app).await, 3);
        assert_eq!(app.count("select count(*) from weekly_hours where end_minute = 1440").await, 1);
    })
    .await;
}

#[tokio::test]
async fn owner_sets_booking_rules_within_their_ranges() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let browser = app.browser();
        browser.login(&tenant.owner_email, PASSWORD).await;
        let response = browser
            .post_form(
                "/app/paws/hours/rules",
                &[
                    ("slot_interval_minutes", "3"),
                    ("min_notice_minutes", "-5"),
                    ("max_advance_days", "731"),
                    ("hold_minutes", "0"),
                    ("cancel_cutoff_hours", "lots"),
                    ("series_cancel_grace_minutes", "1441"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        for message in [
            "Enter a whole number from 5 to 120.",
            "Enter a whole number from 0 to 10080.",
            "Enter a whole number from 1 to 730.",
            "Enter a whole number from 1 to 60.",
            "Enter a whole number from 0 to 720.",
            "Enter a whole number from 0 to 1440.",
        ] {
            assert!(html.contains(message), "missing {message:?}");
        }
        assert_eq!(app.count("select slot_interval_minutes from tenants").await, 15);

        let response = browser
            .post_form(
                "/app/paws/hours/rules",
                &[
                    ("slot_interval_minutes", "30"),
                    ("min_notice_minutes", "0"),
                    ("max_advance_days", "730"),
                    ("hold_minutes", "5"),
                    ("cancel_cutoff_hours", "48"),
                    ("series_cancel_grace_minutes", "20"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let sql = "select slot_interval_minutes * 1000000 + max_advance_days * 1000 + hold_minutes \
                   from tenants";
        assert_eq!(app.count(sql).await, 30_730_005);
        assert_eq!(app.count("select cancel_cutoff_hours from tenants").await, 48);
        assert_eq!(app.count("select series_cancel_grace_minutes from tenants").await, 20);
        assert!(browser.page("/app/paws/hours").await.contains("Booking rules saved."));
    })
    .await;
}

#[tokio::test]
async fn time_off_is_added_in_local_time_listed_and_deleted() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        sqlx::query("update tenants set timezone = 'America/New_York'")
            .execute(app.db().pool())
            .await
            .unwrap();
        let browser = app.browser();
        browser.login(&tenant.owner_email, PASSWORD).await;

        let response = browser
            .post_form(
                "/app/paws/hours/time-off",
                &[("start", "2026-12-24T09:00"), ("end", "2026-12-24T08:00"), ("reason", "")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("The end must be after the start."));
        let response = browser
            .post_form(
                "/app/paws/hours/time-off",
                &[("start", "Christmas"), ("end", "2026-12-26T00:00"), ("reason", "")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("Enter a date and time like"));
        assert_eq!(app.count("select count(*) from time_off").await, 0);

        let response = browser
            .post_form(
                "/app/paws/hours/time-off",
                &[
                    ("start", "2026-12-24T09:00"),
                    ("end", "2026-12-26T00:00"),
                    ("reason", "Holidays"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        // 09:00 in New York in December is 14:00 UTC.
        let sql = "select starts_at from time_off where staff_id is null";
        assert_eq!(app.count(sql).await, 1_798_120_800);
        let page = browser.page("/app/paws/hours").await;
        assert!(page.contains("2026-12-24 09:00") && page.contains("Holidays"));

        let id = app.count("select id from time_off").await;
        let response = browser
            .post_form(&format!("/app/paws/time-off/{id}/delete"), &[("next", "/app/paws/hours")])
            .await;
        assert_eq!(location(&response), "/app/paws/hours");
        assert_eq!(app.count("select count(*) from time_off").await, 0);
        let response = browser.post_form(&format!("/app/paws/time-off/{id}/delete"), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn staff_hours_pages_are_pro_and_stay_inside_the_tenant() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let pro = app.seed_tenant("pro", Plan::Pro).await;
        let free = app.seed_tenant("free", Plan::Free).await;
        let walk = app.seed_service(pro.id, "walk", Mode::Slot, 60).await;
        let sam = app.seed_staff_member(pro.id, "Sam Walker", &[&walk]).await;
        let other = app.seed_staff_member(free.id, "Kept After Downgrade", &[]).await;

        let owner = app.browser();
        owner.login(&pro.owner_email, PASSWORD).await;
        assert!(owner.page("/app/pro/hours").await.contains("Sam Walker"), "staff links");
        let page = owner.page(&format!("/app/pro/staff/{sam}/hours")).await;
        assert!(page.contains("Hours of Sam Walker"));
        let response = owner
            .post_form(
                &format!("/app/pro/staff/{sam}/hours"),
                &[("start_2_0", "08:00"), ("end_2_0", "16:00")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let sql = format!("select count(*) from weekly_hours where staff_id = {sam}");
        assert_eq!(app.count(&sql).await, 1);
        let response = owner
            .post_form(
                &format!("/app/pro/staff/{sam}/hours/time-off"),
                &[("start", "2026-12-10T00:00"), ("end", "2026-12-11T00:00"), ("reason", "Course")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let sql = format!("select count(*) from time_off where staff_id = {sam}");
        assert_eq!(app.count(&sql).await, 1);
        assert!(owner.page(&format!("/app/pro/staff/{sam}/hours")).await.contains("Course"));

        // Another tenant's staff id is not found, and nothing is written.
        assert_eq!(owner.get(&format!("/app/pro/staff/{other}/hours")).await.status(), 404);
        let response = owner
            .post_form(
                &format!("/app/pro/staff/{other}/hours"),
                &[("start_2_0", "08:00"), ("end_2_0", "16:00")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(hours_rows(&app).await, 1);

        // On FREE, staff hours are a PRO feature.
        let owner = app.browser();
        owner.login(&free.owner_email, PASSWORD).await;
        let response = owner.get(&format!("/app/free/staff/{other}/hours")).await;
        assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
        assert!(response.text().await.unwrap().contains("PRO"));
    })
    .await;
}

#[tokio::test]
async fn hours_api_replaces_the_week_and_refuses_bad_ranges() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(tenant.id).await;
        let week = json!({"hours": [
            {"weekday": 1, "start": "13:00", "end": "17:00"},
            {"weekday": 1, "start": "09:00", "end": "12:00"},
            {"weekday": 7, "start": "20:00", "end": "24:00"},
        ]});
        let (status, body) =
            send(&app, Method::PUT, "/api/v1/paws/hours", &token, Some(week)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["hours"],
            json!([
                {"weekday": 1, "start": "09:00", "end": "12:00"},
                {"weekday": 1, "start": "13:00", "end": "17:00"},
                {"weekday": 7, "start": "20:00", "end": "24:00"},
            ])
        );
        let (status, got) = app.api_get("/api/v1/paws/hours", Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["hours"], body["hours"]);

        for (hours, field) in [
            (json!([{"weekday": 1, "start": "25:00", "end": "26:00"}]), "hours[0].start"),
            (json!([{"weekday": 1, "start": "9am", "end": "17:00"}]), "hours[0].start"),
            (json!([{"weekday": 1, "start": "09:00", "end": "5pm"}]), "hours[0].end"),
            (json!([{"weekday": 1, "start": "17:00", "end": "09:00"}]), "hours[0].end"),
            (json!([{"weekday": 8, "start": "09:00", "end": "17:00"}]), "hours[0].weekday"),
            (
                json!([
                    {"weekday": 2, "start": "09:00", "end": "17:00"},
                    {"weekday": 2, "start": "16:00", "end": "18:00"},
                ]),
                "hours[1].start",
            ),
        ] {
            let body = Some(json!({ "hours": hours }));
            let (status, error) = send(&app, Method::PUT, "/api/v1/paws/hours", &token, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{hours}");
            assert_eq!(error["error"]["code"], "invalid");
            assert!(error["error"]["fields"][field].is_string(), "{field} in {error}");
        }
        let (status, _) =
            send(&app, Method::PUT, "/api/v1/paws/hours", &token, Some(json!({"hours": 3}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(hours_rows(&app).await, 3, "refused weeks change nothing");

        // An empty list closes the business.
        let body = Some(json!({"hours": []}));
        let (status, _) = send(&app, Method::PUT, "/api/v1/paws/hours", &token, body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(hours_rows(&app).await, 0);
        let (status, _) = app.api_get("/api/v1/paws/hours", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn staff_hours_api_is_pro_and_404_across_tenants() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("alpha", Plan::Pro).await;
        let b = app.seed_tenant("beta", Plan::Pro).await;
        let free = app.seed_tenant("free", Plan::Free).await;
        let sam = app.seed_staff_member(a.id, "Sam", &[]).await;
        let kept = app.seed_staff_member(free.id, "Kept", &[]).await;
        let (token_a, token_b, token_free) =
            (app.api_token(a.id).await, app.api_token(b.id).await, app.api_token(free.id).await);
        let week = || Some(json!({"hours": [{"weekday": 3, "start": "10:00", "end": "14:00"}]}));

        let path = format!("/api/v1/alpha/staff/{sam}/hours");
        let (status, body) = send(&app, Method::PUT, &path, &token_a, week()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["staff_id"], sam.get());
        assert_eq!(body["hours"][0]["start"], "10:00");
        let (_, got) = app.api_get(&path, Some(&token_a)).await;
        assert_eq!(got["hours"], body["hours"]);

        // Tenant B: its own path with A's staff id, or A's path with B's token.
        let foreign = format!("/api/v1/beta/staff/{sam}/hours");
        let empty = Some(json!({"hours": []}));
        for (path, token) in [(&foreign, &token_b), (&path, &token_b)] {
            let (status, body) = send(&app, Method::PUT, path, token, empty.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(body["error"]["code"], "not_found");
            assert_eq!(app.api_get(path, Some(token)).await.0, StatusCode::NOT_FOUND);
        }
        assert_eq!(hours_rows(&app).await, 1, "A's staff hours unchanged");

        let path = format!("/api/v1/free/staff/{kept}/hours");
        let (status, body) = send(&app, Method::PUT, &path, &token_free, week()).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(body["error"]["code"], "plan_required");
        assert_eq!(hours_rows(&app).await, 1);
    })
    .await;
}

#[tokio::test]
async fn time_off_api_creates_lists_and_deletes_inside_the_tenant() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("alpha", Plan::Pro).await;
        let b = app.seed_tenant("beta", Plan::Free).await;
        let sam = app.seed_staff_member(a.id, "Sam", &[]).await;
        let (token_a, token_b) = (app.api_token(a.id).await, app.api_token(b.id).await);
        let entry = |staff: Value, start: &str, end: &str| {
            Some(json!({"staff_id": staff, "start": start, "end": end, "reason": "Dentist"}))
        };

        let body = entry(Value::Null, "2026-12-24T09:00:00+00:00", "2026-12-24T12:30:00Z");
        let (status, owner_off) =
            send(&app, Method::POST, "/api/v1/alpha/time-off", &token_a, body).await;
        assert_eq!(status, StatusCode::CREATED, "{owner_off}");
        assert_eq!(owner_off["staff_id"], Value::Null);
        assert_eq!(owner_off["start"], "2026-12-24T09:00:00Z");
        assert_eq!(owner_off["end"], "2026-12-24T12:30:00Z");
        assert_eq!(owner_off["reason"], "Dentist");
        let body = entry(json!(sam), "2026-12-10T00:00:00-05:00", "2026-12-11T00:00:00-05:00");
        let (status, staff_off) =
            send(&app, Method::POST, "/api/v1/alpha/time-off", &token_a, body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(staff_off["staff_id"], sam.get());
        assert_eq!(staff_off["start"], "2026-12-10T05:00:00Z");

        let (status, list) = app.api_get("/api/v1/alpha/time-off", Some(&token_a)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["time_off"].as_array().unwrap().len(), 2);
        assert_eq!(list["time_off"][0]["id"], staff_off["id"], "in order of start");

        for (body, field) in [
            (entry(Value::Null, "2026-12-24T09:00:00Z", "2026-12-24T09:00:00Z"), "end"),
            (entry(Value::Null, "2026-12-24T09:00:00Z", "2026-12-24T08:00:00Z"), "end"),
            (entry(Value::Null, "24/12/2026 09:00", "2026-12-24T10:00:00Z"), "start"),
            (entry(Value::Null, "2026-12-24T25:00:00Z", "2026-12-24T10:00:00Z"), "start"),
            (Some(json!({"start": "2026-12-24T09:00:00Z"})), "end"),
        ] {
            let (status, error) =
                send(&app, Method::POST, "/api/v1/alpha/time-off", &token_a, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(error["error"]["fields"][field].is_string(), "{field}: {error}");
        }

        // A's staff id from tenant B: not found (B is FREE, so staff is a PRO feature first).
        let body = entry(json!(sam), "2026-12-24T09:00:00Z", "2026-12-24T10:00:00Z");
        let (status, error) =
            send(&app, Method::POST, "/api/v1/beta/time-off", &token_b, body).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(error["error"]["code"], "plan_required");
        let c = app.seed_tenant("gamma", Plan::Pro).await;
        let token_c = app.api_token(c.id).await;
        let body = entry(json!(sam), "2026-12-24T09:00:00Z", "2026-12-24T10:00:00Z");
        let (status, _) = send(&app, Method::POST, "/api/v1/gamma/time-off", &token_c, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(app.count("select count(*) from time_off").await, 2);
        let (_, listed) = app.api_get("/api/v1/gamma/time-off", Some(&token_c)).await;
        assert_eq!(listed["time_off"], json!([]));

        // Deleting A's entry from C is not found, and it stays.
        let id = owner_off["id"].as_i64().unwrap();
        let (status, _) =
            send(&app, Method::DELETE, &format!("/api/v1/gamma/time-off/{id}"), &token_c, None)
                .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) =
            send(&app, Method::DELETE, &format!("/api/v1/alpha/time-off/{id}"), &token_c, None)
                .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(app.count("select count(*) from time_off").await, 2);
        let (status, _) =
            send(&app, Method::DELETE, &format!("/api/v1/alpha/time-off/{id}"), &token_a, None)
                .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(app.count("select count(*) from time_off").await, 1);
    })
    .await;
}

/// Time off over confirmed bookings lists them and changes nothing until the owner chooses:
/// keep them, or cancel them (the clients are emailed). Other people's bookings and timetable
/// blocks are not affected.
#[tokio::test]
async fn time_off_over_bookings_lists_them_and_waits_for_a_choice() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = walkers(&app).await;
        let alex = w.alex;
        let mine = w.book(&app, 10, false, "Ann").await;
        let also_mine = w.book(&app, 14, false, "Bo").await;
        let outside = w.book(&app, 17, false, "Cy").await;
        let alexs = w.book(&app, 10, true, "Di").await;
        let owner = app.browser();
        owner.login(&w.owner_email, PASSWORD).await;
        let form = |choice: &'static str| {
            vec![
                ("start", "2026-12-03T09:00"),
                ("end", "2026-12-03T16:00"),
                ("reason", "Vet visit"),
                ("bookings", choice),
            ]
        };

        // No choice: the two bookings are listed and nothing is saved.
        let response = owner.post_form("/app/paws/hours/time-off", &form("")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("2 confirmed bookings fall in this time off."), "{page}");
        for id in [mine, also_mine] {
            assert!(page.contains(&format!("/bookings/{id}\"")), "{id} listed");
        }
        for id in [outside, alexs] {
            assert!(!page.contains(&format!("/bookings/{id}\"")), "{id} not listed");
        }
        assert!(page.contains("value=\"keep\"") && page.contains("value=\"cancel\""));
        assert_eq!(app.count("select count(*) from time_off").await, 0);
        assert_eq!(app.count("select count(*) from bookings where status = 'confirmed'").await, 4);

        // Cancel them: time off saved, both cancelled (their clients are told), others kept.
        let response = owner.post_form("/app/paws/hours/time-off", &form("cancel")).await;
        assert_eq!(location(&response), "/app/paws/hours");
        assert_eq!(app.count("select count(*) from time_off").await, 1);
        assert_eq!(status_of(&app, mine).await, "cancelled");
        assert_eq!(status_of(&app, also_mine).await, "cancelled");
        assert_eq!(status_of(&app, outside).await, "confirmed");
        assert_eq!(status_of(&app, alexs).await, "confirmed");
        let notices = app
            .count("select count(*) from outbox where payload like '%\"event\":\"cancelled\"%'")
            .await;
        assert_eq!(notices, 2, "each client is told");

        // Keep: Alex's time off over Alex's booking is saved and the booking stays.
        let response =
            owner.post_form(&format!("/app/paws/staff/{alex}/hours/time-off"), &form("keep")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.count("select count(*) from time_off").await, 2);
        assert_eq!(status_of(&app, alexs).await, "confirmed");
    })
    .await;
}

/// New weekly hours that would leave confirmed bookings ahead outside them list those
/// bookings and save nothing until the owner chooses: keep them, or cancel them (the clients
/// are emailed). Bookings the new hours still hold, and other people's, are not listed.
#[tokio::test]
async fn new_hours_over_bookings_list_them_and_wait_for_a_choice() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = walkers(&app).await;
        let alex = w.alex;
        let kept_inside = w.book(&app, 10, false, "Ann").await;
        let left_out = w.book(&app, 16, false, "Bo").await;
        let alexs = w.book(&app, 16, true, "Di").await;
        let owner = app.browser();
        owner.login(&w.owner_email, PASSWORD).await;
        // Mornings only, every day.
        let form = |choice: &'static str| {
            let mut fields: Vec<(String, String)> = (1..=7)
                .flat_map(|day| {
                    [
                        (format!("start_{day}_0"), "08:00".to_owned()),
                        (format!("end_{day}_0"), "12:00".to_owned()),
                    ]
                })
                .collect();
            fields.push(("bookings".to_owned(), choice.to_owned()));
            fields
        };
        let post = |path: String, choice: &'static str| {
            let fields = form(choice);
            let owner = &owner;
            async move {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                owner.post_form(&path, &fields).await
            }
        };
        let closing = |staff: bool| {
            let db = app.db().pool().clone();
            let sql = if staff {
                "select max(end_minute) from weekly_hours where staff_id is not null"
            } else {
                "select max(end_minute) from weekly_hours where staff_id is null"
            };
            async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db).await.unwrap() }
        };

        // No choice: the booking left out is listed and nothing is saved.
        let response = post("/app/paws/hours".into(), "").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("1 confirmed booking falls outside the new hours."), "{page}");
        assert!(page.contains(&format!("/bookings/{left_out}\"")));
        for id in [kept_inside, alexs] {
            assert!(!page.contains(&format!("/bookings/{id}\"")), "{id} not listed");
        }
        assert!(page.contains("value=\"keep\"") && page.contains("value=\"cancel\""));
        assert!(page.contains("name=\"end_1_0\" value=\"12:00\""), "the hours typed stay");
        assert_eq!(closing(false).await, 18 * 60, "nothing saved");

        // Keep: the hours are saved and the booking stays.
        let response = post("/app/paws/hours".into(), "keep").await;
        assert_eq!(location(&response), "/app/paws/hours");
        assert_eq!(closing(false).await, 12 * 60);
        assert_eq!(status_of(&app, left_out).await, "confirmed");

        // Cancel: Alex's new hours cancel Alex's booking outside them, and the client is told.
        let path = format!("/app/paws/staff/{alex}/hours");
        let response = post(path.clone(), "").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_of(&app, alexs).await, "confirmed");
        let response = post(path, "cancel").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(closing(true).await, 12 * 60);
        assert_eq!(status_of(&app, alexs).await, "cancelled");
        assert_eq!(status_of(&app, left_out).await, "confirmed");
        let notices = app
            .count("select count(*) from outbox where payload like '%\"event\":\"cancelled\"%'")
            .await;
        assert_eq!(notices, 1, "the client is told");
    })
    .await;
}

/// A staff login manages its own weekly hours and time off when the owner allows it (off by
/// default): never another's (404) nor the business's (403), and time off over its bookings
/// waits for the same keep-or-cancel choice as the owner's.
#[tokio::test]
async fn staff_edit_their_own_hours_only_when_the_owner_allows_it() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = walkers(&app).await;
        let alex = w.alex;
        let kim = app.seed_staff_member(w.tenant.id, "Kim Other", &[&w.groom]).await;
        let alex_login = app.seed_user("alex@paws.example", "Alex Groomer").await;
        {
            use portico_domain::Clock as _;
            let mut tx = portico_store::versions::begin(app.db(), w.tenant.id).await.unwrap();
            portico_store::tenants::add_member(
                &mut tx,
                w.tenant.id,
                alex_login,
                portico_domain::accounts::Role::Staff,
                app.clock.now_ts(),
            )
            .await
            .unwrap();
            portico_store::staff::link_user(&mut tx, w.tenant.id, alex, alex_login, 0)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let alexs = w.book(&app, 10, true, "Di").await;
        let own = format!("/app/paws/staff/{alex}/hours");
        let staff = app.browser();
        staff.login("alex@paws.example", PASSWORD).await;
        let day_off = |choice: &'static str| {
            vec![
                ("start", "2026-12-03T09:00"),
                ("end", "2026-12-03T16:00"),
                ("reason", "Course"),
                ("bookings", choice),
            ]
        };

        // Off by default: the page and its forms are refused, and not offered.
        assert!(!staff.page("/app/paws").await.contains("My hours"));
        assert_eq!(staff.get(&own).await.status(), StatusCode::FORBIDDEN);
        let response = staff.post_form(&format!("{own}/time-off"), &day_off("keep")).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.count("select count(*) from time_off").await, 0);

        let owner = app.browser();
        owner.login(&w.owner_email, PASSWORD).await;
        let settings = [
            ("name", "Paws"),
            ("timezone", "Europe/London"),
            ("currency", "GBP"),
            ("portal_enabled", "on"),
            ("staff_edit_own_hours", "on"),
        ];
        let response = owner.post_form("/app/paws/settings", &settings).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(owner.page("/app/paws/settings").await.contains("name=\"staff_edit_own_hours\" checked"));

        // Allowed: the dashboard leads to their own hours.
        let home = staff.page("/app/paws").await;
        assert!(home.contains(&format!("href=\"{own}\">My hours</a>")), "{home}");
        let page = staff.page(&own).await;
        assert!(page.contains("Your hours"), "{page}");
        assert!(!page.contains("Booking rules"), "the rules stay the owner's");

        // Time off over their booking lists it and saves nothing until they choose.
        let response = staff.post_form(&format!("{own}/time-off"), &day_off("")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains("1 confirmed booking falls in this time off."), "{page}");
        assert!(page.contains(&format!("/bookings/{alexs}\"")));
        assert_eq!(app.count("select count(*) from time_off").await, 0);
        let response = staff.post_form(&format!("{own}/time-off"), &day_off("cancel")).await;
        assert_eq!(location(&response), own);
        assert_eq!(app.count("select count(*) from time_off").await, 1);
        assert_eq!(status_of(&app, alexs).await, "cancelled");
        let by_staff = app
            .count("select count(*) from booking_events where action = 'cancelled' and actor_kind = 'staff'")
            .await;
        assert_eq!(by_staff, 1, "the cancellation is the staff member's");

        // Their weekly hours.
        let response =
            staff.post_form(&own, &[("start_2_0", "09:00"), ("end_2_0", "12:00")]).await;
        assert_eq!(location(&response), own);
        let sql = format!("select count(*) from weekly_hours where staff_id = {alex}");
        assert_eq!(app.count(&sql).await, 1);

        // Never anyone else's: Kim's hours and time off are not found, the business's are
        // the owner's, and nothing changes.
        let response = owner
            .post_form(&format!("/app/paws/staff/{kim}/hours/time-off"), &day_off("keep"))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let kims: i64 = sqlx::query_scalar("select id from time_off where staff_id = $1")
            .bind(kim.get())
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        let before = (hours_rows(&app).await, app.count("select count(*) from time_off").await);
        let kims_page = format!("/app/paws/staff/{kim}/hours");
        assert_eq!(staff.get(&kims_page).await.status(), StatusCode::NOT_FOUND);
        for (path, form) in [
            (kims_page.clone(), vec![("start_2_0", "09:00"), ("end_2_0", "12:00")]),
            (format!("{kims_page}/time-off"), day_off("keep")),
            (format!("/app/paws/time-off/{kims}/delete"), vec![]),
        ] {
            let response = staff.post_form(&path, &form).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        for path in ["/app/paws/hours", "/app/paws/hours/time-off"] {
            let response = staff.post_form(path, &day_off("keep")).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        }
        let after = (hours_rows(&app).await, app.count("select count(*) from time_off").await);
        assert_eq!(after, before, "nothing changed");

        // Their own time off they delete themselves.
        let mine: i64 = sqlx::query_scalar("select id from time_off where staff_id = $1")
            .bind(alex.get())
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        let response = staff
            .post_form(&format!("/app/paws/time-off/{mine}/delete"), &[("next", own.as_str())])
            .await;
        assert_eq!(location(&response), own);
        assert_eq!(app.count("select count(*) from time_off").await, 1);
    })
    .await;
}
