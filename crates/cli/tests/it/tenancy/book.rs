//! The public booking pages: they answer only from the tenant in the path; a manage link
//! opens its own booking only.

use portico_testkit::{TestApp, location, matrix};
use reqwest::StatusCode;

use super::Verb::{Get, Post};
use super::world::{state_of, world};
use super::{Form, Id, Verb, fill, send};

/// How a public booking page is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Book {
    /// Open to every visitor by design, for the reason given. A code in the path is looked up
    /// in the tenant of the path; whatever else is shown comes from the visitor's own session,
    /// kept per tenant.
    Public(&'static str),
    /// A guest's manage link: the token opens one booking, and only under its own tenant.
    Manage,
    /// A payment gateway's webhook: only a signature by the tenant's own signing secret is
    /// accepted (400 otherwise, before anything is read).
    Webhook,
    /// A payer's return from the gateway: the session is looked up at the tenant of the path
    /// only (another tenant's, or none, is not found).
    Return,
}

pub(super) const BOOK_ROUTES: &[(Verb, &str, Book, Id, Form)] = &[
    (Get, "/book/{tenant}", Book::Public("the business's list of services"), Id::None, &[]),
    (Get, "/book/{tenant}/brand.css", Book::Public("the business's colours"), Id::None, &[]),
    (Get, "/book/{tenant}/logo", Book::Public("the business's logo"), Id::None, &[]),
    (
        Get,
        "/book/{tenant}/staff/{id}/photo",
        Book::Public("a staff member's photo, shown where clients choose who to book"),
        Id::Staff,
        &[],
    ),
    (
        Get,
        "/book/{tenant}/services/{code}",
        Book::Public("a service's open times"),
        Id::Service,
        &[],
    ),
    (
        Post,
        "/book/{tenant}/services/{code}/hold",
        Book::Public("any visitor may hold an open time"),
        Id::Service,
        &[("start", "2026-12-09T14:00:00Z"), ("staff_id", "{staff}"), ("block_id", "")],
    ),
    (
        Get,
        "/book/{tenant}/details",
        Book::Public("the visitor's own hold at this business, from their session"),
        Id::None,
        &[],
    ),
    (
        Post,
        "/book/{tenant}/details",
        Book::Public("books the visitor's own hold at this business, from their session"),
        Id::None,
        &[("name", "Mallory"), ("email", "m@evil.example"), ("phone", "123"), ("notes", "")],
    ),
    (Get, "/book/{tenant}/paid", Book::Return, Id::None, &[]),
    (
        Get,
        "/book/{tenant}/done",
        Book::Public("the booking this visitor just made here, from their session"),
        Id::None,
        &[],
    ),
    (
        Get,
        "/book/{tenant}/done/booking.ics",
        Book::Public("the booking this visitor just made here, from their session"),
        Id::None,
        &[],
    ),
    (Get, "/book/{tenant}/manage/{token}", Book::Manage, Id::ManageToken, &[]),
    (
        Post,
        "/webhooks/stripe/{tenant}",
        Book::Webhook,
        Id::None,
        &[("type", "checkout.session.completed")],
    ),
    (Post, "/book/{tenant}/manage/{token}/cancel", Book::Manage, Id::ManageToken, &[]),
    (Get, "/book/{tenant}/manage/{token}/reschedule", Book::Manage, Id::ManageToken, &[]),
    (
        Post,
        "/book/{tenant}/manage/{token}/reschedule",
        Book::Manage,
        Id::ManageToken,
        &[("start", "2026-12-08T10:00:00Z"), ("staff_id", ""), ("block_id", "{block}")],
    ),
];

#[tokio::test]
async fn public_booking_pages_answer_only_from_the_tenant_in_the_path() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        // B's guest has a booking (with its manage link) and a hold at B in their session.
        let guest = &w.b_guest;
        assert!(guest.page("/book/bravo/details").await.contains("We are holding this place"));
        let manage = format!("/book/bravo/manage/{}", w.b_ids.manage);
        assert!(guest.page(&manage).await.contains("confirmed"));
        let before = state_of(&app, w.b.id).await;
        let before_a = state_of(&app, w.a.id).await;

        for &(verb, pattern, access, id, form) in BOOK_ROUTES {
            let fields = w.b_ids.form(form);
            let path = fill(pattern, &w.a.slug, id, &w.b_ids);
            let response = send(guest, verb, &path, &fields).await;
            let status = response.status();
            match (access, id) {
                // B's manage token, service code or staff member under A's slug: not found.
                (Book::Webhook, _) => {
                    assert_eq!(status, StatusCode::BAD_REQUEST, "{verb:?} {path}");
                }
                (Book::Manage | Book::Return, _) | (Book::Public(_), Id::Service | Id::Staff) => {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{verb:?} {path}");
                }
                (Book::Public(why), _) => {
                    // A's own page; the session's hold and booking at B are not used here.
                    assert!(!why.is_empty());
                    let to = location(&response);
                    let html = response.text().await.unwrap().to_lowercase();
                    assert!(
                        status == StatusCode::OK || to == "/book/alpha",
                        "{verb:?} {path}: {status} {to}"
                    );
                    assert!(!html.contains("bravo"), "{verb:?} {path} shows B's data");
                }
            }
        }
        // A's guest cannot move their booking into B's block.
        let a_guest = app.browser();
        let path = format!("/book/alpha/manage/{}/reschedule", w.a_ids.manage);
        let block = w.b_ids.block.to_string();
        let form = [("start", "2026-12-08T09:00:00Z"), ("staff_id", ""), ("block_id", &block)];
        let response = a_guest.post_form(&path, &form).await;
        assert!(response.status().is_client_error(), "{path}: {}", response.status());
        // The manage link of B's guest under an unknown tenant, too.
        let path = format!("/book/no-such-tenant/manage/{}", w.b_ids.manage);
        assert_eq!(guest.get(&path).await.status(), StatusCode::NOT_FOUND);

        assert_eq!(state_of(&app, w.b.id).await, before, "B's data changed");
        assert_eq!(state_of(&app, w.a.id).await, before_a, "A's data changed");
        // The refusals were real: the guest's link, hold and booking still work at B.
        assert!(guest.page(&manage).await.contains("confirmed"));
        assert!(guest.page("/book/bravo/details").await.contains("We are holding this place"));
        let a_manage = format!("/book/alpha/manage/{}", w.a_ids.manage);
        assert!(app.browser().page(&a_manage).await.contains("confirmed"));
    })
    .await;
}
