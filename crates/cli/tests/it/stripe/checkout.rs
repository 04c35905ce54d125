//! Starting checkouts and fulfilling them: the portal's "Pay now", the pay link and the API;
//! the return racing the webhook; a timeout on creation; mismatches; the test gateway.

use futures::future::join_all;
use portico_domain::Clock as _;
use portico_domain::invoice::InvoiceStatus;
use portico_integrations::payments::{CheckoutRequest, Gateway as _, GatewayError, Stripe};
use portico_testkit::stripe::SECRET_KEY;
use portico_testkit::{location, matrix};
use reqwest::StatusCode;
use serde_json::Value;

use super::Shop;

#[tokio::test]
async fn pay_now_creates_the_session_stripe_expects_and_the_return_fulfils_it() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(6000).await;
        let ann = shop.ann().await;
        let page = ann.page(&format!("/portal/paws/invoices/{}", invoice.id)).await;
        assert!(page.contains("Pay now"), "{page}");
        let response =
            ann.post_form(&format!("/portal/paws/invoices/{}/pay", invoice.id), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let to = location(&response);
        assert!(to.starts_with(&format!("{}/c/pay/cs_test_", shop.stripe.base())), "{to}");

        // The request as Stripe saw it: form-encoded, bracketed keys, an idempotency key.
        let calls = shop.stripe.calls();
        let create = calls.iter().find(|c| c.path == "/v1/checkout/sessions").unwrap();
        for part in [
            "mode=payment",
            "line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=6000",
            "line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=gbp",
            "metadata%5Bportico_tenant%5D=paws",
            &format!("metadata%5Bportico_invoice%5D={}", invoice.id),
            "client_reference_id=paws-invoice-",
            "%7BCHECKOUT_SESSION_ID%7D",
        ] {
            assert!(create.body.contains(part), "{part} missing in {}", create.body);
        }
        let key = create.idempotency_key.clone().unwrap();
        assert_eq!(
            key,
            format!("portico-{}-invoice-{}-6000GBP-0", shop.tenant.id.get(), invoice.id)
        );
        let session = to.rsplit('/').next().unwrap().to_owned();
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.started'").await,
            1
        );

        // Pay now again before paying: the same open session, no new one.
        let again = ann.post_form(&format!("/portal/paws/invoices/{}/pay", invoice.id), &[]).await;
        assert_eq!(location(&again), to);
        assert_eq!(shop.stripe.sessions().len(), 1);

        // Back without paying: nothing recorded.
        assert!(shop.come_back(&session).await.contains("confirming your payment"));
        assert_eq!(shop.payments_of(&session).await, 0);

        shop.stripe.complete(&session);
        assert!(shop.come_back(&session).await.contains("Payment received"));
        assert!(shop.come_back(&session).await.contains("Payment received"), "a reload");
        assert_eq!(shop.payments_of(&session).await, 1);
        let paid = shop.reload(invoice.id.get()).await;
        assert_eq!(paid.status, InvoiceStatus::Paid);
        assert_eq!(paid.paid.minor, 6000);
        let page = ann.page(&format!("/portal/paws/invoices/{}", invoice.id)).await;
        assert!(page.contains("Paid online") && !page.contains("Pay now"), "{page}");
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.succeeded'").await,
            1
        );
        // Nothing is owed any more: no checkout.
        let response =
            ann.post_form(&format!("/portal/paws/invoices/{}/pay", invoice.id), &[]).await;
        assert_eq!(location(&response), format!("/portal/paws/invoices/{}", invoice.id));
        assert_eq!(shop.stripe.sessions().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_next_installment_is_asked_for_when_the_invoice_has_a_plan() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(9000).await;
        let token = shop.app.api_token(shop.tenant.id).await;
        let plan = serde_json::json!({ "parts": [
            { "due_date": "2026-12-10", "amount_minor": 3000 },
            { "due_date": "2027-01-10", "amount_minor": 6000 } ] });
        let (status, body) = crate::payments::post(
            &shop.app,
            &token,
            &format!("/api/v1/paws/invoices/{}/installments", invoice.id),
            plan,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let session = shop.checkout(&shop.reload(invoice.id.get()).await).await;
        assert_eq!(shop.stripe.session(&session).unwrap()["amount_total"], 3000);
        shop.stripe.complete(&session);
        shop.come_back(&session).await;
        let after = shop.reload(invoice.id.get()).await;
        assert_eq!((after.status, after.paid.minor), (InvoiceStatus::Open, 3000));
        let next = shop.checkout(&after).await;
        assert_eq!(shop.stripe.session(&next).unwrap()["amount_total"], 6000);
    })
    .await;
}

