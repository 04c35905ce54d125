//! The calendar (`/app/{tenant}/schedule`): the day grid with a column per person and one for
//! the blocks, the week with a column per day, the month with counts per day, the now-line,
//! the phone-width column links, empty time linking to "book for a client" prefilled, and what
//! a staff login sees. Tenancy is in `tenancy::app`.

use chrono::{DateTime, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _};
use portico_store::bookings::{Actor, Party, Slot};
use portico_store::catalog::{Mode, Service};
use portico_store::tenants;
use portico_testkit::{PASSWORD, SeededTenant, TestApp, matrix};

/// 2026-12-`day` at `hour`:00 UTC (London is on UTC in December; the test clock starts on
/// 2026-12-01 at 09:00).
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

async fn book(app: &TestApp, service: &Service, slot: Slot, client: ClientId) -> i64 {
    let tenant = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
    let new = NewBooking {
        service,
        slot,
        party: Party::Client(client),
        notes: String::new(),
        hold_token: None,
        address: String::new(),
    };
    let ctx = portico_core::Context::new(Actor::System, "", app.clock.now());
    (portico_core::bookings::create(app.db(), &tenant, &new, &ctx).await.expect("booked").id).get()
}

/// The `<section>` of the calendar column carrying `attr` (e.g. `data-person="7"`).
fn column<'a>(html: &'a str, attr: &str) -> &'a str {
    let at = html.find(attr).unwrap_or_else(|| panic!("no {attr} in {html}"));
    let start = html[..at].rfind("<section").expect("section start");
    let end = at + html[at..].find("</section>").expect("section end");
    &html[start..end]
}

/// The calendar item of booking or block `id`, up to its end.
fn item<'a>(html: &'a str, kind: &str, id: i64) -> &'a str {
    let marker = format!("data-{kind}=\"{id}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no {marker} in {html}"));
    let start = html[..at].rfind("<a ").expect("item start");
    &html[start..at + html[at..].find("</a>").expect("item end")]
}

struct Paws {
    t: SeededTenant,
    groom: Service,
    alex: portico_domain::StaffId,
    sam: portico_domain::StaffId,
    block: i64,
    jo: ClientId,
    with_alex: i64,
    with_sam: i64,
    in_block: i64,
    next_day: i64,
    cancelled: i64,
}

/// A PRO business: Alex and Sam groom 08:00–18:00, a walk block 09:00–12:00 for 3 on
/// 2 December, and bookings with each.
async fn paws(app: &TestApp) -> Paws {
    let t = app.seed_tenant("paws", Plan::Pro).await;
    let groom = app.seed_service(t.id, "groom", Mode::Slot, 60).await;
    let walk = app.seed_service(t.id, "walk", Mode::Block, 60).await;
    let alex = app.seed_staff_member(t.id, "Alex Groomer", &[&groom]).await;
    let sam = app.seed_staff_member(t.id, "Sam Groomer", &[&groom]).await;
    app.seed_hours(t.id, Some(alex), 8 * 60, 18 * 60).await;
    app.seed_hours(t.id, Some(sam), 8 * 60, 18 * 60).await;
    let block = app.seed_block(t.id, at(2, 0).date_naive(), 9 * 60, 12 * 60, &walk, 3).await;
    let (jo, _) = app.seed_client(&t, "Jo Client", "jo@example.com", false).await;
    let (kim, _) = app.seed_client(&t, "Kim Client", "kim@example.com", false).await;
    let slot = |start, staff, block| Slot { start, staff, block };
    let with_alex = book(app, &groom, slot(at(2, 10), Some(alex.get()), None), jo).await;
    let with_sam = book(app, &groom, slot(at(2, 11), Some(sam.get()), None), kim).await;
    let in_block = book(app, &walk, slot(at(2, 9), None, Some(block)), jo).await;
    let next_day = book(app, &groom, slot(at(3, 10), Some(alex.get()), None), kim).await;
    let cancelled = book(app, &groom, slot(at(2, 14), Some(sam.get()), None), jo).await;
    sqlx::query("update bookings set status = 'cancelled' where id = $1")
        .bind(cancelled)
        .execute(app.db().pool())
        .await
        .unwrap();
    Paws { t, groom, alex, sam, block, jo, with_alex, with_sam, in_block, next_day, cancelled }
}

