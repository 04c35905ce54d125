//! The public availability endpoint, end to end: hours, time off, bookings, holds, blocks,
//! plans and daylight-saving changes.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use portico_domain::TenantId;
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_store::hours::{self, HourRange};
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// A booking row written straight to the database. Its busy interval is widened by 15 minutes
/// on each side, as a service with 15-minute buffers would be.
#[expect(clippy::too_many_arguments, reason = "a test fixture naming every column it sets")]
pub(crate) async fn insert_booking(
    app: &TestApp,
    tenant: TenantId,
    service: i64,
    staff: Option<i64>,
    block: Option<i64>,
    start: &str,
    minutes: i64,
    status: &str,
) -> i64 {
    let start = at(start).timestamp();
    let end = start + minutes * 60;
    let id = sqlx::query_scalar(
        "insert into bookings (tenant_id, service_id, staff_id, block_id, guest_name, starts_at, \
         ends_at, busy_from, busy_until, status, currency, created_at, updated_at) \
         values ($1, $2, $3, $4, 'Guest', $5, $6, $7, $8, $9, 'GBP', 0, 0) returning id",
    )
    .bind(tenant.get())
    .bind(service)
    .bind(staff)
    .bind(block)
    .bind(start)
    .bind(end)
    .bind(start - 900)
    .bind(end + 900)
    .bind(status)
    .fetch_one(app.db().pool())
    .await
    .expect("insert booking");
    schedule_changed(app, tenant).await;
    id
}

/// A checkout hold that expires `expires_in` seconds after the app's current time.
#[expect(clippy::too_many_arguments, reason = "a test fixture naming every column it sets")]
pub(crate) async fn insert_hold(
    app: &TestApp,
    tenant: TenantId,
    service: i64,
    staff: Option<i64>,
    block: Option<i64>,
    start: &str,
    minutes: i64,
    expires_in: i64,
) -> i64 {
    use portico_domain::Clock as _;
    let start = at(start).timestamp();
    let end = start + minutes * 60;
    let now = app.clock.now_ts();
    let id = sqlx::query_scalar(
        "insert into holds (tenant_id, token_hash, service_id, staff_id, block_id, starts_at, \
         ends_at, busy_from, busy_until, expires_at, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $6, $7, $8, $9) returning id",
    )
    .bind(tenant.get())
    .bind(format!("hold-{start}-{now}-{}", rand::random::<u64>()))
    .bind(service)
    .bind(staff)
    .bind(block)
    .bind(start)
    .bind(end)
    .bind(now + expires_in)
    .bind(now)
    .fetch_one(app.db().pool())
    .await
    .expect("insert hold");
    schedule_changed(app, tenant).await;
    id
}

/// What every write of the application does in its transaction: move the tenant's schedule
/// version, so availability served from memory is read again.
pub(crate) async fn schedule_changed(app: &TestApp, tenant: TenantId) {
    let mut tx = app.db().begin_write().await.unwrap();
    portico_store::versions::bump(&mut tx, tenant).await.unwrap();
    tx.commit().await.unwrap();
}

/// Weekly hours on one ISO weekday, from and until whole local hours.
async fn weekly(
    app: &TestApp,
    tenant: TenantId,
    staff: Option<i64>,
    weekday: i64,
    span: (i64, i64),
) {
    let range = HourRange { weekday, start_minute: span.0 * 60, end_minute: span.1 * 60 };
    hours::replace_weekly(app.db(), tenant, staff, &[range]).await.unwrap();
}

async fn options(app: &TestApp, query: &str) -> (StatusCode, Value) {
    app.api_get(&format!("/api/v1/{query}"), None).await
}

/// The option starts of an answer, as `HH:MM` UTC.
pub(crate) fn starts(body: &Value) -> Vec<String> {
    body["options"]
        .as_array()
        .unwrap_or_else(|| panic!("no options in {body}"))
        .iter()
        .map(|o| at(o["start"].as_str().unwrap()).format("%H:%M").to_string())
        .collect()
}

