//! Staff members (PRO): owner pages, order, the plan gate and limit, the API, invitations,
//! and tenant isolation.

use std::time::Duration;

use portico_domain::StaffId;
use portico_domain::plans::Plan;
use portico_store::staff::{self, StaffFields};
use portico_store::tenants;
use portico_testkit::{PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::services::{Api, book, count, json_of, seed_service};

const MAIL_WAIT: Duration = Duration::from_secs(10);

async fn seed_member(app: &TestApp, tenant: &SeededTenant, name: &str, active: bool) -> StaffId {
    let fields = StaffFields {
        name: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        active,
        ..StaffFields::default()
    };
    staff::insert(app.db(), tenant.id, &fields, usize::MAX, 0).await.unwrap()
}

/// Every staff row and service link, to prove that a refused request changed nothing.
async fn snapshot(app: &TestApp) -> (Vec<(i64, i64, String, String, i64, i64)>, i64) {
    let rows = sqlx::query_as(
        "select id, tenant_id, name, email, active, display_order from staff_members order by id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    (rows, count(app, "select count(*) from staff_services").await)
}

async fn owner_of(app: &TestApp, tenant: &SeededTenant) -> portico_testkit::Browser {
    let browser = app.browser();
    browser.login(&tenant.owner_email, PASSWORD).await;
    browser
}

fn names(list: &Value) -> Vec<String> {
    list["staff"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().into()).collect()
}

#[tokio::test]
async fn the_owner_creates_edits_orders_and_deletes_staff() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = seed_service(&app, &tenant, "walk").await;
        seed_service(&app, &tenant, "groom").await;
        let owner = owner_of(&app, &tenant).await;
        assert!(owner.page("/app/paws/staff").await.contains("0 of 10 active"));
        let new = owner.page("/app/paws/staff/new").await;
        assert!(new.contains("Service groom") && !new.contains("Please correct"));

        let form = [
            ("name", "Sam Lee"),
            ("email", "Sam@Example.com"),
            ("phone", "+44 7700 900123"),
            ("bio", "Loves spaniels."),
            ("display_order", ""),
            ("active", "on"),
            ("services", "walk"),
            ("services", "groom"),
        ];
        let r = owner.post_form("/app/paws/staff/new", &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let sam: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
        let member = staff::get(app.db(), tenant.id, sam).await.unwrap().unwrap();
        assert_eq!((member.email.as_str(), member.active), ("sam@example.com", true));
        assert_eq!(member.services, ["groom", "walk"], "in the services' order");
        let page = owner.page(&format!("/app/paws/staff/{sam}")).await;
        assert!(page.contains("Sam Lee was added.") && page.contains("Loves spaniels."));
        assert!(page.contains(&format!("/app/paws/staff/{sam}/hours")), "links to hours");

        // Edit: one service, inactive (no `active` field).
        let edit = [("name", "Sam Lee"), ("email", ""), ("bio", ""), ("services", "walk")];
        let r = owner.post_form(&format!("/app/paws/staff/{sam}"), &edit).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let member = staff::get(app.db(), tenant.id, sam).await.unwrap().unwrap();
        assert_eq!(
            (member.services, member.active, member.email),
            (vec!["walk".to_owned()], false, String::new())
        );

        // Order: Alex goes after Sam; moving Alex up puts Alex first.
        let r = owner.post_form("/app/paws/staff/new", &[("name", "Alex"), ("active", "on")]).await;
        let alex: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
        let order = |app: &TestApp| {
            let db = app.db().clone();
            let id = tenant.id;
            async move {
                staff::list(&db, id).await.unwrap().iter().map(|m| m.id.get()).collect::<Vec<_>>()
            }
        };
        assert_eq!(order(&app).await, [sam, alex]);
        let r =
            owner.post_form(&format!("/app/paws/staff/{alex}/move"), &[("direction", "up")]).await;
        assert_eq!(location(&r), "/app/paws/staff");
        assert_eq!(order(&app).await, [alex, sam]);
        owner.post_form(&format!("/app/paws/staff/{alex}/move"), &[("direction", "up")]).await;
        assert_eq!(order(&app).await, [alex, sam], "the first stays first");
        owner.post_form(&format!("/app/paws/staff/{alex}/move"), &[("direction", "down")]).await;
        assert_eq!(order(&app).await, [sam, alex]);
        let r = owner
            .post_form(&format!("/app/paws/staff/{alex}/move"), &[("direction", "sideways")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let list = owner.page("/app/paws/staff").await;
        assert!(list.contains("1 of 10 active") && list.contains("inactive"));

        // Delete: Alex never booked is gone; Sam with a booking is deactivated.
        book(&app, &tenant, walk.id.get(), Some(sam)).await;
        let r = owner.post_form(&format!("/app/paws/staff/{alex}/delete"), &[]).await;
        assert_eq!(location(&r), "/app/paws/staff");
        assert!(staff::get(app.db(), tenant.id, alex).await.unwrap().is_none());
        owner.post_form(&format!("/app/paws/staff/{sam}/delete"), &[]).await;
        assert!(staff::get(app.db(), tenant.id, sam).await.unwrap().is_some());
        assert!(owner.page("/app/paws/staff").await.contains("deactivated instead of deleted"));
    })
    .await;
}

#[tokio::test]
async fn the_staff_form_explains_each_refusal_and_saves_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        seed_service(&app, &tenant, "walk").await;
        let sam = seed_member(&app, &tenant, "Sam", true).await;
        let owner = owner_of(&app, &tenant).await;
        let before = snapshot(&app).await;
        let bad = [
            ("name", ""),
            ("email", "not-an-email"),
            ("phone", "call me"),
            ("display_order", "first"),
            ("services", "walk"),
            ("services", "swim"),
        ];
        for path in ["/app/paws/staff/new".to_owned(), format!("/app/paws/staff/{sam}")] {
            let r = owner.post_form(&path, &bad).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
            let html = r.text().await.unwrap();
            for message in [
                "This field is required.",
                "Enter a valid email address.",
                "Use digits, spaces and + - ( ) only.",
                "Enter a whole number.",
                "Unknown service code: swim.",
            ] {
                assert!(html.contains(message), "{path}: missing {message:?}");
            }
        }
        assert_eq!(snapshot(&app).await, before);
    })
    .await;
}

