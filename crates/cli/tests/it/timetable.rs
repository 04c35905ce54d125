//! The timetable / capacity editor: the owner's page and the blocks API.

use chrono::NaiveDate;
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{PASSWORD, TestApp, location, matrix};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::availability::{insert_booking, insert_hold};
use crate::hours::send;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

async fn blocks(app: &TestApp) -> i64 {
    app.count("select count(*) from timetable_blocks").await
}

#[tokio::test]
async fn the_timetable_page_adds_edits_and_deletes_blocks_with_field_messages() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let other = app.seed_tenant("other", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let groom = app.seed_service(tenant.id, "groom", Mode::Slot, 60).await;
        let foreign = app.seed_service(other.id, "walk", Mode::Block, 60).await;
        let foreign_block =
            app.seed_block(other.id, day("2026-12-02"), 540, 600, &foreign, 2).await;
        let browser = app.browser();
        browser.login(&tenant.owner_email, PASSWORD).await;

        let page = browser.page("/app/paws/timetable").await;
        assert!(page.contains("Tuesday 1 December 2026"), "today in the tenant's zone");
        assert!(page.contains("No blocks on this day."));
        assert!(page.contains("Service walk"), "a capacity input per block service");

        let cap = format!("cap_{}", walk.id);
        let overlap = format!("overlap_{}", walk.id);
        let response = browser
            .post_form(
                "/app/paws/timetable/blocks",
                &[
                    ("date", "2026-12-02"),
                    ("start", "07:00"),
                    ("end", "10:30"),
                    ("label", "Morning Run"),
                    (&cap, "5"),
                    (&overlap, "on"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/app/paws/timetable?date=2026-12-02");
        assert_eq!(blocks(&app).await, 2);
        let id = app.count("select max(id) from timetable_blocks").await;
        let sql = format!(
            "select capacity * 10 + allow_overlap from block_capacities where block_id = {id}"
        );
        assert_eq!(app.count(&sql).await, 51);

        let page = browser.page("/app/paws/timetable?date=2026-12-02").await;
        assert!(page.contains("Added Morning Run."));
        assert!(page.contains("Morning Run") && page.contains("07:00–10:30"));
        assert!(page.contains("1 block"), "the week strip counts the day's blocks");
        assert!(!page.contains("Block 540"), "another tenant's block is not shown");

        let groom_cap = format!("cap_{}", groom.id);
        let foreign_cap = format!("cap_{}", foreign.id);
        for (field, value, message) in [
            ("start", "25:00", "Hours go from 00 to 23"),
            ("start", "9am", "Use the 24-hour HH:MM format"),
            ("end", "06:00", "The end must be after the start."),
            ("label", "", "This field is required."),
            ("date", "02/12/2026", "Enter a date as YYYY-MM-DD."),
            (cap.as_str(), "1001", "Enter a whole number from 0 to 1000."),
            (cap.as_str(), "many", "Enter a whole number from 0 to 1000."),
            (groom_cap.as_str(), "2", "is booked by time slot"),
            (foreign_cap.as_str(), "2", "Unknown service"),
        ] {
            let mut form = vec![
                ("date", "2026-12-03"),
                ("start", "07:00"),
                ("end", "10:30"),
                ("label", "Run"),
            ];
            form.retain(|(name, _)| *name != field);
            form.push((field, value));
            let response = browser.post_form("/app/paws/timetable/blocks", &form).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}={value}");
            let html = response.text().await.unwrap();
            assert!(html.contains(message), "{message:?} missing for {field}={value}");
        }
        assert_eq!(blocks(&app).await, 2, "refused blocks are not stored");

        // Edit: new label and places; an unticked box turns overlap off.
        let path = format!("/app/paws/timetable/blocks/{id}");
        let edit = |label: &'static str, start: &'static str| {
            vec![
                ("date", "2026-12-02"),
                ("start", start),
                ("end", "10:30"),
                ("label", label),
                (cap.as_str(), "3"),
            ]
        };
        let response = browser.post_form(&path, &edit("Early Run", "07:00")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.count(&sql).await, 30);
        let response = browser.post_form(&path, &edit("", "07:00")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("This field is required."));

        // Booked and held places show; a block in use keeps its times and is not deleted.
        insert_booking(
            &app,
            tenant.id,
            walk.id.get(),
            None,
            Some(id),
            "2026-12-02T07:00:00Z",
            60,
            "confirmed",
        )
        .await;
        insert_hold(
            &app,
            tenant.id,
            walk.id.get(),
            None,
            Some(id),
            "2026-12-02T07:00:00Z",
            60,
            600,
        )
        .await;
        let page = browser.page("/app/paws/timetable?date=2026-12-02").await;
        assert!(
            page.contains("<td>3</td><td>1</td><td>1</td><td><strong>1</strong>"),
            "places, booked, held, remaining:\n{page}"
        );
        let response = browser.post_form(&path, &edit("Early Run", "08:00")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("its date and times cannot change"));
        let response = browser.post_form(&format!("{path}/delete"), &[]).await;
        assert_eq!(location(&response), "/app/paws/timetable?date=2026-12-02");
        let page = browser.page("/app/paws/timetable?date=2026-12-02").await;
        assert!(page.contains("has bookings or holds, so it was not deleted"), "{page}");
        assert_eq!(blocks(&app).await, 2);

        // Another tenant's block: not found, and untouched.
        let foreign_path = format!("/app/paws/timetable/blocks/{foreign_block}");
        assert_eq!(browser.post_form(&foreign_path, &edit("Mine", "07:00")).await.status(), 404);
        let response = browser.post_form(&format!("{foreign_path}/delete"), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let sql = format!(
            "select count(*) from timetable_blocks where id = {foreign_block} \
             and label = 'Block 540'"
        );
        assert_eq!(app.count(&sql).await, 1);

        // A free block is deleted.
        let free = app.seed_block(tenant.id, day("2026-12-04"), 600, 660, &walk, 2).await;
        let response =
            browser.post_form(&format!("/app/paws/timetable/blocks/{free}/delete"), &[]).await;
        assert_eq!(location(&response), "/app/paws/timetable?date=2026-12-04");
        assert_eq!(blocks(&app).await, 2);
    })
    .await;
}

#[tokio::test]
async fn copy_yesterday_and_copy_a_day_onto_a_range() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_block(tenant.id, day("2026-12-01"), 420, 630, &walk, 4).await;
        app.seed_block(tenant.id, day("2026-12-01"), 660, 840, &walk, 2).await;
        let browser = app.browser();
        browser.login(&tenant.owner_email, PASSWORD).await;

        let copy_yesterday = |date: &'static str| {
            let browser = browser.clone();
            async move {
                let response = browser
                    .post_form("/app/paws/timetable/copy-yesterday", &[("date", date)])
                    .await;
                assert_eq!(response.status(), StatusCode::SEE_OTHER);
                browser.page(&location(&response)).await
            }
        };
        let page = copy_yesterday("2026-12-02").await;
        assert!(page.contains("Copied 2 blocks from Tuesday 1 December 2026."), "{page}");
        assert_eq!(
            app.count("select count(*) from timetable_blocks where local_date = '2026-12-02'")
                .await,
            2
        );
        let sql = "select cast(sum(c.capacity) as bigint) from block_capacities c \
                   join timetable_blocks b on b.id = c.block_id \
                   where b.local_date = '2026-12-02'";
        assert_eq!(app.count(sql).await, 6, "places are copied too");
        let page = copy_yesterday("2026-12-02").await;
        assert!(page.contains("This day already has blocks, so nothing was copied."));
        let page = copy_yesterday("2026-12-10").await;
        assert!(page.contains("Wednesday 9 December 2026 has no blocks to copy."));
        assert_eq!(blocks(&app).await, 4);

        let response = browser
            .post_form(
                "/app/paws/timetable/copy",
                &[("date", "2026-12-01"), ("from", "2026-12-01"), ("to", "2026-12-05")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = browser.page(&location(&response)).await;
        assert!(
            page.contains(
                "Copied onto 3 days: 2026-12-03, 2026-12-04, 2026-12-05. Skipped 2 days that \
                 already had blocks: 2026-12-01, 2026-12-02."
            ),
            "{page}"
        );
        assert_eq!(blocks(&app).await, 10);

        for (from, to, message) in [
            ("2026-12-06", "2027-02-06", "Copy onto at most 62 days at a time."),
            ("2026-12-06", "2026-12-05", "The last date must not be before the first."),
            ("someday", "2026-12-08", "Enter a date as YYYY-MM-DD."),
        ] {
            let response = browser
                .post_form(
                    "/app/paws/timetable/copy",
                    &[("date", "2026-12-01"), ("from", from), ("to", to)],
                )
                .await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert!(response.text().await.unwrap().contains(message), "{message}");
        }
        assert_eq!(blocks(&app).await, 10);
    })
    .await;
}

