//! The store's one error: named constraints become conflicts (409), never a 500, and a corrupt
//! stored value fails the read naming its column instead of decoding to a default.

use portico_domain::plans::Plan;
use portico_store::catalog::{self, Mode};
use portico_store::error::{constraints, violates};
use portico_store::{StoreError, tenants};
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::services::Api;

/// Runs raw SQL, e.g. to corrupt a row the way a bad migration or a manual edit would.
async fn execute(app: &TestApp, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(app.db().pool()).await.map(|_| ())
}

/// Twenty owners' tabs rename one of the two services to `target` at once; returns the code
/// of the service that got it, after checking every answer.
async fn rename_race(api: &Api<'_>, services: [&String; 2], target: &str) -> String {
    let renames = (0..20).map(|n| {
        let from = services[n % 2].clone();
        async move {
            let path = format!("/api/v1/paws/services/{from}");
            let response = api.patch(&path, json!({ "code": target })).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (from, status, body)
        }
    });
    let answers = futures::future::join_all(renames).await;
    assert!(answers.iter().all(|(_, s, _)| !s.is_server_error()), "{answers:#?}");
    let won: Vec<_> = answers.iter().filter(|(_, s, _)| *s == StatusCode::OK).collect();
    assert_eq!(won.len(), 1, "{answers:#?}");
    let winner = won[0].0.clone();
    for (from, status, body) in &answers {
        match *status {
            StatusCode::OK => {}
            StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "code_taken", "{body}"),
            // The winner's old code is gone once it moved, so its other renames may find
            // nothing there; the loser still exists, so its renames all get 409.
            StatusCode::NOT_FOUND => assert_eq!(*from, winner, "{answers:#?}"),
            other => panic!("unexpected {other} for {from}: {body}"),
        }
    }
    winner
}

#[tokio::test]
async fn concurrent_renames_of_two_services_to_one_code_give_one_200_and_no_5xx() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let api = Api::new(&app, &tenant).await;
        // A few rounds, as the window between the web layer's check and the write is short.
        for round in 0..3 {
            let (walk, groom, target) =
                (format!("walk{round}"), format!("groom{round}"), format!("stroll{round}"));
            app.seed_service(tenant.id, &walk, Mode::Slot, 30).await;
            app.seed_service(tenant.id, &groom, Mode::Slot, 30).await;
            let winner = rename_race(&api, [&walk, &groom], &target).await;
            let loser = if winner == walk { &groom } else { &walk };
            for (code, exists) in [(&winner, false), (loser, true), (&target, true)] {
                let found = catalog::by_code(app.db(), tenant.id, code).await.unwrap();
                assert_eq!(found.is_some(), exists, "{code}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_rename_that_loses_the_race_after_the_check_is_a_named_conflict() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
        app.seed_service(tenant.id, "groom", Mode::Slot, 30).await;

        // The web layer checked "groom" was free a moment ago; meanwhile it was taken. The
        // write itself must say so (this was a 500 before).
        let mut fields = catalog::ServiceFields {
            code: "groom".into(),
            name: walk.name.clone(),
            description: walk.description.clone(),
            duration_minutes: walk.duration_minutes,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            price_minor: walk.price_minor,
            currency: walk.currency.clone(),
            mode: walk.mode,
            active: true,
            display_order: 0,
            location_kind: portico_store::catalog::LocationKind::Business,
            meeting_url: String::new(),
            prepay: false,
        };
        let error = catalog::update(app.db(), tenant.id, "walk", &fields, 1).await.unwrap_err();
        assert!(
            matches!(error, StoreError::Conflict { constraint: constraints::SERVICE_CODE }),
            "{error:?}"
        );
        // Nothing changed; a free code still works.
        assert_eq!(catalog::by_code(app.db(), tenant.id, "walk").await.unwrap(), Some(walk));
        fields.code = "stroll".into();
        let moved = catalog::update(app.db(), tenant.id, "walk", &fields, 1).await.unwrap();
        assert_eq!(moved.map(|s| s.code).as_deref(), Some("stroll"));
    })
    .await;
}

#[tokio::test]
async fn constraint_names_are_recognised_on_both_backends_and_only_their_own() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
        let t = tenant.id.get();

        let duplicate = execute(
            &app,
            &format!(
                "insert into services (tenant_id, code, name, duration_minutes, currency, mode, \
                 created_at, updated_at) values ({t}, 'walk', 'Again', 30, 'GBP', 'slot', 0, 0)"
            ),
        )
        .await
        .unwrap_err();
        assert!(violates(&duplicate, constraints::SERVICE_CODE), "{duplicate}");
        assert!(!violates(&duplicate, constraints::STAFF_SERVICE), "{duplicate}");

        let staff = app.seed_staff_member(tenant.id, "Sam", &[]).await;
        let dangling = execute(
            &app,
            &format!("insert into staff_services (staff_id, service_id) values ({staff}, 999999)"),
        )
        .await
        .unwrap_err();
        assert!(violates(&dangling, constraints::STAFF_SERVICE), "{dangling}");
        assert!(!violates(&dangling, constraints::SERVICE_CODE), "{dangling}");

        // Another unique constraint (the tenant slug) is not a service-code conflict, so it
        // would stay a 500 instead of being reported as the wrong problem.
        let slug = execute(
            &app,
            "insert into tenants (slug, name, timezone, currency, plan, portal_enabled, \
             created_at, updated_at) values ('paws', 'Again', 'UTC', 'GBP', 'free', 1, 0, 0)",
        )
        .await
        .unwrap_err();
        assert!(!violates(&slug, constraints::SERVICE_CODE), "{slug}");

        // Every mapped name is a real constraint of the PostgreSQL schema.
        if app.db().backend() == portico_store::Backend::Postgres {
            for (name, _) in constraints::ALL {
                let sql = format!("select count(*) from pg_constraint where conname = '{name}'");
                assert_eq!(app.count(&sql).await, 1, "{name}");
            }
        }
        assert_eq!(catalog::by_id(app.db(), tenant.id, walk.id.get()).await.unwrap(), Some(walk));
    })
    .await;
}

