//! Pre-paid bookings (issue #10, item 4): a service that requires payment to book. Choosing a
//! time holds it; continuing starts a checkout for the price with the hold's token in its
//! metadata; the return or the webhook, whichever is first, books once and records the
//! payment against the booking. Late payments book a free place or are refunded.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone as _, Utc};
use futures::future::join_all;
use portico_core::prepay::RequestParty;
use portico_domain::Clock as _;
use portico_domain::booking::Actor;
use portico_domain::invoice::InvoiceStatus;
use portico_store::billing::{BillWhen, CancelPaid, Settings};
use portico_store::bookings::{Party, Slot};
use portico_store::catalog::{self, Mode, Service, ServiceFields};
use portico_testkit::{Backend, Browser, location, matrix};
use portico_web::prepay::{Ask, Surface};
use portico_web::routes::book::flow::PendingHold;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Shop;
use crate::booking_pages::{first_option, hidden};

const PRICE: i64 = 2500;

fn tomorrow() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

/// A business on Stripe with a pre-paid group walk tomorrow 09:00–12:00 (London = UTC in
/// December) with `places`.
async fn open(backend: Backend, places: u32) -> (Shop, Service, i64) {
    let shop = Shop::open(backend).await;
    let walk = shop.app.seed_service(shop.tenant.id, "walk", Mode::Block, 60).await;
    let walk = set_prepay(&shop, &walk, true).await;
    let block =
        shop.app.seed_block(shop.tenant.id, tomorrow(), 9 * 60, 12 * 60, &walk, places).await;
    (shop, walk, block)
}

async fn set_prepay(shop: &Shop, service: &Service, prepay: bool) -> Service {
    let fields = ServiceFields {
        code: service.code.clone(),
        name: service.name.clone(),
        description: service.description.clone(),
        duration_minutes: service.duration_minutes,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        price_minor: PRICE,
        currency: "GBP".into(),
        mode: service.mode,
        active: true,
        display_order: 0,
        location_kind: service.location_kind,
        meeting_url: service.meeting_url.clone(),
        prepay,
    };
    let now = shop.app.clock.now_ts();
    catalog::update(shop.app.db(), shop.tenant.id, &service.code, &fields, now)
        .await
        .unwrap()
        .unwrap()
}

/// A guest picks the first time on the public page and continues to payment; the session id.
async fn guest_pays(shop: &Shop, guest: &Browser, email: &str) -> String {
    let page = guest.page("/book/paws/services/walk?date=2026-12-02").await;
    let start = first_option(&page).expect("an option");
    let block = hidden(&page, "block_id");
    let r = guest
        .post_form(
            "/book/paws/services/walk/hold",
            &[("start", &start), ("staff_id", ""), ("block_id", &block)],
        )
        .await;
    assert_eq!(location(&r), "/book/paws/details");
    let details = guest.page("/book/paws/details").await;
    assert!(details.contains("Continue to payment") && details.contains("Payment is required"));
    let r = guest
        .post_form(
            "/book/paws/details",
            &[("name", "Jo Guest"), ("email", email), ("phone", "+44 7700 900123"), ("notes", "")],
        )
        .await;
    let to = location(&r);
    assert!(to.starts_with(&format!("{}/c/pay/cs_test_", shop.stripe.base())), "{to}");
    to.rsplit('/').next().unwrap().to_owned()
}

/// A hold and its checkout started as the public page does, without a browser; the session.
async fn checkout(shop: &Shop, service: &Service, block: i64, email: &str) -> String {
    let now = shop.app.clock.now();
    let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap();
    let slot = Slot { start, staff: None, block: Some(block) };
    let hold = portico_core::bookings::hold(shop.app.db(), &shop.tenant, service, &slot, now)
        .await
        .unwrap();
    let pending = PendingHold {
        token: hold.token,
        service: service.code.clone(),
        start: hold.starts_at,
        staff_id: hold.staff_id,
        block_id: hold.block_id,
        expires_at: hold.expires_at,
    };
    let party = RequestParty::Guest {
        name: "Jo Guest".into(),
        email: email.into(),
        phone: "+44 7700 900123".into(),
    };
    let ctx = portico_core::Context::new(Actor::Guest, "", now);
    let ask = Ask {
        hold: &pending,
        party,
        notes: String::new(),
        address: String::new(),
        surface: Surface::Public,
    };
    let started = portico_web::prepay::start(&shop.app.state, &shop.tenant, service, ask, &ctx)
        .await
        .unwrap()
        .unwrap();
    started.1
}

