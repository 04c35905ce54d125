use std::time::Duration;

use portico_jobs::Ping;
use portico_store::{outbox, pings};
use portico_testkit::{TestApp, matrix, wait_for};

async fn delivered(app: &TestApp, token: &str) -> i64 {
    pings::deliveries(app.db(), token).await.unwrap()
}

#[tokio::test]
async fn ping_travels_outbox_relay_queue_worker() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let worker = app.start_worker();
        app.enqueue(&Ping { token: "hello".into() }).await;

        wait_for("the ping to be handled", Duration::from_secs(20), || async {
            (delivered(&app, "hello").await > 0).then_some(())
        })
        .await;
        worker.stop().await.unwrap();

        assert_eq!(delivered(&app, "hello").await, 1, "delivered once");
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), 0, "outbox emptied");
    })
    .await;
}

#[tokio::test]
async fn a_job_written_while_no_relay_runs_is_delivered_once_one_starts() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        app.enqueue(&Ping { token: "waiting".into() }).await;
        app.enqueue(&Ping { token: "also-waiting".into() }).await;
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), 2);
        assert_eq!(delivered(&app, "waiting").await, 0);

        let worker = app.start_worker();
        wait_for("both pings", Duration::from_secs(20), || async {
            (delivered(&app, "waiting").await == 1 && delivered(&app, "also-waiting").await == 1)
                .then_some(())
        })
        .await;
        worker.stop().await.unwrap();
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_stopped_worker_leaves_new_jobs_safely_in_the_outbox() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let worker = app.start_worker();
        worker.stop().await.unwrap();
        app.enqueue(&Ping { token: "after-stop".into() }).await;
        assert_eq!(outbox::pending_count(app.db()).await.unwrap(), 1);

        // A new worker process picks it up.
        let worker = app.start_worker();
        wait_for("the ping", Duration::from_secs(20), || async {
            (delivered(&app, "after-stop").await == 1).then_some(())
        })
        .await;
        worker.stop().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn run_pending_jobs_drains_the_outbox_synchronously() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        app.enqueue(&Ping { token: "a".into() }).await;
        app.enqueue(&Ping { token: "b".into() }).await;
        assert_eq!(app.run_pending_jobs().await, 2);
        assert_eq!(delivered(&app, "a").await, 1);
        assert_eq!(delivered(&app, "b").await, 1);
        assert_eq!(app.run_pending_jobs().await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_repeated_ping_delivery_is_recorded_not_lost() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let now = 1_700_000_000;
        pings::record(app.db(), "dup", now).await.unwrap();
        pings::record(app.db(), "dup", now).await.unwrap();
        assert_eq!(delivered(&app, "dup").await, 2);
    })
    .await;
}

/// Finished jobs do not stay in the queue storage for ever: those done longer ago than the
/// retention are removed with everything the storage keeps of them, and a job still waiting
/// is never touched.
#[tokio::test]
async fn finished_jobs_older_than_the_retention_are_purged_and_waiting_ones_kept() {
    use portico_jobs::Job as _;
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let queue = app.state.queue.clone();
        let worker = app.start_worker();
        for token in ["first", "second"] {
            app.enqueue(&Ping { token: token.into() }).await;
        }
        wait_for("both pings", Duration::from_secs(20), || async {
            (delivered(&app, "first").await == 1 && delivered(&app, "second").await == 1)
                .then_some(())
        })
        .await;
        worker.stop().await.unwrap();
        // A job that waits in the storage (pushed there directly: no worker runs now).
        queue.push_json_many(Ping::QUEUE, &[r#"{"token":"waiting"}"#]).await.unwrap();
        let before = queue.stored(Ping::QUEUE).await.unwrap();
        assert!(before >= 3, "two done pings and the waiting one: {before}");

        // Nothing finished an hour ago: nothing goes.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let hour_ago = now.as_secs() - 3600;
        assert_eq!(queue.purge_finished(&[Ping::QUEUE], hour_ago).await.unwrap(), 0);
        assert_eq!(queue.stored(Ping::QUEUE).await.unwrap(), before);

        // Everything finished before the next second (`done_at` is in whole seconds): the done
        // pings go, entirely; the waiting one stays, and still runs.
        let next_second = now.as_secs() + 1;
        assert_eq!(queue.purge_finished(&[Ping::QUEUE], next_second).await.unwrap(), 2);
        assert_eq!(queue.stored(Ping::QUEUE).await.unwrap(), 1, "only the waiting job is left");
        let worker = app.start_worker();
        wait_for("the waiting ping", Duration::from_secs(20), || async {
            (delivered(&app, "waiting").await == 1).then_some(())
        })
        .await;
        worker.stop().await.unwrap();
    })
    .await;
}