#[tokio::test]
async fn return_and_webhook_racing_100_rounds_record_one_payment_per_session() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        for round in 0..100 {
            let invoice = shop.invoice(1000 + round).await;
            let session = shop.checkout(&invoice).await;
            let completed = shop.stripe.complete(&session);
            let event = shop.event("checkout.session.completed", &completed);
            // Two returns (a reload) and two deliveries of the webhook, all at once.
            let returns = (0..2).map(|_| async {
                let path = format!("/pay/return?session_id={session}");
                shop.app.browser().get(&path).await.status().as_u16()
            });
            let hooks = (0..2).map(|_| shop.deliver(&event));
            let (returns, hooks) = tokio::join!(join_all(returns), join_all(hooks));
            assert!(
                returns.iter().chain(&hooks).all(|s| *s == 200),
                "round {round}: {returns:?} {hooks:?}"
            );
            assert_eq!(shop.payments_of(&session).await, 1, "round {round}");
            let paid = shop.reload(invoice.id.get()).await;
            assert_eq!(
                (paid.status, paid.paid.minor),
                (InvoiceStatus::Paid, 1000 + round),
                "round {round}"
            );
        }
        assert_eq!(shop.count("select count(*) from payments").await, 100);
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.succeeded'").await,
            100
        );
        assert_eq!(
            shop.count("select count(*) from credit_entries").await,
            0,
            "nothing paid twice"
        );
    })
    .await;
}

#[tokio::test]
async fn a_timeout_on_session_creation_then_a_retry_creates_one_session() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(4500).await;
        let ann = shop.ann().await;
        let pay = format!("/portal/paws/invoices/{}/pay", invoice.id);

        // Stripe made the session but the answer never arrived.
        shop.stripe.cut_off_next();
        let response = ann.post_form(&pay, &[]).await;
        assert_eq!(location(&response), format!("/portal/paws/invoices/{}", invoice.id));
        let page = ann.page(&format!("/portal/paws/invoices/{}", invoice.id)).await;
        assert!(page.contains("Nothing was charged; please try again"), "{page}");
        assert_eq!(shop.stripe.sessions().len(), 1);
        assert_eq!(shop.count("select count(*) from online_checkouts").await, 0);
        // A 500 from Stripe: nothing made, nothing stored.
        shop.stripe.fail_next();
        let response = ann.post_form(&pay, &[]).await;
        assert_eq!(location(&response), format!("/portal/paws/invoices/{}", invoice.id));

        // The retry carries the same key: Stripe answers with the session it made.
        let response = ann.post_form(&pay, &[]).await;
        let to = location(&response);
        let made = shop.stripe.sessions();
        assert_eq!(made.len(), 1, "one session");
        assert_eq!(to, made[0]["url"].as_str().unwrap());
        let keys: Vec<_> = shop
            .stripe
            .calls()
            .into_iter()
            .filter(|c| c.path == "/v1/checkout/sessions")
            .map(|c| c.idempotency_key.unwrap())
            .collect();
        assert_eq!(keys.len(), 3);
        assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
        assert_eq!(shop.count("select count(*) from online_checkouts").await, 1);
    })
    .await;
}

