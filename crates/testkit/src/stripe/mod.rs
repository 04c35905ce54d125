//! A fake Stripe on `127.0.0.1:0` speaking the real wire format of the calls Portico makes:
//! `POST /v1/checkout/sessions` and `POST /v1/refunds` with form-encoded bodies and bracketed
//! keys (`line_items[0][price_data][unit_amount]`, `metadata[portico_tenant]`), `GET
//! /v1/checkout/sessions/{id}`, `GET /v1/refunds?payment_intent=…`, subscription checkouts
//! (`mode=subscription` with `line_items[0][price]`) and `POST /v1/billing_portal/sessions`
//! (see `billing`), Bearer secret-key authentication (each key is its own
//! account: a session is not found with another account's key), `Idempotency-Key` semantics
//! (same key and body → the first answer again; same key, other body → 400
//! `idempotency_error`), and Stripe's error shape `{"error":{"type","code","message"}}`.
//!
//! Tests complete or expire sessions as a payer would, make the next call fail (500) or be
//! cut off after Stripe did the work (as a timeout looks to the caller), refund from "the
//! dashboard", subscribe, renew and cancel subscriptions, and deliver signed webhooks (`Stripe-Signature: t=…,v1=…`, several `v1`
//! values allowed) to the app. Every call is recorded.

mod api;
mod billing;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

pub use billing::{PERIOD_SECS, Subscribed};
pub use state::Call;
use state::FakeState;

/// A secret key the fake accepts after [`FakeStripe::add_account`].
pub const SECRET_KEY: &str = "sk_test_portico_fake_0000000000000000";
/// A webhook signing secret for tests.
pub const WEBHOOK_SECRET: &str = "whsec_portico_fake_0000000000000000";

/// The fake server. Stops when dropped.
#[derive(Debug)]
pub struct FakeStripe {
    addr: SocketAddr,
    shared: Shared,
    server: JoinHandle<()>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Shared = Arc<Mutex<FakeState>>;

fn lock(shared: &Shared) -> MutexGuard<'_, FakeState> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeStripe {
    pub async fn start() -> Self {
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake Stripe");
        let addr = listener.local_addr().expect("fake Stripe address");
        let shared: Shared = Arc::default();
        lock(&shared).base = format!("http://{addr}");
        let router = Router::new()
            .route("/v1/checkout/sessions", post(api::create_session))
            .route("/v1/checkout/sessions/{id}", get(api::retrieve_session))
            .route("/v1/refunds", post(api::create_refund).get(billing::list_refunds))
            .route("/v1/billing_portal/sessions", post(billing::create_portal_session))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { addr, shared, server }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Configuration pointing the app at this fake (for `TestApp::spawn_with`).
    pub fn configure(&self, sources: portico_config::Sources) -> portico_config::Sources {
        sources.set("payments.stripe_api_base", self.base())
    }

    /// Accepts `secret_key` as the key of an account of its own.
    pub fn add_account(&self, secret_key: &str) {
        lock(&self.shared).keys.insert(secret_key.to_owned());
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared).calls.clone()
    }

    /// The sessions created so far, as Stripe shows them.
    pub fn sessions(&self) -> Vec<Value> {
        lock(&self.shared).sessions.values().map(|s| s.json.clone()).collect()
    }

    /// One session, as Stripe shows it.
    pub fn session(&self, id: &str) -> Option<Value> {
        lock(&self.shared).sessions.get(id).map(|s| s.json.clone())
    }

    /// The next call answers 500 before doing anything.
    pub fn fail_next(&self) {
        lock(&self.shared).fail_next += 1;
    }

    /// The next call is carried out but its answer is cut off (the caller sees a network
    /// error, as after a timeout).
    pub fn cut_off_next(&self) {
        lock(&self.shared).cut_off_next += 1;
    }

    /// The payer pays: the session is complete and paid, with a payment intent. Returns the
    /// session as a `checkout.session.completed` event carries it.
    pub fn complete(&self, id: &str) -> Value {
        lock(&self.shared).complete(id, None)
    }

    /// As [`Self::complete`], but the session reports another amount and currency (to test
    /// that Portico checks what was paid against what it asked for).
    pub fn complete_with(&self, id: &str, amount: i64, currency: &str) -> Value {
        lock(&self.shared).complete(id, Some((amount, currency.to_owned())))
    }

    /// The session expires unpaid.
    pub fn expire(&self, id: &str) -> Value {
        let mut state = lock(&self.shared);
        let session = state.sessions.get_mut(id).expect("a session of the fake");
        session.json["status"] = json!("expired");
        session.json["url"] = Value::Null;
        session.json.clone()
    }