#[tokio::test]
async fn at_most_ten_staff_are_active_on_pro() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        for n in 0..10 {
            seed_member(&app, &tenant, &format!("P{n}"), true).await;
        }
        let resting = seed_member(&app, &tenant, "Resting", false).await;
        let owner = owner_of(&app, &tenant).await;
        let api = Api::new(&app, &tenant).await;
        let before = snapshot(&app).await;

        // The page says why.
        let r =
            owner.post_form("/app/paws/staff/new", &[("name", "Eleven"), ("active", "on")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(html.contains("Your plan allows 10 active staff members"), "{html}");
        assert!(html.contains("value=\"Eleven\""), "the form keeps what was typed");
        let r = owner
            .post_form(
                &format!("/app/paws/staff/{resting}"),
                &[("name", "Resting"), ("active", "on")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let list = owner.page("/app/paws/staff").await;
        assert!(list.contains("10 of 10 active") && !list.contains("Add a staff member"));

        // The API answers 409 staff_limit.
        let (status, error) =
            json_of(api.post("/api/v1/paws/staff", json!({"name": "Eleven"})).await).await;
        assert_eq!(
            (status, error["error"]["code"].clone()),
            (StatusCode::CONFLICT, json!("staff_limit"))
        );
        let r = api.patch(&format!("/api/v1/paws/staff/{resting}"), json!({"active": true})).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(snapshot(&app).await, before);

        // Inactive people can still be added, and editing an active one is fine.
        let (status, _) = json_of(
            api.post("/api/v1/paws/staff", json!({"name": "Spare", "active": false})).await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let first = before.0[0].0;
        let r =
            api.patch(&format!("/api/v1/paws/staff/{first}"), json!({"bio": "Still here"})).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(staff::count_active(app.db(), tenant.id).await.unwrap(), 10);
    })
    .await;
}

#[tokio::test]
async fn free_tenants_get_the_upgrade_page_and_402_and_keep_their_staff() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = seed_service(&app, &tenant, "walk").await;
        let sam = seed_member(&app, &tenant, "Sam", true).await;
        let fields = StaffFields {
            name: "Sam".into(),
            active: true,
            services: vec![walk.id],
            ..Default::default()
        };
        staff::update(app.db(), tenant.id, sam, &fields, usize::MAX, 0).await.unwrap();
        assert_eq!(staff::bookable_for(app.db(), tenant.id, walk.id, 10).await.unwrap(), [sam]);

        // Downgrade.
        tenants::set_plan(app.db(), tenant.id, Plan::Free, None, 0).await.unwrap();
        let owner = owner_of(&app, &tenant).await;
        let api = Api::new(&app, &tenant).await;
        for path in [
            "/app/paws/staff".to_owned(),
            "/app/paws/staff/new".into(),
            format!("/app/paws/staff/{sam}"),
        ] {
            let r = owner.get(&path).await;
            assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED, "{path}");
            assert!(r.text().await.unwrap().contains("Add up to 10 staff members"), "{path}");
        }
        for path in [
            format!("/app/paws/staff/{sam}"),
            format!("/app/paws/staff/{sam}/delete"),
            "/app/paws/staff/new".into(),
        ] {
            let r = owner.post_form(&path, &[("name", "Changed")]).await;
            assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED, "{path}");
        }
        let (status, error) = json_of(api.get("/api/v1/paws/staff").await).await;
        assert_eq!(
            (status, error["error"]["code"].clone()),
            (StatusCode::PAYMENT_REQUIRED, json!("plan_required"))
        );
        assert_eq!(
            api.post("/api/v1/paws/staff", json!({"name": "X"})).await.status(),
            StatusCode::PAYMENT_REQUIRED
        );
        let path = format!("/api/v1/paws/staff/{sam}");
        assert_eq!(
            api.patch(&path, json!({"name": "X"})).await.status(),
            StatusCode::PAYMENT_REQUIRED
        );
        assert_eq!(api.delete(&path).await.status(), StatusCode::PAYMENT_REQUIRED);

        // Nothing was deleted; Sam is simply not bookable past FREE's limit of 0.
        let member = staff::get(app.db(), tenant.id, sam.get()).await.unwrap().unwrap();
        assert_eq!((member.name.as_str(), member.active), ("Sam", true));
        assert!(staff::bookable_for(app.db(), tenant.id, walk.id, 0).await.unwrap().is_empty());
        // Upgrading again brings everything back.
        tenants::set_plan(app.db(), tenant.id, Plan::Pro, None, 0).await.unwrap();
        assert!(owner.page("/app/paws/staff").await.contains("Sam"));
    })
    .await;
}

