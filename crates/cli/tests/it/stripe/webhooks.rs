//! Webhooks: verified before anything is read, replays and out-of-order events change
//! nothing, unknown types are ignored, another tenant's secret fulfils nothing.

use portico_domain::Clock as _;
use portico_domain::invoice::InvoiceStatus;
use portico_testkit::matrix;
use portico_testkit::stripe::{WEBHOOK_SECRET, deliver_raw, signature_header};
use serde_json::json;

use super::Shop;

#[tokio::test]
async fn the_same_webhook_five_times_and_expired_after_completed_make_one_payment() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(4200).await;
        let session = shop.checkout(&invoice).await;
        let completed = shop.event("checkout.session.completed", &shop.stripe.complete(&session));
        for _ in 0..5 {
            assert_eq!(shop.deliver(&completed).await, 200);
        }
        // Out of order: the session "expires" afterwards (a stale event).
        let mut expired = shop.stripe.session(&session).unwrap();
        expired["status"] = json!("expired");
        assert_eq!(shop.deliver(&shop.event("checkout.session.expired", &expired)).await, 200);
        // A type Portico does not handle: 200, ignored.
        let other = shop.event("customer.created", &json!({ "id": "cus_1", "object": "customer" }));
        assert_eq!(shop.deliver(&other).await, 200);

        assert_eq!(shop.payments_of(&session).await, 1);
        assert_eq!(shop.reload(invoice.id.get()).await.status, InvoiceStatus::Paid);
        assert_eq!(
            shop.count("select count(*) from online_checkouts where status = 'paid'").await,
            1
        );
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.succeeded'").await,
            1
        );
        assert_eq!(shop.count("select count(*) from gateway_events").await, 3, "stored by id");
        // The browser's return afterwards changes nothing either.
        assert!(shop.come_back(&session).await.contains("Payment received"));
        assert_eq!(shop.payments_of(&session).await, 1);
    })
    .await;
}

#[tokio::test]
async fn an_expired_session_is_noted_and_a_late_completion_still_fulfils_it() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(1500).await;
        let session = shop.checkout(&invoice).await;
        let expired = shop.stripe.expire(&session);
        assert_eq!(shop.deliver(&shop.event("checkout.session.expired", &expired)).await, 200);
        assert_eq!(
            shop.count("select count(*) from online_checkouts where status = 'expired'").await,
            1
        );
        assert!(shop.come_back(&session).await.contains("expired"));
        // A new checkout is offered (attempt 1: a new idempotency key).
        let next = shop.checkout(&invoice).await;
        assert_ne!(next, session);
        let completed = shop.stripe.complete(&next);
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        assert_eq!(shop.payments_of(&next).await, 1);
    })
    .await;
}

#[tokio::test]
async fn bad_signatures_answer_400_and_change_nothing() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(4200).await;
        let session = shop.checkout(&invoice).await;
        let body = shop.event("checkout.session.completed", &shop.stripe.complete(&session));
        let url = shop.webhook_url();
        let now = shop.app.clock.now_ts();
        let altered = body.replace("4200", "4201");
        assert_ne!(altered, body);
        let cases = [
            ("no signature", body.clone(), None),
            ("wrong secret", body.clone(), Some(signature_header(&body, &["whsec_wrong"], now))),
            (
                "301 s old",
                body.clone(),
                Some(signature_header(&body, &[WEBHOOK_SECRET], now - 301)),
            ),
            (
                "from the future",
                body.clone(),
                Some(signature_header(&body, &[WEBHOOK_SECRET], now + 301)),
            ),
            (
                "altered body",
                altered.clone(),
                Some(signature_header(&body, &[WEBHOOK_SECRET], now)),
            ),
            ("garbage", body.clone(), Some("t=abc,v1=zz".to_owned())),
        ];
        for (case, body, header) in &cases {
            assert_eq!(deliver_raw(&url, body, header.as_deref()).await, 400, "{case}");
        }
        assert_eq!(shop.payments_of(&session).await, 0);
        assert_eq!(shop.count("select count(*) from gateway_events").await, 0);
        assert_eq!(
            shop.count("select count(*) from online_checkouts where status = 'open'").await,
            1
        );
        // Several v1 values (a secret being rolled), one of them right, and 300 s old: accepted.
        let header = signature_header(&body, &["whsec_old_secret", WEBHOOK_SECRET], now - 300);
        assert_eq!(deliver_raw(&url, &body, Some(&header)).await, 200);
        assert_eq!(shop.payments_of(&session).await, 1);
        // An unknown business is not found.
        let unknown = shop.app.url("/webhooks/stripe/no-such-business");
        assert_eq!(deliver_raw(&unknown, &body, Some(&header)).await, 404);
    })
    .await;
}

#[tokio::test]
async fn another_tenants_webhook_secret_cannot_fulfil_this_tenants_sessions() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let rival = shop.app.seed_tenant("rival", portico_domain::plans::Plan::Free).await;
        let rival_secret = "whsec_rival_0000000000000000";
        let keys = portico_core::online::StripeKeys {
            secret_key: Some("sk_test_rival_000000000000"),
            webhook_secret: Some(rival_secret),
        };
        let ctx = portico_core::Context::system(portico_domain::Clock::now(&*shop.app.clock));
        portico_core::online::set_stripe(
            shop.app.db(),
            &shop.app.state.keyring,
            rival.id,
            keys,
            &ctx,
        )
        .await
        .unwrap();
        let invoice = shop.invoice(4200).await;
        let session = shop.checkout(&invoice).await;
        let body = shop.event("checkout.session.completed", &shop.stripe.complete(&session));
        let now = shop.app.clock.now_ts();
        // Signed with the rival's secret, to this business's endpoint: refused.
        let status = shop.stripe.deliver(&shop.webhook_url(), &body, &[rival_secret], now).await;
        assert_eq!(status, 400);
        // To the rival's own endpoint: accepted as the rival's event, but the session is not
        // the rival's, so nothing happens.
        let rival_url = shop.app.url("/webhooks/stripe/rival");
        assert_eq!(shop.stripe.deliver(&rival_url, &body, &[rival_secret], now).await, 200);
        assert_eq!(shop.payments_of(&session).await, 0);
        assert_eq!(shop.reload(invoice.id.get()).await.status, InvoiceStatus::Open);
        // The same event, properly signed for this business, is then handled (a no-op stored
        // under the rival did not swallow it).
        assert_eq!(shop.deliver(&body).await, 200);
        assert_eq!(shop.payments_of(&session).await, 1);
    })
    .await;
}
