//! Online payment gateways behind one trait: [`Stripe`] (the real API), [`TestGateway`] (a
//! simulated checkout for the demo and for trying the product, never in production) and
//! offline (no online payment, the default — no implementation: nothing to call).
//!
//! Stripe is spoken to through a thin typed client over `reqwest` (four endpoints: create and
//! retrieve a Checkout Session, create a refund, and webhook signature checking) rather than
//! `async-stripe` 1.x: its generated resource crates take minutes to build on our 2-core
//! machines for the handful of fields we read, and Portico needs the base URL from
//! configuration (tests run a local fake), an `Idempotency-Key` on every write, the secret key
//! per call (each business brings its own, opened from the sealed store), and a signature
//! check that accepts *any* of several `v1` values. A new gateway (Razorpay, PayPal) is a new
//! file implementing [`Gateway`].

mod platform;
mod signature;
mod stripe;
mod test_gateway;

use std::collections::BTreeMap;

pub use platform::{PortalSession, SubscriptionCheckout, subscription_form};
pub use signature::{SignatureError, TOLERANCE_SECS, sign, verify};
pub use stripe::Stripe;
pub use test_gateway::TestGateway;

/// The shortest life a Checkout Session may be given (`expires_at`, Stripe: 30 minutes).
pub const MIN_CHECKOUT_SECS: i64 = 30 * 60;

/// How a Stripe secret (or restricted) key starts.
pub const SECRET_KEY_PREFIXES: &[&str] = &["sk_", "rk_"];
/// How a Stripe webhook signing secret starts.
pub const WEBHOOK_SECRET_PREFIXES: &[&str] = &["whsec_"];

/// Whether `key` has the shape of a Stripe key starting with one of `prefixes` (a typo or a
/// publishable key pasted by mistake is caught before it is sealed).
pub fn key_has_shape(key: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| key.starts_with(p))
        && (8..=255).contains(&key.len())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Which gateway a business takes online payments through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    /// No online payment (the default).
    Offline,
    /// The built-in simulated checkout (demo, trying the product); refused in production.
    Test,
    /// Stripe Checkout with the business's own keys.
    Stripe,
}

impl GatewayKind {
    pub const ALL: [Self; 3] = [Self::Offline, Self::Test, Self::Stripe];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Test => "test",
            Self::Stripe => "stripe",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A Checkout Session to create (`mode=payment`, one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// Minor units.
    pub amount: i64,
    /// ISO code; sent lowercase as Stripe expects.
    pub currency: String,
    /// The line's product name, e.g. "Invoice INV-0007".
    pub description: String,
    pub client_reference_id: String,
    /// With the literal `{CHECKOUT_SESSION_ID}`, which the gateway fills in.
    pub success_url: String,
    pub cancel_url: String,
    /// `metadata[…]` (e.g. `portico_tenant`, `portico_invoice`).
    pub metadata: BTreeMap<String, String>,
    /// Epoch seconds; `None` for the gateway's default (24 hours at Stripe).
    pub expires_at: Option<i64>,
}

/// A Checkout Session as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Session {
    pub id: String,
    /// Where to send the payer (absent once the session is complete or expired).
    #[serde(default)]
    pub url: Option<String>,
    /// `open`, `complete` or `expired`.
    pub status: String,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: String,
    #[serde(default)]
    pub amount_total: i64,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<String>,
}

impl Session {
    /// Whether the money was taken.
    pub fn is_paid(&self) -> bool {
        self.status == "complete" && self.payment_status == "paid"
    }
}

/// A refund to create against a payment intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub payment_intent: String,
    /// Minor units.
    pub amount: i64,
    pub metadata: BTreeMap<String, String>,
}

/// A refund as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    /// `pending`, `succeeded`, `failed`, …
    pub status: String,
    #[serde(default)]
    pub payment_intent: Option<String>,
}

/// A failed gateway call.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// No answer (timeout, connection refused, cut off): the same call, with the same
    /// idempotency key, may be retried safely.
    #[error("could not reach the payment gateway: {0}")]
    Network(String),
    /// 5xx or 429: the gateway's trouble; try again later.
    #[error("the payment gateway answered {0}")]
    Unavailable(u16),
    /// The gateway refused the request (bad key, idempotency conflict, invalid amount …).
    #[error("the payment gateway refused the request ({status}): {message}")]
    Refused { status: u16, code: String, message: String },
    /// An answer we could not read.
    #[error("unexpected answer from the payment gateway: {0}")]
    Decode(String),
}

impl GatewayError {
    /// Whether the same call may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Unavailable(_))
    }
}

/// An online payment gateway. `secret` is the business's API key (unused by the test
/// gateway). Every write carries an idempotency key: the same key and request give the same
/// answer, so a retry after a timeout never creates a second session or refund.
#[async_trait::async_trait]
pub trait Gateway: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> GatewayKind;

    async fn create_checkout(
        &self,
        secret: &str,
        request: &CheckoutRequest,
        idempotency_key: &str,
    ) -> Result<Session, GatewayError>;

    async fn retrieve_checkout(&self, secret: &str, id: &str) -> Result<Session, GatewayError>;

    async fn create_refund(
        &self,
        secret: &str,
        request: &RefundRequest,
        idempotency_key: &str,
    ) -> Result<Refund, GatewayError>;

    /// Every refund of a payment intent (made through [`Self::create_refund`] or in the
    /// gateway's own dashboard), newest first.
    async fn list_refunds(
        &self,
        secret: &str,
        payment_intent: &str,
    ) -> Result<Vec<Refund>, GatewayError>;
}

/// A page of a Stripe list (`{"object":"list","data":[…],"has_more":…}`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

/// The gateways this process can use: Stripe always, the test gateway unless in production.
#[derive(Debug, Clone)]
pub struct Gateways {
    stripe: std::sync::Arc<Stripe>,
    test: Option<std::sync::Arc<TestGateway>>,
}

impl Gateways {
    /// `stripe_api_base` without a trailing slash; `public_url` is where the test gateway's
    /// checkout page lives; `production` leaves the test gateway out.
    pub fn new(
        stripe_api_base: &str,
        public_url: &str,
        production: bool,
    ) -> Result<Self, GatewayError> {
        let stripe = std::sync::Arc::new(Stripe::new(stripe_api_base)?);
        let test = (!production).then(|| std::sync::Arc::new(TestGateway::new(public_url)));
        Ok(Self { stripe, test })
    }

    /// The gateway of `kind`, or `None` (offline, or test in production).
    pub fn get(&self, kind: GatewayKind) -> Option<&dyn Gateway> {
        match kind {
            GatewayKind::Offline => None,
            GatewayKind::Test => self.test.as_deref().map(|g| g as &dyn Gateway),
            GatewayKind::Stripe => Some(&*self.stripe),
        }
    }

    /// The Stripe client (also the platform's, for self-serve PRO).
    pub fn stripe(&self) -> &Stripe {
        &self.stripe
    }

    /// The simulated checkout, when available (not in production).
    pub fn test(&self) -> Option<&TestGateway> {
        self.test.as_deref()
    }
}
