use std::time::Duration;

use portico_store::{Db, PoolSettings, outbox, schema};
use portico_testkit::{Backend, PgDatabase, TestApp, backends, matrix, wait_for};

#[tokio::test]
async fn both_migration_folders_produce_the_same_tables_and_columns() {
    if !backends().contains(&Backend::Postgres) {
        return; // `backends()` printed why.
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.path().join("parity.db").display());
    let sqlite = Db::connect(&sqlite_url, PoolSettings::default()).await.unwrap();
    sqlite.migrate().await.unwrap();
    let pg_database = PgDatabase::create().await;
    let postgres = Db::connect(&pg_database.url, PoolSettings::default()).await.unwrap();
    postgres.migrate().await.unwrap();

    let sqlite_columns = schema::columns(&sqlite).await.unwrap();
    let postgres_columns = schema::columns(&postgres).await.unwrap();
    assert!(!sqlite_columns.is_empty());
    let only_sqlite: Vec<_> = sqlite_columns.difference(&postgres_columns).collect();
    let only_postgres: Vec<_> = postgres_columns.difference(&sqlite_columns).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "schemas differ:\n only in sqlite: {only_sqlite:#?}\n only in postgres: {only_postgres:#?}"
    );
    postgres.close().await;
}

#[tokio::test]
async fn migrating_twice_changes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let before = schema::columns(app.db()).await.unwrap();
        app.db().migrate().await.unwrap();
        assert_eq!(before, schema::columns(app.db()).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn two_relays_never_lease_the_same_outbox_row() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let mut tx = app.db().begin().await.unwrap();
        for n in 0..10 {
            outbox::insert(&mut tx, "ping", &format!("{{\"token\":\"t{n}\"}}"), 0).await.unwrap();
        }
        tx.commit().await.unwrap();

        // Two relays claim at once, repeatedly, until nothing is left. On PostgreSQL the
        // loser of a row lock may come back empty-handed; it must never get a row twice.
        let mut ids: Vec<i64> = Vec::new();
        for round in 0..10 {
            let (owner_a, owner_b) = (format!("relay-a{round}"), format!("relay-b{round}"));
            let (a, b) = tokio::join!(
                outbox::claim(app.db(), &owner_a, 100, 160, 6),
                outbox::claim(app.db(), &owner_b, 100, 160, 6)
            );
            let (a, b) = (a.unwrap(), b.unwrap());
            if a.is_empty() && b.is_empty() {
                break;
            }
            ids.extend(a.iter().chain(&b).map(|row| row.id));
        }
        let leased = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), leased, "no row leased twice");
        assert_eq!(ids.len(), 10, "every row leased");

        // Nothing more to take while the leases hold; everything again once they pass.
        assert!(outbox::claim(app.db(), "relay-c", 150, 210, 100).await.unwrap().is_empty());
        assert_eq!(outbox::claim(app.db(), "relay-c", 160, 220, 100).await.unwrap().len(), 10);
    })
    .await;
}

#[tokio::test]
async fn an_outbox_row_exists_only_if_its_transaction_commits() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let mut tx = app.db().begin().await.unwrap();
        portico_jobs::enqueue(&mut tx, &portico_jobs::Ping { token: "rolled-back".into() }, 0)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), 0);
        let _ = Duration::ZERO;
    })
    .await;
}

#[tokio::test]
async fn a_claimed_batch_comes_back_oldest_first_and_is_deleted_in_one_go() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let mut tx = app.db().begin().await.unwrap();
        for n in 0..5 {
            outbox::insert(&mut tx, "ping", &format!("{{\"token\":\"b{n}\"}}"), 0).await.unwrap();
        }
        tx.commit().await.unwrap();
        let rows = outbox::claim(app.db(), "relay", 100, 160, 3).await.unwrap();
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "oldest first: {ids:?}");
        assert!(rows[0].payload.contains("b0"));

        outbox::delete_many(app.db(), &ids).await.unwrap();
        outbox::delete_many(app.db(), &[]).await.unwrap();
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), 2, "only the batch went");
    })
    .await;
}

#[tokio::test]
async fn an_api_token_records_its_use_at_most_once_a_minute() {
    async fn last_used(db: &Db) -> Option<i64> {
        sqlx::query_scalar("select last_used_at from api_tokens")
            .fetch_one(db.pool())
            .await
            .unwrap()
    }
    async fn use_at(db: &Db, token: &str, now: i64) -> Option<i64> {
        let tenant = portico_store::tokens::tenant_of_api_token(db, token, now).await.unwrap();
        tenant.map(|t| t.get())
    }
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", portico_domain::plans::Plan::Free).await;
        let token = app.api_token(t.id).await;
        let db = app.db();
        assert_eq!(last_used(db).await, None);
        assert_eq!(use_at(db, &token, 1_000).await, Some(t.id.get()));
        assert_eq!(last_used(db).await, Some(1_000));
        // Busy within the minute: reads only.
        assert_eq!(use_at(db, &token, 1_030).await, Some(t.id.get()));
        assert_eq!(use_at(db, &token, 1_059).await, Some(t.id.get()));
        assert_eq!(last_used(db).await, Some(1_000));
        assert_eq!(use_at(db, &token, 1_060).await, Some(t.id.get()));
        assert_eq!(last_used(db).await, Some(1_060));
        assert_eq!(use_at(db, "not-a-token", 2_000).await, None);
    })
    .await;
}

