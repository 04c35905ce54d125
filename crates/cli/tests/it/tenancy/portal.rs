//! The client portal: a client of one tenant sees nothing of another tenant's portal.

use portico_store::clients;
use portico_testkit::{PASSWORD, TestApp, matrix};
use reqwest::StatusCode;

use super::Verb::{Get, Post};
use super::world::{state_of, world};
use super::{Form, Id, Verb, fill, send};

/// What a logged-in client of another tenant gets on a portal route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Portal {
    /// The "not linked to a client profile" page (DESIGN: a login with no client record
    /// here is told so), showing none of the tenant's data.
    NotLinked,
    NotFound,
    /// Open to every visitor by design (becoming a client of the tenant); not requested.
    Public,
}

pub(super) const PORTAL_ROUTES: &[(Verb, &str, Portal, Id, Form)] = &[
    (Get, "/portal/{tenant}", Portal::NotLinked, Id::None, &[]),
    (Get, "/portal/{tenant}/profile", Portal::NotFound, Id::None, &[]),
    (
        Post,
        "/portal/{tenant}/profile",
        Portal::NotFound,
        Id::None,
        &[("name", "Mallory"), ("phone", "000"), ("address", "Evil Lane")],
    ),
    (Post, "/portal/{tenant}/profile/notifications", Portal::NotFound, Id::None, &[]),
    (Post, "/portal/{tenant}/profile/feed", Portal::NotFound, Id::None, &[]),
    (Get, "/portal/{tenant}/help", Portal::Public, Id::None, &[]),
    (Get, "/portal/{tenant}/register", Portal::Public, Id::None, &[]),
    (Post, "/portal/{tenant}/register", Portal::Public, Id::None, &[]),
    (Post, "/portal/{tenant}/join", Portal::Public, Id::None, &[]),
    (Get, "/portal/{tenant}/series", Portal::NotFound, Id::None, &[]),
    (
        Post,
        "/portal/{tenant}/series",
        Portal::NotFound,
        Id::None,
        &[
            ("service", "{service}"),
            ("time", "12:00"),
            ("starts_on", "2026-12-10"),
            ("interval_weeks", "1"),
            ("ends", "count"),
            ("count", "2"),
            ("th", "on"),
        ],
    ),
    (
        Post,
        "/portal/{tenant}/series/{id}/cancel",
        Portal::NotFound,
        Id::Series,
        &[("from", "2026-12-01")],
    ),
    (
        Post,
        "/portal/{tenant}/favourites/services/{code}",
        Portal::NotFound,
        Id::Service,
        &[("favourite", "on")],
    ),
    (
        Post,
        "/portal/{tenant}/favourites/staff/{id}",
        Portal::NotFound,
        Id::Staff,
        &[("favourite", "on")],
    ),
    (Get, "/portal/{tenant}/invoices", Portal::NotFound, Id::None, &[]),
    (Get, "/portal/{tenant}/payments", Portal::NotFound, Id::None, &[]),
    (Get, "/portal/{tenant}/invoices/{id}", Portal::NotFound, Id::Invoice, &[]),
    (Get, "/portal/{tenant}/invoices/{id}/pdf", Portal::NotFound, Id::Invoice, &[]),
    (Post, "/portal/{tenant}/invoices/{id}/pay", Portal::NotFound, Id::Invoice, &[]),
    (
        Post,
        "/portal/{tenant}/invoices/{id}/transfer",
        Portal::NotFound,
        Id::Invoice,
        &[("amount", "1.00"), ("reference", "Mallory")],
    ),
    (Get, "/portal/{tenant}/bookings/new", Portal::NotFound, Id::None, &[]),
    (Get, "/portal/{tenant}/bookings/new/{code}", Portal::NotFound, Id::Service, &[]),
    (
        Post,
        "/portal/{tenant}/bookings/new/{code}/hold",
        Portal::NotFound,
        Id::Service,
        &[("start", "2026-12-09T14:00:00Z"), ("staff_id", ""), ("block_id", "")],
    ),
    (Get, "/portal/{tenant}/bookings/confirm", Portal::NotFound, Id::None, &[]),
    (
        Post,
        "/portal/{tenant}/bookings/confirm",
        Portal::NotFound,
        Id::None,
        &[("notes", "Mallory")],
    ),
    (Get, "/portal/{tenant}/bookings/paid", Portal::NotFound, Id::None, &[]),
    (Get, "/portal/{tenant}/bookings/{id}", Portal::NotFound, Id::Booking, &[]),
    (Post, "/portal/{tenant}/bookings/{id}/cancel", Portal::NotFound, Id::Booking, &[]),
    (Get, "/portal/{tenant}/bookings/{id}/booking.ics", Portal::NotFound, Id::Booking, &[]),
    (Get, "/portal/{tenant}/bookings/{id}/reschedule", Portal::NotFound, Id::Booking, &[]),
    (
        Post,
        "/portal/{tenant}/bookings/{id}/reschedule",
        Portal::NotFound,
        Id::Booking,
        &[("start", "2026-12-09T15:00:00Z"), ("staff_id", ""), ("block_id", "")],
    ),
];

