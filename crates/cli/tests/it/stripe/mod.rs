//! Online payments through Stripe (issue #10), against the fake Stripe of the testkit, on both
//! backends: checkouts started from the portal, the pay link and the API; the payer's return
//! racing the webhook; repeated and out-of-order webhooks; bad signatures; a timeout on
//! session creation; mismatches; refunds through the gateway and from Stripe's dashboard; the
//! keys sealed; the test gateway.

mod checkout;
mod prepay;
mod pro;
mod refunds;
mod settings;
mod webhooks;

use chrono::Days;
use portico_domain::invoice::Line;
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _, Currency, Money};
use portico_store::invoices::{self, Invoice, NewInvoice};
use portico_store::tenants::{self, Tenant};
use portico_testkit::stripe::{SECRET_KEY, WEBHOOK_SECRET};
use portico_testkit::{Backend, Browser, FakeStripe, PASSWORD, SeededTenant, TestApp};
use serde_json::Value;

/// A business on Stripe (fake), a client with a portal login, and helpers.
pub(crate) struct Shop {
    pub app: TestApp,
    pub stripe: FakeStripe,
    pub seeded: SeededTenant,
    pub tenant: Tenant,
    pub client: ClientId,
}

impl Shop {
    pub async fn open(backend: Backend) -> Self {
        let stripe = FakeStripe::start().await;
        stripe.add_account(SECRET_KEY);
        let app = TestApp::spawn_with(backend, |sources| stripe.configure(sources)).await;
        let seeded = app.seed_tenant("paws", Plan::Free).await;
        let (client, _) = app.seed_client(&seeded, "Ann Walker", "ann@example.com", true).await;
        let keys = portico_core::online::StripeKeys {
            secret_key: Some(SECRET_KEY),
            webhook_secret: Some(WEBHOOK_SECRET),
        };
        let ctx = portico_core::Context::system(app.clock.now());
        portico_core::online::set_stripe(app.db(), &app.state.keyring, seeded.id, keys, &ctx)
            .await
            .unwrap();
        let tenant = tenants::by_id(app.db(), seeded.id.get()).await.unwrap().unwrap();
        Self { app, stripe, seeded, tenant, client }
    }

    /// An issued invoice of the client for `total` (one untaxed line), due in two weeks.
    pub async fn invoice(&self, total: i64) -> Invoice {
        let gbp = Currency::parse("GBP").unwrap();
        let line = Line {
            description: "Walks".into(),
            quantity: 1,
            unit_price: Money::new(total, gbp),
            tax_rate_bp: None,
            booking_id: None,
        };
        let due = self.app.clock.now().date_naive().checked_add_days(Days::new(14)).unwrap();
        let new = NewInvoice {
            client: self.client.get(),
            currency: gbp,
            due_date: due,
            notes: String::new(),
            lines: vec![line],
        };
        let db = self.app.db();
        let mut tx = db.begin_write().await.unwrap();
        let draft = invoices::create(&mut tx, self.tenant.id, &new, self.app.clock.now_ts())
            .await
            .unwrap()
            .unwrap()
            .id;
        tx.commit().await.unwrap();
        let ctx = portico_core::Context::system(self.app.clock.now());
        portico_core::invoices::issue(db, self.tenant.id, draft.get(), &ctx).await.unwrap().unwrap()
    }

    /// An invoice of `total` paid online (checkout, completed, webhook delivered): the invoice
    /// and the payment intent.
    pub async fn paid_online(&self, total: i64) -> (Invoice, String) {
        let invoice = self.invoice(total).await;
        let session = self.checkout(&invoice).await;
        let completed = self.stripe.complete(&session);
        let intent = completed["payment_intent"].as_str().unwrap().to_owned();
        assert_eq!(self.deliver(&self.event("checkout.session.completed", &completed)).await, 200);
        (invoice, intent)
    }

    pub async fn reload(&self, invoice: i64) -> Invoice {
        invoices::get(self.app.db(), self.tenant.id, invoice).await.unwrap().unwrap()
    }

    /// Starts a checkout for the invoice as the web does; returns the session id.
    pub async fn checkout(&self, invoice: &Invoice) -> String {
        let ctx = portico_core::Context::system(self.app.clock.now());
        let url = portico_web::online::start(&self.app.state, &self.tenant, invoice, &ctx)
            .await
            .unwrap()
            .unwrap();
        url.rsplit('/').next().unwrap().to_owned()
    }

    /// Ann, logged into the portal.
    pub async fn ann(&self) -> Browser {
        let ann = self.app.browser();
        ann.login("ann@example.com", PASSWORD).await;
        ann
    }

    /// The owner, logged in.
    pub async fn owner(&self) -> Browser {
        let owner = self.app.browser();
        owner.login(&self.seeded.owner_email, PASSWORD).await;
        owner
    }

    pub fn webhook_url(&self) -> String {
        self.app.url(&format!("/webhooks/stripe/{}", self.tenant.slug))
    }

    /// A fresh event of `kind` about `object`, created now.
    pub fn event(&self, kind: &str, object: &Value) -> String {
        self.stripe.event(kind, object, self.app.clock.now_ts())
    }

    /// Delivers `body` signed with the business's secret, now; the status.
    pub async fn deliver(&self, body: &str) -> u16 {
        self.stripe
            .deliver(&self.webhook_url(), body, &[WEBHOOK_SECRET], self.app.clock.now_ts())
            .await
    }

    /// The payer's return from the gateway; the page.
    pub async fn come_back(&self, session: &str) -> String {
        let response = self.app.browser().get(&format!("/pay/return?session_id={session}")).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.text().await.unwrap()
    }

    /// Payments recorded for a session.
    pub async fn payments_of(&self, session: &str) -> i64 {
        self.app
            .count(&format!(
                "select count(*) from payments where tenant_id = {} and reference = 'stripe {session}'",
                self.tenant.id.get()
            ))
            .await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.app.count(sql).await
    }
}