#[tokio::test]
async fn a_corrupt_plan_fails_the_read_naming_the_column() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
        assert_eq!(app.get("/book/paws").await.status(), StatusCode::OK);

        let t = tenant.id.get();
        execute(&app, &format!("update tenants set plan = 'gold' where id = {t}")).await.unwrap();
        // Written behind the application's back: move the schedule version as its writes do,
        // or the booking page keeps serving the tenant it has in memory.
        crate::availability::schedule_changed(&app, tenant.id).await;
        let error = tenants::by_id(app.db(), tenant.id.get()).await.unwrap_err();
        assert!(
            matches!(&error, StoreError::Corrupt { column: "tenants.plan", value } if value == "gold"),
            "{error:?}"
        );
        assert!(error.to_string().contains("tenants.plan"), "{error}");
        assert!(tenants::by_slug(app.db(), "paws").await.is_err());
        assert!(tenants::list(app.db()).await.is_err());
        // Not quietly FREE (or PRO): the page fails.
        assert_eq!(app.get("/book/paws").await.status(), StatusCode::INTERNAL_SERVER_ERROR);

        // Other columns of the row are checked the same way.
        for (sql, column) in [
            ("plan = 'pro', pro_until = 99999999999999", "tenants.pro_until"),
            ("pro_until = null, timezone = 'Mars/Olympus'", "tenants.timezone"),
            ("timezone = 'UTC', currency = 'XYZ'", "tenants.currency"),
            ("currency = 'GBP', hold_minutes = -10", "tenants.hold_minutes"),
        ] {
            execute(&app, &format!("update tenants set {sql} where id = {t}")).await.unwrap();
            let error = tenants::by_id(app.db(), tenant.id.get()).await.unwrap_err();
            assert!(error.to_string().contains(column), "{column}: {error}");
        }
        execute(&app, &format!("update tenants set hold_minutes = 10 where id = {t}"))
            .await
            .unwrap();
        assert_eq!(app.get("/book/paws").await.status(), StatusCode::OK);

        // A membership role that is neither owner nor staff is corrupt, not "no access".
        let owner = tenant.owner.get();
        execute(&app, &format!("update memberships set role = 'admin' where user_id = {owner}"))
            .await
            .unwrap();
        let error = tenants::role_of(app.db(), tenant.id, tenant.owner).await.unwrap_err();
        assert!(error.to_string().contains("memberships.role"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn a_corrupt_service_mode_or_currency_fails_the_read_naming_the_column() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
        let api = Api::new(&app, &tenant).await;
        assert_eq!(api.get("/api/v1/paws/services/walk").await.status(), StatusCode::OK);
        assert_eq!(walk.price().to_string(), "25.00 GBP");

        let id = walk.id;
        for (sql, column) in [
            ("mode = 'drop-in'", "services.mode"),
            ("mode = 'slot', currency = 'gbp'", "services.currency"),
            ("currency = 'GBP', duration_minutes = -30", "services.duration_minutes"),
        ] {
            execute(&app, &format!("update services set {sql} where id = {id}")).await.unwrap();
            let error = catalog::by_code(app.db(), tenant.id, "walk").await.unwrap_err();
            assert!(matches!(error, StoreError::Corrupt { column: c, .. } if c == column));
            assert!(error.to_string().contains(column), "{error}");
            assert!(catalog::list(app.db(), tenant.id, false).await.is_err(), "{column}");
            assert_eq!(
                api.get("/api/v1/paws/services/walk").await.status(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "{column}"
            );
            assert_eq!(app.get("/book/paws").await.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
        execute(&app, &format!("update services set duration_minutes = 30 where id = {id}"))
            .await
            .unwrap();
        assert_eq!(catalog::by_id(app.db(), tenant.id, id.get()).await.unwrap(), Some(walk));
    })
    .await;
}

#[tokio::test]
async fn service_prices_follow_the_currency_decimal_places() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let api = Api::new(&app, &tenant).await;
        let create = json!({"code": "tea", "name": "Tea", "duration_minutes": 30,
            "price_minor": 1200, "currency": "JPY"});
        let response = api.post("/api/v1/paws/services", create).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let tea = catalog::by_code(app.db(), tenant.id, "tea").await.unwrap().unwrap();
        assert_eq!(tea.price().to_string(), "1200 JPY");
        assert_eq!(tea.price().currency.exponent(), 0);
    })
    .await;
}
