//! Failures: a revoked grant disconnects at once, emails once and stops calling Google; 429
//! and 503 fail the job as transient (the apalis workers retry those with exponential backoff
//! and jitter) and a later attempt syncs; a `Retry-After` holds every call for the calendar
//! until it has passed; 404 and 410 on a delete mean already gone; the hourly reconcile
//! repairs events changed at Google; a downgrade pauses the sync and an upgrade catches up.

use std::time::Duration;

use chrono::{Duration as Span, TimeZone as _, Utc};
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_jobs::{CalendarSync, CalendarWork, Job as _};
use portico_store::{outbox, tenants};
use portico_testkit::{matrix, wait_for};
use portico_workers::JobError;

use super::{PRIMARY, Shop};

#[tokio::test]
async fn a_revoked_grant_disconnects_emails_once_and_stops_calling_google() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        shop.connect_owner().await;
        let booking = shop.book(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()).await;
        shop.app.run_pending_jobs().await;
        assert_eq!(shop.google.events(PRIMARY).len(), 1);

        // The person removes Portico in their Google account; an hour later the access token
        // has expired too.
        shop.google.revoke_all_grants();
        shop.app.clock.advance(Span::hours(2));
        shop.reschedule(booking, Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()).await;
        shop.app.run_pending_jobs().await;
        let connection = shop.connection().await.unwrap();
        assert!(!connection.is_connected());
        assert!(connection.last_error.as_deref().unwrap_or_default().contains("revoked"));
        assert_eq!(shop.app.count("select count(*) from tenant_secrets").await, 0);
        let notices = disconnect_notices(&shop);
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0].text_body().contains("/app/paws/calendar"),
            "{}",
            notices[0].text_body()
        );
        assert!(shop.owner.page("/app/paws").await.contains("Google Calendar disconnected"));
        assert!(shop.owner.page("/app/paws/calendar").await.contains("reconnect"));

        // Nothing more goes to Google, and nobody is emailed again.
        let calls = shop.google.calls().len();
        shop.reschedule(booking, Utc.with_ymd_and_hms(2026, 12, 3, 14, 0, 0).unwrap()).await;
        shop.app
            .enqueue(&CalendarSync { tenant_id: shop.seeded.id.get(), booking_id: booking })
            .await;
        let job = CalendarWork::Refresh {
            tenant_id: shop.seeded.id.get(),
            connection_id: connection.id.get(),
        };
        shop.app.enqueue(&job).await;
        shop.app.run_pending_jobs().await;
        assert_eq!(shop.google.calls().len(), calls);
        assert_eq!(disconnect_notices(&shop).len(), 1, "emailed once");
    })
    .await;
}

/// The "Google Calendar disconnected" emails the owner received.
fn disconnect_notices(shop: &Shop) -> Vec<portico_testkit::ReceivedMail> {
    shop.app
        .mail
        .messages()
        .into_iter()
        .filter(|m| m.rcpt_to.contains(&shop.seeded.owner_email))
        .filter(|m| m.subject().contains("Google Calendar disconnected"))
        .collect()
}

#[tokio::test]
async fn rate_limits_and_outages_are_retried_until_synced() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        shop.connect_owner().await;
        shop.google.fail_next(1, 429);
        shop.google.fail_next(1, 403); // 403 with reason `userRateLimitExceeded`
        shop.google.fail_next(1, 503);
        shop.book(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()).await;
        let now = shop.app.clock.now_ts();
        let rows = outbox::claim(shop.app.db(), "test", now, now + 60, 10).await.unwrap();
        let row = rows.iter().find(|r| r.queue == "calendar_sync").expect("a sync job");
        let deps = shop.app.deps();
        for words in ["slow down", "slow down", "unavailable (HTTP 503)"] {
            let attempt = portico_workers::dispatch(&deps, &row.queue, &row.payload).await;
            assert!(matches!(attempt, Err(JobError::Transient(_))), "{attempt:?}");
            let page = shop.owner.page("/app/paws/calendar").await;
            assert!(page.contains(words), "{words}: {page}");
        }
        portico_workers::dispatch(&deps, &row.queue, &row.payload).await.unwrap();
        assert_eq!(shop.google.events(PRIMARY).len(), 1);
        assert!(!shop.owner.page("/app/paws/calendar").await.contains("Last error"));
    })
    .await;
}