/// Bookings the session made, and payments it recorded.
async fn effects_of(shop: &Shop, session: &str) -> (i64, i64) {
    let booked = shop
        .count(&format!(
            "select count(*) from bookings b join online_checkouts c on c.booking_id = b.id \
             where c.session_id = '{session}'"
        ))
        .await;
    let paid = shop
        .count(&format!("select count(*) from payments where reference like 'stripe {session} %'"))
        .await;
    (booked, paid)
}

async fn bill_when(shop: &Shop, when: BillWhen) {
    let settings = Settings {
        bill_when: when,
        invoice_prefix: "INV-".into(),
        payment_terms_days: 14,
        cancel_paid: CancelPaid::Credit,
    };
    let ctx = portico_core::Context::system(shop.app.clock.now());
    portico_core::billing::save_settings(shop.app.db(), shop.tenant.id, &settings, &ctx)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_guest_pays_to_book_and_coming_back_shows_the_booking_paid() {
    matrix(|backend| async move {
        let (shop, _, _) = open(backend, 3).await;
        let guest = shop.app.browser();
        let session = guest_pays(&shop, &guest, "jo@example.com").await;

        // The session as Stripe saw it: the price, the hold in the metadata, an expiry of at
        // least Stripe's 30 minutes, a key derived from the hold.
        let calls = shop.stripe.calls();
        let create = calls.iter().find(|c| c.path == "/v1/checkout/sessions").unwrap();
        for part in [
            "mode=payment",
            "line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=2500",
            "line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=gbp",
            "metadata%5Bportico_tenant%5D=paws",
            "metadata%5Bportico_kind%5D=booking",
            "metadata%5Bportico_hold%5D=",
            "%2Fbook%2Fpaws%2Fpaid%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D",
        ] {
            assert!(create.body.contains(part), "{part} missing in {}", create.body);
        }
        let expires: i64 = create
            .body
            .split('&')
            .find_map(|p| p.strip_prefix("expires_at="))
            .expect("expires_at")
            .parse()
            .unwrap();
        assert!(expires >= shop.app.clock.now_ts() + 30 * 60, "{expires}");
        let key = create.idempotency_key.clone().unwrap();
        assert!(key.starts_with(&format!("portico-{}-prepay-", shop.tenant.id.get())), "{key}");
        // Nothing booked before the money comes in; continuing again offers the same session.
        assert_eq!(shop.count("select count(*) from bookings").await, 0);
        let r = guest
            .post_form(
                "/book/paws/details",
                &[("name", "Jo Guest"), ("email", "jo@example.com"), ("phone", "1234"), ("notes", "")],
            )
            .await;
        assert!(location(&r).ends_with(&session));
        assert_eq!(shop.stripe.sessions().len(), 1);

        // Back without paying: nothing booked, told so.
        let r = guest.get(&format!("/book/paws/paid?session_id={session}")).await;
        assert_eq!(location(&r), "/book/paws");
        assert!(guest.page("/book/paws").await.contains("being confirmed"));
        assert_eq!(effects_of(&shop, &session).await, (0, 0));

        shop.stripe.complete(&session);
        let r = guest.get(&format!("/book/paws/paid?session_id={session}")).await;
        assert_eq!(location(&r), "/book/paws/done");
        let done = guest.page("/book/paws/done").await;
        assert!(done.contains("You're booked!") && done.contains("Paid online"), "{done}");
        assert_eq!(effects_of(&shop, &session).await, (1, 1));
        // The webhook after the return changes nothing; neither does a late "expired".
        let completed = shop.stripe.session(&session).unwrap();
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        let mut expired = completed.clone();
        expired["status"] = json!("expired");
        assert_eq!(shop.deliver(&shop.event("checkout.session.expired", &expired)).await, 200);
        assert_eq!(effects_of(&shop, &session).await, (1, 1));
        assert_eq!(
            shop.count("select count(*) from bookings where status = 'confirmed' and guest_email = 'jo@example.com'")
                .await,
            1
        );
        assert_eq!(
            shop.count("select count(*) from holds where consumed_at is not null").await,
            1,
            "booked from the hold"
        );
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.succeeded'").await,
            1
        );
        // Another business's return page does not know this session.
        let other = shop.app.seed_tenant("rivals", portico_domain::plans::Plan::Free).await;
        let path = format!("/book/{}/paid?session_id={session}", other.slug);
        assert_eq!(shop.app.browser().get(&path).await.status(), StatusCode::NOT_FOUND);
        // The confirmation email went to the guest.
        shop.app.run_pending_jobs().await;
        shop.app.mail.wait_for_message_to("jo@example.com", Duration::from_secs(10)).await;
    })
    .await;
}