#[tokio::test]
async fn the_fake_keeps_stripes_idempotency_and_key_rules() {
    let stripe = portico_testkit::FakeStripe::start().await;
    stripe.add_account(SECRET_KEY);
    let client = Stripe::new(&stripe.base()).unwrap();
    let mut request = CheckoutRequest {
        amount: 1200,
        currency: "GBP".into(),
        description: "Invoice INV-0001".into(),
        client_reference_id: "paws-invoice-1".into(),
        success_url: "http://x/pay/return?session_id={CHECKOUT_SESSION_ID}".into(),
        cancel_url: "http://x/pay/t".into(),
        metadata: [("portico_tenant".to_owned(), "paws".to_owned())].into(),
        expires_at: None,
    };
    let first = client.create_checkout(SECRET_KEY, &request, "k1").await.unwrap();
    let again = client.create_checkout(SECRET_KEY, &request, "k1").await.unwrap();
    assert_eq!(first, again);
    assert_eq!(first.metadata["portico_tenant"], "paws");
    assert_eq!((first.amount_total, first.currency.as_str()), (1200, "gbp"));
    request.amount = 1300;
    match client.create_checkout(SECRET_KEY, &request, "k1").await {
        Err(GatewayError::Refused { status: 400, code, .. }) => {
            assert_eq!(code, "idempotency_error")
        }
        other => panic!("{other:?}"),
    }
    match client.create_checkout("sk_test_wrong", &request, "k2").await {
        Err(GatewayError::Refused { status: 401, .. }) => {}
        other => panic!("{other:?}"),
    }
    // Another account's key does not see the session.
    stripe.add_account("sk_test_other_account");
    assert!(client.retrieve_checkout("sk_test_other_account", &first.id).await.is_err());
    assert_eq!(client.retrieve_checkout(SECRET_KEY, &first.id).await.unwrap().id, first.id);
}