#[tokio::test]
async fn blocks_api_creates_shows_usage_and_protects_blocks_in_use() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_service(tenant.id, "groom", Mode::Slot, 60).await;
        let token = app.api_token(tenant.id).await;
        let morning = json!({
            "date": "2026-12-01", "start": "09:00", "end": "12:00", "label": "Morning Run",
            "capacities": {"walk": 5}
        });
        let (status, block) =
            send(&app, Method::POST, "/api/v1/paws/blocks", &token, Some(morning.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{block}");
        let id = block["id"].as_i64().unwrap();
        assert_eq!(
            block,
            json!({
                "id": id, "date": "2026-12-01", "start": "09:00", "end": "12:00",
                "label": "Morning Run", "capacities": {"walk": 5}, "remaining": {"walk": 5},
                "booked": {"walk": 0}, "held": {"walk": 0}, "allow_overlap": {"walk": false}
            })
        );

        insert_booking(
            &app,
            tenant.id,
            walk.id.get(),
            None,
            Some(id),
            "2026-12-01T09:00:00Z",
            60,
            "confirmed",
        )
        .await;
        insert_booking(
            &app,
            tenant.id,
            walk.id.get(),
            None,
            Some(id),
            "2026-12-01T09:00:00Z",
            60,
            "cancelled",
        )
        .await;
        insert_hold(
            &app,
            tenant.id,
            walk.id.get(),
            None,
            Some(id),
            "2026-12-01T09:00:00Z",
            60,
            300,
        )
        .await;
        let (status, day) = app.api_get("/api/v1/paws/blocks?date=2026-12-01", Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(day["blocks"][0]["booked"], json!({"walk": 1}));
        assert_eq!(day["blocks"][0]["held"], json!({"walk": 1}));
        assert_eq!(day["blocks"][0]["remaining"], json!({"walk": 3}));
        let (_, today) = app.api_get("/api/v1/paws/blocks", Some(&token)).await;
        assert_eq!(today["date"], "2026-12-01", "today in the tenant's zone by default");

        let path = format!("/api/v1/paws/blocks/{id}");
        let patch = json!({
            "label": "Long Run",
            "capacities": {"walk": {"capacity": 8, "allow_overlap": true}}
        });
        let (status, patched) = send(&app, Method::PATCH, &path, &token, Some(patch)).await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["label"], "Long Run");
        assert_eq!(patched["start"], "09:00", "fields left out are kept");
        assert_eq!(patched["remaining"], json!({"walk": 6}));
        assert_eq!(patched["allow_overlap"], json!({"walk": true}));

        // In use: its times stay, and it cannot be deleted.
        let (status, error) =
            send(&app, Method::PATCH, &path, &token, Some(json!({"start": "10:00"}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(error["error"]["code"], "in_use");
        let (status, error) = send(&app, Method::DELETE, &path, &token, None).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(error["error"]["code"], "in_use");
        assert_eq!(blocks(&app).await, 1);

        for (change, field) in [
            (json!({"end": "08:00"}), "end"),
            (json!({"start": "9am"}), "start"),
            (json!({"end": "25:00"}), "end"),
            (json!({"label": ""}), "label"),
            (json!({"date": "tomorrow"}), "date"),
            (json!({"capacities": {"run": 2}}), "capacities.run"),
            (json!({"capacities": {"groom": 2}}), "capacities.groom"),
            (json!({"capacities": {"walk": 1001}}), "capacities.walk"),
            (json!({"capacities": {"walk": -1}}), "capacities.walk"),
        ] {
            let mut body = morning.clone();
            for (key, value) in change.as_object().unwrap() {
                body[key] = value.clone();
            }
            let (status, error) =
                send(&app, Method::POST, "/api/v1/paws/blocks", &token, Some(body)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{change}");
            assert!(error["error"]["fields"][field].is_string(), "{field}: {error}");
        }
        let (status, error) =
            send(&app, Method::POST, "/api/v1/paws/blocks", &token, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error["error"]["fields"]["date"], "This field is required.");
        assert_eq!(blocks(&app).await, 1, "nothing stored");

        let (status, spare) = send(
            &app,
            Method::POST,
            "/api/v1/paws/blocks",
            &token,
            Some(json!({
                "date": "2026-12-02", "start": "13:00", "end": "24:00", "label": "Late",
                "capacities": {"walk": 2}
            })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(spare["end"], "24:00");
        let spare_path = format!("/api/v1/paws/blocks/{}", spare["id"]);
        // A block nobody booked may move; `null` takes a service out of it.
        let patch = json!({"date": "2026-12-03", "end": "23:00", "capacities": {"walk": null}});
        let (status, moved) = send(&app, Method::PATCH, &spare_path, &token, Some(patch)).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!((&moved["date"], &moved["end"]), (&json!("2026-12-03"), &json!("23:00")));
        assert_eq!(moved["capacities"], json!({}));
        let (status, _) = send(&app, Method::DELETE, &spare_path, &token, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(app.api_get(&spare_path, Some(&token)).await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn blocks_api_is_404_across_tenants_and_changes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("alpha", Plan::Pro).await;
        let b = app.seed_tenant("beta", Plan::Pro).await;
        let walk = app.seed_service(a.id, "walk", Mode::Block, 60).await;
        app.seed_service(b.id, "walk", Mode::Block, 60).await;
        let id = app.seed_block(a.id, day("2026-12-01"), 540, 720, &walk, 5).await;
        let token_b = app.api_token(b.id).await;

        for path in [format!("/api/v1/beta/blocks/{id}"), format!("/api/v1/alpha/blocks/{id}")] {
            assert_eq!(app.api_get(&path, Some(&token_b)).await.0, StatusCode::NOT_FOUND);
            let patch = Some(json!({"label": "Taken", "capacities": {"walk": 1}}));
            let (status, body) = send(&app, Method::PATCH, &path, &token_b, patch).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(body["error"]["code"], "not_found");
            let (status, _) = send(&app, Method::DELETE, &path, &token_b, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        let (_, listed) = app.api_get("/api/v1/beta/blocks?date=2026-12-01", Some(&token_b)).await;
        assert_eq!(listed["blocks"], json!([]));
        let copy = Some(json!({"from_date": "2026-12-01", "to_date": "2026-12-02"}));
        let (status, error) =
            send(&app, Method::POST, "/api/v1/beta/blocks/copy", &token_b, copy).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "B has no blocks on that day");
        assert!(error["error"]["fields"]["from_date"].is_string());

        let sql = format!(
            "select count(*) from timetable_blocks where id = {id} and label = 'Block 540'"
        );
        assert_eq!(app.count(&sql).await, 1);
        assert_eq!(app.count("select capacity from block_capacities").await, 5);
        assert_eq!(blocks(&app).await, 1);
    })
    .await;
}

#[tokio::test]
async fn blocks_api_copies_a_day_onto_a_day_or_a_range() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_block(tenant.id, day("2026-12-01"), 540, 720, &walk, 5).await;
        let token = app.api_token(tenant.id).await;
        let copy = |body: Value| {
            let token = token.clone();
            let app = &app;
            async move {
                send(app, Method::POST, "/api/v1/paws/blocks/copy", &token, Some(body)).await
            }
        };

        let one_day = json!({"from_date": "2026-12-01", "to_date": "2026-12-02"});
        let (status, body) = copy(one_day.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["filled"], json!(["2026-12-02"]));
        assert_eq!(body["skipped"], json!([]));
        let (_, body) = copy(one_day).await;
        assert_eq!(body["filled"], json!([]));
        assert_eq!(body["skipped"], json!(["2026-12-02"]));
        let range =
            json!({"from_date": "2026-12-01", "to_date": "2026-12-02", "until": "2026-12-04"});
        let (_, body) = copy(range).await;
        assert_eq!(body["filled"], json!(["2026-12-03", "2026-12-04"]));
        assert_eq!(body["skipped"], json!(["2026-12-02"]));
        assert_eq!(blocks(&app).await, 4);
        let (_, day) = app.api_get("/api/v1/paws/blocks?date=2026-12-04", Some(&token)).await;
        assert_eq!(day["blocks"][0]["capacities"], json!({"walk": 5}));

        for (body, field) in [
            (json!({"from_date": "2026-12-20", "to_date": "2026-12-21"}), "from_date"),
            (
                json!({"from_date": "2026-12-01", "to_date": "2026-12-10", "until": "2026-12-09"}),
                "until",
            ),
            (
                json!({"from_date": "2026-12-01", "to_date": "2026-12-10", "until": "2027-02-10"}),
                "until",
            ),
            (json!({"from_date": "2026-12-01", "to_date": "2026-12-01"}), "to_date"),
            (json!({"from_date": "2026-12-01", "to_date": "12/10/2026"}), "to_date"),
            (json!({"to_date": "2026-12-10"}), "from_date"),
        ] {
            let (status, error) = copy(body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(error["error"]["fields"][field].is_string(), "{field}: {error}");
        }
        assert_eq!(blocks(&app).await, 4);
    })
    .await;
}
