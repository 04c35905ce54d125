//! The platform's own Stripe account, for businesses paying for PRO themselves: a Checkout
//! Session in `mode=subscription` for the PRO price (`POST /v1/checkout/sessions`) and a
//! billing portal session to manage it (`POST /v1/billing_portal/sessions`). Same thin client,
//! base URL and error handling as the businesses' payments ([`super::Stripe`]).

use std::collections::BTreeMap;

use super::{GatewayError, Session, Stripe};

/// A subscription checkout to create (one recurring price, quantity 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionCheckout {
    /// The recurring price (`price_…`).
    pub price: String,
    pub client_reference_id: String,
    /// The business's Stripe customer, once it has one (otherwise Stripe creates one).
    pub customer: Option<String>,
    /// Prefilled for a new customer.
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
    /// On the session and on the subscription it creates (`subscription_data[metadata]`), so
    /// every later event about the subscription names the business.
    pub metadata: BTreeMap<String, String>,
}

/// A billing portal session: where to send the customer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct PortalSession {
    pub id: String,
    pub url: String,
}

/// The form body of a subscription checkout, in a stable order (a retry sends the same bytes).
pub fn subscription_form(request: &SubscriptionCheckout) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("mode", "subscription");
    form.append_pair("client_reference_id", &request.client_reference_id);
    form.append_pair("success_url", &request.success_url);
    form.append_pair("cancel_url", &request.cancel_url);
    form.append_pair("line_items[0][price]", &request.price);
    form.append_pair("line_items[0][quantity]", "1");
    if let Some(customer) = &request.customer {
        form.append_pair("customer", customer);
    } else if let Some(email) = &request.customer_email {
        form.append_pair("customer_email", email);
    }
    for (key, value) in &request.metadata {
        form.append_pair(&format!("metadata[{key}]"), value);
        form.append_pair(&format!("subscription_data[metadata][{key}]"), value);
    }
    form.finish()
}

impl Stripe {
    /// `POST /v1/checkout/sessions` with `mode=subscription`.
    pub async fn create_subscription_checkout(
        &self,
        secret: &str,
        request: &SubscriptionCheckout,
        idempotency_key: &str,
    ) -> Result<Session, GatewayError> {
        let form = subscription_form(request);
        self.send(self.post("/v1/checkout/sessions", secret, form, idempotency_key)).await
    }

    /// `POST /v1/billing_portal/sessions` for `customer`, coming back to `return_url`.
    pub async fn create_portal_session(
        &self,
        secret: &str,
        customer: &str,
        return_url: &str,
        idempotency_key: &str,
    ) -> Result<PortalSession, GatewayError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("customer", customer)
            .append_pair("return_url", return_url)
            .finish();
        self.send(self.post("/v1/billing_portal/sessions", secret, form, idempotency_key)).await
    }
}
