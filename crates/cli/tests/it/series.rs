//! Recurring series: occurrences hold capacity like bookings, one or the rest can be
//! cancelled, and the rolling horizon moves forward with the maintenance job.

use chrono::{Duration as Span, TimeZone as _, Utc};
use portico_domain::plans::Plan;
use portico_jobs::Maintenance;
use portico_store::catalog::Mode;
use portico_testkit::{PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn occurrences(app: &TestApp, status: &str) -> i64 {
    sqlx::query_scalar("select count(*) from bookings where series_id is not null and status = $1")
        .bind(status)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn book(app: &TestApp, token: &str, start: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/paws/bookings"))
        .bearer_auth(token)
        .json(&json!({ "service": "walk", "start": start, "guest": { "name": "One-off", "email": "o@example.com", "phone": "1" } }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// "paws" (FREE) with a one-hour "walk" the owner offers from 08:00 to 18:00 every day, and
/// its client Jo (with a portal login if `login`).
async fn paws_with_jo(app: &TestApp, login: bool) -> (SeededTenant, portico_domain::ClientId) {
    let tenant = app.seed_tenant("paws", Plan::Free).await;
    app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
    app.seed_hours(tenant.id, None, 8 * 60, 18 * 60).await;
    let (client, _) = app.seed_client(&tenant, "Jo", "jo@example.com", login).await;
    (tenant, client)
}

/// The owner is away all of `day` (UTC), set over the API.
async fn day_off(app: &TestApp, token: &str, day: &str) {
    let start: chrono::NaiveDate = day.parse().unwrap();
    let end = start.succ_opt().unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/paws/time-off"))
        .bearer_auth(token)
        .json(&json!({ "start": format!("{start}T00:00:00Z"), "end": format!("{end}T00:00:00Z"), "reason": "Away" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// A new series of "walk": weekly, `count` times, at `time` from `starts_on` on `days`.
fn series_form<'a>(
    time: &'a str,
    starts_on: &'a str,
    count: &'a str,
    days: &[&'a str],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("service", "walk"),
        ("time", time),
        ("starts_on", starts_on),
        ("interval_weeks", "1"),
        ("ends", "count"),
        ("count", count),
    ];
    form.extend(days.iter().map(|day| (*day, "on")));
    form
}

#[tokio::test]
async fn a_series_blocks_its_slots_and_cancelling_frees_them() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, client) = paws_with_jo(&app, false).await;
        let token = app.api_token(tenant.id).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;

        let page = format!("/app/paws/clients/{client}/series");
        let client_page = owner.page(&format!("/app/paws/clients/{client}")).await;
        assert!(client_page.contains(&format!("href=\"{page}\">Recurring bookings</a>")));
        assert!(owner.page(&page).await.contains("New recurring booking"));
        let bad = owner
            .post_form(
                &page,
                &[
                    ("service", "walk"),
                    ("time", "25:00"),
                    ("starts_on", "2026-12-02"),
                    ("interval_weeks", "1"),
                    ("ends", "count"),
                    ("count", "4"),
                ],
            )
            .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = bad.text().await.unwrap();
        assert!(
            html.contains("Choose at least one weekday.") || html.contains("field-error"),
            "{html}"
        );

        // The times are the real options of the service on the first date, picked, not
        // typed: 08:00 to 17:00 on the hour, not 19:00 (after closing).
        let first_step = owner.page(&format!("{page}?service=walk&starts_on=2026-12-02")).await;
        assert!(first_step.contains("type=\"radio\" name=\"time\" value=\"10:00\""));
        assert!(first_step.contains("value=\"17:00\"") && !first_step.contains("value=\"19:00\""));
        assert!(!first_step.contains("id=\"time\""), "no typed time");
        assert!(first_step.contains("name=\"we\" checked"), "the first date's weekday");
        let nothing = owner
            .post_form(
                &page,
                &[
                    ("service", "walk"),
                    ("time", "19:00"),
                    ("starts_on", "2026-12-02"),
                    ("interval_weeks", "1"),
                    ("ends", "count"),
                    ("count", "4"),
                    ("we", "on"),
                ],
            )
            .await;
        assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = nothing.text().await.unwrap();
        assert!(html.contains("Choose one of the times offered on the first date."), "{html}");
        assert_eq!(app.count("select count(*) from series").await, 0);

        // A time free on the first date, but every date of the series falls on time off: it
        // would book nothing, so it is refused with the reason and not kept.
        day_off(&app, &token, "2026-12-03").await;
        let nothing = owner
            .post_form(
                &page,
                &[
                    ("service", "walk"),
                    ("time", "10:00"),
                    ("starts_on", "2026-12-02"),
                    ("interval_weeks", "1"),
                    ("ends", "count"),
                    ("count", "1"),
                    ("th", "on"),
                ],
            )
            .await;
        assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = nothing.text().await.unwrap();
        assert!(html.contains("This series would book nothing. 2026-12-03: "), "{html}");
        assert_eq!(app.count("select count(*) from series").await, 0);
        assert_eq!(app.count("select count(*) from series_skips").await, 0);

        // Every Wednesday and Friday at 10:00 from 2026-12-02, four times.
        let r = owner
            .post_form(
                &page,
                &[
                    ("service", "walk"),
                    ("time", "10:00"),
                    ("starts_on", "2026-12-02"),
                    ("interval_weeks", "1"),
                    ("ends", "count"),
                    ("count", "4"),
                    ("we", "on"),
                    ("fr", "on"),
                ],
            )
            .await;
        assert_eq!(location(&r), page);
        assert_eq!(occurrences(&app, "confirmed").await, 4);
        let listing = owner.page(&page).await;
        assert!(listing.contains("Every week on Wed, Fri at 10:00"), "{listing}");

        // The occurrence's slot is not sold to someone else.
        let friday = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap().to_rfc3339();
        assert_eq!(book(&app, &token, &friday).await.0, StatusCode::CONFLICT);
        // Cancelling that one occurrence frees its place.
        let id: i64 = sqlx::query_scalar(
            "select id from bookings where series_id is not null and starts_at = $1",
        )
        .bind(Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap().timestamp())
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        let r = app
            .client
            .post(app.url(&format!("/api/v1/paws/bookings/{id}/cancel")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(book(&app, &token, &friday).await.0, StatusCode::CREATED);

        // Cancel the rest from 2026-12-09: the two remaining occurrences go.
        let series_id: i64 =
            sqlx::query_scalar("select id from series").fetch_one(app.db().pool()).await.unwrap();
        let r = owner
            .post_form(&format!("/app/paws/series/{series_id}/cancel"), &[("from", "2026-12-09")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(occurrences(&app, "confirmed").await, 1, "only 2026-12-02 is left");
        // Maintenance never brings them back.
        app.enqueue(&Maintenance::default()).await;
        app.run_pending_jobs().await;
        assert_eq!(occurrences(&app, "confirmed").await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_long_series_is_booked_over_a_rolling_horizon_and_skips_taken_dates() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, client) = paws_with_jo(&app, false).await;
        let token = app.api_token(tenant.id).await;
        // Someone already has Wednesday 2026-12-09 at 10:00.
        let taken = Utc.with_ymd_and_hms(2026, 12, 9, 10, 0, 0).unwrap().to_rfc3339();
        assert_eq!(book(&app, &token, &taken).await.0, StatusCode::CREATED);

        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let page = format!("/app/paws/clients/{client}/series");
        owner
            .post_form(
                &page,
                &[
                    ("service", "walk"),
                    ("time", "10:00"),
                    ("starts_on", "2026-12-02"),
                    ("interval_weeks", "1"),
                    ("ends", "until"),
                    ("until", "2027-12-31"),
                    ("we", "on"),
                ],
            )
            .await;
        // The horizon is 90 days (the tenant's booking window, longer than 8 weeks).
        let booked = occurrences(&app, "confirmed").await;
        assert_eq!(booked, 12, "Wednesdays from 2 Dec to 24 Feb, minus the taken 9 Dec");
        let skips: Vec<(String, String)> =
            sqlx::query_as("select local_date, reason from series_skips")
                .fetch_all(app.db().pool())
                .await
                .unwrap();
        assert_eq!(
            skips,
            vec![("2026-12-09".to_owned(), "the place was already taken".to_owned())]
        );
        assert!(owner.page(&page).await.contains("1 date(s) could not be booked"));

        // A month later the maintenance job books the next Wednesdays.
        app.clock.advance(Span::days(30));
        app.enqueue(&Maintenance::default()).await;
        app.run_pending_jobs().await;
        assert!(occurrences(&app, "confirmed").await >= booked + 4);
    })
    .await;
}

#[tokio::test]
async fn series_routes_refuse_another_tenant_with_404() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let a = app.seed_tenant("paws", Plan::Free).await;
        let b = app.seed_tenant("bravo", Plan::Free).await;
        app.seed_service(a.id, "walk", Mode::Slot, 60).await;
        app.seed_hours(a.id, None, 8 * 60, 18 * 60).await;
        let (client_a, _) = app.seed_client(&a, "Jo", "jo@example.com", false).await;
        let owner_a = app.browser();
        owner_a.login(&a.owner_email, PASSWORD).await;
        owner_a
            .post_form(
                &format!("/app/paws/clients/{client_a}/series"),
                &[
                    ("service", "walk"),
                    ("time", "10:00"),
                    ("starts_on", "2026-12-02"),
                    ("interval_weeks", "1"),
                    ("ends", "count"),
                    ("count", "2"),
                    ("we", "on"),
                ],
            )
            .await;
        let series_id: i64 =
            sqlx::query_scalar("select id from series").fetch_one(app.db().pool()).await.unwrap();

        let owner_b = app.browser();
        owner_b.login(&b.owner_email, PASSWORD).await;
        for path in [
            format!("/app/paws/clients/{client_a}/series"),
            format!("/app/bravo/clients/{client_a}/series"),
        ] {
            assert_eq!(owner_b.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        for path in [
            format!("/app/bravo/series/{series_id}/cancel"),
            format!("/app/paws/series/{series_id}/cancel"),
        ] {
            let r = owner_b.post_form(&path, &[("from", "2026-12-01")]).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let r = owner_b
            .post_form(
                &format!("/app/bravo/clients/{client_a}/series"),
                &[
                    ("service", "walk"),
                    ("time", "10:00"),
                    ("starts_on", "2026-12-02"),
                    ("interval_weeks", "1"),
                    ("ends", "count"),
                    ("count", "2"),
                    ("we", "on"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(occurrences(&app, "confirmed").await, 2, "nothing changed");
        let cancelled_from: String = sqlx::query_scalar("select cancelled_from from series")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(cancelled_from, "");
    })
    .await;
}

#[tokio::test]
async fn a_client_sets_up_and_stops_a_series_in_the_portal() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, client) = paws_with_jo(&app, true).await;
        let (other, _) = app.seed_client(&tenant, "Priya", "priya@example.com", true).await;
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;
        let r = jo
            .post_form(
                "/portal/paws/series",
                &[
                    ("service", "walk"),
                    ("time", "11:00"),
                    ("starts_on", "2026-12-03"),
                    ("interval_weeks", "2"),
                    ("ends", "count"),
                    ("count", "3"),
                    ("th", "on"),
                ],
            )
            .await;
        assert_eq!(location(&r), "/portal/paws/series");
        let page = jo.page("/portal/paws/series").await;
        assert!(page.contains("Every 2 weeks on Thu at 11:00"), "{page}");
        let mine: i64 = sqlx::query_scalar(
            "select count(*) from bookings where client_id = $1 and series_id is not null",
        )
        .bind(client.get())
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!(mine, 3);
        let series_id: i64 =
            sqlx::query_scalar("select id from series").fetch_one(app.db().pool()).await.unwrap();

        // Without permission to change bookings, stopping is refused and nothing changes.
        let r = jo
            .post_form(
                &format!("/portal/paws/series/{series_id}/cancel"),
                &[("from", "2026-12-10")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(occurrences(&app, "confirmed").await, 3);
        sqlx::query("update clients set can_self_reschedule = 1 where id = $1")
            .bind(client.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        // Another client cannot touch it.
        let priya = app.browser();
        priya.login("priya@example.com", PASSWORD).await;
        let r = priya
            .post_form(
                &format!("/portal/paws/series/{series_id}/cancel"),
                &[("from", "2026-12-10")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let _ = other;
        // Stopping from 10 Dec keeps 3 Dec and cancels 17 and 31 Dec.
        let r = jo
            .post_form(
                &format!("/portal/paws/series/{series_id}/cancel"),
                &[("from", "2026-12-10")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(occurrences(&app, "confirmed").await, 1);
        assert_eq!(occurrences(&app, "cancelled").await, 2);
    })
    .await;
}

/// The id of the series' occurrence starting at `start`.
async fn occurrence_at(app: &TestApp, start: chrono::DateTime<Utc>) -> i64 {
    sqlx::query_scalar("select id from bookings where series_id is not null and starts_at = $1")
        .bind(start.timestamp())
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_may_cancel_an_occurrence_just_booked_inside_the_cut_off_for_a_grace_period() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, client) = paws_with_jo(&app, true).await;
        sqlx::query("update clients set can_self_reschedule = 1 where id = $1")
            .bind(client.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let token = app.api_token(tenant.id).await;
        let settings = |body: Value| {
            let request = app
                .client
                .patch(app.url("/api/v1/paws/settings/booking"))
                .bearer_auth(&token)
                .json(&body);
            async move { request.send().await.unwrap() }
        };
        // Changes online until 48 hours before; a series booked moments ago keeps 15 minutes
        // of grace (the default).
        let r = settings(json!({ "cancel_cutoff_hours": 48 })).await;
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["series_cancel_grace_minutes"], 15, "{answer}");

        // Now is Tue 1 Dec 09:00: every Tuesday and Wednesday at 15:00, twice — today and
        // tomorrow, both inside the cut-off.
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;
        let r = jo
            .post_form(
                "/portal/paws/series",
                &[
                    ("service", "walk"),
                    ("time", "15:00"),
                    ("starts_on", "2026-12-01"),
                    ("interval_weeks", "1"),
                    ("ends", "count"),
                    ("count", "2"),
                    ("tu", "on"),
                    ("we", "on"),
                ],
            )
            .await;
        assert_eq!(location(&r), "/portal/paws/series");
        assert_eq!(occurrences(&app, "confirmed").await, 2);
        let today = occurrence_at(&app, Utc.with_ymd_and_hms(2026, 12, 1, 15, 0, 0).unwrap()).await;
        let series_id: i64 =
            sqlx::query_scalar("select id from series").fetch_one(app.db().pool()).await.unwrap();

        // Ten minutes later: today's occurrence can still be cancelled.
        app.clock.advance(Span::minutes(10));
        let r = jo.post_form(&format!("/portal/paws/bookings/{today}/cancel"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(occurrences(&app, "cancelled").await, 1);

        // Sixteen minutes after booking, the cut-off applies again: neither tomorrow's
        // occurrence nor the series from tomorrow on can be cancelled, and nothing changes.
        app.clock.advance(Span::minutes(6));
        let tomorrow =
            occurrence_at(&app, Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap()).await;
        let r = jo.post_form(&format!("/portal/paws/bookings/{tomorrow}/cancel"), &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let stop = format!("/portal/paws/series/{series_id}/cancel");
        let r = jo.post_form(&stop, &[("from", "2026-12-02")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("until 48 hours before"));
        assert_eq!(occurrences(&app, "confirmed").await, 1);

        // A longer grace period set by the business applies at once: stopping the series
        // from tomorrow cancels tomorrow's occurrence.
        let r = settings(json!({ "series_cancel_grace_minutes": 30 })).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = jo.post_form(&stop, &[("from", "2026-12-02")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(occurrences(&app, "confirmed").await, 0);

        // The grace period is for series occurrences: a one-off booking inside the cut-off
        // stays refused, even just made.
        let r = app
            .client
            .post(app.url("/api/v1/paws/bookings"))
            .bearer_auth(&token)
            .json(&json!({ "service": "walk", "start": "2026-12-02T16:00:00Z", "client_id": client.get() }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let booked: Value = r.json().await.unwrap();
        let r = jo.post_form(&format!("/portal/paws/bookings/{}/cancel", booked["id"]), &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
    })
    .await;
}

/// In the portal, like on the dashboard, the series' time is picked from the times the first
/// date really offers the client (taken places and the notice rule hold), never typed; a time
/// not offered is refused and changes nothing, and a series that would book nothing is refused
/// with the reason.
#[tokio::test]
async fn a_client_picks_the_series_time_from_the_times_offered_in_the_portal() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (tenant, client) = paws_with_jo(&app, true).await;
        let token = app.api_token(tenant.id).await;
        // Thursday 3 Dec at 10:00 is taken.
        assert_eq!(book(&app, &token, "2026-12-03T10:00:00Z").await.0, StatusCode::CREATED);
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;

        let page = jo.page("/portal/paws/series").await;
        assert!(!page.contains("id=\"time\""), "no typed time: {page}");
        assert!(page.contains("name=\"starts_on\" value=\"2026-12-02\""), "tomorrow first");
        let thursday = jo.page("/portal/paws/series?service=walk&starts_on=2026-12-03").await;
        assert!(thursday.contains("type=\"radio\" name=\"time\" value=\"11:00\""), "{thursday}");
        assert!(thursday.contains("value=\"08:00\"") && thursday.contains("value=\"17:00\""));
        assert!(!thursday.contains("value=\"10:00\""), "taken");
        assert!(!thursday.contains("value=\"19:00\""), "after closing");
        assert!(thursday.contains("name=\"th\" checked"), "the first date's weekday");
        // Today (Tue 1 Dec, 09:00 now) the client's notice of an hour holds.
        let today = jo.page("/portal/paws/series?service=walk&starts_on=2026-12-01").await;
        assert!(!today.contains("value=\"09:00\"") && today.contains("value=\"10:00\""), "{today}");

        let post = |time: &'static str, starts_on: &'static str| {
            let jo = &jo;
            async move {
                jo.post_form("/portal/paws/series", &series_form(time, starts_on, "3", &["th"]))
                    .await
            }
        };
        let series = "select count(*) from series";
        let mine = format!("select count(*) from bookings where client_id = {}", client.get());
        for (time, starts_on) in [
            ("19:00", "2026-12-03"),
            ("10:00", "2026-12-03"),
            ("09:00", "2026-12-01"),
            ("", "2026-12-03"),
        ] {
            let r = post(time, starts_on).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{time}");
            let html = r.text().await.unwrap();
            assert!(html.contains("Choose one of the times offered on the first date."), "{html}");
            assert!(html.contains("type=\"radio\" name=\"time\" value=\"11:00\""), "times again");
        }
        assert_eq!(app.count(series).await, 0);
        assert_eq!(app.count(&mine).await, 0);

        // 11:00 is free on the first date, but the only day chosen, Friday 4 Dec, is time off:
        // the series would book nothing and is refused with the reason.
        day_off(&app, &token, "2026-12-04").await;
        let r = jo
            .post_form("/portal/paws/series", &series_form("11:00", "2026-12-03", "1", &["fr"]))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains("This series would book nothing. 2026-12-04: "), "{html}");
        assert_eq!(app.count(series).await, 0);
        assert_eq!(app.count(&mine).await, 0);

        // An offered time creates the series.
        let r = post("11:00", "2026-12-03").await;
        assert_eq!(location(&r), "/portal/paws/series");
        assert_eq!(app.count(series).await, 1);
        assert_eq!(app.count(&mine).await, 3);
        assert!(jo.page("/portal/paws/series").await.contains("Every week on Thu at 11:00"));
    })
    .await;
}

/// With staff selection (PRO), the client chooses who the series is with: the times are that
/// person's, a time only someone else offers is refused, and someone the client may not
/// choose is refused.
#[tokio::test]
async fn a_client_sets_up_a_series_with_a_chosen_person_in_the_portal() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        let kim = app.seed_staff_member(tenant.id, "Kim", &[&walk]).await;
        let lee = app.seed_staff_member(tenant.id, "Lee", &[&walk]).await;
        app.seed_hours(tenant.id, Some(kim), 8 * 60, 12 * 60).await;
        app.seed_hours(tenant.id, Some(lee), 13 * 60, 18 * 60).await;
        app.seed_client(&tenant, "Jo", "jo@example.com", true).await;
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;

        let first = "/portal/paws/series?service=walk&starts_on=2026-12-03";
        let with_kim = jo.page(&format!("{first}&staff_id={kim}")).await;
        assert!(with_kim.contains(&format!("<option value=\"{lee}\">Lee</option>")), "{with_kim}");
        assert!(with_kim.contains(&format!("<option value=\"{kim}\" selected>Kim</option>")));
        assert!(with_kim.contains("value=\"09:00\"") && !with_kim.contains("value=\"14:00\""));
        let with_lee = jo.page(&format!("{first}&staff_id={lee}")).await;
        assert!(with_lee.contains("value=\"14:00\"") && !with_lee.contains("value=\"09:00\""));

        let post = |staff: String, time: &'static str| {
            let jo = &jo;
            async move {
                let mut form = series_form(time, "2026-12-03", "2", &["th"]);
                form.push(("staff_id", staff.as_str()));
                jo.post_form("/portal/paws/series", &form).await
            }
        };
        let r = post(kim.to_string(), "14:00").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Choose one of the times offered"));
        let r = post("999999".into(), "14:00").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Choose someone from the list."));
        assert_eq!(app.count("select count(*) from series").await, 0);

        let r = post(lee.to_string(), "14:00").await;
        assert_eq!(location(&r), "/portal/paws/series");
        let lees = format!("select count(*) from bookings where staff_id = {lee}");
        assert_eq!(app.count(&lees).await, 2);
    })
    .await;
}