#[tokio::test]
async fn a_client_of_one_tenant_sees_nothing_of_another_tenants_portal() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        let ann = app.browser();
        ann.login("ann@example.com", PASSWORD).await;
        assert!(ann.page("/portal/alpha").await.contains("Welcome, Ann Alpha"));
        let before = state_of(&app, w.b.id).await;
        let before_a = state_of(&app, w.a.id).await;

        for &(verb, pattern, outcome, id, form) in PORTAL_ROUTES {
            let fields = w.b_ids.form(form);
            let path = fill(pattern, &w.b.slug, id, &w.b_ids);
            match outcome {
                Portal::Public => continue,
                Portal::NotFound => {
                    let response = send(&ann, verb, &path, &fields).await;
                    assert_eq!(response.status(), StatusCode::NOT_FOUND, "{verb:?} {path}");
                }
                Portal::NotLinked => {
                    let response = send(&ann, verb, &path, &fields).await;
                    assert_eq!(response.status(), StatusCode::OK, "{verb:?} {path}");
                    let html = response.text().await.unwrap();
                    assert!(html.contains("Your login is not linked to a client profile"));
                    for secret in ["Bob", "bob@example.com", "960001", "1 B Road"] {
                        assert!(!html.contains(secret), "{path} shows {secret:?}");
                    }
                }
            }
            // Ann's own portal, with B's ids.
            if id != Id::None {
                let path = fill(pattern, &w.a.slug, id, &w.b_ids);
                let response = send(&ann, verb, &path, &fields).await;
                assert_eq!(response.status(), StatusCode::NOT_FOUND, "{verb:?} {path}");
            }
        }
        assert_eq!(state_of(&app, w.b.id).await, before, "B's data changed");
        assert_eq!(state_of(&app, w.a.id).await, before_a, "A's data changed");
        // Ann's own record at A is untouched too.
        let ann_record =
            clients::get(app.db(), w.a.id, w.a_ids.client.get()).await.unwrap().unwrap();
        assert_eq!(ann_record.name, "Ann Alpha");
        // The refusals were real: Ann's own ids open.
        for (pattern, id) in [
            ("/portal/{tenant}/bookings/{id}", Id::Booking),
            ("/portal/{tenant}/bookings/new/{code}", Id::Service),
        ] {
            let path = fill(pattern, &w.a.slug, id, &w.a_ids);
            assert_eq!(ann.get(&path).await.status(), StatusCode::OK, "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn while_the_owner_views_as_a_client_every_portal_post_is_refused() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        let owner = app.browser();
        owner.login(&w.a.owner_email, PASSWORD).await;
        let client = w.a_ids.client.get();
        let response = owner.post_form(&format!("/app/alpha/clients/{client}/preview"), &[]).await;
        assert_eq!(portico_testkit::location(&response), "/portal/alpha");
        let home = owner.page("/portal/alpha").await;
        assert!(home.contains("Welcome, Ann Alpha") && home.contains("class=\"preview-banner\""));
        assert!(home.contains("read-only") && home.contains("/app/alpha/preview/end"));
        // The client's pages read as the client sees them.
        let booking = format!("/portal/alpha/bookings/{}", w.a_ids.booking);
        assert_eq!(owner.get(&booking).await.status(), StatusCode::OK);

        let before = state_of(&app, w.a.id).await;
        let mut refused = 0;
        for &(verb, pattern, _, id, form) in PORTAL_ROUTES {
            if verb == Get {
                continue;
            }
            let path = fill(pattern, &w.a.slug, id, &w.a_ids);
            let response = send(&owner, verb, &path, &w.a_ids.form(form)).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{verb:?} {path}");
            refused += 1;
        }
        assert!(refused >= 8, "{refused}");
        assert_eq!(state_of(&app, w.a.id).await, before, "a write got through the preview");
        // Another tenant's portal is not previewed: the owner is nobody's client at B.
        assert!(owner.page("/portal/bravo").await.contains("not linked to a client profile"));

        // Ending returns to the client's page; start and end are in the audit log.
        let response = owner.post_form("/app/alpha/preview/end", &[]).await;
        assert_eq!(portico_testkit::location(&response), format!("/app/alpha/clients/{client}"));
        let home = owner.page("/portal/alpha").await;
        assert!(
            home.contains("not linked to a client profile") && !home.contains("preview-banner")
        );
        let actions: Vec<String> = sqlx::query_scalar(
            "select action from audit_log where action like 'client.preview%' order by id",
        )
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        assert_eq!(actions, ["client.preview_started", "client.preview_ended"]);
    })
    .await;
}