#[tokio::test]
async fn sqlite_readers_keep_a_small_page_cache_and_the_writer_the_default() {
    matrix(|backend| async move {
        if backend != Backend::Sqlite {
            return; // PostgreSQL caches in its own server.
        }
        let app = TestApp::spawn(backend).await;
        let cache = |pool| async move {
            let size: i64 = sqlx::query_scalar("pragma cache_size").fetch_one(pool).await.unwrap();
            size
        };
        // Negative: KiB. A reader 512 KiB, not SQLite's 2 MiB per connection; the writer,
        // which runs the booking transactions, keeps the 2 MiB.
        assert_eq!(cache(app.db().pool()).await, -512);
        assert_eq!(cache(app.db().writes()).await, -2000);
    })
    .await;
}

#[tokio::test]
async fn postgres_connections_never_plan_parallel_workers() {
    matrix(|backend| async move {
        if backend != Backend::Postgres {
            return; // SQLite has no parallel plans.
        }
        let app = TestApp::spawn(backend).await;
        // Every connection of the pool, not only the first: hold two at once.
        let mut first = app.db().pool().acquire().await.unwrap();
        let mut second = app.db().pool().acquire().await.unwrap();
        for conn in [&mut first, &mut second] {
            let workers: String = sqlx::query_scalar("show max_parallel_workers_per_gather")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(workers, "0");
        }
    })
    .await;
}

#[tokio::test]
async fn connections_left_unused_past_the_idle_timeout_are_closed() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let settings = PoolSettings {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_millis(500)),
        };
        let db = Db::connect(&app.config().database.url(), settings).await.unwrap();
        // Four statements at once, each holding its connection a moment: four connections.
        let sleep = match backend {
            Backend::Postgres => "select pg_sleep(0.2)",
            Backend::Sqlite => {
                "with recursive n(i) as (select 1 union all select i + 1 \
                               from n where i < 200000) select count(*) from n"
            }
        };
        let query = || sqlx::query(sleep).execute(db.pool());
        let (a, b, c, d) = tokio::join!(query(), query(), query(), query());
        for result in [a, b, c, d] {
            result.unwrap();
        }
        assert!(db.pool().size() > 1, "the statements ran on {} connection(s)", db.pool().size());
        // Closed within twice the timeout once unused (sqlx's reaper runs on real time, so
        // the test waits for it); none is kept open for its own sake.
        let pool = db.pool();
        wait_for("idle connections to close", Duration::from_millis(1_500), || async move {
            (pool.size() == 0).then_some(())
        })
        .await;
        // And the next statement opens one again.
        db.ping().await.unwrap();
        db.close().await;
    })
    .await;
}

/// A booking's events are read through an index on the booking, never by walking the tenant's
/// whole event history: until migration 0032 SQLite answered these with the `(tenant_id, id)`
/// index, reading every event of the tenant per notification (and per booking in the
/// reminder and calendar sweeps). On PostgreSQL sequential scans are turned off for the check,
/// since on an empty table the planner would rightly prefer one.
#[tokio::test]
async fn a_bookings_events_are_read_through_an_index_on_the_booking() {
    use sqlx::Row as _;
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let mut conn = app.db().pool().acquire().await.unwrap();
        let (explain, column) = match backend {
            Backend::Sqlite => ("explain query plan", 3),
            Backend::Postgres => {
                sqlx::query("set enable_seqscan = off").execute(&mut *conn).await.unwrap();
                ("explain", 0)
            }
        };
        // The shapes of `feeds::sequence`, `syncs::booking_version`, `events::of_booking` and
        // the reminder sweep's subquery.
        for query in [
            "select count(*) from booking_events where tenant_id = 1 and booking_id = 2 \
             and id <= 3",
            "select max(id) from booking_events where tenant_id = 1 and booking_id = 2",
            "select e.id from booking_events e where e.tenant_id = 1 and e.booking_id = 2 \
             order by e.id",
            "select b.id from bookings b where coalesce((select max(e.created_at) \
             from booking_events e where e.tenant_id = b.tenant_id and e.booking_id = b.id \
             and e.action in ('created', 'rescheduled')), b.created_at) < 5",
        ] {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{explain} {query}")))
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            let plan: Vec<String> = rows.iter().map(|row| row.get::<String, _>(column)).collect();
            // The lines that say how booking_events is searched (SQLite: `SEARCH e USING
            // INDEX name (tenant_id=? AND booking_id=?)`; PostgreSQL: `Index Cond: …`).
            let bounded = plan.iter().any(|line| {
                (line.contains("USING") || line.contains("Index Cond"))
                    && line.replace(' ', "").contains("booking_id=")
            });
            assert!(bounded, "{query}:\n{}", plan.join("\n"));
        }
    })
    .await;
}