#[tokio::test]
async fn the_day_grid_puts_bookings_in_their_person_column_and_row_and_blocks_with_fill() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let p = paws(&app).await;
        let owner = app.browser();
        owner.login(&p.t.owner_email, PASSWORD).await;

        let day = owner.page("/app/paws/schedule?view=day&date=2026-12-02").await;
        // Rows are quarter hours from 08:00: 10:00 is row 9, an hour spans 4.
        let alex = column(&day, &format!("data-person=\"{}\"", p.alex));
        assert!(alex.contains("Alex Groomer"), "{alex}");
        let booking = item(alex, "booking", p.with_alex);
        assert!(booking.contains("data-start=\"10:00\"") && booking.contains("data-rows=\"9+4\""));
        assert!(booking.contains("Jo Client") && booking.contains("Service groom"), "{booking}");
        assert!(!alex.contains(&format!("data-booking=\"{}\"", p.with_sam)));
        let sam = column(&day, &format!("data-person=\"{}\"", p.sam));
        assert!(item(sam, "booking", p.with_sam).contains("data-rows=\"13+4\""), "{sam}");
        assert!(
            !day.contains(&format!("data-booking=\"{}\"", p.cancelled)),
            "cancelled frees time"
        );
        assert!(!day.contains(&format!("data-booking=\"{}\"", p.next_day)));
        // The owner has a column too, and the blocks theirs, with the fill level.
        let owner_column = column(&day, "data-person=\"owner\"");
        assert!(owner_column.contains("cal-col"), "{owner_column}");
        let blocks = column(&day, "data-column=\"blocks\"");
        let block = item(blocks, "block", p.block);
        assert!(block.contains("data-fill=\"1/3\"") && block.contains("Jo Client"), "{block}");
        assert!(block.contains("data-rows=\"5+12\""), "{block}");
        assert!(!day.contains(&format!("data-booking=\"{}\"", p.in_block)), "inside its block");
        // Empty time ahead books a client there with that person.
        assert!(alex.contains(&format!(
            "href=\"/app/paws/bookings/new?date=2026-12-02&amp;time=15:00&amp;staff={}\"",
            p.alex
        )));
        assert!(
            owner_column.contains("href=\"/app/paws/bookings/new?date=2026-12-02&amp;time=08:00\"")
        );
        // No now-line on another day; prev / next days and the date picker.
        assert!(!day.contains("cal-now"));
        assert!(
            day.contains("view=day&amp;date=2026-12-01")
                && day.contains("view=day&amp;date=2026-12-03")
        );
        assert!(day.contains("type=\"date\" name=\"date\" value=\"2026-12-02\""));

        // Today: the now-line at 09:00 (row 5), and no link to book time already past.
        let today = owner.page("/app/paws/schedule").await;
        assert!(today.contains("class=\"cal-now r5\" data-minute=\"540\""), "{today}");
        assert!(!today.contains("time=08:30") && today.contains("time=09:30"));

        // Phone width: one column at a time, with links to its neighbours.
        let focused =
            owner.page(&format!("/app/paws/schedule?date=2026-12-02&col={}", p.alex)).await;
        let shown = column(&focused, &format!("data-person=\"{}\"", p.alex));
        assert!(shown.starts_with("<section class=\"cal-col focus"), "{shown}");
        assert!(focused.contains(
            "view=day&amp;date=2026-12-02&amp;col=owner\" aria-label=\"Previous column\""
        ));
        assert!(focused.contains(&format!(
            "view=day&amp;date=2026-12-02&amp;col={}\" aria-label=\"Next column\"",
            p.sam
        )));
    })
    .await;
}