#[tokio::test]
async fn retry_after_holds_every_call_to_google_until_it_has_passed() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let connection = shop.connect_owner().await;
        let deps = shop.app.deps();
        let refresh = CalendarWork::Refresh {
            tenant_id: shop.seeded.id.get(),
            connection_id: connection.id.get(),
        };
        let refresh = serde_json::to_string(&refresh).unwrap();
        let next_job = |shop: &Shop| {
            let (db, now) = (shop.app.db().clone(), shop.app.clock.now_ts());
            async move {
                let rows = outbox::claim(&db, "test", now, now + 60, 10).await.unwrap();
                rows.into_iter().find(|r| r.queue == "calendar_sync").expect("a sync job")
            }
        };
        let waits = |attempt: Result<(), JobError>, secs: u64| match attempt {
            Err(JobError::RetryAfter(after, _)) => assert_eq!(after, Duration::from_secs(secs)),
            other => panic!("expected a retry after {secs}s: {other:?}"),
        };

        // 429 with Retry-After: 120.
        shop.google.fail_next_retry_after(429, 120);
        let booking = shop.book(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()).await;
        let row = next_job(&shop).await;
        waits(portico_workers::dispatch(&deps, &row.queue, &row.payload).await, 120);
        assert!(shop.owner.page("/app/paws/calendar").await.contains("slow down"));
        // Until it has passed nothing calls Google for this calendar: not the job's retry, not
        // the periodic refresh.
        let calls = shop.google.calls().len();
        shop.app.clock.advance(Span::seconds(100));
        waits(portico_workers::dispatch(&deps, &row.queue, &row.payload).await, 20);
        waits(portico_workers::dispatch(&deps, CalendarWork::QUEUE, &refresh).await, 20);
        assert_eq!(shop.google.calls().len(), calls, "held");
        shop.app.clock.advance(Span::seconds(20));
        portico_workers::dispatch(&deps, &row.queue, &row.payload).await.unwrap();
        outbox::delete(shop.app.db(), row.id).await.unwrap();
        assert_eq!(shop.google.events(PRIMARY).len(), 1);

        // 503 with Retry-After: 30.
        shop.google.fail_next_retry_after(503, 30);
        shop.reschedule(booking, Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()).await;
        let row = next_job(&shop).await;
        waits(portico_workers::dispatch(&deps, &row.queue, &row.payload).await, 30);
        assert!(shop.owner.page("/app/paws/calendar").await.contains("HTTP 503"));
        shop.app.clock.advance(Span::seconds(30));
        portico_workers::dispatch(&deps, &row.queue, &row.payload).await.unwrap();
        let event = shop.google.event(PRIMARY, &shop.event_id(booking)).unwrap();
        assert_eq!(event.start["dateTime"], "2026-12-03T12:00:00+00:00");
        assert!(!shop.owner.page("/app/paws/calendar").await.contains("Last error"));
    })
    .await;
}

#[tokio::test]
async fn the_worker_waits_out_retry_after_before_its_retry() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        shop.connect_owner().await;
        let api_calls = |shop: &Shop| {
            let calls = shop.google.calls();
            calls.into_iter().filter(|c| c.path.starts_with("/calendar/v3")).collect::<Vec<_>>()
        };
        let before = api_calls(&shop).len();
        let worker = shop.app.start_worker();
        shop.google.fail_next_retry_after(503, 2);
        let booking = shop.book(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()).await;
        wait_for("the refused attempt", Duration::from_secs(20), || async {
            shop.connection().await.and_then(|c| c.hold_until)
        })
        .await;
        // The app's clock is manual: it moves past the hold as real time will.
        shop.app.clock.advance(Span::seconds(2));
        let id = shop.event_id(booking);
        wait_for("the retry to sync", Duration::from_secs(30), || async {
            shop.google.event(PRIMARY, &id)
        })
        .await;
        worker.stop().await.unwrap();
        let calls = api_calls(&shop);
        assert_eq!(calls.len(), before + 2, "refused, then synced");
        let waited = calls[before + 1].at.duration_since(calls[before].at);
        assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");
    })
    .await;
}

