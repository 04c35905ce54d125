//! Tenant isolation (DESIGN.md §4): a member of tenant A asking for any page or id of tenant B
//! gets 404 and changes nothing; the API answers another tenant's token with 404; anonymous
//! visitors are sent to log in; staff get 403 on owner-only pages; public pages and public API
//! calls answer only from the tenant in their path.
//!
//! The route tables below list every route with a `{tenant}` in its path. A test reads the
//! routers' source and fails when a route is missing from them, so adding a route means
//! adding a line here.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::Path;

use chrono::{NaiveDate, TimeZone as _, Utc, Weekday};
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_domain::recurrence::{End, Rule};
use portico_domain::schedule::LocalMinutes;
use portico_domain::{ApiTokenId, ClientId, TenantId, UserId};
use portico_store::catalog::Mode;
use portico_store::{audit, bookings, clients, hours, series, tenants, tokens};
use portico_testkit::{Browser, PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

use Verb::{Delete, Get, Patch, Post, Put};

impl Verb {
    const ALL: [Self; 5] = [Get, Post, Put, Patch, Delete];

    fn method(self) -> Method {
        match self {
            Get => Method::GET,
            Post => Method::POST,
            Put => Method::PUT,
            Patch => Method::PATCH,
            Delete => Method::DELETE,
        }
    }

    /// The `axum::routing` function of this method.
    fn routing_fn(self) -> &'static str {
        match self {
            Get => "get",
            Post => "post",
            Put => "put",
            Patch => "patch",
            Delete => "delete",
        }
    }
}

/// What an id in a path (`{id}`, `{code}`, `{token}`) stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Id {
    None,
    Client,
    ApiToken,
    /// A service's code.
    Service,
    /// A staff member (the record, not a login).
    Staff,
    /// A timetable block.
    Block,
    /// A client's booking.
    Booking,
    TimeOff,
    Series,
    /// The token of a guest's manage link.
    ManageToken,
}

/// A form as posted. Names and values may hold the placeholders `{client}`, `{service}`,
/// `{class}`, `{class_id}`, `{staff}` and `{block}`, filled in with the ids of the tenant the
/// request is aimed at (see [`Ids::fill`]).
type Form = &'static [(&'static str, &'static str)];

/// Which team members an app route is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Owner,
    /// Owner and staff (staff see a part of the bookings).
    Team,
}