    /// A refund made in Stripe's dashboard: returns the charge as `charge.refunded` carries
    /// it (without its refunds, as since API version 2022-11-15).
    pub fn refund_in_dashboard(&self, payment_intent: &str, amount: i64) -> Value {
        let mut state = lock(&self.shared);
        state.refund(payment_intent, amount).expect("refundable");
        state.charge(payment_intent)
    }

    /// The charge of a payment intent, as `charge.refunded` carries it.
    pub fn charge(&self, payment_intent: &str) -> Value {
        lock(&self.shared).charge(payment_intent)
    }

    /// A refund made in Stripe's dashboard: the refund, as `refund.created` carries it.
    pub fn dashboard_refund(&self, payment_intent: &str, amount: i64) -> Value {
        lock(&self.shared).refund(payment_intent, amount).expect("refundable")
    }

    /// A payment the account `secret_key` took outside Portico (e.g. in Stripe's dashboard):
    /// its payment intent, refundable in the dashboard.
    pub fn outside_payment(&self, secret_key: &str, amount: i64, currency: &str) -> String {
        let mut state = lock(&self.shared);
        let intent = state.next("pi_");
        state.charges.insert(intent.clone(), (amount, currency.to_owned()));
        state.intent_accounts.insert(intent.clone(), secret_key.to_owned());
        intent
    }

    /// A recurring (monthly) price of `amount` in `currency` for subscription checkouts.
    pub fn add_price(&self, id: &str, amount: i64, currency: &str) {
        lock(&self.shared).prices.insert(id.to_owned(), (amount, currency.to_owned()));
    }

    /// The payer completes a subscription checkout at `now`: the session, the new active
    /// subscription and its paid first invoice, as the events carry them.
    pub fn subscribe(&self, session: &str, now: i64) -> Subscribed {
        lock(&self.shared).subscribe(session, now)
    }

    /// The subscription's next period is paid: `(subscription, invoice)` as
    /// `customer.subscription.updated` and `invoice.paid` carry them.
    pub fn renew(&self, subscription: &str) -> (Value, Value) {
        lock(&self.shared).renew(subscription)
    }

    /// The subscription is canceled now: as `customer.subscription.deleted` carries it.
    pub fn cancel_subscription(&self, subscription: &str, now: i64) -> Value {
        lock(&self.shared).cancel(subscription, now)
    }

    /// Refunds made so far (API or dashboard).
    pub fn refunds(&self) -> Vec<Value> {
        lock(&self.shared).refunds.clone()
    }

    /// A webhook event of `kind` carrying `object`, with a fresh event id.
    pub fn event(&self, kind: &str, object: &Value, created: i64) -> String {
        let id = lock(&self.shared).next("evt_");
        event_json(&id, kind, object, created)
    }

    /// Sends `body` to the app as Stripe does: `POST {url}` with `Stripe-Signature:
    /// t={timestamp},v1=…` signed by each of `secrets`. Returns the status code.
    pub async fn deliver(&self, url: &str, body: &str, secrets: &[&str], timestamp: i64) -> u16 {
        let header = signature_header(body, secrets, timestamp);
        deliver_raw(url, body, Some(&header)).await
    }
}

/// An event's JSON (`object: event`, `data.object`).
pub fn event_json(id: &str, kind: &str, object: &Value, created: i64) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
        "data": { "object": object },
    })
    .to_string()
}

/// `t=…,v1=…[,v1=…]` for `body` under each secret.
pub fn signature_header(body: &str, secrets: &[&str], timestamp: i64) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let v1 = portico_integrations::payments::sign(secret, timestamp, body.as_bytes());
        header.push_str(&format!(",v1={v1}"));
    }
    header
}

/// Posts a webhook body with the given `Stripe-Signature` header (or none).
pub async fn deliver_raw(url: &str, body: &str, header: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(reqwest::header::USER_AGENT, "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .body(body.to_owned());
    if let Some(header) = header {
        request = request.header("Stripe-Signature", header);
    }
    request.send().await.expect("webhook delivery").status().as_u16()
}

/// The `metadata[…]` keys of a form, as a map.
pub(crate) fn bracketed(form: &[(String, String)], prefix: &str) -> BTreeMap<String, String> {
    form.iter()
        .filter_map(|(k, v)| {
            let inner = k.strip_prefix(prefix)?.strip_prefix('[')?.strip_suffix(']')?;
            Some((inner.to_owned(), v.clone()))
        })
        .collect()
}
