//! The operator CLI on the embedded default (tenants, plans, logins, API tokens) and the
//! token against a running `portico serve`; `portico demo` and the logins it prints.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portico_store::{Db, PoolSettings, tokens};
use portico_testkit::{Browser, wait_for};
use reqwest::StatusCode;

use crate::binary::{Running, free_port, portico, ready, run, spawn};

/// Runs the command, asserts it succeeded and returns its standard output.
fn succeeds(command: &mut Command) -> String {
    let output = run(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{command:?} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// Runs the command, asserts it failed and returns its standard error.
fn fails(command: &mut Command) -> String {
    let output = run(command);
    assert!(!output.status.success(), "{command:?} succeeded");
    String::from_utf8(output.stderr).unwrap()
}

const OWNER: (&str, &str) = ("owner@corner.example", "a long and unusual passphrase");

/// `tenant create` for `slug` with good values, except those given in `overrides`.
fn create_tenant(dir: &Path, slug: &str, overrides: &[(&str, &str)]) -> Command {
    let mut flags = vec![
        ("--slug", slug),
        ("--name", "Corner Cafe"),
        ("--timezone", "Europe/London"),
        ("--currency", "GBP"),
        ("--owner-email", OWNER.0),
        ("--owner-password", OWNER.1),
    ];
    for &(flag, value) in overrides {
        match flags.iter_mut().find(|(f, _)| *f == flag) {
            Some(entry) => entry.1 = value,
            None => flags.push((flag, value)),
        }
    }
    let mut command = portico(dir);
    command.args(["tenant", "create"]);
    for (flag, value) in flags {
        command.arg(flag).arg(value);
    }
    command
}

/// The `tenant list` line of `slug`, split into columns.
fn listed(dir: &Path, slug: &str) -> Vec<String> {
    let list = succeeds(portico(dir).args(["tenant", "list"]));
    let line = list.lines().find(|line| line.starts_with(&format!("{slug} ")));
    let line = line.unwrap_or_else(|| panic!("{slug} is not listed:\n{list}"));
    line.split_whitespace().map(str::to_owned).collect()
}

async fn embedded_db(dir: &Path) -> Db {
    let url = format!("sqlite://{}/portico.db?mode=rwc", dir.display());
    Db::connect(&url, PoolSettings::default()).await.unwrap()
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(db.pool()).await.unwrap()
}

async fn api_get(port: u16, path: &str, token: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut request = reqwest::Client::new().get(format!("http://127.0.0.1:{port}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn operator_commands_manage_tenants_plans_logins_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    let created =
        succeeds(&mut create_tenant(dir, "corner", &[("--plan", "pro"), ("--months", "3")]));
    assert!(created.contains("created tenant corner"), "{created}");
    let row = listed(dir, "corner");
    // slug, name (two words), plan, pro until, time zone.
    assert_eq!((row[3].as_str(), row.last().unwrap().as_str()), ("pro", "Europe/London"));
    let until = chrono::NaiveDate::parse_from_str(&row[4], "%Y-%m-%d").unwrap();
    let days = (until - chrono::Utc::now().date_naive()).num_days();
    assert!((88..=93).contains(&days), "PRO for 3 months, until {until}");

    let changed = succeeds(portico(dir).args(["tenant", "set-plan", "corner", "free"]));
    assert!(changed.contains("pro → free"), "{changed}");
    assert_eq!(listed(dir, "corner")[3], "free");
    let db = embedded_db(dir).await;
    let audited = "select count(*) from audit_log where action = 'tenant.plan_changed' \
                   and detail = 'pro → free'";
    assert_eq!(count(&db, audited).await, 1);
    assert_eq!(
        count(&db, "select count(*) from tenants where plan = 'free' and pro_until is null").await,
        1
    );
    succeeds(portico(dir).args(["tenant", "set-plan", "corner", "pro"]));
    assert_eq!(listed(dir, "corner")[3], "pro", "PRO without an end");

    let user = succeeds(portico(dir).args([
        "user",
        "create",
        "--email",
        "Kim@Example.com",
        "--name",
        "Kim Park",
        "--password",
        "another fine passphrase",
    ]));
    assert!(user.contains("created user kim@example.com"), "{user}");
    assert_eq!(count(&db, "select count(*) from users where email = 'kim@example.com'").await, 1);
    let again = fails(portico(dir).args([
        "user",
        "create",
        "--email",
        "kim@example.com",
        "--name",
        "Kim",
        "--password",
        "another fine passphrase",
    ]));
    assert!(again.contains("--email"), "{again}");

    let other = succeeds(&mut create_tenant(dir, "other-shop", &[]));
    assert!(other.contains("created tenant other-shop"));
    assert_eq!(listed(dir, "other-shop")[3], "free", "FREE unless told otherwise");

    let token = succeeds(portico(dir).args(["token", "create", "--tenant", "corner"]));
    let token = token.trim();
    assert!(token.starts_with("ptk_") && !token.contains(char::is_whitespace), "{token}");
    let stored = format!(
        "select count(*) from api_tokens where token_hash = '{}' and name = 'operator'",
        tokens::hash(token)
    );
    assert_eq!(count(&db, &stored).await, 1, "stored hashed");
    assert_eq!(
        count(&db, &format!("select count(*) from api_tokens where token_hash = '{token}'")).await,
        0
    );
    db.close().await;

    let port = free_port();
    let _server = spawn(portico(dir).args(["--bind", &format!("127.0.0.1:{port}"), "serve"]));
    ready(port).await;
    let (status, body) = api_get(port, "/api/v1/corner/clients", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({ "clients": [] }));
    let (status, body) = api_get(port, "/api/v1/other-shop/clients", Some(token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a token works only for its tenant");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(api_get(port, "/api/v1/corner/clients", None).await.0, StatusCode::UNAUTHORIZED);
    // The owner created on the command line logs in to a PRO dashboard.
    let owner = Browser::new(format!("http://127.0.0.1:{port}"));
    owner.login(OWNER.0, OWNER.1).await;
    let dashboard = owner.page("/app/corner").await;
    assert!(dashboard.contains("Corner Cafe") && dashboard.contains("PRO</span>"));
}

#[tokio::test]
async fn operator_commands_refuse_bad_input_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for (flag, value) in [
        ("--slug", "Bad Slug!"),
        ("--timezone", "Mars/Olympus"),
        ("--currency", "XXX"),
        ("--owner-email", "not-an-email"),
        ("--owner-password", "password"),
    ] {
        let stderr = fails(&mut create_tenant(dir, "corner", &[(flag, value)]));
        // The password policy's message says "password: …" rather than the flag's name.
        let message = if flag == "--owner-password" { "password: " } else { flag };
        let last = stderr.trim().lines().last().unwrap_or_default();
        assert!(
            last.starts_with("portico: ") && last.contains(message),
            "{flag} {value:?}: {stderr}"
        );
    }
    let list = succeeds(portico(dir).args(["tenant", "list"]));
    assert_eq!(list.lines().count(), 1, "nothing was created:\n{list}");

    let stderr = fails(portico(dir).args(["tenant", "set-plan", "nowhere", "pro"]));
    assert!(stderr.contains("no tenant `nowhere`"), "{stderr}");
    let stderr = fails(portico(dir).args(["token", "create", "--tenant", "nowhere"]));
    assert!(stderr.contains("no tenant `nowhere`"), "{stderr}");
    let stderr = fails(portico(dir).args([
        "user",
        "create",
        "--email",
        "kim@example.com",
        "--name",
        "Kim",
        "--password",
        "short",
    ]));
    assert!(stderr.contains("password"), "{stderr}");
}

/// What `portico demo` prints at start-up; the logins repeat `crates/cli/src/demo.rs`.
const DEMO_OWNER: (&str, &str) = ("owner@happypaws.example", "walkies-owner-2026");
const DEMO_STAFF: (&str, &str) = ("sam@happypaws.example", "walkies-staff-2026");
const DEMO_CLIENT: (&str, &str) = ("jo@example.com", "walkies-client-2026");

#[tokio::test]
async fn demo_prints_logins_that_reach_the_pro_dashboard_and_the_portal() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = portico(dir.path());
    command.args(["--bind", &format!("127.0.0.1:{port}"), "demo"]);
    let mut demo = Running(
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap(),
    );
    let printed = Arc::new(Mutex::new(String::new()));
    let stdout = demo.0.stdout.take().unwrap();
    let sink = printed.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    ready(port).await;
    let banner = wait_for("the demo banner", Duration::from_secs(30), || {
        let printed = printed.clone();
        async move {
            let text = printed.lock().unwrap().clone();
            text.contains("Stop with Ctrl-C").then_some(text)
        }
    })
    .await;
    for (role, (email, password)) in
        [("owner", DEMO_OWNER), ("staff", DEMO_STAFF), ("client", DEMO_CLIENT)]
    {
        let line = banner.lines().find(|l| l.trim_start().starts_with(role));
        let line = line.unwrap_or_else(|| panic!("no {role} login in:\n{banner}"));
        assert!(line.contains(email) && line.contains(password), "{line}");
    }

    let base = format!("http://127.0.0.1:{port}");
    let owner = Browser::new(base.clone());
    owner.login(DEMO_OWNER.0, DEMO_OWNER.1).await;
    let dashboard = owner.page("/app/happy-paws").await;
    assert!(dashboard.contains("Happy Paws Dog Walking"), "{dashboard}");
    assert!(dashboard.contains("PRO</span>"), "the demo tenant is PRO");
    assert!(owner.page("/app/happy-paws/team").await.contains(DEMO_STAFF.0), "PRO: the team");
    assert!(owner.page("/app/happy-paws/clients").await.contains("Priya Shah"));
    let public = Browser::new(base.clone()).page("/book/happy-paws").await;
    assert!(public.contains("mailto:hello@happypaws.example"), "the demo's contact details");

    let staff = Browser::new(base.clone());
    staff.login(DEMO_STAFF.0, DEMO_STAFF.1).await;
    assert!(staff.page("/app/happy-paws").await.contains("You are staff"));

    let client = Browser::new(base);
    let response = client
        .post_form("/accounts/login", &[("email", DEMO_CLIENT.0), ("password", DEMO_CLIENT.1)])
        .await;
    assert_eq!(portico_testkit::location(&response), "/portal/happy-paws");
    let portal = client.page("/portal/happy-paws").await;
    assert!(portal.contains("Welcome, Jo Bloggs") && portal.contains("12 Elm Road"), "{portal}");

    // The demo's money, read back over the API.
    let token = succeeds(portico(dir.path()).args(["token", "create", "--tenant", "happy-paws"]));
    let token = Some(token.trim());
    let (_, clients) = api_get(port, "/api/v1/happy-paws/clients", token).await;
    let id_of = |name: &str| {
        let found = clients["clients"].as_array().unwrap().iter().find(|c| c["name"] == name);
        found.unwrap_or_else(|| panic!("no {name} in {clients}"))["id"].as_i64().unwrap()
    };
    let (jo, priya) = (id_of("Jo Bloggs"), id_of("Priya Shah"));
    let (status, list) = api_get(port, "/api/v1/happy-paws/invoices", token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let invoices = list["invoices"].as_array().unwrap();
    for state in ["draft", "open", "paid", "void"] {
        assert!(invoices.iter().any(|i| i["status"] == state), "no {state} invoice: {list}");
    }
    let planned =
        invoices.iter().find(|i| i["installments"].as_array().is_some_and(|p| p.len() > 1));
    let planned = planned.unwrap_or_else(|| panic!("no installment plan: {list}"));
    assert!(planned["paid_minor"].as_i64() > Some(0), "{planned}");
    assert!(planned["balance_minor"].as_i64() > Some(0), "part paid: {planned}");
    let (_, overdue) = api_get(port, "/api/v1/happy-paws/invoices?status=overdue", token).await;
    let overdue = overdue["invoices"].as_array().unwrap();
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["client_id"], priya);
    let (_, credit) =
        api_get(port, &format!("/api/v1/happy-paws/clients/{priya}/credit"), token).await;
    assert_eq!(credit["balance_minor"], 1500, "{credit}");
    let path = format!("/api/v1/happy-paws/payments?client_id={jo}");
    let (_, payments) = api_get(port, &path, token).await;
    let payments = payments["payments"].as_array().unwrap();
    assert!(payments.iter().any(|p| p["status"] == "pending"), "a declared transfer: {payments:?}");
    // Jo pays an open invoice in the browser through the simulated checkout (TEST MODE).
    let open = invoices.iter().find(|i| {
        i["status"] == "open"
            && i["client_id"] == jo
            && i["installments"].as_array().is_none_or(|p| p.is_empty())
    });
    let open =
        open.unwrap_or_else(|| panic!("no open invoice of Jo: {list}"))["id"].as_i64().unwrap();
    let page = client.page(&format!("/portal/happy-paws/invoices/{open}")).await;
    assert!(page.contains("TEST MODE") && page.contains("Pay now"), "{page}");
    let response = client.post_form(&format!("/portal/happy-paws/invoices/{open}/pay"), &[]).await;
    let checkout = portico_testkit::location(&response);
    let checkout =
        checkout.strip_prefix(&format!("http://127.0.0.1:{port}")).unwrap_or(&checkout).to_owned();
    assert!(checkout.starts_with("/pay/test/"), "{checkout}");
    assert!(client.page(&checkout).await.contains("TEST MODE"));
    let response = client.post_form(&checkout, &[]).await;
    let back = portico_testkit::location(&response);
    let back = back.strip_prefix(&format!("http://127.0.0.1:{port}")).unwrap_or(&back).to_owned();
    assert!(client.page(&back).await.contains("Payment received"), "{back}");
    let (_, paid) = api_get(port, &format!("/api/v1/happy-paws/invoices/{open}"), token).await;
    assert_eq!(paid["status"], "paid", "{paid}");
}