/// Every route of the provider dashboard. Forms carry values that would change the tenant's
/// data if the request got through.
const APP_ROUTES: &[(Verb, &str, Id, Who, Form)] = &[
    (Get, "/app/{tenant}", Id::None, Who::Team, &[]),
    // Bookings.
    (Get, "/app/{tenant}/bookings", Id::None, Who::Team, &[]),
    (Get, "/app/{tenant}/bookings/new", Id::None, Who::Team, &[]),
    (
        Post,
        "/app/{tenant}/bookings/new",
        Id::None,
        Who::Team,
        &[
            ("client", "{client}"),
            ("service", "{service}"),
            ("option", "2026-12-09T14:00:00Z||"),
            ("notes", "Booked by Mallory"),
        ],
    ),
    (Get, "/app/{tenant}/bookings/{id}", Id::Booking, Who::Team, &[]),
    (Post, "/app/{tenant}/bookings/{id}/complete", Id::Booking, Who::Team, &[]),
    (Post, "/app/{tenant}/bookings/{id}/no-show", Id::Booking, Who::Team, &[]),
    (Post, "/app/{tenant}/bookings/{id}/cancel", Id::Booking, Who::Team, &[]),
    (Get, "/app/{tenant}/bookings/{id}/reschedule", Id::Booking, Who::Team, &[]),
    (
        Post,
        "/app/{tenant}/bookings/{id}/reschedule",
        Id::Booking,
        Who::Team,
        &[("start", "2026-12-09T15:00:00Z"), ("staff_id", ""), ("block_id", "")],
    ),
    // Clients.
    (Get, "/app/{tenant}/clients", Id::None, Who::Owner, &[]),
    (Get, "/app/{tenant}/clients/new", Id::None, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/clients/new",
        Id::None,
        Who::Owner,
        &[("name", "Mallory"), ("email", "m@evil.example")],
    ),
    (Get, "/app/{tenant}/clients/{id}", Id::Client, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/clients/{id}",
        Id::Client,
        Who::Owner,
        &[("name", "Renamed"), ("email", "renamed@evil.example"), ("phone", "000")],
    ),
    (Post, "/app/{tenant}/clients/{id}/invite", Id::Client, Who::Owner, &[]),
    (Post, "/app/{tenant}/clients/{id}/disable-login", Id::Client, Who::Owner, &[]),
    (Post, "/app/{tenant}/clients/{id}/enable-login", Id::Client, Who::Owner, &[]),
    (Post, "/app/{tenant}/clients/{id}/remove-login", Id::Client, Who::Owner, &[]),
    // Series.
    (Get, "/app/{tenant}/clients/{id}/series", Id::Client, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/clients/{id}/series",
        Id::Client,
        Who::Owner,
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
    (Post, "/app/{tenant}/series/{id}/cancel", Id::Series, Who::Owner, &[("from", "2026-12-01")]),
    // Settings, audit, team.
    (Get, "/app/{tenant}/settings", Id::None, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/settings",
        Id::None,
        Who::Owner,
        // No `portal_enabled`: this would also turn the portal off.
        &[("name", "Taken Over"), ("timezone", "UTC"), ("currency", "USD")],
    ),
    (Post, "/app/{tenant}/settings/tokens", Id::None, Who::Owner, &[("name", "stolen")]),
    (Post, "/app/{tenant}/settings/tokens/{id}/revoke", Id::ApiToken, Who::Owner, &[]),
    (Get, "/app/{tenant}/audit", Id::None, Who::Owner, &[]),
    (Get, "/app/{tenant}/team", Id::None, Who::Owner, &[]),
    (Post, "/app/{tenant}/team/invite", Id::None, Who::Owner, &[("email", "spy@evil.example")]),
    // Services.
    (Get, "/app/{tenant}/services", Id::None, Who::Owner, &[]),
    (Get, "/app/{tenant}/services/new", Id::None, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/services/new",
        Id::None,
        Who::Owner,
        &[
            ("code", "stolen"),
            ("name", "Stolen"),
            ("duration_minutes", "30"),
            ("buffer_before_minutes", "0"),
            ("buffer_after_minutes", "0"),
            ("price", "1.00"),
            ("currency", "GBP"),
            ("mode", "slot"),
            ("display_order", "0"),
            ("active", "on"),
        ],
    ),
    (
        Post,
        "/app/{tenant}/services/defaults",
        Id::None,
        Who::Owner,
        &[("code", "stolen"), ("duration_minutes", "5"), ("notes", "Mallory")],
    ),
    (Get, "/app/{tenant}/services/{code}", Id::Service, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/services/{code}",
        Id::Service,
        Who::Owner,
        // No `active`: this would also take the service off sale.
        &[
            ("code", "{service}"),
            ("name", "Renamed"),
            ("duration_minutes", "5"),
            ("buffer_before_minutes", "0"),
            ("buffer_after_minutes", "0"),
            ("price", "0.00"),
            ("currency", "GBP"),
            ("mode", "slot"),
            ("display_order", "9"),
        ],
    ),
    (Post, "/app/{tenant}/services/{code}/delete", Id::Service, Who::Owner, &[]),
    // Staff members.
    (Get, "/app/{tenant}/staff", Id::None, Who::Owner, &[]),
    (Get, "/app/{tenant}/staff/new", Id::None, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/staff/new",
        Id::None,
        Who::Owner,
        &[
            ("name", "Mallory"),
            ("email", "m@evil.example"),
            ("active", "on"),
            ("services", "{service}"),
        ],
    ),
    (Get, "/app/{tenant}/staff/{id}", Id::Staff, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/staff/{id}",
        Id::Staff,
        Who::Owner,
        // Not `active`: this would also deactivate them.
        &[("name", "Renamed"), ("email", "renamed@evil.example"), ("display_order", "9")],
    ),
    (Post, "/app/{tenant}/staff/{id}/delete", Id::Staff, Who::Owner, &[]),
    (Post, "/app/{tenant}/staff/{id}/move", Id::Staff, Who::Owner, &[("direction", "down")]),
    (Post, "/app/{tenant}/staff/{id}/invite", Id::Staff, Who::Owner, &[]),
    // Hours and time off.
    (Get, "/app/{tenant}/hours", Id::None, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/hours",
        Id::None,
        Who::Owner,
        &[("start_1_0", "00:00"), ("end_1_0", "01:00")],
    ),
    (
        Post,
        "/app/{tenant}/hours/rules",
        Id::None,
        Who::Owner,
        &[
            ("slot_interval_minutes", "5"),
            ("min_notice_minutes", "0"),
            ("max_advance_days", "1"),
            ("hold_minutes", "1"),
            ("cancel_cutoff_hours", "0"),
        ],
    ),
    (
        Post,
        "/app/{tenant}/hours/time-off",
        Id::None,
        Who::Owner,
        &[("start", "2026-12-09T00:00"), ("end", "2026-12-10T00:00"), ("reason", "Mallory")],
    ),
    (Get, "/app/{tenant}/staff/{id}/hours", Id::Staff, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/staff/{id}/hours",
        Id::Staff,
        Who::Owner,
        &[("start_1_0", "00:00"), ("end_1_0", "01:00")],
    ),
    (
        Post,
        "/app/{tenant}/staff/{id}/hours/time-off",
        Id::Staff,
        Who::Owner,
        &[("start", "2026-12-09T00:00"), ("end", "2026-12-10T00:00"), ("reason", "Mallory")],
    ),
    (Post, "/app/{tenant}/time-off/{id}/delete", Id::TimeOff, Who::Owner, &[]),
    // Timetable.
    (Get, "/app/{tenant}/timetable", Id::None, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/timetable/blocks",
        Id::None,
        Who::Owner,
        &[
            ("date", "2026-12-09"),
            ("start", "13:00"),
            ("end", "14:00"),
            ("label", "Stolen"),
            ("cap_{class_id}", "9"),
        ],
    ),
    (
        Post,
        "/app/{tenant}/timetable/blocks/{id}",
        Id::Block,
        Who::Owner,
        &[
            ("date", "2026-12-08"),
            ("start", "09:00"),
            ("end", "12:00"),
            ("label", "Renamed"),
            ("cap_{class_id}", "0"),
        ],
    ),
    (Post, "/app/{tenant}/timetable/blocks/{id}/delete", Id::Block, Who::Owner, &[]),
    (
        Post,
        "/app/{tenant}/timetable/copy-yesterday",
        Id::None,
        Who::Owner,
        &[("date", "2026-12-09")],
    ),
    (
        Post,
        "/app/{tenant}/timetable/copy",
        Id::None,
        Who::Owner,
        &[("date", "2026-12-08"), ("from", "2026-12-09"), ("to", "2026-12-11")],
    ),
];

/// How an API route is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// With a bearer token of the tenant.
    Token,
    /// With a bearer token of the tenant (the provider) or without one, as a guest: a guest's
    /// call is a cookie-session POST and needs the session's CSRF token.
    TokenOrGuest,
    /// Without a token, by anyone; it answers only from the tenant in the path.
    Public,
}