#[tokio::test]
async fn the_api_creates_lists_patches_and_deletes_staff() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = seed_service(&app, &tenant, "walk").await;
        seed_service(&app, &tenant, "groom").await;
        let api = Api::new(&app, &tenant).await;

        let body = json!({"name": "Sam", "email": "SAM@example.com", "services": ["walk", "groom"], "bio": "Hi"});
        let (status, sam) = json_of(api.post("/api/v1/paws/staff", body).await).await;
        assert_eq!(status, StatusCode::CREATED, "{sam}");
        assert_eq!((sam["email"].clone(), sam["active"].clone()), (json!("sam@example.com"), json!(true)));
        assert_eq!(sam["services"], json!(["groom", "walk"]));
        assert_eq!(sam["has_login"], false);
        let id = sam["id"].as_i64().unwrap();
        let (status, alex) = json_of(api.post("/api/v1/paws/staff", json!({"name": "Alex"})).await).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!((alex["email"].clone(), alex["services"].clone()), (Value::Null, json!([])));
        assert!(alex["display_order"].as_i64() > sam["display_order"].as_i64(), "new staff go last");

        let (status, list) = json_of(api.get("/api/v1/paws/staff").await).await;
        assert_eq!((status, names(&list)), (StatusCode::OK, vec!["Sam".to_owned(), "Alex".into()]));
        let (status, one) = json_of(api.get(&format!("/api/v1/paws/staff/{id}")).await).await;
        assert_eq!((status, one), (StatusCode::OK, sam.clone()));

        // PATCH: only what it names; `services` replaces the list; the GET output is accepted back.
        let path = format!("/api/v1/paws/staff/{id}");
        let (status, patched) = json_of(api.patch(&path, json!({"services": ["groom"], "email": null})).await).await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!((patched["services"].clone(), patched["email"].clone()), (json!(["groom"]), Value::Null));
        assert_eq!((patched["name"].clone(), patched["bio"].clone()), (json!("Sam"), json!("Hi")));
        let (status, _) = json_of(api.patch(&path, patched.clone()).await).await;
        assert_eq!(status, StatusCode::OK);

        // 422s with field messages; nothing changes.
        let before = snapshot(&app).await;
        let cases = [
            (json!({"name": "X", "services": ["walk", "swim"]}), "services"),
            (json!({"name": "X", "services": "walk"}), "services"),
            (json!({"name": ""}), "name"),
            (json!({"name": "X", "email": "nope"}), "email"),
            (json!({"name": "X", "active": 1}), "active"),
            (json!({"name": "X", "role": "boss"}), "role"),
        ];
        for (body, field) in cases {
            let (status, error) = json_of(api.post("/api/v1/paws/staff", body.clone()).await).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(error["error"]["fields"][field].is_string(), "{body} → {error}");
        }
        let (status, error) = json_of(api.patch(&path, json!({"services": ["nope"]})).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error["error"]["fields"]["services"], "Unknown service code: nope.");
        let r = api.raw(reqwest::Method::PATCH, &path, "{not json").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(api.get("/api/v1/paws/staff/999999").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(api.get("/api/v1/paws/staff/abc").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(snapshot(&app).await, before);

        // DELETE: 204 when gone, 200 with the inactive member when bookings keep them.
        book(&app, &tenant, walk.id.get(), Some(id)).await;
        let alex_path = format!("/api/v1/paws/staff/{}", alex["id"]);
        assert_eq!(api.delete(&alex_path).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(api.delete(&alex_path).await.status(), StatusCode::NOT_FOUND);
        let (status, kept) = json_of(api.delete(&path).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((kept["result"].clone(), kept["staff"]["active"].clone()), (json!("deactivated"), json!(false)));
    })
    .await;
}

#[tokio::test]
async fn another_tenant_gets_404_on_every_staff_route_and_changes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("alpha", Plan::Pro).await;
        let b = app.seed_tenant("bravo", Plan::Pro).await;
        let free = app.seed_tenant("cocoa", Plan::Free).await;
        seed_service(&app, &a, "walk").await;
        let sam = seed_member(&app, &a, "Sam", true).await;
        seed_member(&app, &a, "Alex", true).await;
        let before = snapshot(&app).await;
        let intruder = owner_of(&app, &b).await;
        let api = Api::new(&app, &b).await;

        // B's owner on A's pages, and on B's own pages with A's id.
        let pages = [
            "/app/alpha/staff".to_owned(),
            "/app/alpha/staff/new".into(),
            format!("/app/alpha/staff/{sam}"),
            format!("/app/bravo/staff/{sam}"),
        ];
        for path in pages {
            assert_eq!(intruder.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let posts = [
            ("/app/alpha/staff/new".to_owned(), vec![("name", "Mole"), ("active", "on")]),
            (format!("/app/alpha/staff/{sam}"), vec![("name", "Hijacked")]),
            (format!("/app/alpha/staff/{sam}/delete"), vec![]),
            (format!("/app/alpha/staff/{sam}/move"), vec![("direction", "down")]),
            (format!("/app/alpha/staff/{sam}/invite"), vec![]),
            (format!("/app/bravo/staff/{sam}"), vec![("name", "Hijacked")]),
            (format!("/app/bravo/staff/{sam}/delete"), vec![]),
            (format!("/app/bravo/staff/{sam}/move"), vec![("direction", "down")]),
            (format!("/app/bravo/staff/{sam}/invite"), vec![]),
        ];
        for (path, form) in posts {
            assert_eq!(
                intruder.post_form(&path, &form).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        // A FREE tenant's owner is refused as "not found" before "upgrade".
        let other = owner_of(&app, &free).await;
        assert_eq!(other.get("/app/alpha/staff").await.status(), StatusCode::NOT_FOUND);

        // B's token on A's API, and on B's API with A's id.
        for path in [
            "/api/v1/alpha/staff".to_owned(),
            format!("/api/v1/alpha/staff/{sam}"),
            format!("/api/v1/bravo/staff/{sam}"),
        ] {
            assert_eq!(api.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(
            api.post("/api/v1/alpha/staff", json!({"name": "Mole"})).await.status(),
            StatusCode::NOT_FOUND
        );
        for path in [format!("/api/v1/alpha/staff/{sam}"), format!("/api/v1/bravo/staff/{sam}")] {
            assert_eq!(
                api.patch(&path, json!({"name": "Hijacked"})).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
            assert_eq!(api.delete(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        // A's service codes are unknown to B.
        let (status, error) = json_of(
            api.post("/api/v1/bravo/staff", json!({"name": "B1", "services": ["walk"]})).await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error["error"]["fields"]["services"], "Unknown service code: walk.");

        assert_eq!(snapshot(&app).await, before);
        app.run_pending_jobs().await;
        assert!(app.mail.messages().is_empty(), "no invitation went out");
    })
    .await;
}

#[tokio::test]
async fn an_accepted_staff_invitation_links_the_login_to_the_staff_member() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let owner = owner_of(&app, &tenant).await;
        let r = owner
            .post_form(
                "/app/paws/staff/new",
                &[("name", "Sam Lee"), ("email", "sam@example.com"), ("active", "on")],
            )
            .await;
        let sam: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
        let nobody = seed_member(&app, &tenant, "Quiet", true).await;
        let fields = StaffFields { name: "Quiet".into(), active: true, ..Default::default() };
        staff::update(app.db(), tenant.id, nobody, &fields, usize::MAX, 0).await.unwrap();

        // Without an email there is nothing to send.
        let r = owner.post_form(&format!("/app/paws/staff/{nobody}/invite"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(
            owner
                .page(&format!("/app/paws/staff/{nobody}"))
                .await
                .contains("Add an email address for Quiet first.")
        );

        let r = owner.post_form(&format!("/app/paws/staff/{sam}/invite"), &[]).await;
        assert_eq!(location(&r), format!("/app/paws/staff/{sam}"));
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("sam@example.com", MAIL_WAIT).await;
        let link = mail.first_link_containing("/accounts/invite/").expect("invitation link");
        let link = url::Url::parse(&link).unwrap().path().to_owned();

        let browser = app.browser();
        let r = browser
            .post_form(&link, &[("name", "Sam Lee"), ("password", "leads and treats")])
            .await;
        assert_eq!(location(&r), "/app/paws");
        let user: i64 = sqlx::query_scalar("select id from users where email = 'sam@example.com'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        let member =
            staff::for_user(app.db(), tenant.id, app.user_id(user).await).await.unwrap().unwrap();
        assert_eq!(member.id.get(), sam);
        assert!(
            staff::get(app.db(), tenant.id, nobody.get()).await.unwrap().unwrap().user_id.is_none()
        );
        assert!(browser.page("/app/paws").await.contains("You are staff"));

        let page = owner.page(&format!("/app/paws/staff/{sam}")).await;
        assert!(page.contains("linked"));
        // A second invitation is refused: the login exists.
        owner.post_form(&format!("/app/paws/staff/{sam}/invite"), &[]).await;
        assert!(
            owner
                .page(&format!("/app/paws/staff/{sam}"))
                .await
                .contains("Sam Lee already has a login.")
        );
        assert_eq!(
            count(&app, "select count(*) from audit_log where action = 'staff.invited'").await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_saves_never_exceed_the_staff_limit() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        for n in 0..8 {
            seed_member(&app, &tenant, &format!("Walker{n}"), true).await;
        }
        // Six owners' tabs add a staff member at the same moment; two places are left.
        let saves = (0..6).map(|n| {
            let db = app.db().clone();
            let fields =
                StaffFields { name: format!("New{n}"), active: true, ..StaffFields::default() };
            async move { staff::insert(&db, tenant.id, &fields, 10, 0).await }
        });
        let results = futures::future::join_all(saves).await;
        let saved = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(portico_store::StoreError::StaffLimit(10))))
            .count();
        assert_eq!((saved, refused), (2, 4), "{results:?}");
        assert_eq!(staff::count_active(app.db(), tenant.id).await.unwrap(), 10);
    })
    .await;
}