#[tokio::test]
async fn the_week_has_a_column_per_day_and_the_month_counts_bookings() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let p = paws(&app).await;
        let owner = app.browser();
        owner.login(&p.t.owner_email, PASSWORD).await;

        let week = owner.page("/app/paws/schedule?view=week&date=2026-12-02").await;
        assert!(
            week.contains("data-column=\"2026-11-30\"")
                && week.contains("data-column=\"2026-12-06\"")
        );
        let wednesday = column(&week, "data-column=\"2026-12-02\"");
        for id in [p.with_alex, p.with_sam] {
            assert!(wednesday.contains(&format!("data-booking=\"{id}\"")), "{id} in {wednesday}");
        }
        // Alex at 10 and Sam at 11 do not overlap: one lane; the 09:00–12:00 block overlaps
        // both, so the day splits into two lanes.
        assert!(wednesday.contains("lanes-2"), "{wednesday}");
        assert!(item(wednesday, "block", p.block).contains("data-fill=\"1/3\""));
        assert!(item(wednesday, "booking", p.with_alex).contains("Alex Groomer"));
        let thursday = column(&week, "data-column=\"2026-12-03\"");
        assert!(thursday.contains(&format!("data-booking=\"{}\"", p.next_day)));
        // The week of today has the now-line in today's column only.
        let this_week = owner.page("/app/paws/schedule?view=week&date=2026-12-02").await;
        assert!(column(&this_week, "data-column=\"2026-12-01\"").contains("cal-now"));
        assert!(!wednesday.contains("cal-now"));
        assert!(
            week.contains("view=week&amp;date=2026-11-23")
                && week.contains("view=week&amp;date=2026-12-07")
        );

        let month = owner.page("/app/paws/schedule?view=month&date=2026-12-15").await;
        assert!(month.contains("data-date=\"2026-12-02\" data-count=\"3\""), "{month}");
        assert!(month.contains("data-date=\"2026-12-03\" data-count=\"1\""));
        assert!(month.contains("data-date=\"2026-12-04\" data-count=\"0\""));
        assert!(month.contains("href=\"/app/paws/schedule?view=day&amp;date=2026-12-02\""));
        // Weeks from Monday: 30 November starts the grid, 3 January ends it.
        assert!(
            month.contains("data-date=\"2026-11-30\"")
                && month.contains("data-date=\"2027-01-03\"")
        );
        assert!(
            month.contains("view=month&amp;date=2026-11-01")
                && month.contains("view=month&amp;date=2027-01-01")
        );
    })
    .await;
}

#[tokio::test]
async fn a_staff_login_sees_only_its_own_column_and_the_blocks() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let p = paws(&app).await;
        let login = app.seed_staff(&p.t, "alex@paws.example").await;
        assert!(app.link_staff_login(p.t.id, p.alex, login).await);
        let browser = app.browser();
        browser.login("alex@paws.example", PASSWORD).await;

        for view in ["day", "week"] {
            let page =
                browser.page(&format!("/app/paws/schedule?view={view}&date=2026-12-02")).await;
            assert!(page.contains(&format!("data-booking=\"{}\"", p.with_alex)), "{page}");
            assert!(!page.contains(&format!("data-booking=\"{}\"", p.with_sam)), "{view}");
            assert!(page.contains(&format!("data-block=\"{}\"", p.block)));
        }
        let day = browser.page("/app/paws/schedule?date=2026-12-02").await;
        assert!(day.contains(&format!("data-person=\"{}\"", p.alex)));
        assert!(
            !day.contains("data-person=\"owner\"")
                && !day.contains(&format!("data-person=\"{}\"", p.sam))
        );
        let month = browser.page("/app/paws/schedule?view=month&date=2026-12-02").await;
        assert!(month.contains("data-date=\"2026-12-02\" data-count=\"2\""), "own and block");
    })
    .await;
}

#[tokio::test]
async fn empty_time_opens_book_for_a_client_with_date_time_and_person_chosen() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let p = paws(&app).await;
        let owner = app.browser();
        owner.login(&p.t.owner_email, PASSWORD).await;
        let asked = format!("date=2026-12-02&time=15:00&staff={}", p.alex);

        // The client step keeps what the calendar chose in its links.
        let start = owner.page(&format!("/app/paws/bookings/new?{asked}")).await;
        let carried = format!(
            "?client={}&amp;date=2026-12-02&amp;time=15:00&amp;staff={}",
            p.jo.get(),
            p.alex
        );
        assert!(start.contains(&carried), "{start}");
        let services =
            owner.page(&format!("/app/paws/bookings/new?client={}&{asked}", p.jo.get())).await;
        assert!(services.contains(&format!(
            "&amp;service={}&amp;date=2026-12-02&amp;time=15:00&amp;staff={}",
            p.groom.code, p.alex
        )));
        // The times of that day, with the one asked for chosen.
        let times = owner
            .page(&format!("/app/paws/bookings/new?client={}&service=groom&{asked}", p.jo.get()))
            .await;
        assert_eq!(times.matches(" checked>").count(), 1, "{times}");
        let checked = &times[..times.find(" checked>").unwrap()];
        let value = &checked[checked.rfind("value=\"").unwrap()..];
        assert!(
            value.starts_with(&format!("value=\"{}|{}|", at(2, 15).to_rfc3339(), p.alex)),
            "{value}"
        );
        // Without a time nothing is chosen.
        let plain = owner
            .page(&format!(
                "/app/paws/bookings/new?client={}&service=groom&date=2026-12-02",
                p.jo.get()
            ))
            .await;
        assert!(!plain.contains(" checked>"));
    })
    .await;
}
