//! Golden paths in a real browser (headless Chromium through chromedriver), at a desktop and a
//! phone width, on both backends. Every page on the way is checked by [`Chrome::check`]: no
//! sideways scrolling, no console error or failed request, no serious or critical axe-core
//! violation. Screenshots of each step land in `target/browser-screens/` for review.

use std::time::Duration;

use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{Chrome, TestApp, matrix};

const MAIL_WAIT: Duration = Duration::from_secs(10);
const WIDTHS: [u32; 2] = [1280, 390];
/// The demo crawl also runs at the narrowest phone width every page must fit.
const CRAWL_WIDTHS: [u32; 3] = [1280, 390, 360];

fn path_of(link: &str) -> String {
    let url = url::Url::parse(link).expect("link URL");
    url.path().to_owned()
}

/// Picks the first offered time on a booking page (the day shown or the next days with times)
/// (when the page asks for confirmation first, the dialog is left open for the caller).
async fn pick_first_time(chrome: &Chrome) {
    for _ in 0..7 {
        if chrome.has("form[data-confirm] button.slot").await {
            // Asks first: the caller answers the dialog.
            chrome.click("button.slot").await;
            return;
        }
        if chrome.has("button.slot").await {
            chrome.follow("button.slot").await;
            return;
        }
        chrome.follow("a.day.selected ~ a.day").await;
    }
    panic!("no time offered in a week on {}", chrome.url().await);
}

/// A new business signs up, adds a service and its hours, and a guest books through the
/// booking link, gets the email, reschedules and cancels from its manage link.
#[tokio::test]
async fn owner_sets_up_and_a_guest_books_reschedules_and_cancels() {
    matrix(|backend| async move {
        for width in WIDTHS {
            let Some(chrome) = Chrome::start(&format!("guest-{backend:?}"), width).await else {
                return;
            };
            let app = TestApp::spawn(backend).await;
            let slug = format!("paws-{width}");

            chrome.goto(&app.url("/")).await;
            chrome.check("01-landing").await;
            chrome.goto(&app.url("/signup")).await;
            chrome.check("02-signup").await;
            chrome.fill("#business_name", "Happy Paws").await;
            chrome.fill("#slug", &slug).await;
            chrome.fill("#owner_name", "Alex Morgan").await;
            chrome.fill("#email", &format!("alex{width}@example.com")).await;
            chrome.fill("#password", "a long and unusual passphrase").await;
            chrome.follow("form[action='/signup'] button[type=submit]").await;
            assert_eq!(chrome.path().await, format!("/app/{slug}"));
            chrome.check("03-home").await;

            chrome.goto(&app.url(&format!("/app/{slug}/services/new"))).await;
            chrome.fill("#name", "Dog walk").await;
            chrome.fill("#code", "walk").await;
            chrome.fill("#duration_minutes", "30").await;
            chrome.fill("#price", "25").await;
            chrome.check("04-service-form").await;
            chrome.follow("form.card button[type=submit]").await;
            let services = chrome.text().await;
            assert!(
                services.contains("Dog walk"),
                "{} at {width}: {services}",
                chrome.path().await
            );
            chrome.check("05-services").await;

            chrome.goto(&app.url(&format!("/app/{slug}/hours"))).await;
            for day in
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            {
                chrome.fill(&format!("input[aria-label='{day} start']"), "09:00").await;
                chrome.fill(&format!("input[aria-label='{day} end']"), "17:00").await;
            }
            chrome.follow("form.card button[type=submit]").await;
            chrome.check("06-hours").await;

            // The booking link, as a guest.
            chrome.goto(&app.url(&format!("/book/{slug}"))).await;
            chrome.check("07-booking-page").await;
            chrome.follow("a.choice").await;
            // A day far enough ahead that the guest may still change the booking.
            let times = chrome.path().await;
            chrome.goto(&app.url(&format!("{times}?date=2026-12-08"))).await;
            chrome.check("08-times").await;
            pick_first_time(&chrome).await;
            chrome.check("09-details").await;
            chrome.fill("#name", "Jo Guest").await;
            chrome.fill("#email", &format!("jo{width}@example.com")).await;
            chrome.fill("#phone", "+44 7700 900123").await;
            chrome
                .follow(&format!("form[action='/book/{slug}/details'] button[type=submit]"))
                .await;
            let done = chrome.text().await;
            assert!(done.contains("Dog walk"), "confirmation page: {done}");
            chrome.check("10-confirmed").await;

            app.run_pending_jobs().await;
            let mail =
                app.mail.wait_for_message_to(&format!("jo{width}@example.com"), MAIL_WAIT).await;
            let manage = path_of(&mail.first_link_containing("/manage/").expect("manage link"));
            chrome.goto(&app.url(&manage)).await;
            chrome.check("11-manage").await;

            chrome.follow(&format!("a[href='{manage}/reschedule']")).await;
            chrome.goto(&app.url(&format!("{manage}/reschedule?date=2026-12-09"))).await;
            chrome.check("12-reschedule").await;
            pick_first_time(&chrome).await;
            chrome.check("13-reschedule-confirm").await;
            chrome.confirm().await;
            chrome.goto(&app.url(&manage)).await;
            assert!(chrome.text().await.contains("9 Dec 2026"), "moved to the 9th");
            chrome.check("14-rescheduled").await;

            chrome.click(&format!("form[action='{manage}/cancel'] button[type=submit]")).await;
            chrome.check("15-cancel-confirm").await;
            chrome.confirm().await;
            chrome.goto(&app.url(&manage)).await;
            assert!(chrome.text().await.to_lowercase().contains("cancelled"));
            chrome.check("16-cancelled").await;

            // The owner's day.
            chrome.goto(&app.url(&format!("/app/{slug}/bookings"))).await;
            chrome.check("17-owner-bookings").await;
            drop(chrome);
            drop(app);
        }
    })
    .await;
}