/// A JSON body, with the placeholders of [`Form`].
type Body = &'static str;

/// Every route of the provider API.
const API_ROUTES: &[(Verb, &str, Id, Api, Body)] = &[
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
    (Post, "/api/v1/{tenant}/bookings/{id}/complete", Id::Booking, Api::Token, ""),
    (Post, "/api/v1/{tenant}/bookings/{id}/no-show", Id::Booking, Api::Token, ""),
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
];

/// What a logged-in client of another tenant gets on a portal route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Portal {
    /// The "not linked to a client profile" page (DESIGN: a login with no client record
    /// here is told so), showing none of the tenant's data.
    NotLinked,
    NotFound,
    /// Open to every visitor by design (becoming a client of the tenant); not requested.
    Public,
}

const PORTAL_ROUTES: &[(Verb, &str, Portal, Id, Form)] = &[
    (Get, "/portal/{tenant}", Portal::NotLinked, Id::None, &[]),
    (Get, "/portal/{tenant}/profile", Portal::NotFound, Id::None, &[]),
    (
        Post,
        "/portal/{tenant}/profile",
        Portal::NotFound,
        Id::None,
        &[("name", "Mallory"), ("phone", "000"), ("address", "Evil Lane")],
    ),
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
    (Get, "/portal/{tenant}/bookings/{id}", Portal::NotFound, Id::Booking, &[]),
    (Post, "/portal/{tenant}/bookings/{id}/cancel", Portal::NotFound, Id::Booking, &[]),
    (Get, "/portal/{tenant}/bookings/{id}/reschedule", Portal::NotFound, Id::Booking, &[]),
    (
        Post,
        "/portal/{tenant}/bookings/{id}/reschedule",
        Portal::NotFound,
        Id::Booking,
        &[("start", "2026-12-09T15:00:00Z"), ("staff_id", ""), ("block_id", "")],
    ),
];

/// How a public booking page is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Book {
    /// Open to every visitor by design, for the reason given. A code in the path is looked up
    /// in the tenant of the path; whatever else is shown comes from the visitor's own session,
    /// kept per tenant.
    Public(&'static str),
    /// A guest's manage link: the token opens one booking, and only under its own tenant.
    Manage,
}

const BOOK_ROUTES: &[(Verb, &str, Book, Id, Form)] = &[
    (Get, "/book/{tenant}", Book::Public("the business's list of services"), Id::None, &[]),
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
    (
        Get,
        "/book/{tenant}/done",
        Book::Public("the booking this visitor just made here, from their session"),
        Id::None,
        &[],
    ),
    (Get, "/book/{tenant}/manage/{token}", Book::Manage, Id::ManageToken, &[]),
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

/// `(verb, path)` of every route in `crates/web/src/routes` whose path has a `{tenant}`.
fn tenant_routes_in_source() -> BTreeSet<(Verb, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/routes");
    let mut files = vec![root];
    let mut found = BTreeSet::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for call in source.split(".route(").skip(1) {
            // The call ends before the next `.route(` or the end of `router()`.
            let call = call.split("\n}").next().unwrap();
            let route = call.split('"').nth(1).unwrap_or_default();
            if !route.contains("{tenant}") {
                continue;
            }
            let handlers = &call[call.find(',').unwrap_or(0)..];
            let verbs: Vec<Verb> =
                Verb::ALL.into_iter().filter(|verb| calls(handlers, verb.routing_fn())).collect();
            assert!(!calls(handlers, "any"), "{route}: `any` is not covered by tenancy.rs");
            assert!(!verbs.is_empty(), "{route}: no method found in {}", path.display());
            found.extend(verbs.into_iter().map(|verb| (verb, route.to_owned())));
        }
    }
    found
}

