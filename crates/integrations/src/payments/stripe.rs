//! Stripe's REST API: `POST /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}`,
//! `POST /v1/refunds`. Requests are form-encoded with bracketed keys
//! (`line_items[0][price_data][unit_amount]`), authenticated with the business's secret key as
//! a Bearer token, and every write carries an `Idempotency-Key`. Errors come back as
//! `{"error":{"type","code","message"}}`.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{
    CheckoutRequest, Gateway, GatewayError, GatewayKind, List, Refund, RefundRequest, Session,
};

/// The Stripe client: one connection pool, the API base from configuration.
#[derive(Debug, Clone)]
pub struct Stripe {
    http: reqwest::Client,
    base: String,
}

impl Stripe {
    /// A client for `base` (e.g. `https://api.stripe.com`, or a local fake).
    pub fn new(base: &str) -> Result<Self, GatewayError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| GatewayError::Network(e.to_string()))?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned() })
    }

    pub(super) async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, GatewayError> {
        let response = request.send().await.map_err(|e| GatewayError::Network(e.to_string()))?;
        let status = response.status().as_u16();
        // A cut-off body is a network failure: the call may have happened, so retry it with
        // the same idempotency key.
        let body = response.text().await.map_err(|e| GatewayError::Network(e.to_string()))?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&body).map_err(|e| GatewayError::Decode(e.to_string()));
        }
        if status == 429 || status >= 500 {
            return Err(GatewayError::Unavailable(status));
        }
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let error = &parsed["error"];
        let text = |key: &str| error[key].as_str().unwrap_or_default().to_owned();
        let code = match text("code") {
            code if code.is_empty() => text("type"),
            code => code,
        };
        Err(GatewayError::Refused { status, code, message: text("message") })
    }

    pub(super) fn post(
        &self,
        path: &str,
        secret: &str,
        form: String,
        key: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(secret)
            .header("Idempotency-Key", key)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
    }
}

/// The form body of a Checkout Session, in a stable order (so a retry sends the same bytes).
pub fn checkout_form(request: &CheckoutRequest) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("mode", "payment");
    form.append_pair("client_reference_id", &request.client_reference_id);
    form.append_pair("success_url", &request.success_url);
    form.append_pair("cancel_url", &request.cancel_url);
    form.append_pair("line_items[0][quantity]", "1");
    form.append_pair("line_items[0][price_data][currency]", &request.currency.to_lowercase());
    form.append_pair("line_items[0][price_data][unit_amount]", &request.amount.to_string());
    form.append_pair("line_items[0][price_data][product_data][name]", &request.description);
    for (key, value) in &request.metadata {
        form.append_pair(&format!("metadata[{key}]"), value);
        // The payment intent carries them too, so refunds and disputes can be traced.
        form.append_pair(&format!("payment_intent_data[metadata][{key}]"), value);
    }
    if let Some(at) = request.expires_at {
        form.append_pair("expires_at", &at.to_string());
    }
    form.finish()
}

fn refund_form(request: &RefundRequest) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("payment_intent", &request.payment_intent);
    form.append_pair("amount", &request.amount.to_string());
    for (key, value) in &request.metadata {
        form.append_pair(&format!("metadata[{key}]"), value);
    }
    form.finish()
}

#[async_trait::async_trait]
impl Gateway for Stripe {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Stripe
    }

    async fn create_checkout(
        &self,
        secret: &str,
        request: &CheckoutRequest,
        idempotency_key: &str,
    ) -> Result<Session, GatewayError> {
        let form = checkout_form(request);
        self.send(self.post("/v1/checkout/sessions", secret, form, idempotency_key)).await
    }

    async fn retrieve_checkout(&self, secret: &str, id: &str) -> Result<Session, GatewayError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(GatewayError::Refused {
                status: 404,
                code: "resource_missing".to_owned(),
                message: "No such checkout.session".to_owned(),
            });
        }
        let url = format!("{}/v1/checkout/sessions/{id}", self.base);
        self.send(self.http.get(url).bearer_auth(secret)).await
    }

    async fn create_refund(
        &self,
        secret: &str,
        request: &RefundRequest,
        idempotency_key: &str,
    ) -> Result<Refund, GatewayError> {
        let form = refund_form(request);
        self.send(self.post("/v1/refunds", secret, form, idempotency_key)).await
    }

    async fn list_refunds(
        &self,
        secret: &str,
        payment_intent: &str,
    ) -> Result<Vec<Refund>, GatewayError> {
        let url = format!("{}/v1/refunds", self.base);
        let query = [("payment_intent", payment_intent), ("limit", "100")];
        let list: List<Refund> =
            self.send(self.http.get(url).query(&query).bearer_auth(secret)).await?;
        Ok(list.data)
    }
}