#[tokio::test]
async fn a_downgrade_pauses_the_sync_and_an_upgrade_catches_up() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let connection = shop.connect_owner().await;
        let soon = shop.book(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()).await;
        // Beyond the 60 days the hourly drift repair reads back.
        let later = shop.book(Utc.with_ymd_and_hms(2027, 2, 15, 10, 0, 0).unwrap()).await;
        shop.app.run_pending_jobs().await;
        let refresh = CalendarWork::Refresh {
            tenant_id: shop.seeded.id.get(),
            connection_id: connection.id.get(),
        };
        shop.app.enqueue(&refresh).await;
        shop.app.run_pending_jobs().await;
        assert_eq!(shop.google.events(PRIMARY).len(), 2);

        let (db, id, now) = (shop.app.db(), shop.seeded.id, shop.app.clock.now_ts());
        tenants::set_plan(db, id, Plan::Free, None, now).await.unwrap();
        let calls = shop.google.calls().len();
        shop.reschedule(soon, Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()).await;
        shop.cancel(later).await;
        let new = shop.book(Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap()).await;
        shop.app.enqueue(&CalendarSync { tenant_id: id.get(), booking_id: soon }).await;
        shop.app.enqueue(&refresh).await;
        shop.app.run_pending_jobs().await;
        assert_eq!(shop.google.calls().len(), calls, "paused");
        let event = shop.google.event(PRIMARY, &shop.event_id(soon)).unwrap();
        assert_eq!(event.start["dateTime"], "2026-12-03T10:00:00+00:00", "nothing deleted");

        // Back on PRO: the next periodic refresh (minutes later, before the hourly drift
        // repair is due) syncs every booking changed meanwhile, however far ahead.
        tenants::set_plan(db, id, Plan::Pro, None, now).await.unwrap();
        shop.app.clock.advance(Span::seconds(301));
        shop.app.enqueue(&refresh).await;
        shop.app.run_pending_jobs().await;
        let event = shop.google.event(PRIMARY, &shop.event_id(soon)).unwrap();
        assert_eq!(event.start["dateTime"], "2026-12-03T12:00:00+00:00", "caught up");
        assert_eq!(shop.google.event(PRIMARY, &shop.event_id(later)).unwrap().status, "cancelled");
        assert!(
            shop.google
                .event(PRIMARY, &shop.event_id(new))
                .is_some_and(|e| e.status == "confirmed")
        );
        assert_eq!(shop.app.count("select count(*) from calendar_event_syncs").await, 3);

        // Nothing is behind now: the next refresh writes no event.
        let writes =
            |shop: &Shop| shop.google.calls().iter().filter(|c| c.path.contains("/events")).count();
        let before = writes(&shop);
        shop.app.clock.advance(Span::seconds(301));
        shop.app.enqueue(&refresh).await;
        shop.app.run_pending_jobs().await;
        assert_eq!(writes(&shop), before);
    })
    .await;
}

#[tokio::test]
async fn events_gone_at_google_count_as_deleted_and_the_reconcile_repairs_drift() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let connection = shop.connect_owner().await;
        let at = |day, hour| Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap();
        let (a, b) = (shop.book(at(3, 10)).await, shop.book(at(3, 14)).await);
        let (c, d) = (shop.book(at(4, 10)).await, shop.book(at(4, 14)).await);
        shop.app.run_pending_jobs().await;
        let id = |booking| shop.event_id(booking);

        // At Google: a deleted (kept as cancelled: deleting it again answers 410), b gone
        // entirely (404), c moved to another time, d deleted.
        shop.google.edit_event(PRIMARY, &id(a), |e| e.status = "cancelled".into());
        shop.google.purge_event(PRIMARY, &id(b));
        let moved = serde_json::json!({ "dateTime": "2026-12-04T16:00:00+00:00" });
        shop.google.edit_event(PRIMARY, &id(c), |e| e.start = moved);
        shop.google.edit_event(PRIMARY, &id(d), |e| e.status = "cancelled".into());

        // Cancelling a and b: Google's 410 and 404 mean already gone, which is what was
        // wanted (the drain panics on a failed job).
        shop.cancel(a).await;
        shop.cancel(b).await;
        shop.app.run_pending_jobs().await;
        let deleted =
            shop.app.count("select count(*) from calendar_event_syncs where state = 'deleted'");
        assert_eq!(deleted.await, 2);
        assert!(!shop.owner.page("/app/paws/calendar").await.contains("Last error"));

        // The hourly reconcile puts c back at its time and d back in the calendar.
        shop.app.clock.advance(Span::seconds(3601));
        let refresh = CalendarWork::Refresh {
            tenant_id: shop.seeded.id.get(),
            connection_id: connection.id.get(),
        };
        shop.app.enqueue(&refresh).await;
        shop.app.run_pending_jobs().await;
        let c_event = shop.google.event(PRIMARY, &id(c)).unwrap();
        assert_eq!(c_event.start["dateTime"], "2026-12-04T10:00:00+00:00");
        assert_eq!(shop.google.event(PRIMARY, &id(d)).unwrap().status, "confirmed");
        assert_eq!(shop.google.event(PRIMARY, &id(a)).unwrap().status, "cancelled");
        assert!(shop.google.event(PRIMARY, &id(b)).is_none(), "a cancelled booking stays out");
    })
    .await;
}