#[tokio::test]
async fn the_payment_goes_on_the_bookings_invoice_or_becomes_the_credit_billing_uses() {
    matrix(|backend| async move {
        let (shop, walk, block) = open(backend, 3).await;
        // Billing on confirmation: the booking's invoice is issued and paid by the payment.
        bill_when(&shop, BillWhen::Confirmed).await;
        let session = checkout(&shop, &walk, block, "ann@example.com").await;
        let completed = shop.stripe.complete(&session);
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        assert_eq!(effects_of(&shop, &session).await, (1, 1));
        let invoice: i64 = shop.count("select invoice_id from booking_charges").await;
        let invoice = shop.reload(invoice).await;
        assert_eq!((invoice.status, invoice.paid.minor), (InvoiceStatus::Paid, PRICE));
        assert_eq!(invoice.client_id, shop.client, "the guest's email is Ann's: her record");
        assert_eq!(shop.count("select count(*) from credit_entries").await, 0);

        // Billing on completion: the payment is the client's credit until the booking is billed.
        bill_when(&shop, BillWhen::Completed).await;
        let session = checkout(&shop, &walk, block, "bo@example.com").await;
        let completed = shop.stripe.complete(&session);
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        assert_eq!(effects_of(&shop, &session).await, (1, 1));
        assert_eq!(
            shop.count("select cast(coalesce(sum(amount_minor), 0) as bigint) from credit_entries")
                .await,
            PRICE
        );
        let booking: i64 = shop
            .count(&format!(
                "select booking_id from online_checkouts where session_id = '{session}'"
            ))
            .await;
        let tenant = &shop.tenant;
        shop.app.clock.advance(chrono::Duration::days(1) + chrono::Duration::hours(1));
        let owner = Actor::Owner(shop.seeded.owner);
        let ctx = portico_core::Context::new(owner, "", shop.app.clock.now());
        portico_core::bookings::complete(shop.app.db(), tenant, booking, &ctx).await.unwrap();
        assert_eq!(
            shop.count("select cast(coalesce(sum(amount_minor), 0) as bigint) from credit_entries")
                .await,
            0,
            "billing used the prepayment"
        );
        assert_eq!(
            shop.count(&format!(
                "select credit_minor from booking_charges where booking_id = {booking}"
            ))
            .await,
            PRICE
        );
    })
    .await;
}

#[tokio::test]
async fn return_and_webhook_racing_100_rounds_make_one_booking_and_one_payment_per_session() {
    matrix(|backend| async move {
        let (shop, walk, block) = open(backend, 100).await;
        for round in 0..100 {
            let session = checkout(&shop, &walk, block, &format!("g{round}@example.com")).await;
            let completed = shop.stripe.complete(&session);
            let event = shop.event("checkout.session.completed", &completed);
            let returns = (0..2).map(|_| async {
                let path = format!("/book/paws/paid?session_id={session}");
                shop.app.browser().get(&path).await.status().as_u16()
            });
            let hooks = (0..2).map(|_| shop.deliver(&event));
            let (returns, hooks) = tokio::join!(join_all(returns), join_all(hooks));
            assert!(
                returns.iter().all(|s| *s == 303) && hooks.iter().all(|s| *s == 200),
                "round {round}: {returns:?} {hooks:?}"
            );
            assert_eq!(effects_of(&shop, &session).await, (1, 1), "round {round}");
        }
        assert_eq!(shop.count("select count(*) from bookings").await, 100);
        assert_eq!(shop.count("select count(*) from payments").await, 100);
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.succeeded'").await,
            100
        );
        assert_eq!(
            shop.count("select count(*) from booking_events where action = 'created'").await,
            100
        );
    })
    .await;
}

