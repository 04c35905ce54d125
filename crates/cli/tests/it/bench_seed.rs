//! `portico bench seed`: scale data in bulk, on both backends.

use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{TestApp, matrix};

use crate::binary::{portico, run};

/// Runs `portico bench seed ARGS…` against the app's database; returns its standard error.
fn seed(app: &TestApp, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = run(portico(dir.path())
        .env("DATABASE_URL", app.config().database.url())
        .args(["bench", "seed"])
        .args(args));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "bench seed {args:?} failed: {stderr}");
    stderr
}

#[tokio::test]
async fn bench_seed_adds_tenants_and_a_finished_history_in_bulk() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
        let sam = app.seed_staff_member(tenant.id, "Sam", &[&walk]).await;
        let kim = app.seed_staff_member(tenant.id, "Kim", &[&walk]).await;
        let now = chrono::Utc::now().timestamp();

        // More rows than one statement and one transaction take.
        let log = seed(&app, &["--tenants", "3", "--bookings", "20500", "--into", "paws"]);
        assert!(log.contains("tenants: 3/3 (100%)"), "{log}");
        assert!(log.contains("bookings: 20500/20500 (100%)"), "{log}");
        assert_eq!(app.count("select count(*) from tenants where slug like 'seed-%'").await, 3);
        let services = "select count(*) from services s join tenants t on t.id = s.tenant_id \
                        where t.slug like 'seed-%' and s.code = 'walk' and s.mode = 'slot'";
        assert_eq!(app.count(services).await, 3);
        let paws = tenant.id.get();
        let history = format!(
            "select count(*) from bookings where tenant_id = {paws} and status = 'completed' \
             and staff_id in ({sam}, {kim}) and service_id = {} and ends_at <= {now} \
             and busy_until = ends_at",
            walk.id
        );
        assert_eq!(app.count(&history).await, 20500, "all in the past, taking turns");
        let overlapping = format!(
            "select count(*) from bookings a join bookings b on a.staff_id = b.staff_id \
             and a.id < b.id and a.starts_at < b.ends_at and b.starts_at < a.ends_at \
             where a.tenant_id = {paws} and a.starts_at > {now} - 86400"
        );
        assert_eq!(app.count(&overlapping).await, 0, "nobody double-booked");
        assert_eq!(
            app.count(&format!("select count(*) from bookings where staff_id = {sam}")).await,
            10250
        );
        if backend == portico_testkit::Backend::Postgres {
            // Settled after the bulk load: the planner has statistics of the new rows.
            let analyzed = "select count(*) from pg_stat_user_tables \
                            where relname = 'bookings' and last_analyze is not null";
            assert_eq!(app.count(analyzed).await, 1, "vacuum analyze after the load");
        }

        // Without --into, the history is spread over the tenants added now.
        seed(&app, &["--tenants", "2", "--bookings", "10"]);
        let spread = "select count(*) from bookings k join tenants t on t.id = k.tenant_id \
                      where t.slug in ('seed-00005', 'seed-00006') and k.staff_id is null";
        assert_eq!(app.count(spread).await, 10);
    })
    .await;
}