/// A client registers at a business's portal, confirms the address, logs in, books a time and
/// cancels it.
#[tokio::test]
async fn client_registers_books_and_cancels_in_the_portal() {
    matrix(|backend| async move {
        for width in WIDTHS {
            let Some(chrome) = Chrome::start(&format!("portal-{backend:?}"), width).await else {
                return;
            };
            let app = TestApp::spawn(backend).await;
            let tenant = app.seed_tenant("walkies", Plan::Pro).await;
            app.seed_service(tenant.id, "walk", Mode::Slot, 30).await;
            app.seed_hours(tenant.id, None, 9 * 60, 17 * 60).await;
            let email = format!("sam{width}@example.com");

            chrome.goto(&app.url("/portal/walkies/register")).await;
            chrome.check("01-register").await;
            chrome.fill("#name", "Sam Client").await;
            chrome.fill("#email", &email).await;
            chrome.fill("#password", "a long and unusual passphrase").await;
            chrome.follow("form[action='/portal/walkies/register'] button[type=submit]").await;
            chrome.check("02-registered").await;

            app.run_pending_jobs().await;
            let mail = app.mail.wait_for_message_to(&email, MAIL_WAIT).await;
            let verify = path_of(&mail.first_link_containing("/accounts/verify/").expect("link"));
            chrome.goto(&app.url(&verify)).await;
            chrome.check("03-verify").await;
            chrome.follow(&format!("form[action='{verify}'] button[type=submit]")).await;

            // The owner lets this client change bookings online (a per-client setting).
            sqlx::query("update clients set can_self_reschedule = 1")
                .execute(app.db().pool())
                .await
                .expect("allow changes");

            chrome.goto(&app.url("/accounts/login?next=/portal/walkies")).await;
            chrome.check("04-login").await;
            chrome.fill("#email", &email).await;
            chrome.fill("#password", "a long and unusual passphrase").await;
            chrome.follow("form[action='/accounts/login'] button[type=submit]").await;
            assert_eq!(chrome.path().await, "/portal/walkies");
            chrome.check("05-portal-home").await;

            chrome.follow("main a.button[href='/portal/walkies/bookings/new']").await;
            chrome.check("06-services").await;
            chrome.follow("a.choice").await;
            chrome.goto(&app.url("/portal/walkies/bookings/new/walk?date=2026-12-08")).await;
            chrome.check("07-times").await;
            pick_first_time(&chrome).await;
            chrome.check("08-confirm").await;
            chrome
                .follow("form[action='/portal/walkies/bookings/confirm'] button[type=submit]")
                .await;
            let booked = chrome.text().await;
            assert!(booked.contains("Service walk"), "booked: {booked}");
            chrome.check("09-booked").await;

            chrome.goto(&app.url("/portal/walkies")).await;
            chrome.check("10-home-with-booking").await;
            chrome.follow("main a[href^='/portal/walkies/bookings/']:not([href$='/new'])").await;
            chrome.check("11-booking").await;
            chrome.click("form[action$='/cancel'] button[type=submit]").await;
            chrome.check("12-cancel-confirm").await;
            chrome.confirm().await;
            assert!(chrome.text().await.to_lowercase().contains("cancelled"));
            chrome.check("13-cancelled").await;
            drop(chrome);
            drop(app);
        }
    })
    .await;
}