#[tokio::test]
async fn slot_options_leave_out_time_off_and_bookings_with_their_buffers() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        // Wednesday 2026-12-02, London (UTC in December): 09:00–14:00.
        weekly(&app, tenant.id, None, 3, (9, 14)).await;

        let (status, body) = options(&app, "paws/availability?service=walk&date=2026-12-02").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["timezone"], "Europe/London");
        assert_eq!(starts(&body).len(), 17, "09:00 to 13:00 every 15 minutes");
        assert_eq!(
            body["options"][0],
            json!({
                "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z",
                "staff_id": null, "block_id": null, "label": null, "remaining": 1
            })
        );

        hours::add_time_off(
            app.db(),
            tenant.id,
            None,
            at("2026-12-02T09:00:00Z").timestamp(),
            at("2026-12-02T10:00:00Z").timestamp(),
            "Vet",
            0,
        )
        .await
        .unwrap();
        // Busy 10:45–12:15 with its buffers; a cancelled booking occupies nothing.
        insert_booking(
            &app,
            tenant.id,
            walk.id.get(),
            None,
            None,
            "2026-12-02T11:00:00Z",
            60,
            "confirmed",
        )
        .await;
        insert_booking(
            &app,
            tenant.id,
            walk.id.get(),
            None,
            None,
            "2026-12-02T12:30:00Z",
            60,
            "cancelled",
        )
        .await;
        let (_, body) = options(&app, "paws/availability?service=walk&date=2026-12-02").await;
        assert_eq!(starts(&body), ["12:15", "12:30", "12:45", "13:00"]);

        // An active slot hold occupies its time too, until it expires.
        insert_hold(&app, tenant.id, walk.id.get(), None, None, "2026-12-02T12:30:00Z", 60, 600)
            .await;
        let (_, body) = options(&app, "paws/availability?service=walk&date=2026-12-02").await;
        assert!(starts(&body).is_empty(), "{body}");
        app.clock.advance(Duration::minutes(11));
        let (_, body) = options(&app, "paws/availability?service=walk&date=2026-12-02").await;
        assert_eq!(starts(&body).len(), 4);

        // Several days: the next Wednesday too, other days are closed.
        let (_, body) =
            options(&app, "paws/availability?service=walk&date=2026-12-02&days=8").await;
        assert_eq!(starts(&body).len(), 4 + 17);
    })
    .await;
}

#[tokio::test]
async fn block_options_count_bookings_and_active_holds() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let date = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let block = app.seed_block(tenant.id, date, 540, 720, &walk, 3).await;
        let start = "2026-12-02T09:00:00Z";
        insert_booking(&app, tenant.id, walk.id.get(), None, Some(block), start, 180, "confirmed")
            .await;
        insert_booking(&app, tenant.id, walk.id.get(), None, Some(block), start, 180, "cancelled")
            .await;
        insert_hold(&app, tenant.id, walk.id.get(), None, Some(block), start, 180, 600).await;

        let query = "paws/availability?service=walk&date=2026-12-02";
        let (status, body) = options(&app, query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["options"],
            json!([{
                "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T12:00:00Z",
                "staff_id": null, "block_id": block, "label": "Block 540", "remaining": 1
            }])
        );

        // The hold expires: its place comes back.
        app.clock.advance(Duration::minutes(10));
        let (_, body) = options(&app, query).await;
        assert_eq!(body["options"][0]["remaining"], 2);

        // A full block is not offered.
        insert_booking(&app, tenant.id, walk.id.get(), None, Some(block), start, 180, "confirmed")
            .await;
        insert_booking(&app, tenant.id, walk.id.get(), None, Some(block), start, 180, "pending")
            .await;
        let (_, body) = options(&app, query).await;
        assert_eq!(body["options"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn new_york_spring_forward_offers_only_real_instants() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("nyc", Plan::Free).await;
        sqlx::query("update tenants set timezone = 'America/New_York'")
            .execute(app.db().pool())
            .await
            .unwrap();
        app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
        // Sunday 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 01:00–04:00 is two real hours.
        weekly(&app, tenant.id, None, 7, (1, 4)).await;
        app.clock.set(at("2026-03-01T12:00:00Z"));

        let (status, body) = options(&app, "nyc/availability?service=walk&date=2026-03-08").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["timezone"], "America/New_York");
        assert_eq!(starts(&body), ["06:00", "06:15", "06:30", "06:45", "07:00", "07:15", "07:30"]);
        let last = &body["options"][6];
        assert_eq!(last["end"], "2026-03-08T08:00:00Z", "04:00 EDT");
    })
    .await;
}

