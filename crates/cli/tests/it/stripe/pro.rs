//! Self-serve PRO (issue #10 item 7): the owner subscribes through a Checkout Session in
//! `mode=subscription` on the platform's own Stripe account; the platform webhook (signed like
//! a business's) makes the business PRO until the end of each paid period, once per event; a
//! canceled subscription lets PRO lapse; the billing portal manages it; without the platform's
//! keys the page says how the operator upgrades; only the owner may upgrade.

use chrono::Duration;
use portico_domain::Clock as _;
use portico_domain::plans::Plan;
use portico_store::{schedule_cache, tenants};
use portico_testkit::stripe::{PERIOD_SECS, signature_header};
use portico_testkit::{Backend, FakeStripe, PASSWORD, SeededTenant, TestApp, location, matrix};
use reqwest::StatusCode;

const PLATFORM_KEY: &str = "sk_test_platform_account_000000000000";
const PLATFORM_WEBHOOK: &str = "whsec_platform_endpoint_00000000000";
const PRICE: &str = "price_portico_pro_monthly";

struct Platform {
    app: TestApp,
    stripe: FakeStripe,
    tenant: SeededTenant,
}

impl Platform {
    async fn open(backend: Backend) -> Self {
        let stripe = FakeStripe::start().await;
        stripe.add_account(PLATFORM_KEY);
        stripe.add_price(PRICE, 2900, "gbp");
        let app = TestApp::spawn_with(backend, |sources| {
            stripe
                .configure(sources)
                .set("billing.stripe_secret_key", PLATFORM_KEY)
                .set("billing.stripe_webhook_secret", PLATFORM_WEBHOOK)
                .set("billing.pro_price_id", PRICE)
        })
        .await;
        let tenant = app.seed_tenant("corner", Plan::Free).await;
        Self { app, stripe, tenant }
    }

    fn url(&self) -> String {
        self.app.url("/webhooks/stripe/platform")
    }

    fn event(&self, kind: &str, object: &serde_json::Value) -> String {
        self.stripe.event(kind, object, self.app.clock.now_ts())
    }

    async fn deliver(&self, body: &str) -> u16 {
        self.stripe.deliver(&self.url(), body, &[PLATFORM_WEBHOOK], self.app.clock.now_ts()).await
    }

    /// (effective plan, pro_until) now, as stored and as the kept copy of the tenant (booking
    /// pages, notices) has it: both must agree.
    async fn plan(&self) -> (Plan, Option<i64>) {
        let tenant = tenants::by_id(self.app.db(), self.tenant.id.get()).await.unwrap().unwrap();
        let stored =
            (tenant.effective_plan(self.app.clock.now()), tenant.pro_until.map(|t| t.timestamp()));
        let kept = schedule_cache::by_slug(self.app.db(), "corner").await.unwrap().unwrap();
        let kept =
            (kept.effective_plan(self.app.clock.now()), kept.pro_until.map(|t| t.timestamp()));
        assert_eq!(kept, stored, "the kept copy of the tenant is current");
        stored
    }

    async fn audits(&self, action: &str) -> i64 {
        self.app.count(&format!("select count(*) from audit_log where action = '{action}'")).await
    }
}