/// Whether `code` calls `name(` (as a whole word, or as `routing::name(`).
fn calls(code: &str, name: &str) -> bool {
    let needle = format!("{name}(");
    code.match_indices(&needle).any(|(at, _)| {
        let before = &code[..at];
        before.ends_with("routing::")
            || !before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// Every route of every table, with the kind of id in its path.
fn all_routes() -> Vec<(Verb, &'static str, Id)> {
    let app = APP_ROUTES.iter().map(|&(verb, path, id, ..)| (verb, path, id));
    let api = API_ROUTES.iter().map(|&(verb, path, id, ..)| (verb, path, id));
    let portal = PORTAL_ROUTES.iter().map(|&(verb, path, _, id, _)| (verb, path, id));
    let book = BOOK_ROUTES.iter().map(|&(verb, path, _, id, _)| (verb, path, id));
    app.chain(api).chain(portal).chain(book).collect()
}

#[test]
fn the_route_tables_cover_every_tenant_scoped_route() {
    let routes = all_routes();
    let tables: BTreeSet<(Verb, String)> =
        routes.iter().map(|&(verb, path, _)| (verb, path.to_owned())).collect();
    assert_eq!(tables.len(), routes.len(), "a route is listed twice");
    let routed = tenant_routes_in_source();
    let missing: Vec<_> = routed.difference(&tables).collect();
    assert!(missing.is_empty(), "add these routes to the tables in tenancy.rs: {missing:?}");
    let stale: Vec<_> = tables.difference(&routed).collect();
    assert!(stale.is_empty(), "these routes are gone; remove them from tenancy.rs: {stale:?}");
    // A route with an id in its path says what the id is, and only then.
    for (verb, path, id) in routes {
        let has_id = ["{id}", "{code}", "{token}"].iter().any(|param| path.contains(param));
        assert_eq!(has_id, id != Id::None, "{verb:?} {path}: {id:?}");
    }
}

/// One tenant's data, as ids appear in paths and bodies.
#[derive(Debug, Clone)]
struct Ids {
    client: ClientId,
    api_token: ApiTokenId,
    /// A slot service's code.
    service: String,
    /// A block service's code and id.
    class: String,
    class_id: i64,
    staff: i64,
    block: i64,
    /// The client's booking of the slot service.
    booking: i64,
    time_off: i64,
    /// A series of the client.
    series: i64,
    /// A guest's booking in the block, and the token of its manage link.
    guest_booking: i64,
    manage: String,
}

impl Ids {
    fn get(&self, id: Id) -> String {
        match id {
            Id::None => String::new(),
            Id::Client => self.client.to_string(),
            Id::ApiToken => self.api_token.to_string(),
            Id::Service => self.service.clone(),
            Id::Staff => self.staff.to_string(),
            Id::Block => self.block.to_string(),
            Id::Booking => self.booking.to_string(),
            Id::TimeOff => self.time_off.to_string(),
            Id::Series => self.series.to_string(),
            Id::ManageToken => self.manage.clone(),
        }
    }

    /// `text` with the placeholders of [`Form`] replaced by these ids.
    fn fill(&self, text: &str) -> String {
        let values = [
            self.client.to_string(),
            self.service.clone(),
            self.class.clone(),
            self.class_id.to_string(),
            self.staff.to_string(),
            self.block.to_string(),
        ];
        PLACEHOLDERS
            .iter()
            .zip(values)
            .fold(text.to_owned(), |text, (placeholder, value)| text.replace(placeholder, &value))
    }

    fn form(&self, form: Form) -> Vec<(String, String)> {
        form.iter().map(|(name, value)| (self.fill(name), self.fill(value))).collect()
    }
}

/// The placeholders of [`Form`], in the order [`Ids::fill`] fills them in.
const PLACEHOLDERS: [&str; 6] =
    ["{client}", "{service}", "{class}", "{class_id}", "{staff}", "{block}"];

/// Whether a form or body names ids of the tenant it is sent to.
fn has_placeholders(texts: &[&str]) -> bool {
    texts.iter().any(|text| PLACEHOLDERS.iter().any(|placeholder| text.contains(placeholder)))
}

/// Fills in a route pattern for the tenant `slug`, its id being `ids`'s id of kind `id`.
fn fill(pattern: &str, slug: &str, id: Id, ids: &Ids) -> String {
    let mut path = pattern.replace("{tenant}", slug);
    if id != Id::None {
        for param in ["{id}", "{code}", "{token}"] {
            path = path.replace(param, &ids.get(id));
        }
    }
    path
}

/// A page request as a browser makes it: forms with the session's CSRF token.
async fn send(
    browser: &Browser,
    verb: Verb,
    path: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    match verb {
        Get => browser.get(path).await,
        Post => browser.post_form(path, &form).await,
        Put | Patch | Delete => {
            let token = browser.csrf().await;
            let request = browser.client.request(verb.method(), browser.url(path));
            request.header("x-csrf-token", token).form(&form).send().await.expect("request")
        }
    }
}

/// An API call: `body` is sent as JSON with the methods that have one.
async fn api(
    app: &TestApp,
    verb: Verb,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(verb.method(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if matches!(verb, Post | Put | Patch) {
        let body = if body.is_empty() { "{}" } else { body };
        request =
            request.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_owned());
    }
    let response = request.send().await.expect("API call");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Everything a request could change about one tenant, in a comparable form.
#[derive(Debug, PartialEq)]
struct TenantState {
    tenant: String,
    clients: String,
    live_api_tokens: String,
    members: String,
    audit: String,
    auth_tokens: String,
    services: String,
    service_defaults: String,
    staff_members: String,
    staff_services: String,
    weekly_hours: String,
    time_off: String,
    timetable_blocks: String,
    block_capacities: String,
    bookings: String,
    booking_links: String,
    holds: String,
    booking_events: i64,
    series: String,
    outbox: i64,
    users: i64,
    sessions: i64,
}

/// The tenant's rows `sql` selects (with the tenant id as `$1`), for comparing.
async fn rows<T>(app: &TestApp, tenant: TenantId, sql: &'static str) -> String
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Debug + Send + Unpin,
{
    let rows: Vec<T> = sqlx::query_as(sql)
        .bind(tenant.0)
        .fetch_all(app.db().pool())
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    format!("{rows:?}")
}

type Opt = Option<i64>;

async fn state_of(app: &TestApp, tenant: TenantId) -> TenantState {
    let db = app.db();
    let t = tenant;
    TenantState {
        tenant: format!("{:?}", tenants::by_id(db, t).await.unwrap()),
        clients: format!("{:?}", clients::search(db, t, "", 1000).await.unwrap()),
        live_api_tokens: format!("{:?}", tokens::list_api_tokens(db, t).await.unwrap()),
        members: format!("{:?}", tenants::members(db, t).await.unwrap()),
        audit: format!("{:?}", audit::for_tenant(db, t, 1000).await.unwrap()),
        auth_tokens: rows::<(i64, String, String, Opt, Option<String>, Opt)>(
            app,
            t,
            "select id, purpose, email, client_id, role, used_at from auth_tokens \
             where tenant_id = $1 order by id",
        )
        .await,
        services: rows::<(i64, String, String, i64, i64, i64, i64, String, String, i64, i64, i64)>(
            app,
            t,
            "select id, code, name, duration_minutes, buffer_before_minutes, \
             buffer_after_minutes, price_minor, currency, mode, active, display_order, updated_at \
             from services where tenant_id = $1 order by id",
        )
        .await,
        service_defaults: rows::<(String, i64, String)>(
            app,
            t,
            "select code, duration_minutes, notes from service_defaults where tenant_id = $1 \
             order by code",
        )
        .await,
        staff_members: rows::<(i64, String, String, String, String, Opt, i64, i64, i64)>(
            app,
            t,
            "select id, name, email, phone, bio, user_id, active, display_order, updated_at \
             from staff_members where tenant_id = $1 order by id",
        )
        .await,
        staff_services: rows::<(i64, i64)>(
            app,
            t,
            "select s.staff_id, s.service_id from staff_services s \
             join staff_members m on m.id = s.staff_id where m.tenant_id = $1 \
             order by s.staff_id, s.service_id",
        )
        .await,
        weekly_hours: rows::<(i64, Opt, i64, i64, i64)>(
            app,
            t,
            "select id, staff_id, weekday, start_minute, end_minute from weekly_hours \
             where tenant_id = $1 order by id",
        )
        .await,
        time_off: rows::<(i64, Opt, i64, i64, String)>(
            app,
            t,
            "select id, staff_id, starts_at, ends_at, reason from time_off where tenant_id = $1 \
             order by id",
        )
        .await,
        timetable_blocks: rows::<(i64, String, i64, i64, String, i64)>(
            app,
            t,
            "select id, local_date, start_minute, end_minute, label, updated_at \
             from timetable_blocks where tenant_id = $1 order by id",
        )
        .await,
        block_capacities: rows::<(i64, i64, i64, i64)>(
            app,
            t,
            "select c.block_id, c.service_id, c.capacity, c.allow_overlap from block_capacities c \
             join timetable_blocks b on b.id = c.block_id where b.tenant_id = $1 \
             order by c.block_id, c.service_id",
        )
        .await,
        bookings: rows::<(i64, String, i64, i64, Opt, Opt, Opt, Opt, String, i64)>(
            app,
            t,
            "select id, status, starts_at, ends_at, staff_id, block_id, client_id, series_id, \
             notes, updated_at from bookings where tenant_id = $1 order by id",
        )
        .await,
        booking_links: rows::<(i64, i64, i64)>(
            app,
            t,
            "select l.id, l.booking_id, l.expires_at from booking_links l \
             join bookings b on b.id = l.booking_id where b.tenant_id = $1 order by l.id",
        )
        .await,
        holds: rows::<(i64, i64, Opt, Opt, i64, i64, Opt)>(
            app,
            t,
            "select id, service_id, staff_id, block_id, starts_at, expires_at, consumed_at \
             from holds where tenant_id = $1 order by id",
        )
        .await,
        booking_events: app
            .count(&format!("select count(*) from booking_events where tenant_id = {t}"))
            .await,
        series: rows::<(i64, i64, i64, Opt, String, String, String, i64)>(
            app,
            t,
            "select id, client_id, service_id, staff_id, rrule, cancelled_from, \
             materialized_until, updated_at from series where tenant_id = $1 order by id",
        )
        .await,
        outbox: app.count("select count(*) from outbox").await,
        users: app.count("select count(*) from users").await,
        sessions: app.count("select count(*) from sessions where user_id is not null").await,
    }
}

/// Two PRO tenants, each with a client with a portal login (B's with contact details), a
/// staff login, an API token, and one of each kind of [`Ids`].
struct World {
    a: SeededTenant,
    b: SeededTenant,
    a_ids: Ids,
    b_ids: Ids,
    /// The API tokens' secrets.
    a_token: String,
    b_token: String,
    b_client_user: UserId,
    /// A guest who booked on B's public pages and is now holding another place there.
    b_guest: Browser,
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

/// Books the tenant's block service as a guest on its public pages (which leaves the booking
/// in the guest's session) and returns the guest's browser and the booking's id.
async fn book_as_guest(app: &TestApp, t: &SeededTenant, class: &str) -> (Browser, i64) {
    let path = format!("/api/v1/{}/availability?service={class}&date=2026-12-08", t.slug);
    let (status, body) = app.api_get(&path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let option = &body["options"][0];
    let (start, block) = (option["start"].as_str().unwrap(), option["block_id"].to_string());
    let guest = app.browser();
    let hold = [("start", start), ("staff_id", ""), ("block_id", block.as_str())];
    let response = guest.post_form(&format!("/book/{}/services/{class}/hold", t.slug), &hold).await;
    assert_eq!(location(&response), format!("/book/{}/details", t.slug));
    let email = format!("guest@{}.example", t.slug);
    let name = format!("Guest of {}", t.slug);
    let details =
        [("name", name.as_str()), ("email", &email), ("phone", "+44 7700 900123"), ("notes", "")];
    let response = guest.post_form(&format!("/book/{}/details", t.slug), &details).await;
    assert_eq!(location(&response), format!("/book/{}/done", t.slug));
    let sql = format!("select id from bookings where tenant_id = {} and client_id is null", t.id);
    (guest, app.count(&sql).await)
}

/// Seeds one of each kind of id for the tenant: a slot service with owner and staff hours, a
/// block service with a block, a staff member with time off, the client's booking and series,
/// and a guest's booking with a manage link.
async fn seed_ids(app: &TestApp, t: &SeededTenant, client: ClientId) -> (Ids, String, Browser) {
    let db = app.db();
    let now = app.clock.now_ts();
    let walk = app.seed_service(t.id, &format!("{}-walk", t.slug), Mode::Slot, 60).await;
    let class = app.seed_service(t.id, &format!("{}-class", t.slug), Mode::Block, 60).await;
    app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
    let staff = app.seed_staff_member(t.id, &format!("Staff of {}", t.slug), &[&walk]).await;
    app.seed_hours(t.id, Some(staff), 8 * 60, 18 * 60).await;
    let block = app.seed_block(t.id, day(8), 9 * 60, 12 * 60, &class, 5).await;
    let at = |d, h| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap().timestamp();
    let time_off = hours::add_time_off(db, t.id, Some(staff), at(21, 0), at(22, 0), "Course", now)
        .await
        .unwrap();
    let (api_token, token) =
        tokens::create_api_token(db, t.id, &format!("{} app", t.slug), now).await.unwrap();

    let body = format!(
        r#"{{"service": "{}", "start": "2026-12-08T10:00:00Z", "client_id": {client}}}"#,
        walk.code
    );
    let path = format!("/api/v1/{}/bookings", t.slug);
    let (status, booking) = api(app, Post, &path, Some(&token), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");

    let tenant = tenants::by_id(db, t.id).await.unwrap().unwrap();
    let rule = Rule::new(1, &[Weekday::Wed], day(9), End::Count(2)).unwrap();
    let eleven = LocalMinutes::parse("11:00").unwrap();
    let (series, _) =
        series::create(db, &tenant, client, &walk, None, &rule, eleven, app.clock.now())
            .await
            .unwrap();

    let (guest, guest_booking) = book_as_guest(app, t, &class.code).await;
    let manage = bookings::create_link(db, guest_booking, now + 60 * 86_400, now).await.unwrap();

    let ids = Ids {
        client,
        api_token,
        service: walk.code,
        class: class.code,
        class_id: class.id,
        staff,
        block,
        booking: booking["id"].as_i64().unwrap(),
        time_off: time_off.id,
        series: series.id,
        guest_booking,
        manage,
    };
    (ids, token, guest)
}

async fn world(app: &TestApp) -> World {
    let a = app.seed_tenant("alpha", Plan::Pro).await;
    let b = app.seed_tenant("bravo", Plan::Pro).await;
    let (a_client, _) = app.seed_client(&a, "Ann Alpha", "ann@example.com", true).await;
    let (b_client, b_client_user) = app.seed_client(&b, "Bob Bravo", "bob@example.com", true).await;
    let now = app.clock.now_ts();
    clients::update_contact(
        app.db(),
        b.id,
        b_client,
        "Bob Bravo",
        "+44 1632 960001",
        "1 B Road",
        now,
    )
    .await
    .unwrap();
    app.seed_staff(&a, "staff@alpha.example").await;
    app.seed_staff(&b, "staff@bravo.example").await;
    let (a_ids, a_token, _) = seed_ids(app, &a, a_client).await;
    let (b_ids, b_token, b_guest) = seed_ids(app, &b, b_client).await;
    // B's guest goes on to hold another place.
    let path = format!("/book/bravo/services/{}/hold", b_ids.class);
    let block = b_ids.block.to_string();
    let hold = [("start", "2026-12-08T09:00:00Z"), ("staff_id", ""), ("block_id", &block)];
    assert_eq!(location(&b_guest.post_form(&path, &hold).await), "/book/bravo/details");
    World { a, b, a_ids, b_ids, a_token, b_token, b_client_user: b_client_user.unwrap(), b_guest }
}

#[tokio::test]
async fn every_app_route_refuses_another_tenants_owner_with_404_and_changes_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        // B's client is logged in; disabling or removing their login would end this session.
        let bob = app.browser();
        bob.login("bob@example.com", PASSWORD).await;
        let owner_a = app.browser();
        owner_a.login(&w.a.owner_email, PASSWORD).await;
        let before = state_of(&app, w.b.id).await;
        let before_a = state_of(&app, w.a.id).await;

        let mut requests = 0;
        for &(verb, pattern, id, _, form) in APP_ROUTES {
            let fields = w.b_ids.form(form);
            // B's slug with B's ids, and A's own slug with B's ids.
            let mut paths = vec![fill(pattern, &w.b.slug, id, &w.b_ids)];
            if id != Id::None {
                paths.push(fill(pattern, &w.a.slug, id, &w.b_ids));
            }
            for path in paths {
                let response = send(&owner_a, verb, &path, &fields).await;
                assert_eq!(response.status(), StatusCode::NOT_FOUND, "{verb:?} {path}");
                // The method the route does not have is refused by the router alike (405), for
                // every tenant: it tells nothing about B.
                let other = if verb == Get { Post } else { Get };
                if !APP_ROUTES.iter().any(|&(v, p, ..)| v == other && p == pattern) {
                    let response = send(&owner_a, other, &path, &fields).await;
                    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
                }
                requests += 1;
            }
            // B's ids in a form posted to A's own page are refused like unknown ones.
            let texts: Vec<&str> = form.iter().flat_map(|(name, value)| [*name, *value]).collect();
            if id == Id::None && verb != Get && has_placeholders(&texts) {
                let path = fill(pattern, &w.a.slug, id, &w.b_ids);
                let response = send(&owner_a, verb, &path, &fields).await;
                assert!(
                    response.status().is_client_error(),
                    "{verb:?} {path}: {}",
                    response.status()
                );
                requests += 1;
            }
        }
        assert!(requests > APP_ROUTES.len());
        // B's ids in the query of A's own pages are not found either; A's own ids are.
        let (a, b) = (&w.a_ids, &w.b_ids);
        for (ids, client, status) in
            [(b, b.client, StatusCode::NOT_FOUND), (a, a.client, StatusCode::OK)]
        {
            for path in [
                format!("/app/alpha/bookings?staff={}", ids.staff),
                format!("/app/alpha/bookings/new?client={}", ids.client),
                format!("/app/alpha/bookings/new?client={}&service={}", a.client, ids.service),
                format!("/app/alpha/bookings/new?client={client}&service={}", a.service),
            ] {
                assert_eq!(owner_a.get(&path).await.status(), status, "{path}");
            }
        }
        // Moving A's own bookings onto B's staff member or into B's block is refused too.
        let (staff, block) = (w.b_ids.staff.to_string(), w.b_ids.block.to_string());
        for (booking, start, staff, block) in [
            (w.a_ids.booking, "2026-12-09T15:00:00Z", staff.as_str(), ""),
            (w.a_ids.guest_booking, "2026-12-08T09:00:00Z", "", block.as_str()),
        ] {
            let path = format!("/app/alpha/bookings/{booking}/reschedule");
            let form = [("start", start), ("staff_id", staff), ("block_id", block)];
            let response = owner_a.post_form(&path, &form).await;
            assert!(response.status().is_client_error(), "{path} {form:?}: {}", response.status());
        }

        assert_eq!(state_of(&app, w.b.id).await, before, "B's data changed");
        assert_eq!(state_of(&app, w.a.id).await, before_a, "A's data changed");
        let bob_record = clients::get(app.db(), w.b.id, w.b_ids.client).await.unwrap().unwrap();
        assert_eq!(bob_record.user_id, Some(w.b_client_user.0));
        assert!(!bob_record.login_disabled());
        assert_eq!(bob_record.email, "bob@example.com");
        let b_tenant = tenants::by_id(app.db(), w.b.id).await.unwrap().unwrap();
        assert!(b_tenant.portal_enabled);
        assert_eq!(b_tenant.name, "Business bravo");
        assert_eq!(
            app.count(&format!(
                "select count(*) from api_tokens where tenant_id = {} and revoked_at is null",
                w.b.id
            ))
            .await,
            1
        );
        assert!(bob.page("/portal/bravo").await.contains("Welcome, Bob Bravo"), "still logged in");

        // The refusals were real: the same pages open with A's own ids.
        for &(verb, pattern, id, ..) in APP_ROUTES {
            if verb == Get && id != Id::None {
                let path = fill(pattern, &w.a.slug, id, &w.a_ids);
                assert_eq!(owner_a.get(&path).await.status(), StatusCode::OK, "{path}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn another_tenants_staff_get_404_too() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        let staff_a = app.browser();
        staff_a.login("staff@alpha.example", PASSWORD).await;
        let before = state_of(&app, w.b.id).await;
        for &(verb, pattern, id, _, form) in APP_ROUTES {
            let path = fill(pattern, &w.b.slug, id, &w.b_ids);
            let response = send(&staff_a, verb, &path, &w.b_ids.form(form)).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{verb:?} {path}");
        }
        assert_eq!(state_of(&app, w.b.id).await, before);
    })
    .await;
}

#[tokio::test]
async fn staff_get_403_on_owner_only_pages_and_200_on_the_team_pages() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        let staff = app.browser();
        staff.login("staff@alpha.example", PASSWORD).await;
        let before = state_of(&app, w.a.id).await;

        assert!(staff.page("/app/alpha").await.contains("You are staff"));
        for &(verb, pattern, id, who, form) in APP_ROUTES {
            let path = fill(pattern, &w.a.slug, id, &w.a_ids);
            match who {
                Who::Owner => {
                    let response = send(&staff, verb, &path, &w.a_ids.form(form)).await;
                    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{verb:?} {path}");
                }
                // Which bookings staff reach is the agenda's own tests' business.
                Who::Team if verb == Get && id == Id::None => {
                    assert_eq!(staff.get(&path).await.status(), StatusCode::OK, "{path}");
                }
                Who::Team => {}
            }
        }
        assert_eq!(state_of(&app, w.a.id).await, before, "staff changed A's data");
    })
    .await;
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_log_in_whatever_the_tenant() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        let visitor = app.browser();
        let response = visitor.get("/app/bravo").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/accounts/login?next=%2Fapp%2Fbravo");

        // Every page, of a real or an unknown tenant, answers alike: nothing is revealed.
        let app_pages = APP_ROUTES.iter().map(|&(verb, path, id, ..)| (verb, path, id));
        let portal_pages = PORTAL_ROUTES
            .iter()
            .filter(|route| route.2 != Portal::Public)
            .map(|&(verb, path, _, id, _)| (verb, path, id));
        let pages: Vec<_> = app_pages.chain(portal_pages).filter(|route| route.0 == Get).collect();
        for slug in [w.b.slug.as_str(), "no-such-tenant"] {
            for &(_, pattern, id) in &pages {
                let path = fill(pattern, slug, id, &w.b_ids);
                let response = visitor.get(&path).await;
                assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
                assert!(location(&response).starts_with("/accounts/login?next="), "{path}");
            }
        }
    })
    .await;
}

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
        let ann_record = clients::get(app.db(), w.a.id, w.a_ids.client).await.unwrap().unwrap();
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
        assert!(tokens::revoke_api_token(app.db(), w.a.id, w.a_ids.api_token, now).await.unwrap());
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

/// A guest's hold or booking request, with the placeholders of [`Form`].
const GUEST_BODY: Body = r#"{"service": "{service}", "start": "2026-12-09T14:00:00Z",
    "guest": {"name": "Mallory", "email": "m@evil.example", "phone": "123"}}"#;

#[tokio::test]
async fn public_api_calls_answer_only_from_the_tenant_in_the_path() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let w = world(&app).await;
        let (a, b) = (&w.a_ids, &w.b_ids);
        let before = state_of(&app, w.b.id).await;
        let before_a = state_of(&app, w.a.id).await;
        let public: Vec<_> = API_ROUTES.iter().filter(|r| r.3 != Api::Token).collect();
        assert_eq!(public.len(), 3, "{public:?}");

        // Availability: B's options are B's people and blocks.
        let availability = |slug: &str, query: String| format!("/api/v1/{slug}/availability?{query}");
        let (status, slots) = app.api_get(&availability("bravo", format!("service={}&date=2026-12-09", b.service)), None).await;
        assert_eq!(status, StatusCode::OK, "{slots}");
        let slots = slots["options"].as_array().unwrap();
        assert!(!slots.is_empty());
        for option in slots {
            assert!(option["staff_id"].is_null() || option["staff_id"] == b.staff, "{option}");
            assert!(option["block_id"].is_null(), "{option}");
        }
        let (status, places) = app.api_get(&availability("bravo", format!("service={}&date=2026-12-08", b.class)), None).await;
        assert_eq!(status, StatusCode::OK, "{places}");
        let places = places["options"].as_array().unwrap();
        assert!(!places.is_empty());
        assert!(places.iter().all(|option| option["block_id"] == b.block), "{places:?}");
        // A token is not needed and changes nothing, whoever's it is.
        let path = availability("bravo", format!("service={}&date=2026-12-09", b.service));
        assert_eq!(app.api_get(&path, Some(&w.a_token)).await, app.api_get(&path, None).await);

        // B's service code, or B's staff member with A's service, asked at A's slug: 404, like an
        // unknown code.
        let unknown = app.api_get(&availability("alpha", "service=no-such-service&date=2026-12-09".into()), None).await;
        assert_eq!(unknown.0, StatusCode::NOT_FOUND);
        assert_eq!(unknown.1["error"]["code"], "not_found");
        for query in [
            format!("service={}&date=2026-12-09", b.service),
            format!("service={}&date=2026-12-08", b.class),
            format!("service={}&date=2026-12-09&staff={}", a.service, b.staff),
        ] {
            let path = availability("alpha", query);
            assert_eq!(app.api_get(&path, None).await, unknown, "{path}");
        }
        let path = availability("no-such-tenant", format!("service={}&date=2026-12-09", b.service));
        assert_eq!(app.api_get(&path, None).await, unknown, "{path}");

        // Guest holds and bookings (no token).
        let guest = app.browser();
        let csrf = guest.csrf().await;
        let as_guest = |path: String, body: String| {
            let request = guest.client.post(guest.url(&path)).header("x-csrf-token", &csrf);
            async move {
                let response = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        for &&(verb, pattern, id, access, _) in &public {
            if access != Api::TokenOrGuest {
                continue;
            }
            assert_eq!((verb, id), (Post, Id::None));
            // Without the session's CSRF token a guest call is refused, even on B's own data.
            let path = fill(pattern, &w.b.slug, id, b);
            let (status, answer) = api(&app, verb, &path, None, &b.fill(GUEST_BODY)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
            // B's service code at A's slug is an unknown service there.
            let path = fill(pattern, &w.a.slug, id, b);
            let (status, answer) = as_guest(path.clone(), b.fill(GUEST_BODY)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
            assert!(answer["error"]["fields"]["service"].is_string(), "{path}: {answer}");
            let unknown = GUEST_BODY.replace("{service}", "no-such-service");
            assert_eq!(as_guest(path.clone(), unknown).await, (status, answer), "{path}");
            // A's services with B's staff member or B's block: not bookable, by guest or
            // provider.
            let mixed = [
                format!(r#"{{"service": "{}", "start": "2026-12-09T14:00:00Z", "staff_id": {}, "guest": {{"name": "Mallory", "email": "m@evil.example", "phone": "123"}}}}"#, a.service, b.staff),
                format!(r#"{{"service": "{}", "start": "2026-12-08T09:00:00Z", "block_id": {}, "guest": {{"name": "Mallory", "email": "m@evil.example", "phone": "123"}}}}"#, a.class, b.block),
            ];
            for body in mixed {
                let (status, answer) = as_guest(path.clone(), body.clone()).await;
                assert!(status.is_client_error(), "{path} {body}: {status} {answer}");
                let (status, answer) = api(&app, verb, &path, Some(&w.a_token), &body).await;
                assert!(status.is_client_error(), "{path} {body}: {status} {answer}");
            }
        }
        // Moving A's booking onto B's staff member or into B's block is refused too.
        for (booking, body) in [
            (a.booking, format!(r#"{{"start": "2026-12-09T15:00:00Z", "staff_id": {}}}"#, b.staff)),
            (a.guest_booking, format!(r#"{{"start": "2026-12-08T09:00:00Z", "block_id": {}}}"#, b.block)),
        ] {
            let path = format!("/api/v1/alpha/bookings/{booking}/reschedule");
            let (status, answer) = api(&app, Post, &path, Some(&w.a_token), &body).await;
            assert!(status.is_client_error(), "{path} {body}: {status} {answer}");
        }
        assert_eq!(state_of(&app, w.b.id).await, before, "B's data changed");
        assert_eq!(state_of(&app, w.a.id).await, before_a, "A's data changed");
    })
    .await;
}

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
                // B's manage token or service code under A's slug: not found.
                (Book::Manage, _) | (Book::Public(_), Id::Service) => {
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
