//! The provider API: another tenant's token gets 404 and changes nothing, a missing token 401.

use portico_domain::Clock as _;
use portico_store::tokens;
use portico_testkit::{TestApp, matrix};
use reqwest::StatusCode;

use super::Verb::{Delete, Get, Patch, Post, Put};
use super::world::{has_placeholders, state_of, world};
use super::{Body, Id, Verb, api, fill};

/// How an API route is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Api {
    /// With a bearer token of the tenant.
    Token,
    /// With a bearer token of the tenant (the provider) or without one, as a guest: a guest's
    /// call is a cookie-session POST and needs the session's CSRF token.
    TokenOrGuest,
    /// Without a token, by anyone; it answers only from the tenant in the path.
    Public,
}

/// Every route of the provider API.
pub(super) const API_ROUTES: &[(Verb, &str, Id, Api, Body)] = &[
    (
        Post,
        "/api/v1/{tenant}/holds",
        Id::None,
        Api::TokenOrGuest,
        r#"{"service": "{service}", "start": "2026-12-09T14:00:00Z", "staff_id": {staff}}"#,
    ),
    (Get, "/api/v1/{tenant}/bookings", Id::None, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/bookings",
        Id::None,
        Api::TokenOrGuest,
        r#"{"service": "{service}", "start": "2026-12-09T14:00:00Z", "client_id": {client}}"#,
    ),
    (Get, "/api/v1/{tenant}/bookings/{id}", Id::Booking, Api::Token, ""),
    (Post, "/api/v1/{tenant}/bookings/{id}/cancel", Id::Booking, Api::Token, "{}"),
    (Post, "/api/v1/{tenant}/bookings/{id}/complete", Id::Booking, Api::Token, "{}"),
    (Post, "/api/v1/{tenant}/bookings/{id}/no-show", Id::Booking, Api::Token, "{}"),
    (
        Post,
        "/api/v1/{tenant}/bookings/{id}/reschedule",
        Id::Booking,
        Api::Token,
        r#"{"start": "2026-12-09T15:00:00Z"}"#,
    ),
    (Get, "/api/v1/{tenant}/clients", Id::None, Api::Token, ""),
    (Get, "/api/v1/{tenant}/clients/{id}", Id::Client, Api::Token, ""),
    (Get, "/api/v1/{tenant}/team", Id::None, Api::Token, ""),
    (Get, "/api/v1/{tenant}/calendar", Id::None, Api::Token, ""),
    (Get, "/api/v1/{tenant}/availability", Id::None, Api::Public, ""),
    (Get, "/api/v1/{tenant}/hours", Id::None, Api::Token, ""),
    (Put, "/api/v1/{tenant}/hours", Id::None, Api::Token, r#"{"hours": []}"#),
    (Get, "/api/v1/{tenant}/staff/{id}/hours", Id::Staff, Api::Token, ""),
    (Put, "/api/v1/{tenant}/staff/{id}/hours", Id::Staff, Api::Token, r#"{"hours": []}"#),
    (Get, "/api/v1/{tenant}/time-off", Id::None, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/time-off",
        Id::None,
        Api::Token,
        r#"{"staff_id": {staff}, "start": "2026-12-24T09:00:00Z", "end": "2026-12-24T17:00:00Z", "reason": "Mallory"}"#,
    ),
    (Delete, "/api/v1/{tenant}/time-off/{id}", Id::TimeOff, Api::Token, ""),
    (Get, "/api/v1/{tenant}/blocks", Id::None, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/blocks",
        Id::None,
        Api::Token,
        r#"{"date": "2026-12-10", "start": "09:00", "end": "10:00", "label": "Stolen", "capacities": {"{class}": 3}}"#,
    ),
    (
        Post,
        "/api/v1/{tenant}/blocks/copy",
        Id::None,
        Api::Token,
        r#"{"from_date": "2026-12-08", "to_date": "2026-12-09"}"#,
    ),
    (Get, "/api/v1/{tenant}/blocks/{id}", Id::Block, Api::Token, ""),
    (
        Patch,
        "/api/v1/{tenant}/blocks/{id}",
        Id::Block,
        Api::Token,
        r#"{"label": "Renamed", "capacities": {"{class}": 0}}"#,
    ),
    (Delete, "/api/v1/{tenant}/blocks/{id}", Id::Block, Api::Token, ""),
    (Get, "/api/v1/{tenant}/settings/notifications", Id::None, Api::Token, ""),
    (
        Patch,
        "/api/v1/{tenant}/settings/notifications",
        Id::None,
        Api::Token,
        r#"{"reminder_minutes_before": 5}"#,
    ),
    (Get, "/api/v1/{tenant}/clients/{id}/preferences", Id::Client, Api::Token, ""),
    (
        Patch,
        "/api/v1/{tenant}/clients/{id}/preferences",
        Id::Client,
        Api::Token,
        r#"{"email": {"changes": false, "reminders": false}}"#,
    ),
    (Get, "/api/v1/{tenant}/settings/booking", Id::None, Api::Token, ""),
    (
        Patch,
        "/api/v1/{tenant}/settings/booking",
        Id::None,
        Api::Token,
        r#"{"slot_interval_minutes": 60, "hold_minutes": 1}"#,
    ),
    (Get, "/api/v1/{tenant}/settings/branding", Id::None, Api::Token, ""),
    (
        Patch,
        "/api/v1/{tenant}/settings/branding",
        Id::None,
        Api::Token,
        r##"{"contact_email": "thief@example.com", "brand_color": "#000000"}"##,
    ),
    (Get, "/api/v1/{tenant}/services", Id::None, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/services",
        Id::None,
        Api::Token,
        r#"{"code": "stolen", "name": "Stolen", "duration_minutes": 30, "price_minor": 100, "currency": "GBP", "mode": "slot"}"#,
    ),
    (Get, "/api/v1/{tenant}/services/{code}", Id::Service, Api::Token, ""),
    (
        Patch,
        "/api/v1/{tenant}/services/{code}",
        Id::Service,
        Api::Token,
        r#"{"name": "Renamed", "active": false}"#,
    ),
    (Delete, "/api/v1/{tenant}/services/{code}", Id::Service, Api::Token, ""),
    (Get, "/api/v1/{tenant}/staff", Id::None, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/staff",
        Id::None,
        Api::Token,
        r#"{"name": "Mallory", "services": ["{service}"]}"#,
    ),
    (Get, "/api/v1/{tenant}/staff/{id}", Id::Staff, Api::Token, ""),
    (
        Patch,
        "/api/v1/{tenant}/staff/{id}",
        Id::Staff,
        Api::Token,
        r#"{"name": "Renamed", "active": false}"#,
    ),
    (Delete, "/api/v1/{tenant}/staff/{id}", Id::Staff, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/clients",
        Id::None,
        Api::Token,
        r#"{"name": "Mallory", "email": "mallory@example.com"}"#,
    ),
    (Patch, "/api/v1/{tenant}/clients/{id}", Id::Client, Api::Token, r#"{"name": "Renamed"}"#),
    (Get, "/api/v1/{tenant}/invoices", Id::None, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/invoices",
        Id::None,
        Api::Token,
        r#"{"client_id": {client}, "due_date": "2026-12-31", "lines": [{"description": "Stolen", "unit_price_minor": 100}]}"#,
    ),
    (Get, "/api/v1/{tenant}/invoices/{id}", Id::Invoice, Api::Token, ""),
    (Get, "/api/v1/{tenant}/invoices/{id}/pdf", Id::Invoice, Api::Token, ""),
    (Post, "/api/v1/{tenant}/invoices/{id}/pay-link", Id::Invoice, Api::Token, "{}"),
    (Post, "/api/v1/{tenant}/invoices/{id}/issue", Id::Invoice, Api::Token, "{}"),
    (
        Post,
        "/api/v1/{tenant}/invoices/{id}/void",
        Id::Invoice,
        Api::Token,
        r#"{"reason": "Mallory"}"#,
    ),
    (
        Post,
        "/api/v1/{tenant}/invoices/{id}/installments",
        Id::Invoice,
        Api::Token,
        r#"{"count": 2, "first_due": "2026-12-20"}"#,
    ),
    (Get, "/api/v1/{tenant}/clients/{id}/credit", Id::Client, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/clients/{id}/credit",
        Id::Client,
        Api::Token,
        r#"{"amount_minor": 100000, "reason": "Mallory"}"#,
    ),
    (Get, "/api/v1/{tenant}/payments", Id::None, Api::Token, ""),
    (
        Post,
        "/api/v1/{tenant}/payments",
        Id::None,
        Api::Token,
        r#"{"client_id": {client}, "invoice_id": null, "amount_minor": 100, "currency": "GBP", "method": "cash", "received_on": "2026-12-01"}"#,
    ),
    (
        Post,
        "/api/v1/{tenant}/payments/{id}/refund",
        Id::Payment,
        Api::Token,
        r#"{"amount_minor": 100, "reason": "Mallory"}"#,
    ),
    (Post, "/api/v1/{tenant}/payments/{id}/confirm", Id::Payment, Api::Token, "{}"),
    (
        Post,
        "/api/v1/{tenant}/payments/{id}/reject",
        Id::Payment,
        Api::Token,
        r#"{"reason": "Mallory"}"#,
    ),
    (Get, "/api/v1/{tenant}/settings/billing", Id::None, Api::Token, ""),
    (
        Patch,
        "/api/v1/{tenant}/settings/billing",
        Id::None,
        Api::Token,
        r#"{"bill_when": "confirmed", "invoice_prefix": "MAL-"}"#,
    ),
];

#[tokio::test]
async fn the_api_answers_another_tenants_token_with_404_and_a_missing_token_with_401() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        let a_token = Some(w.a_token.as_str());

        // A's token works on A, and shows only A's clients.
        let (status, body) = app.api_get("/api/v1/alpha/clients", a_token).await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<&str> = body["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Ann Alpha"]);

        let before = state_of(&app, w.b.id).await;
        let before_a = state_of(&app, w.a.id).await;
        for &(verb, pattern, id, access, body) in API_ROUTES {
            if access == Api::Public {
                continue;
            }
            let b_body = w.b_ids.fill(body);
            let b_path = fill(pattern, &w.b.slug, id, &w.b_ids);
            let mut paths = vec![b_path.clone()];
            if id != Id::None {
                paths.push(fill(pattern, &w.a.slug, id, &w.b_ids));
            }
            for path in &paths {
                let (status, answer) = api(&app, verb, path, a_token, &b_body).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{verb:?} {path}: {answer}");
                assert_eq!(answer["error"]["code"], "not_found", "{verb:?} {path}: {answer}");
            }
            // An unknown tenant answers exactly like B: B's existence does not leak.
            let unknown = fill(pattern, "no-such-tenant", id, &w.b_ids);
            assert_eq!(
                api(&app, verb, &b_path, a_token, &b_body).await,
                api(&app, verb, &unknown, a_token, &b_body).await,
                "{verb:?} {pattern}"
            );
            // B's ids in the body of a call on A's own data are refused like unknown ones.
            if id == Id::None && verb != Get && has_placeholders(&[body]) {
                let path = fill(pattern, &w.a.slug, id, &w.b_ids);
                let (status, answer) = api(&app, verb, &path, a_token, &b_body).await;
                assert!(status.is_client_error(), "{verb:?} {path}: {status} {answer}");
            }

            let a_path = fill(pattern, &w.a.slug, id, &w.a_ids);
            for path in [&b_path, &a_path] {
                // Without a token: 401, or for a guest call (holds, bookings), the CSRF refusal
                // of a cookie-session request without the session's token (403).
                let (status, answer) = api(&app, verb, path, None, &b_body).await;
                let (expected, code) = if verb == Get || access == Api::Token {
                    (StatusCode::UNAUTHORIZED, "unauthorized")
                } else {
                    (StatusCode::FORBIDDEN, "forbidden")
                };
                assert_eq!(status, expected, "{verb:?} {path}: {answer}");
                assert_eq!(answer["error"]["code"], code, "{verb:?} {path}: {answer}");
                let bad = Some("ptk_not-a-real-token");
                let (status, answer) = api(&app, verb, path, bad, &b_body).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{verb:?} {path}: {answer}");
            }
        }
        // Another scheme is no token either.
        let basic = reqwest::Client::new()
            .get(app.url("/api/v1/alpha/clients"))
            .basic_auth("ann", Some("secret"))
            .send()
            .await
            .unwrap();
        assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(state_of(&app, w.b.id).await, before, "B's data changed");
        assert_eq!(state_of(&app, w.a.id).await, before_a, "A's data changed");

        // The refusals were real: A's token reads A's own ids.
        for &(verb, pattern, id, access, _) in API_ROUTES {
            if verb == Get && access == Api::Token {
                let path = fill(pattern, &w.a.slug, id, &w.a_ids);
                let (status, answer) = app.api_get(&path, a_token).await;
                assert_eq!(status, StatusCode::OK, "{path}: {answer}");
            }
        }

        // A revoked token is refused.
        let now = app.clock.now_ts();
        assert!(
            tokens::revoke_api_token(app.db(), w.a.id, w.a_ids.api_token.get(), now).await.unwrap()
        );
        let (status, body) = app.api_get("/api/v1/alpha/clients", a_token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "unauthorized");

        // B's own token still works on B.
        let (status, body) = app.api_get("/api/v1/bravo/clients", Some(&w.b_token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["clients"][0]["email"], "bob@example.com");
    })
    .await;
}