#[tokio::test]
async fn availability_refuses_bad_queries_and_gates_staff_selection() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let free = app.seed_tenant("free", Plan::Free).await;
        let pro = app.seed_tenant("pro", Plan::Pro).await;
        app.seed_service(free.id, "walk", Mode::Slot, 60).await;
        let walk = app.seed_service(pro.id, "walk", Mode::Slot, 60).await;
        let sam = app.seed_staff_member(pro.id, "Sam", &[&walk]).await;
        let kim = app.seed_staff_member(pro.id, "Kim", &[&walk]).await;
        let elsewhere = app.seed_staff_member(free.id, "Kept", &[]).await;
        weekly(&app, pro.id, Some(sam.get()), 3, (9, 11)).await;
        weekly(&app, pro.id, Some(kim.get()), 3, (10, 12)).await;
        let inactive = "insert into services (tenant_id, code, name, duration_minutes, currency, \
                        mode, active, created_at, updated_at) \
                        values ($1, 'old', 'Old', 60, 'GBP', 'slot', 0, 0, 0)";
        sqlx::query(inactive).bind(free.id.get()).execute(app.db().pool()).await.unwrap();

        for (query, status, field) in [
            ("free/availability?date=2026-12-02", 422, Some("service")),
            ("free/availability?service=walk", 422, Some("date")),
            ("free/availability?service=walk&date=2026-02-30", 422, Some("date")),
            ("free/availability?service=walk&date=tomorrow", 422, Some("date")),
            ("free/availability?service=walk&date=2026-12-02&days=0", 422, Some("days")),
            ("free/availability?service=walk&date=2026-12-02&days=32", 422, Some("days")),
            ("free/availability?service=walk&date=2026-12-02&staff=sam", 422, Some("staff")),
            ("free/availability?service=run&date=2026-12-02", 404, None),
            ("free/availability?service=old&date=2026-12-02", 404, None),
            ("nobody/availability?service=walk&date=2026-12-02", 404, None),
        ] {
            let (got, body) = options(&app, query).await;
            assert_eq!(got.as_u16(), status, "{query}: {body}");
            if let Some(field) = field {
                assert!(body["error"]["fields"][field].is_string(), "{query}: {body}");
            }
        }

        // Choosing a person is PRO.
        let query = format!("free/availability?service=walk&date=2026-12-02&staff={elsewhere}");
        let (status, body) = options(&app, &query).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(body["error"]["code"], "plan_required");

        // On PRO: everyone, one person, or a person of another tenant (404).
        let (_, body) = options(&app, "pro/availability?service=walk&date=2026-12-02").await;
        let people: Vec<i64> = body["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["staff_id"].as_i64().unwrap())
            .collect();
        assert_eq!(people.len(), 10, "5 starts each: {body}");
        assert!(people.contains(&sam.get()) && people.contains(&kim.get()));
        let (_, body) =
            options(&app, &format!("pro/availability?service=walk&date=2026-12-02&staff={kim}"))
                .await;
        assert_eq!(starts(&body), ["10:00", "10:15", "10:30", "10:45", "11:00"]);
        assert!(body["options"].as_array().unwrap().iter().all(|o| o["staff_id"] == kim.get()));
        let query = format!("pro/availability?service=walk&date=2026-12-02&staff={elsewhere}");
        assert_eq!(options(&app, &query).await.0, StatusCode::NOT_FOUND);
    })
    .await;
}