/// Every page an owner and a client can reach by following links in the demo business (the
/// embedded default, with bookings, invoices in every state, credit and a plan), at desktop
/// width and at 390 and 360 px, passes the same checks.
#[tokio::test]
async fn every_page_of_the_demo_passes_in_the_browser() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = crate::binary::free_port();
    let _demo = crate::binary::spawn(crate::binary::portico(dir.path()).args([
        "--bind",
        &format!("127.0.0.1:{port}"),
        "demo",
    ]));
    crate::binary::ready(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let logins = [
        ("owner@happypaws.example", "walkies-owner-2026", "/app/happy-paws"),
        ("jo@example.com", "walkies-client-2026", "/portal/happy-paws"),
    ];
    for width in CRAWL_WIDTHS {
        for (email, password, start) in logins {
            let name = format!("demo-{}", start.trim_start_matches('/').replace('/', "-"));
            let Some(chrome) = Chrome::start(&name, width).await else { return };
            chrome.goto(&format!("{base}/accounts/login?next={start}")).await;
            chrome.fill("#email", email).await;
            chrome.fill("#password", password).await;
            chrome.follow("form[action='/accounts/login'] button[type=submit]").await;
            assert_eq!(chrome.path().await, start);
            let visited = crawl(&chrome, &base, start).await;
            assert!(visited > 5, "only {visited} pages under {start}");
        }
    }
}

/// The kind of page a link leads to: its path with ids and dates generalised and its query's
/// keys without their values, so the crawl checks each kind of page once, not every booking.
fn page_kind(link: &str) -> String {
    let (path, query) = link.split_once('?').unwrap_or((link, ""));
    let path: String = path
        .split('/')
        .map(|part| if part.chars().any(|c| c.is_ascii_digit()) { "N" } else { part })
        .collect::<Vec<_>>()
        .join("/");
    let keys: Vec<&str> = query.split('&').filter_map(|kv| kv.split('=').next()).collect();
    format!("{path}?{}", keys.join("&"))
}

/// Visits every kind of page under `prefix` reachable by links from it (downloads and ways
/// out excluded), checking each; the number of pages visited.
async fn crawl(chrome: &Chrome, base: &str, prefix: &str) -> usize {
    const SKIP: [&str; 6] = ["/pdf", ".ics", "/logout", "/connect", "/feeds/", ".csv"];
    let mut queue = std::collections::VecDeque::from([prefix.to_owned()]);
    let mut seen = std::collections::BTreeSet::from([page_kind(prefix)]);
    let mut visited = 0;
    while let Some(path) = queue.pop_front() {
        chrome.goto(&format!("{base}{path}")).await;
        visited += 1;
        let step = format!("{visited:03}{}", path.replace(['/', '?', '&', '='], "_"));
        chrome.check(&step).await;
        let links = chrome
            .run(
                "return Array.from(document.querySelectorAll('a[href]')) \
                 .map(a => new URL(a.href, location.href)) \
                 .filter(u => u.origin === location.origin) \
                 .map(u => u.pathname + u.search);",
                serde_json::json!([]),
            )
            .await;
        for link in links.as_array().into_iter().flatten().filter_map(|l| l.as_str()) {
            let link = link.to_owned();
            if link.starts_with(prefix)
                && !SKIP.iter().any(|skip| link.contains(skip))
                && seen.insert(page_kind(&link))
            {
                queue.push_back(link);
            }
        }
    }
    visited
}
