//! Favourites and "Book again" in the portal: a client marks services and staff members as
//! favourites (listed first, for that client only); a past booking's "Book again" opens the
//! booking form with the same service and person.

use chrono::{DateTime, TimeZone as _, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_store::bookings::{Actor, Party, Slot};
use portico_store::tenants;
use portico_testkit::{PASSWORD, TestApp, location, matrix};
use reqwest::StatusCode;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

/// Where `needle` first appears in `html` (panics when it does not).
fn position(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {html}"))
}

#[tokio::test]
async fn favourites_come_first_for_their_own_client_and_book_again_preselects() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk =
            app.seed_service(tenant.id, "walk", portico_store::catalog::Mode::Slot, 60).await;
        let groom =
            app.seed_service(tenant.id, "groom", portico_store::catalog::Mode::Slot, 60).await;
        let alex = app.seed_staff_member(tenant.id, "Alex Walker", &[&walk, &groom]).await;
        let sam = app.seed_staff_member(tenant.id, "Sam Strider", &[&walk, &groom]).await;
        for person in [alex, sam] {
            app.seed_hours(tenant.id, Some(person), 8 * 60, 18 * 60).await;
        }
        sqlx::query("update staff_members set bio = 'Loves big dogs.' where id = $1")
            .bind(sam.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let (ann_id, _) = app.seed_client(&tenant, "Ann", "ann@example.com", true).await;
        app.seed_client(&tenant, "Bob", "bob@example.com", true).await;
        let ann = app.browser();
        ann.login("ann@example.com", PASSWORD).await;
        let bob = app.browser();
        bob.login("bob@example.com", PASSWORD).await;

        // Nothing marked: the business's order (by name here).
        let list = ann.page("/portal/paws/bookings/new").await;
        assert!(position(&list, "Service groom") < position(&list, "Service walk"));
        assert!(list.contains("☆ Add Service walk to favourites"));

        // Ann marks walks and Sam; posting twice changes nothing.
        for _ in 0..2 {
            let response = ann
                .post_form("/portal/paws/favourites/services/walk", &[("favourite", "on")])
                .await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&response), "/portal/paws/bookings/new");
        }
        let response = ann
            .post_form(
                &format!("/portal/paws/favourites/staff/{sam}"),
                &[("favourite", "on"), ("next", "/portal/paws/bookings/new/walk")],
            )
            .await;
        assert_eq!(location(&response), "/portal/paws/bookings/new/walk");
        let marked = "select count(*) from client_favourites";
        assert_eq!(app.count(marked).await, 2);

        let list = ann.page("/portal/paws/bookings/new").await;
        assert!(position(&list, "★ Service walk") < position(&list, "Service groom"), "{list}");
        let page = ann.page("/portal/paws/bookings/new/walk").await;
        let (sam_option, alex_option) = (format!("value=\"{sam}\""), format!("value=\"{alex}\""));
        assert!(position(&page, &sam_option) < position(&page, &alex_option), "{page}");
        assert!(page.contains("★ Sam Strider") && page.contains("Loves big dogs."), "{page}");

        // Bob sees none of Ann's favourites.
        let list = bob.page("/portal/paws/bookings/new").await;
        assert!(
            !list.contains("★ ")
                && position(&list, "Service groom") < position(&list, "Service walk")
        );
        assert!(!bob.page("/portal/paws/bookings/new/walk").await.contains("★ Sam Strider"));

        // Unmarked (the box is absent): gone.
        ann.post_form("/portal/paws/favourites/services/walk", &[]).await;
        assert!(!ann.page("/portal/paws/bookings/new").await.contains("★ Service walk"));
        // Another tenant's service, or an unknown person: not found, nothing stored.
        let other = app.seed_tenant("other", Plan::Pro).await;
        app.seed_service(other.id, "swim", portico_store::catalog::Mode::Slot, 30).await;
        let response =
            ann.post_form("/portal/paws/favourites/services/swim", &[("favourite", "on")]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let response =
            ann.post_form("/portal/paws/favourites/staff/999999", &[("favourite", "on")]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.count(marked).await, 1);

        // Ann's walk with Alex on Wed 2 Dec; on Thu it is past and can be booked again.
        let paws = tenants::by_slug(app.db(), "paws").await.unwrap().unwrap();
        let slot = Slot { start: at(2, 10), staff: Some(alex.get()), block: None };
        let new = NewBooking {
            service: &walk,
            slot,
            party: Party::Client(ann_id),
            notes: String::new(),
            hold_token: None,
            address: String::new(),
        };
        let ctx = portico_core::Context::new(Actor::Api, "", app.clock.now());
        let id = portico_core::bookings::create(app.db(), &paws, &new, &ctx).await.unwrap().id;
        let rebook = format!("/portal/paws/bookings/new/walk?staff={alex}");
        assert!(!ann.page("/portal/paws").await.contains(&rebook), "not while it is upcoming");
        app.clock.set(at(3, 9));
        ann.login("ann@example.com", PASSWORD).await;
        let home = ann.page("/portal/paws").await;
        assert!(home.contains(&format!("href=\"{}\"", rebook.replace('&', "&amp;"))), "{home}");
        // Statuses are an icon and a word, not colour alone, on the home and the booking page.
        let confirmed = "<span aria-hidden=\"true\" class=\"status-icon\">✓</span> Confirmed";
        assert!(home.contains(confirmed), "{home}");
        let detail = ann.page(&format!("/portal/paws/bookings/{id}")).await;
        assert!(detail.contains("Book again") && detail.contains(confirmed), "{detail}");
        let form = ann.page(&rebook).await;
        assert!(form.contains("<h1>Service walk</h1>"), "{form}");
        assert!(form.contains(&format!("<option value=\"{alex}\" selected>")), "{form}");
    })
    .await;
}