#[tokio::test]
async fn repeated_and_out_of_order_webhooks_have_one_effect_and_an_expiry_frees_the_place_once() {
    matrix(|backend| async move {
        let (shop, walk, block) = open(backend, 1).await;
        let session = checkout(&shop, &walk, block, "jo@example.com").await;
        let completed = shop.stripe.complete(&session);
        let event = shop.event("checkout.session.completed", &completed);
        let statuses = join_all((0..5).map(|_| shop.deliver(&event))).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        let mut expired = completed.clone();
        expired["status"] = json!("expired");
        for _ in 0..2 {
            assert_eq!(shop.deliver(&shop.event("checkout.session.expired", &expired)).await, 200);
        }
        assert_eq!(effects_of(&shop, &session).await, (1, 1));
        assert_eq!(shop.count("select count(*) from bookings where status = 'confirmed'").await, 1);

        // An unpaid session of a second place expires: its hold is given back, once.
        portico_core::bookings::cancel(
            shop.app.db(),
            &shop.tenant,
            shop.count("select id from bookings").await,
            &portico_core::Context::system(shop.app.clock.now()),
        )
        .await
        .unwrap();
        let unpaid = checkout(&shop, &walk, block, "bo@example.com").await;
        let page = shop.app.browser().page("/book/paws/services/walk?date=2026-12-02").await;
        assert!(first_option(&page).is_none(), "the hold takes the only place");
        let gone = shop.stripe.expire(&unpaid);
        for _ in 0..3 {
            assert_eq!(shop.deliver(&shop.event("checkout.session.expired", &gone)).await, 200);
        }
        let page = shop.app.browser().page("/book/paws/services/walk?date=2026-12-02").await;
        assert!(first_option(&page).is_some(), "the place is free again");
        assert_eq!(
            shop.count(&format!(
                "select count(*) from online_checkouts where session_id = '{unpaid}' and status = 'expired'"
            ))
            .await,
            1
        );
        assert_eq!(effects_of(&shop, &unpaid).await, (0, 0));
    })
    .await;
}

#[tokio::test]
async fn a_late_payment_books_the_place_when_it_is_still_free() {
    matrix(|backend| async move {
        let (shop, walk, block) = open(backend, 1).await;
        let session = checkout(&shop, &walk, block, "jo@example.com").await;
        // The hold (10 minutes) runs out while the payer is at Stripe.
        shop.app.clock.advance(chrono::Duration::minutes(20));
        let completed = shop.stripe.complete(&session);
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        assert_eq!(effects_of(&shop, &session).await, (1, 1));
        assert!(shop.stripe.refunds().is_empty());
        let page = shop.app.browser().page("/book/paws/services/walk?date=2026-12-02").await;
        assert!(first_option(&page).is_none(), "the place is booked");
    })
    .await;
}

