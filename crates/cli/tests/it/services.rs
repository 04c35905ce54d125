//! Services: owner pages, default durations, the API, and tenant isolation.

use portico_domain::plans::Plan;
use portico_store::catalog::{self, Mode, Service, ServiceFields};
use portico_testkit::{PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

pub(crate) async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

/// A bearer-token client for one tenant's API.
pub(crate) struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl<'a> Api<'a> {
    pub(crate) async fn new(app: &'a TestApp, tenant: &SeededTenant) -> Self {
        let (_, token) =
            portico_store::tokens::create_api_token(app.db(), tenant.id, "t", 0).await.unwrap();
        Self { app, token }
    }

    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let request = self.app.client.request(method, self.app.url(path)).bearer_auth(&self.token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.unwrap()
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, None).await
    }

    /// A body sent as is, with a JSON content type.
    pub(crate) async fn raw(&self, method: Method, path: &str, body: &str) -> Response {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }
}

/// The status and the JSON body.
pub(crate) async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn seed_service(app: &TestApp, tenant: &SeededTenant, code: &str) -> Service {
    let fields = ServiceFields {
        code: code.to_owned(),
        name: format!("Service {code}"),
        description: String::new(),
        duration_minutes: 30,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        price_minor: 1000,
        currency: "GBP".to_owned(),
        mode: Mode::Slot,
        active: true,
        display_order: 0,
        location_kind: portico_store::catalog::LocationKind::Business,
        meeting_url: String::new(),
        prepay: false,
    };
    catalog::insert(app.db(), tenant.id, &fields, 0).await.unwrap().expect("code free")
}

/// A confirmed booking of `service` (with `staff`, if given), straight in the database.
pub(crate) async fn book(app: &TestApp, tenant: &SeededTenant, service: i64, staff: Option<i64>) {
    sqlx::query(
        "insert into bookings (tenant_id, service_id, staff_id, starts_at, ends_at, busy_from, \
         busy_until, status, currency, created_at, updated_at) \
         values ($1, $2, $3, 3600, 5400, 3600, 5400, 'confirmed', 'GBP', 0, 0)",
    )
    .bind(tenant.id.get())
    .bind(service)
    .bind(staff)
    .execute(app.db().pool())
    .await
    .unwrap();
}

/// Every service row, to prove that a refused request changed nothing.
async fn snapshot(app: &TestApp) -> Vec<(i64, String, String, i64, i64, i64)> {
    sqlx::query_as(
        "select tenant_id, code, name, duration_minutes, price_minor, active from services \
         order by id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap()
}

async fn owner_of(app: &TestApp, tenant: &SeededTenant) -> portico_testkit::Browser {
    let browser = app.browser();
    browser.login(&tenant.owner_email, PASSWORD).await;
    browser
}

fn service_form<'a>(code: &'a str, name: &'a str, duration: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("code", code),
        ("name", name),
        ("description", "Around the park"),
        ("duration_minutes", duration),
        ("buffer_before_minutes", "0"),
        ("buffer_after_minutes", "10"),
        ("price", "12.50"),
        ("currency", "GBP"),
        ("mode", "slot"),
        ("display_order", "1"),
        ("active", "on"),
    ]
}