#[tokio::test]
async fn a_mismatched_amount_or_currency_is_not_fulfilled_and_is_flagged_to_the_owner() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let short = shop.invoice(5000).await;
        let session = shop.checkout(&short).await;
        shop.stripe.complete_with(&session, 100, "gbp");
        assert!(shop.come_back(&session).await.contains("We need to check this payment"));
        let euros = shop.invoice(7000).await;
        let other = shop.checkout(&euros).await;
        let completed = shop.stripe.complete_with(&other, 7000, "eur");
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        // Neither becomes a payment, however often it is reported.
        shop.come_back(&other).await;
        assert_eq!(shop.deliver(&shop.event("checkout.session.completed", &completed)).await, 200);
        assert_eq!(shop.count("select count(*) from payments").await, 0);
        for invoice in [short.id, euros.id] {
            assert_eq!(shop.reload(invoice.get()).await.status, InvoiceStatus::Open);
        }
        assert_eq!(
            shop.count("select count(*) from audit_log where action = 'payment.mismatch'").await,
            2
        );
        assert_eq!(
            shop.count("select count(*) from online_checkouts where status = 'mismatch'").await,
            2
        );
        let page = shop.owner().await.page("/app/paws/payments/online").await;
        assert!(page.contains("2 payment(s) did not match"), "{page}");
        assert!(page.contains("paid 100 GBP") && page.contains("paid 7000 EUR"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn the_pay_link_works_without_login_and_a_forged_one_is_not_found() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(2500).await;
        let token = shop.app.api_token(shop.tenant.id).await;
        let path = format!("/api/v1/paws/invoices/{}/pay-link", invoice.id);
        let (status, body) = crate::payments::post(&shop.app, &token, &path, Value::Null).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let url = body["url"].as_str().unwrap().to_owned();
        let path = url.strip_prefix(shop.app.url("").trim_end_matches('/')).unwrap().to_owned();
        assert!(path.starts_with("/pay/"), "{url}");
        // The owner's invoice page shows the same link to copy.
        let page = shop.owner().await.page(&format!("/app/paws/invoices/{}", invoice.id)).await;
        assert!(page.contains(&url), "{page}");

        let visitor = shop.app.browser();
        let page = visitor.page(&path).await;
        assert!(page.contains("Pay now") && page.contains("Business paws"), "{page}");
        let response = visitor.post_form(&path, &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(location(&response).starts_with(&shop.stripe.base()));

        let forged = format!("/pay/{}.{}.AAAA", shop.tenant.id.get(), invoice.id);
        assert_eq!(visitor.get(&forged).await.status(), StatusCode::NOT_FOUND);
        let other_invoice =
            path.replace(&format!(".{}.", invoice.id), &format!(".{}.", invoice.id.get() + 1));
        assert_eq!(visitor.get(&other_invoice).await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_pay_link_expires_after_30_days_and_a_new_one_works() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let invoice = shop.invoice(2500).await;
        let token = shop.app.api_token(shop.tenant.id).await;
        let api = format!("/api/v1/paws/invoices/{}/pay-link", invoice.id);
        let (_, body) = crate::payments::post(&shop.app, &token, &api, Value::Null).await;
        let now = shop.app.clock.now_ts();
        let expires = body["expires_at"].as_i64().unwrap();
        assert!(expires >= now + 30 * 86_400 && expires <= now + 31 * 86_400, "{body}");
        let url = body["url"].as_str().unwrap();
        let path = url.strip_prefix(shop.app.url("").trim_end_matches('/')).unwrap().to_owned();
        // A longer expiry written into the link breaks its signature.
        let stretched = path.replace(&format!(".{expires}."), &format!(".{}.", expires + 86_400));
        let visitor = shop.app.browser();
        assert_eq!(visitor.get(&stretched).await.status(), StatusCode::NOT_FOUND);

        shop.app.clock.advance(chrono::Duration::seconds(expires - now - 1));
        assert!(visitor.page(&path).await.contains("Pay now"));
        shop.app.clock.advance(chrono::Duration::seconds(1));
        let visitor = shop.app.browser();
        let page = visitor.get(&path).await;
        assert_eq!(page.status(), StatusCode::GONE);
        assert!(page.text().await.unwrap().contains("This payment link has expired"));
        let paying = visitor.post_form(&path, &[]).await;
        assert_eq!(paying.status(), StatusCode::GONE);
        assert!(shop.stripe.sessions().is_empty(), "no checkout from an expired link");

        // A fresh link works again.
        let (_, body) = crate::payments::post(&shop.app, &token, &api, Value::Null).await;
        let url = body["url"].as_str().unwrap();
        let fresh = url.strip_prefix(shop.app.url("").trim_end_matches('/')).unwrap().to_owned();
        assert_ne!(fresh, path);
        let response = visitor.post_form(&fresh, &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(shop.stripe.sessions().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_test_gateway_is_a_marked_simulated_checkout() {
    matrix(|backend| async move {
        let shop = Shop::open(backend).await;
        let ctx = portico_core::Context::system(portico_domain::Clock::now(&*shop.app.clock));
        portico_core::online::set_gateway(shop.app.db(), shop.tenant.id, "test", &ctx)
            .await
            .unwrap();
        let invoice = shop.invoice(3300).await;
        let ann = shop.ann().await;
        let page = ann.page(&format!("/portal/paws/invoices/{}", invoice.id)).await;
        assert!(page.contains("TEST MODE"), "{page}");
        let response =
            ann.post_form(&format!("/portal/paws/invoices/{}/pay", invoice.id), &[]).await;
        let to = location(&response);
        let path = to.strip_prefix(shop.app.url("").trim_end_matches('/')).unwrap().to_owned();
        assert!(path.starts_with("/pay/test/cs_test_"), "{to}");
        let page = ann.page(&path).await;
        assert!(page.contains("TEST MODE") && page.contains("GBP 33.00"), "{page}");
        let response = ann.post_form(&path, &[]).await;
        let back = location(&response);
        let back = back.strip_prefix(shop.app.url("").trim_end_matches('/')).unwrap().to_owned();
        assert!(back.starts_with("/pay/return?session_id=cs_test_"), "{back}");
        assert!(ann.page(&back).await.contains("Payment received"));
        assert_eq!(shop.reload(invoice.id.get()).await.status, InvoiceStatus::Paid);
        assert!(shop.stripe.sessions().is_empty(), "Stripe was not called");
    })
    .await;
}

#[test]
fn the_test_gateway_is_never_available_in_production() {
    use portico_integrations::payments::{GatewayKind, Gateways};
    let production = Gateways::new("https://api.stripe.com", "https://x.example", true).unwrap();
    assert!(production.get(GatewayKind::Test).is_none() && production.test().is_none());
    assert!(production.get(GatewayKind::Offline).is_none());
    let dev = Gateways::new("https://api.stripe.com", "http://127.0.0.1", false).unwrap();
    assert!(dev.get(GatewayKind::Test).is_some());
}
