//! Tenant isolation (DESIGN.md §4): a member of tenant A asking for any page or id of tenant B
//! gets 404 and changes nothing; the API answers another tenant's token with 404; anonymous
//! visitors are sent to log in; staff get 403 on owner-only pages; public pages and public API
//! calls answer only from the tenant in their path.
//!
//! The route tables list every route with a `{tenant}` in its path, one table per area:
//! [`app`] (`APP_ROUTES`), [`api`] (`API_ROUTES`), [`portal`] (`PORTAL_ROUTES`) and [`book`]
//! (`BOOK_ROUTES`), each next to the tests that walk it. A test here reads the routers' source
//! and fails when a route is missing from the tables, so adding a route means adding a line to
//! its area's table. [`world`] seeds the two tenants and compares their data before and after;
//! [`public_api`] covers the API calls that need no token.

mod api;
mod app;
mod book;
mod portal;
mod public_api;
mod world;

use std::collections::BTreeSet;
use std::path::Path;

use portico_testkit::{Browser, TestApp, location, matrix};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use api::API_ROUTES;
use app::APP_ROUTES;
use book::BOOK_ROUTES;
use portal::{PORTAL_ROUTES, Portal};
use world::{Ids, world};

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
    /// A draft invoice of the client.
    Invoice,
    /// A payment of the client: a declared bank transfer, pending.
    Payment,
}

/// A form as posted. Names and values may hold the placeholders `{client}`, `{service}`,
/// `{class}`, `{class_id}`, `{staff}` and `{block}`, filled in with the ids of the tenant the
/// request is aimed at (see [`Ids::fill`]).
type Form = &'static [(&'static str, &'static str)];

/// A JSON body, with the placeholders of [`Form`].
type Body = &'static str;

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
            assert!(!calls(handlers, "any"), "{route}: `any` is not covered by the tenancy tables");
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
    assert!(missing.is_empty(), "add these routes to their area's table in tenancy/: {missing:?}");
    let stale: Vec<_> = tables.difference(&routed).collect();
    assert!(stale.is_empty(), "these routes are gone; remove them from tenancy/: {stale:?}");
    // A route with an id in its path says what the id is, and only then.
    for (verb, path, id) in routes {
        let has_id = ["{id}", "{code}", "{token}"].iter().any(|param| path.contains(param));
        assert_eq!(has_id, id != Id::None, "{verb:?} {path}: {id:?}");
    }
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
