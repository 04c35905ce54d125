//! Refunds of online payments: through the gateway with an idempotency key, recorded once;
//! a refund made in Stripe's dashboard is reflected once from `charge.refunded` (its refunds
//! listed at Stripe) or `refund.created` / `refund.updated`; one Portico cannot apply is kept
//! for the owner and answered 200.

use portico_domain::invoice::InvoiceStatus;
use portico_testkit::matrix;
use reqwest::StatusCode;
use serde_json::json;

use portico_testkit::stripe::SECRET_KEY;

use super::Shop;

#[tokio::test]
async fn an_online_payment_is_refunded_through_stripe_and_each_refund_is_reflected_once() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let (invoice, intent) = shop.paid_online(8000).await;
        let payment: i64 = shop.count("select id from payments").await;

        // The owner refunds 30.00 over the API: Stripe is asked, with an idempotency key.
        let token = shop.app.api_token(shop.tenant.id).await;
        let path = format!("/api/v1/paws/payments/{payment}/refund");
        let body = json!({ "amount_minor": 3000, "reason": "One walk missed" });
        // Stripe fails first: nothing is recorded, the owner is told.
        shop.stripe.fail_next();
        let (status, answer) = crate::payments::post(&shop.app, &token, &path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{answer}");
        assert_eq!(answer["error"]["code"], "gateway_error");
        assert_eq!(shop.count("select refunded_minor from payments").await, 0);
        let (status, answer) = crate::payments::post(&shop.app, &token, &path, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["refunded_minor"], 3000);
        let refunds = shop.stripe.refunds();
        assert_eq!(refunds.len(), 1);
        assert_eq!(
            (refunds[0]["amount"].as_i64(), refunds[0]["payment_intent"].as_str()),
            (Some(3000), Some(intent.as_str()))
        );
        let call = shop.stripe.calls().into_iter().rfind(|c| c.path == "/v1/refunds").unwrap();
        assert!(call.idempotency_key.unwrap().starts_with("portico-refund-"));
        assert!(call.body.contains("amount=3000"), "{}", call.body);
        let reopened = shop.reload(invoice.id.get()).await;
        assert_eq!((reopened.status, reopened.paid.minor), (InvoiceStatus::Open, 5000));

        // Stripe's charge.refunded for that same refund: already reflected.
        let charge = shop.stripe.charge(&intent);
        assert_eq!(shop.deliver(&shop.event("charge.refunded", &charge)).await, 200);
        assert_eq!(shop.count("select refunded_minor from payments").await, 3000);

        // A refund made in Stripe's dashboard: reflected once, however often it is reported.
        let charge = shop.stripe.refund_in_dashboard(&intent, 1000);
        for _ in 0..2 {
            assert_eq!(shop.deliver(&shop.event("charge.refunded", &charge)).await, 200);
        }
        assert_eq!(shop.count("select refunded_minor from payments").await, 4000);
        assert_eq!(shop.count("select count(*) from gateway_refunds").await, 2);
        assert_eq!(shop.count("select count(*) from payment_refunds").await, 2);
        assert_eq!(shop.reload(invoice.id.get()).await.paid.minor, 4000);
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.refunded'").await,
            2
        );

        // More than is left is refused before Stripe is asked.
        let body = json!({ "amount_minor": 4001, "reason": "Too much" });
        let (status, _) = crate::payments::post(&shop.app, &token, &path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(shop.stripe.refunds().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn charge_refunded_without_its_refunds_lists_them_at_stripe() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let (invoice, intent) = shop.paid_online(8000).await;

        // As Stripe sends it since 2022-11-15: no `refunds` on the charge.
        let charge = shop.stripe.refund_in_dashboard(&intent, 2500);
        assert!(charge.get("refunds").is_none(), "{charge}");
        // Stripe cannot be reached to list them: 500, so Stripe delivers again; nothing noted.
        shop.stripe.fail_next();
        let body = shop.event("charge.refunded", &charge);
        assert_eq!(shop.deliver(&body).await, 500);
        assert_eq!(shop.count("select refunded_minor from payments").await, 0);
        assert_eq!(shop.deliver(&body).await, 200);
        assert_eq!(shop.count("select refunded_minor from payments").await, 2500);
        let listed = shop.stripe.calls().into_iter().filter(|c| c.method == "GET");
        assert!(
            listed.into_iter().any(|c| c.path == format!("/v1/refunds?payment_intent={intent}"))
        );
        assert_eq!(shop.reload(invoice.id.get()).await.paid.minor, 5500);
    })
    .await;
}

#[tokio::test]
async fn refund_events_are_reflected_once_and_unapplicable_ones_are_flagged_not_retried() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let (invoice, intent) = shop.paid_online(8000).await;
        let payment: i64 = shop.count("select id from payments").await;

        // A refund Portico made itself, then Stripe's refund.created for it: counted once.
        let token = shop.app.api_token(shop.tenant.id).await;
        let path = format!("/api/v1/paws/payments/{payment}/refund");
        let body = json!({ "amount_minor": 3000, "reason": "One walk missed" });
        let (status, _) = crate::payments::post(&shop.app, &token, &path, body).await;
        assert_eq!(status, StatusCode::OK);
        let ours = shop.stripe.refunds()[0].clone();
        assert_eq!(shop.deliver(&shop.event("refund.created", &ours)).await, 200);
        assert_eq!(shop.count("select refunded_minor from payments").await, 3000);

        // A dashboard refund: refund.created (twice) and refund.updated, reflected once.
        let dashboard = shop.stripe.dashboard_refund(&intent, 1000);
        assert_eq!(dashboard["object"], "refund");
        for kind in ["refund.created", "refund.created", "refund.updated"] {
            assert_eq!(shop.deliver(&shop.event(kind, &dashboard)).await, 200);
        }
        assert_eq!(shop.count("select refunded_minor from payments").await, 4000);
        assert_eq!(shop.count("select count(*) from gateway_refunds").await, 2);
        assert_eq!(shop.reload(invoice.id.get()).await.paid.minor, 4000);

        // A refund of a payment Portico never saw: kept, audited, answered 200 (once).
        let outside = shop.stripe.outside_payment(SECRET_KEY, 5000, "gbp");
        let stranger = shop.stripe.dashboard_refund(&outside, 5000);
        for _ in 0..2 {
            assert_eq!(shop.deliver(&shop.event("refund.created", &stranger)).await, 200);
        }
        let charge = shop.stripe.charge(&outside);
        assert_eq!(shop.deliver(&shop.event("charge.refunded", &charge)).await, 200);
        // More than what remains of a payment (as a report after Portico's own refunds).
        let mut too_much = shop.stripe.dashboard_refund(&intent, 100);
        too_much["amount"] = json!(7000);
        assert_eq!(shop.deliver(&shop.event("refund.created", &too_much)).await, 200);
        assert_eq!(shop.count("select count(*) from unapplied_refunds").await, 2);
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.refund_unapplied'")
                .await,
            2
        );
        assert_eq!(shop.count("select refunded_minor from payments").await, 4000);
        let page = shop.owner().await.page("/app/paws/payments/online").await;
        assert!(page.contains("Refunds not applied"), "{page}");
        for id in [&stranger["id"], &too_much["id"]] {
            assert!(page.contains(id.as_str().unwrap()), "{page}");
        }
    })
    .await;
}