#[tokio::test]
async fn the_owner_creates_edits_and_lists_services() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let owner = owner_of(&app, &tenant).await;
        assert!(owner.page("/app/paws/services").await.contains("No services yet"));
        let new = owner.page("/app/paws/services/new").await;
        assert!(new.contains("New service") && new.contains("value=\"GBP\" selected"));
        assert!(!new.contains("Please correct"), "a fresh form shows no error");

        let r =
            owner.post_form("/app/paws/services/new", &service_form("walk", "Walk", "30")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/app/paws/services");
        let list = owner.page("/app/paws/services").await;
        assert!(list.contains("Walk was added.") && list.contains("GBP 12.50"));
        let walk = catalog::by_code(app.db(), tenant.id, "walk").await.unwrap().unwrap();
        assert_eq!((walk.duration_minutes, walk.buffer_after_minutes), (30, 10));
        assert_eq!((walk.price_minor, walk.mode, walk.active), (1250, Mode::Slot, true));

        // Edit: rename the code, switch to block mode, deactivate (no `active` field).
        let edit = owner.page("/app/paws/services/walk").await;
        assert!(edit.contains("value=\"Walk\"") && edit.contains("value=\"12.50\""));
        let mut form = service_form("long-walk", "Long walk", "60");
        form.retain(|(k, _)| *k != "active" && *k != "mode");
        form.push(("mode", "block"));
        let r = owner.post_form("/app/paws/services/walk", &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let saved = catalog::by_code(app.db(), tenant.id, "long-walk").await.unwrap().unwrap();
        assert_eq!(saved.id, walk.id);
        assert_eq!((saved.name.as_str(), saved.duration_minutes), ("Long walk", 60));
        assert_eq!((saved.mode, saved.active), (Mode::Block, false));
        assert_eq!(owner.get("/app/paws/services/walk").await.status(), StatusCode::NOT_FOUND);
        let list = owner.page("/app/paws/services").await;
        assert!(list.contains("inactive") && list.contains("place in a block"));
        assert_eq!(
            count(&app, "select count(*) from audit_log where action like 'service.%'").await,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn the_service_form_explains_each_refusal_and_saves_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        seed_service(&app, &tenant, "walk").await;
        let owner = owner_of(&app, &tenant).await;
        let before = snapshot(&app).await;
        let bad = [
            ("code", "Not OK!"),
            ("name", ""),
            ("description", "ok"),
            ("duration_minutes", "0"),
            ("buffer_before_minutes", "-1"),
            ("buffer_after_minutes", "abc"),
            ("price", "-3"),
            ("currency", "XXX"),
            ("mode", "group"),
            ("display_order", "1"),
        ];
        let r = owner.post_form("/app/paws/services/new", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        for message in [
            "Use lowercase letters, digits, - and _ only.",
            "This field is required.",
            "Use 5 to 1440 minutes (24 hours).",
            "Use 0 to 240 minutes.",
            "Enter a whole number.",
            "Use a price from 0 to 100,000.00",
            "Choose a currency from the list.",
            "Choose slot or block.",
        ] {
            assert!(html.contains(message), "missing {message:?}");
        }
        assert!(html.contains("value=\"Not OK!\""), "the form keeps what was typed");

        // A taken code is a field error on the page.
        let r =
            owner.post_form("/app/paws/services/new", &service_form("walk", "Walk", "30")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Another service already uses this code."));
        // So is a reserved one, and an update may not take another service's code.
        let r = owner.post_form("/app/paws/services/new", &service_form("new", "New", "30")).await;
        assert!(r.text().await.unwrap().contains("That code is reserved"));
        assert_eq!(snapshot(&app).await, before);
        seed_service(&app, &tenant, "groom").await;
        let before = snapshot(&app).await;
        let r = owner.post_form("/app/paws/services/groom", &service_form("walk", "G", "30")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(snapshot(&app).await, before);
    })
    .await;
}

#[tokio::test]
async fn a_default_duration_fills_an_empty_duration() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let owner = owner_of(&app, &tenant).await;
        let defaults = "/app/paws/services/defaults";
        let r = owner
            .post_form(defaults, &[("code", "walk"), ("duration_minutes", "45"), ("notes", "")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = owner
            .post_form(defaults, &[("code", "walk"), ("duration_minutes", "40"), ("notes", "std")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "setting it again replaces it");
        let list = owner.page("/app/paws/services").await;
        assert!(list.contains("40 min") && list.contains("services/new?code=walk"));
        let r = owner.post_form(defaults, &[("code", "Bad code"), ("duration_minutes", "2")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains("Use lowercase letters") && html.contains("Use 5 to 1440 minutes."));
        assert_eq!(count(&app, "select count(*) from service_defaults").await, 1);

        // The new-service form is prefilled from the code's default…
        let prefilled = owner.page("/app/paws/services/new?code=walk").await;
        assert!(prefilled.contains(
            "name=\"duration_minutes\" type=\"number\" min=\"5\" max=\"1440\" value=\"40\""
        ));
        // …and an empty duration takes it.
        let r = owner.post_form("/app/paws/services/new", &service_form("walk", "Walk", "")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let walk = catalog::by_code(app.db(), tenant.id, "walk").await.unwrap().unwrap();
        assert_eq!(walk.duration_minutes, 40);
        // Without a default, an empty duration is refused.
        let r = owner.post_form("/app/paws/services/new", &service_form("swim", "Swim", "")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("set a default duration for this code"));
    })
    .await;
}

#[tokio::test]
async fn deleting_removes_a_service_or_deactivates_a_booked_one() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        seed_service(&app, &tenant, "walk").await;
        let groom = seed_service(&app, &tenant, "groom").await;
        book(&app, &tenant, groom.id.get(), None).await;
        let owner = owner_of(&app, &tenant).await;

        let r = owner.post_form("/app/paws/services/walk/delete", &[]).await;
        assert_eq!(location(&r), "/app/paws/services");
        assert!(catalog::by_code(app.db(), tenant.id, "walk").await.unwrap().is_none());
        let r = owner.post_form("/app/paws/services/groom/delete", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let groom = catalog::by_code(app.db(), tenant.id, "groom").await.unwrap().unwrap();
        assert!(!groom.active, "kept for its bookings, but inactive");
        assert!(owner.page("/app/paws/services").await.contains("deactivated instead of deleted"));
        let r = owner.post_form("/app/paws/services/nothing/delete", &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn the_api_creates_reads_patches_and_deletes_services() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let api = Api::new(&app, &tenant).await;
        let body = json!({
            "code": "walk", "name": "Walk", "duration_minutes": 30, "price_minor": 1500,
            "buffer_after_minutes": 5, "mode": "slot"
        });
        let (status, walk) = json_of(api.post("/api/v1/paws/services", body).await).await;
        assert_eq!(status, StatusCode::CREATED, "{walk}");
        assert_eq!(walk["code"], "walk");
        assert_eq!(walk["currency"], "GBP", "the tenant's currency by default");
        assert_eq!((walk["active"].clone(), walk["mode"].clone()), (json!(true), json!("slot")));
        assert_eq!(walk["buffer_before_minutes"], 0);

        // Left out duration: the code's default.
        catalog::set_default(app.db(), tenant.id, "class", 50, "").await.unwrap();
        let body = json!({"code": "class", "name": "Class", "mode": "block", "currency": "EUR"});
        let (status, class) = json_of(api.post("/api/v1/paws/services", body).await).await;
        assert_eq!(status, StatusCode::CREATED, "{class}");
        assert_eq!(
            (class["duration_minutes"].clone(), class["currency"].clone()),
            (json!(50), json!("EUR"))
        );
        assert_eq!(class["display_order"], 1, "after the last");

        let (status, list) = json_of(api.get("/api/v1/paws/services").await).await;
        assert_eq!(status, StatusCode::OK);
        let codes: Vec<&str> = list["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["walk", "class"]);
        let (status, one) = json_of(api.get("/api/v1/paws/services/walk").await).await;
        assert_eq!((status, one), (StatusCode::OK, walk.clone()));

        // PATCH changes only what it names.
        let patch = json!({"price_minor": 1800, "active": false});
        let (status, patched) = json_of(api.patch("/api/v1/paws/services/walk", patch).await).await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(
            (patched["price_minor"].clone(), patched["active"].clone()),
            (json!(1800), json!(false))
        );
        assert_eq!(
            (patched["name"].clone(), patched["duration_minutes"].clone()),
            (json!("Walk"), json!(30))
        );
        let (status, moved) =
            json_of(api.patch("/api/v1/paws/services/walk", json!({"code": "stroll"})).await).await;
        assert_eq!((status, moved["code"].clone()), (StatusCode::OK, json!("stroll")));
        assert_eq!(api.get("/api/v1/paws/services/walk").await.status(), StatusCode::NOT_FOUND);

        // 409 for a taken code, on create and on rename.
        let taken = json!({"code": "class", "name": "Again", "duration_minutes": 30});
        let (status, error) = json_of(api.post("/api/v1/paws/services", taken).await).await;
        assert_eq!(
            (status, error["error"]["code"].clone()),
            (StatusCode::CONFLICT, json!("code_taken"))
        );
        let (status, _) =
            json_of(api.patch("/api/v1/paws/services/stroll", json!({"code": "class"})).await)
                .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // DELETE: 204 when gone, 200 with the inactive service when bookings keep it.
        let class_id = catalog::by_code(app.db(), tenant.id, "class").await.unwrap().unwrap().id;
        book(&app, &tenant, class_id.get(), None).await;
        let r = api.delete("/api/v1/paws/services/stroll").await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (status, kept) = json_of(api.delete("/api/v1/paws/services/class").await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kept["result"], "deactivated");
        assert_eq!(
            (kept["service"]["code"].clone(), kept["service"]["active"].clone()),
            (json!("class"), json!(false))
        );
        assert_eq!(
            api.delete("/api/v1/paws/services/stroll").await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(count(&app, "select count(*) from services").await, 1);
    })
    .await;
}

#[tokio::test]
async fn the_api_refuses_bad_service_input_with_field_messages() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        seed_service(&app, &tenant, "walk").await;
        let api = Api::new(&app, &tenant).await;
        let before = snapshot(&app).await;
        let fields_of = |body: &Value| body["error"]["fields"].as_object().cloned().unwrap_or_default();

        let cases = [
            (json!({"code": "a", "name": "A", "duration_minutes": 30, "price_minor": -1}), "price_minor"),
            (json!({"code": "a", "name": "A", "duration_minutes": 30, "mode": "group"}), "mode"),
            (json!({"code": "a", "name": "A", "duration_minutes": 0}), "duration_minutes"),
            (json!({"code": "a", "name": "A"}), "duration_minutes"),
            (json!({"code": "a", "name": "A", "duration_minutes": "thirty"}), "duration_minutes"),
            (json!({"code": "a", "name": "A", "duration_minutes": 30, "price_minor": 10_000_001}), "price_minor"),
            (json!({"code": "a", "name": "A", "duration_minutes": 30, "currency": "XYZ"}), "currency"),
            (json!({"code": "A B", "name": "A", "duration_minutes": 30}), "code"),
            (json!({"name": "A", "duration_minutes": 30}), "code"),
            (json!({"code": "a", "duration_minutes": 30}), "name"),
            (json!({"code": "a", "name": "A", "duration_minutes": 30, "active": "yes"}), "active"),
            (json!({"code": "a", "name": "A", "duration_minutes": 30, "duration": 30}), "duration"),
        ];
        for (body, field) in cases {
            let (status, error) = json_of(api.post("/api/v1/paws/services", body.clone()).await).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(error["error"]["code"], "invalid");
            assert!(fields_of(&error).contains_key(field), "{body} → {error}");
        }
        let (status, error) =
            json_of(api.patch("/api/v1/paws/services/walk", json!({"duration_minutes": 0, "buffer_before_minutes": 300})).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields_of(&error).len(), 2, "{error}");

        // Malformed JSON and a body that is not an object: 400, still JSON.
        for body in ["{\"code\": ", "[1, 2]"] {
            let (status, error) = json_of(api.raw(Method::POST, "/api/v1/paws/services", body).await).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(error["error"]["code"], "bad_json");
        }
        assert_eq!(snapshot(&app).await, before);
        // Without a token: 401.
        let r = app.client.get(app.url("/api/v1/paws/services")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn another_tenant_gets_404_on_every_service_route_and_changes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("alpha", Plan::Pro).await;
        let b = app.seed_tenant("bravo", Plan::Pro).await;
        seed_service(&app, &a, "walk").await;
        catalog::set_default(app.db(), a.id, "walk", 30, "").await.unwrap();
        let before = snapshot(&app).await;
        let intruder = owner_of(&app, &b).await;
        let api = Api::new(&app, &b).await;

        // B's owner on A's pages.
        for path in ["/app/alpha/services", "/app/alpha/services/new", "/app/alpha/services/walk"] {
            assert_eq!(intruder.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let posts: [(&str, Vec<(&str, &str)>); 5] = [
            ("/app/alpha/services/new", service_form("mine", "Mine", "30")),
            ("/app/alpha/services/walk", service_form("walk", "Hijacked", "30")),
            ("/app/alpha/services/walk/delete", vec![]),
            ("/app/alpha/services/defaults", vec![("code", "walk"), ("duration_minutes", "90")]),
            // A's code under B's own address is simply unknown.
            ("/app/bravo/services/walk/delete", vec![]),
        ];
        for (path, form) in posts {
            assert_eq!(
                intruder.post_form(path, &form).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert_eq!(intruder.get("/app/bravo/services/walk").await.status(), StatusCode::NOT_FOUND);

        // B's token on A's API, and on its own API with A's code.
        for path in
            ["/api/v1/alpha/services", "/api/v1/alpha/services/walk", "/api/v1/bravo/services/walk"]
        {
            assert_eq!(api.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let create = json!({"code": "mine", "name": "Mine", "duration_minutes": 30});
        assert_eq!(
            api.post("/api/v1/alpha/services", create).await.status(),
            StatusCode::NOT_FOUND
        );
        for path in ["/api/v1/alpha/services/walk", "/api/v1/bravo/services/walk"] {
            let r = api.patch(path, json!({"name": "Hijacked"})).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(api.delete(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let (status, error) = json_of(api.get("/api/v1/alpha/services/walk").await).await;
        assert_eq!(
            (status, error["error"]["code"].clone()),
            (StatusCode::NOT_FOUND, json!("not_found"))
        );

        assert_eq!(snapshot(&app).await, before);
        assert_eq!(catalog::default_duration(app.db(), a.id, "walk").await.unwrap(), Some(30));
        assert_eq!(count(&app, "select count(*) from service_defaults").await, 1);
    })
    .await;
}