#[tokio::test]
async fn an_owner_subscribes_to_pro_and_each_platform_event_counts_once() {
    matrix(|backend| async move {
        let p = Platform::open(backend).await;
        let now = p.app.clock.now_ts();
        let owner = p.app.browser();
        owner.login(&p.tenant.owner_email, PASSWORD).await;
        let page = owner.page("/app/corner/plan").await;
        assert!(page.contains("Upgrade to PRO"), "{page}");
        assert!(!page.contains("Manage billing"));
        // The 402 page leads there too.
        let gate = owner.get("/app/corner/team").await;
        assert_eq!(gate.status(), StatusCode::PAYMENT_REQUIRED);
        assert!(gate.text().await.unwrap().contains("href=\"/app/corner/plan\""));

        // Upgrade: a subscription checkout on the platform's account, for the PRO price.
        let started = owner.post_form("/app/corner/plan/upgrade", &[]).await;
        assert_eq!(started.status(), StatusCode::SEE_OTHER);
        let to = location(&started);
        assert!(to.starts_with(&format!("{}/c/pay/cs_test_", p.stripe.base())), "{to}");
        let session = to.rsplit('/').next().unwrap().to_owned();
        let call = p.stripe.calls().into_iter().rfind(|c| c.path == "/v1/checkout/sessions");
        let call = call.unwrap();
        let form: Vec<(String, String)> =
            url::form_urlencoded::parse(call.body.as_bytes()).into_owned().collect();
        let has = |k: &str, v: &str| form.iter().any(|(a, b)| a == k && b == v);
        let id = p.tenant.id.get().to_string();
        assert!(has("mode", "subscription"), "{}", call.body);
        assert!(has("line_items[0][price]", PRICE));
        assert!(has("subscription_data[metadata][portico_tenant_id]", &id));
        assert!(has("client_reference_id", &format!("portico-tenant-{id}")));
        assert!(has("customer_email", &p.tenant.owner_email));
        assert!(call.idempotency_key.is_some());
        assert_eq!(p.audits("plan.checkout_started").await, 1);
        // Coming back proves nothing: only the webhook makes the business PRO.
        let back = owner.page("/app/corner/plan?checkout=done").await;
        assert!(back.contains("PRO starts as soon as Stripe confirms"), "{back}");
        assert_eq!(p.plan().await, (Plan::Free, None));

        let paid = p.stripe.subscribe(&session, now);
        let completed = p.event("checkout.session.completed", &paid.session);
        assert_eq!(p.deliver(&completed).await, 200);
        assert_eq!(p.plan().await.0, Plan::Free, "a checkout alone pays nothing yet");
        let invoice_paid = p.event("invoice.paid", &paid.invoice);
        for _ in 0..3 {
            assert_eq!(p.deliver(&invoice_paid).await, 200);
        }
        assert_eq!(p.plan().await, (Plan::Pro, Some(now + PERIOD_SECS)));
        assert_eq!(p.audits("plan.changed").await, 1, "a replay changes nothing");
        assert_eq!(p.app.count("select count(*) from platform_events").await, 2);
        let created = p.event("customer.subscription.created", &paid.subscription);
        assert_eq!(p.deliver(&created).await, 200);
        assert_eq!(p.audits("plan.changed").await, 1, "the same period extends nothing");

        // The owner sees the plan and its renewal, and manages billing in Stripe's portal.
        let page = owner.page("/app/corner/plan").await;
        assert!(page.contains("Renews") && page.contains("Manage billing"), "{page}");
        assert!(!page.contains("Upgrade to PRO"));
        let portal = owner.post_form("/app/corner/plan/billing", &[]).await;
        assert_eq!(portal.status(), StatusCode::SEE_OTHER);
        assert!(location(&portal).starts_with(&format!("{}/p/session/bps_", p.stripe.base())));
        let customer = paid.session["customer"].as_str().unwrap();
        let call = p.stripe.calls().into_iter().rfind(|c| c.path.contains("billing_portal"));
        assert!(call.unwrap().body.contains(&format!("customer={customer}")));

        // A forged or stale renewal changes nothing.
        let subscription = paid.subscription["id"].as_str().unwrap().to_owned();
        let (renewed, renewal) = p.stripe.renew(&subscription);
        let body = p.event("invoice.paid", &renewal);
        let wrong = p.stripe.deliver(&p.url(), &body, &["whsec_not_it"], now).await;
        assert_eq!(wrong, 400);
        let stale = p.stripe.deliver(&p.url(), &body, &[PLATFORM_WEBHOOK], now - 301).await;
        assert_eq!(stale, 400);
        let altered = body.replace("\"paid\"", "\"paid\" ");
        let header = signature_header(&body, &[PLATFORM_WEBHOOK], now);
        let status = portico_testkit::stripe::deliver_raw(&p.url(), &altered, Some(&header)).await;
        assert_eq!(status, 400);
        assert_eq!(p.plan().await, (Plan::Pro, Some(now + PERIOD_SECS)));

        // The next period: customer.subscription.updated extends, invoice.paid agrees.
        let updated = p.event("customer.subscription.updated", &renewed);
        assert_eq!(p.deliver(&updated).await, 200);
        assert_eq!(p.plan().await, (Plan::Pro, Some(now + 2 * PERIOD_SECS)));
        assert_eq!(p.deliver(&body).await, 200);
        assert_eq!(p.audits("plan.changed").await, 2);

        // Canceled: nothing extends it any more, not even a late renewal; PRO lapses.
        let canceled = p.stripe.cancel_subscription(&subscription, now);
        assert_eq!(p.deliver(&p.event("customer.subscription.deleted", &canceled)).await, 200);
        assert_eq!(p.audits("plan.subscription_canceled").await, 1);
        let (_, late) = p.stripe.renew(&subscription);
        assert_eq!(p.deliver(&p.event("invoice.paid", &late)).await, 200);
        assert_eq!(p.plan().await, (Plan::Pro, Some(now + 2 * PERIOD_SECS)));
        let page = owner.page("/app/corner/plan").await;
        assert!(page.contains("Cancelled") && page.contains("Upgrade to PRO"), "{page}");
        p.app.clock.advance(Duration::seconds(2 * PERIOD_SECS + 1));
        assert_eq!(p.plan().await.0, Plan::Free);
        let owner = p.app.browser();
        owner.login(&p.tenant.owner_email, PASSWORD).await;
        assert_eq!(owner.get("/app/corner/team").await.status(), StatusCode::PAYMENT_REQUIRED);
        assert_eq!(p.audits("plan.changed").await, 2);
    })
    .await;
}

