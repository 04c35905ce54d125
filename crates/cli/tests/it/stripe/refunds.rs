//! Refunds of online payments: through the gateway with an idempotency key, recorded once;
//! a refund made in Stripe's dashboard is reflected once from `charge.refunded`.

use portico_domain::invoice::InvoiceStatus;
use portico_testkit::matrix;
use reqwest::StatusCode;
use serde_json::json;

use super::Shop;

#[tokio::test]
async fn an_online_payment_is_refunded_through_stripe_and_each_refund_is_reflected_once() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(8000).await;
        let session = shop.checkout(&invoice).await;
        let completed = shop.stripe.complete(&session);
        let intent = completed["payment_intent"].as_str().unwrap().to_owned();
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
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
        let reopened = shop.reload(invoice.id).await;
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
        assert_eq!(shop.reload(invoice.id).await.paid.minor, 4000);
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