#[tokio::test]
async fn a_late_payment_for_a_place_taken_meanwhile_is_refunded_and_the_client_told() {
    matrix(|backend| async move {
        let (shop, walk, block) = open(backend, 1).await;
        let guest = shop.app.browser();
        let session = guest_pays(&shop, &guest, "jo@example.com").await;
        shop.app.clock.advance(chrono::Duration::minutes(20));
        // Someone else takes the only place after the hold ran out.
        let start = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap();
        let new = portico_core::bookings::NewBooking {
            service: &walk,
            slot: Slot { start, staff: None, block: Some(block) },
            party: Party::Guest { name: "Bo".into(), email: "bo@example.com".into(), phone: "1".into() },
            notes: String::new(),
            hold_token: None,
            address: String::new(),
        };
        let ctx = portico_core::Context::system(shop.app.clock.now());
        portico_core::bookings::create(shop.app.db(), &shop.tenant, &new, &ctx).await.unwrap();

        let completed = shop.stripe.complete(&session);
        let event = shop.event("checkout.session.completed", &completed);
        assert_eq!(shop.deliver(&event).await, 200);
        assert_eq!(shop.deliver(&event).await, 200, "a replay");
        // The return, too, changes nothing more; the payer is told.
        let r = guest.get(&format!("/book/paws/paid?session_id={session}")).await;
        assert_eq!(location(&r), "/book/paws");
        assert!(guest.page("/book/paws").await.contains("your payment was refunded in full"));

        assert_eq!(effects_of(&shop, &session).await, (0, 0), "no booking, no payment");
        let refunds = shop.stripe.refunds();
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(refunds[0]["payment_intent"], completed["payment_intent"]);
        assert_eq!(refunds[0]["amount"], PRICE);
        let refund_calls: Vec<_> = shop
            .stripe
            .calls()
            .into_iter()
            .filter(|c| c.path == "/v1/refunds")
            .collect();
        assert!(refund_calls.iter().all(|c| c.idempotency_key.is_some()));
        assert_eq!(
            shop.count(&format!(
                "select count(*) from online_checkouts where session_id = '{session}' and status = 'refunded'"
            ))
            .await,
            1
        );
        assert_eq!(shop.count("select count(*) from gateway_refunds").await, 1);
        assert_eq!(shop.count("select count(*) from bookings where guest_email = 'jo@example.com'").await, 0);
        shop.app.run_pending_jobs().await;
        let mail = shop.app.mail.wait_for_message_to("jo@example.com", Duration::from_secs(10)).await;
        assert!(mail.subject().contains("refunded"), "{}", mail.subject());
        assert!(mail.text_body().contains("No booking was made"), "{}", mail.text_body());
        let page = shop.owner().await.page("/app/paws/payments/online").await;
        assert!(page.contains("Refunded (paid after the place was taken)"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn a_mismatched_prepayment_books_nothing_and_is_flagged_to_the_owner() {
    matrix(|backend| async move {
        let (shop, walk, block) = open(backend, 2).await;
        let short = checkout(&shop, &walk, block, "jo@example.com").await;
        let completed = shop.stripe.complete_with(&short, 100, "gbp");
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        let euros = checkout(&shop, &walk, block, "bo@example.com").await;
        let completed = shop.stripe.complete_with(&euros, PRICE, "eur");
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        let r = shop.app.browser().get(&format!("/book/paws/paid?session_id={euros}")).await;
        assert_eq!(location(&r), "/book/paws");
        for session in [&short, &euros] {
            assert_eq!(effects_of(&shop, session).await, (0, 0));
        }
        assert_eq!(shop.count("select count(*) from bookings").await, 0);
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.mismatch'").await,
            2
        );
        let page = shop.owner().await.page("/app/paws/payments/online").await;
        assert!(page.contains("2 payment(s) did not match") && page.contains("Pre-paid booking"));
    })
    .await;
}

#[tokio::test]
async fn the_test_gateway_takes_a_prepayment_on_the_public_page_and_in_the_portal() {
    matrix(|backend| async move {
        let (shop, _, _) = open(backend, 3).await;
        let ctx = portico_core::Context::system(shop.app.clock.now());
        portico_core::online::set_gateway(shop.app.db(), shop.tenant.id, "test", &ctx)
            .await
            .unwrap();
        let base = shop.app.url("");
        let base = base.trim_end_matches('/');
        let guest = shop.app.browser();
        let page = guest.page("/book/paws/services/walk?date=2026-12-02").await;
        let start = first_option(&page).unwrap();
        let block = hidden(&page, "block_id");
        let form = [("start", start.as_str()), ("staff_id", ""), ("block_id", block.as_str())];
        guest.post_form("/book/paws/services/walk/hold", &form).await;
        let r = guest
            .post_form(
                "/book/paws/details",
                &[("name", "Jo"), ("email", "jo@example.com"), ("phone", "1234"), ("notes", "")],
            )
            .await;
        let to = location(&r);
        let pay = to.strip_prefix(base).unwrap().to_owned();
        assert!(pay.starts_with("/pay/test/cs_test_"), "{to}");
        assert!(guest.page(&pay).await.contains("TEST MODE"));
        let back = location(&guest.post_form(&pay, &[]).await);
        let back = back.strip_prefix(base).unwrap().to_owned();
        assert!(back.starts_with("/book/paws/paid?session_id=cs_test_"), "{back}");
        assert_eq!(location(&guest.get(&back).await), "/book/paws/done");
        assert!(guest.page("/book/paws/done").await.contains("Paid online"));

        // Ann books the same way in the portal.
        let ann = shop.ann().await;
        let page = ann.page("/portal/paws/bookings/new/walk?date=2026-12-02").await;
        let start = first_option(&page).unwrap();
        let block = hidden(&page, "block_id");
        let form = [("start", start.as_str()), ("staff_id", ""), ("block_id", block.as_str())];
        let r = ann.post_form("/portal/paws/bookings/new/walk/hold", &form).await;
        assert_eq!(location(&r), "/portal/paws/bookings/confirm");
        assert!(ann.page("/portal/paws/bookings/confirm").await.contains("Continue to payment"));
        let r = ann.post_form("/portal/paws/bookings/confirm", &[("notes", "")]).await;
        let pay = location(&r).strip_prefix(base).unwrap().to_owned();
        assert!(pay.starts_with("/pay/test/"), "{pay}");
        let back = location(&ann.post_form(&pay, &[]).await);
        let back = back.strip_prefix(base).unwrap().to_owned();
        assert!(back.starts_with("/portal/paws/bookings/paid?session_id="), "{back}");
        let to = location(&ann.get(&back).await);
        let booking: i64 = shop
            .count(&format!(
                "select id from bookings where client_id = {} and status = 'confirmed'",
                shop.client.get()
            ))
            .await;
        assert_eq!(to, format!("/portal/paws/bookings/{booking}"));
        let page = ann.page(&to).await;
        assert!(page.contains("Paid — your booking is confirmed") && page.contains("Paid online"));
        assert_eq!(shop.count("select count(*) from payments").await, 2);
        assert!(shop.stripe.sessions().is_empty(), "Stripe was not called");
    })
    .await;
}

#[tokio::test]
async fn without_an_online_gateway_a_prepaid_service_cannot_be_booked_and_says_why() {
    matrix(|backend| async move {
        let (shop, _, _) = open(backend, 3).await;
        let ctx = portico_core::Context::system(shop.app.clock.now());
        portico_core::online::set_gateway(shop.app.db(), shop.tenant.id, "offline", &ctx)
            .await
            .unwrap();
        let guest = shop.app.browser();
        let page = guest.page("/book/paws/services/walk?date=2026-12-02").await;
        let start = first_option(&page).unwrap();
        let block = hidden(&page, "block_id");
        let form = [("start", start.as_str()), ("staff_id", ""), ("block_id", block.as_str())];
        guest.post_form("/book/paws/services/walk/hold", &form).await;
        let details = guest.page("/book/paws/details").await;
        assert!(details.contains("does not take online payments"), "{details}");
        let r = guest
            .post_form(
                "/book/paws/details",
                &[("name", "Jo"), ("email", "jo@example.com"), ("phone", "1234"), ("notes", "")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("does not take online payments"));
        let ann = shop.ann().await;
        let page = ann.page("/portal/paws/bookings/new/walk?date=2026-12-02").await;
        let start = first_option(&page).unwrap();
        let form = [("start", start.as_str()), ("staff_id", ""), ("block_id", block.as_str())];
        ann.post_form("/portal/paws/bookings/new/walk/hold", &form).await;
        let r = ann.post_form("/portal/paws/bookings/confirm", &[("notes", "")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("does not take online payments"));
        assert_eq!(shop.count("select count(*) from bookings").await, 0);
        assert_eq!(shop.count("select count(*) from online_checkouts").await, 0);
        assert_eq!(shop.count("select count(*) from clients").await, 1, "no client made");
    })
    .await;
}

#[tokio::test]
async fn prepay_is_a_service_setting_on_the_page_and_the_api() {
    matrix(|backend| async move {
        let (shop, _, _) = open(backend, 1).await;
        let token = shop.app.api_token(shop.tenant.id).await;
        let api = |method: reqwest::Method, body: Value| {
            let url = shop.app.url("/api/v1/paws/services/groom");
            let token = token.clone();
            async move {
                let r = reqwest::Client::new()
                    .request(method, url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, body) = crate::payments::post(
            &shop.app,
            &token,
            "/api/v1/paws/services",
            json!({ "code": "groom", "name": "Grooming", "duration_minutes": 60, "prepay": true }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["prepay"].as_str().unwrap().contains("price"), "{body}");
        let (status, body) = crate::payments::post(
            &shop.app,
            &token,
            "/api/v1/paws/services",
            json!({ "code": "groom", "name": "Grooming", "duration_minutes": 60, "price_minor": 4500, "prepay": true }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["prepay"], true);
        let (status, body) = api(reqwest::Method::PATCH, json!({ "prepay": false })).await;
        assert_eq!((status, &body["prepay"]), (StatusCode::OK, &json!(false)), "{body}");
        let doc = shop.app.browser().page("/api/v1/openapi.json").await;
        assert!(doc.contains("\"prepay\""), "the OpenAPI document names it");

        // The owner's service page: a checkbox.
        let owner = shop.owner().await;
        let page = owner.page("/app/paws/services/groom").await;
        assert!(page.contains("name=\"prepay\"") && page.contains("Payment required to book"));
        let form = [
            ("name", "Grooming"),
            ("code", "groom"),
            ("description", ""),
            ("duration_minutes", "60"),
            ("buffer_before_minutes", "0"),
            ("buffer_after_minutes", "0"),
            ("price", "45.00"),
            ("currency", "GBP"),
            ("mode", "slot"),
            ("display_order", "1"),
            ("active", "on"),
            ("prepay", "on"),
        ];
        let r = owner.post_form("/app/paws/services/groom", &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let groom = catalog::by_code(shop.app.db(), shop.tenant.id, "groom").await.unwrap().unwrap();
        assert!(groom.prepay);
    })
    .await;
}

#[tokio::test]
async fn a_timeout_starting_the_prepayment_then_a_retry_creates_one_session() {
    matrix(|backend| async move {
        let (shop, _, _) = open(backend, 3).await;
        let guest = shop.app.browser();
        let page = guest.page("/book/paws/services/walk?date=2026-12-02").await;
        let start = first_option(&page).unwrap();
        let block = hidden(&page, "block_id");
        let form = [("start", start.as_str()), ("staff_id", ""), ("block_id", block.as_str())];
        guest.post_form("/book/paws/services/walk/hold", &form).await;
        let details =
            [("name", "Jo"), ("email", "jo@example.com"), ("phone", "1234"), ("notes", "")];
        // Stripe made the session but the answer never arrived: nothing stored, try again.
        shop.stripe.cut_off_next();
        let r = guest.post_form("/book/paws/details", &details).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Nothing was charged; please try again"));
        assert_eq!(shop.count("select count(*) from online_checkouts").await, 0);
        let r = guest.post_form("/book/paws/details", &details).await;
        let made = shop.stripe.sessions();
        assert_eq!(made.len(), 1, "one session");
        assert_eq!(location(&r), made[0]["url"].as_str().unwrap());
        let keys: Vec<_> = shop
            .stripe
            .calls()
            .into_iter()
            .filter(|c| c.path == "/v1/checkout/sessions")
            .map(|c| c.idempotency_key.unwrap())
            .collect();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], keys[1]);
        assert_eq!(shop.count("select count(*) from online_checkouts").await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_prepaid_visit_at_the_clients_address_is_booked_there_once_paid() {
    matrix(|backend| async move {
        let (shop, walk, _) = open(backend, 3).await;
        let mut fields = ServiceFields {
            code: walk.code.clone(),
            name: walk.name.clone(),
            description: walk.description.clone(),
            duration_minutes: walk.duration_minutes,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            price_minor: PRICE,
            currency: "GBP".into(),
            mode: walk.mode,
            active: true,
            display_order: 0,
            location_kind: catalog::LocationKind::Client,
            meeting_url: String::new(),
            prepay: true,
        };
        fields.description = "Collected from your door".into();
        let now = shop.app.clock.now_ts();
        catalog::update(shop.app.db(), shop.tenant.id, "walk", &fields, now)
            .await
            .unwrap()
            .unwrap();

        let guest = shop.app.browser();
        let page = guest.page("/book/paws/services/walk?date=2026-12-02").await;
        let start = first_option(&page).expect("an option");
        let block = hidden(&page, "block_id");
        let form = [("start", start.as_str()), ("staff_id", ""), ("block_id", block.as_str())];
        guest.post_form("/book/paws/services/walk/hold", &form).await;
        let details = [
            ("name", "Jo Guest"),
            ("email", "jo@example.com"),
            ("phone", "+44 7700 900123"),
            ("notes", ""),
            ("address", "12 Garden Lane, Bath"),
        ];
        let to = location(&guest.post_form("/book/paws/details", &details).await);
        let session = to.rsplit('/').next().unwrap().to_owned();
        assert!(session.starts_with("cs_test_"), "{to}");
        shop.stripe.complete(&session);
        let r = guest.get(&format!("/book/paws/paid?session_id={session}")).await;
        assert_eq!(location(&r), "/book/paws/done");
        assert_eq!(effects_of(&shop, &session).await, (1, 1));
        let place: String = sqlx::query_scalar("select location from bookings")
            .fetch_one(shop.app.db().pool())
            .await
            .unwrap();
        assert_eq!(place, "12 Garden Lane, Bath");
    })
    .await;
}