#[tokio::test]
async fn without_platform_keys_the_operator_upgrades_and_only_owners_may_upgrade() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("corner", Plan::Free).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        let page = owner.page("/app/corner/plan").await;
        assert!(page.contains("Ask the Portico operator to move your business to PRO"), "{page}");
        assert!(!page.contains("Upgrade to PRO"));
        let refused = owner.post_form("/app/corner/plan/upgrade", &[]).await;
        assert_eq!(refused.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&refused), "/app/corner/plan");
        // The platform webhook has no secret to check against: nothing is accepted.
        let body = r#"{"id":"evt_1","type":"invoice.paid","data":{"object":{}}}"#;
        let header = signature_header(body, &["whsec_anything"], app.clock.now_ts());
        let url = app.url("/webhooks/stripe/platform");
        assert_eq!(portico_testkit::stripe::deliver_raw(&url, body, Some(&header)).await, 400);
        assert_eq!(app.count("select count(*) from platform_events").await, 0);

        app.seed_staff(&tenant, "sam@example.com").await;
        let staff = app.browser();
        staff.login("sam@example.com", PASSWORD).await;
        for (path, post) in [
            ("/app/corner/plan", false),
            ("/app/corner/plan/upgrade", true),
            ("/app/corner/plan/billing", true),
        ] {
            let answer =
                if post { staff.post_form(path, &[]).await } else { staff.get(path).await };
            assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn staff_cannot_start_a_subscription_checkout_even_when_keys_are_set() {
    matrix(|backend| async move {
        let p = Platform::open(backend).await;
        p.app.seed_staff(&p.tenant, "sam@example.com").await;
        let staff = p.app.browser();
        staff.login("sam@example.com", PASSWORD).await;
        let answer = staff.post_form("/app/corner/plan/upgrade", &[]).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
        assert!(p.stripe.calls().is_empty());
        assert_eq!(p.plan().await, (Plan::Free, None));
    })
    .await;
}
