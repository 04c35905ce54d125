//! The `test` gateway: a simulated checkout for the demo and for trying the product. Sessions
//! live in this process's memory; the payer is sent to Portico's own page
//! `/pay/test/{session}` (clearly marked TEST MODE), where "Pay" completes the session and
//! returns to the success URL exactly as Stripe would. It is never available when
//! `production = true` (see [`super::Gateways::new`]).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use rand::RngCore as _;

use super::{CheckoutRequest, Gateway, GatewayError, GatewayKind, Refund, RefundRequest, Session};

#[derive(Debug, Default)]
struct Memory {
    sessions: HashMap<String, (Session, CheckoutRequest)>,
    /// Idempotency key → session id, as at Stripe.
    keys: HashMap<String, String>,
    refunds: HashMap<String, Refund>,
}

/// The simulated gateway.
#[derive(Debug)]
pub struct TestGateway {
    public_url: String,
    memory: Mutex<Memory>,
}

fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

impl TestGateway {
    pub fn new(public_url: &str) -> Self {
        Self { public_url: public_url.trim_end_matches('/').to_owned(), memory: Mutex::default() }
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The session and what was asked for, for the checkout page.
    pub fn session(&self, id: &str) -> Option<(Session, CheckoutRequest)> {
        self.memory().sessions.get(id).cloned()
    }

    /// "Pay" on the simulated page: the session is complete and paid. Returns the URL to send
    /// the payer back to (the success URL with the session id), or `None` for an unknown or
    /// expired session.
    pub fn pay(&self, id: &str) -> Option<String> {
        let mut memory = self.memory();
        let (session, request) = memory.sessions.get_mut(id)?;
        if session.status == "expired" {
            return None;
        }
        session.status = "complete".to_owned();
        session.payment_status = "paid".to_owned();
        session.url = None;
        if session.payment_intent.is_none() {
            session.payment_intent = Some(random_id("pi_test_"));
        }
        Some(request.success_url.replace("{CHECKOUT_SESSION_ID}", id))
    }

    /// "Cancel" on the simulated page: the URL to send the payer back to.
    pub fn cancel_url(&self, id: &str) -> Option<String> {
        let memory = self.memory();
        let (_, request) = memory.sessions.get(id)?;
        Some(request.cancel_url.replace("{CHECKOUT_SESSION_ID}", id))
    }
}

#[async_trait::async_trait]
impl Gateway for TestGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Test
    }

    async fn create_checkout(
        &self,
        _secret: &str,
        request: &CheckoutRequest,
        idempotency_key: &str,
    ) -> Result<Session, GatewayError> {
        let mut memory = self.memory();
        if let Some(id) = memory.keys.get(idempotency_key).cloned()
            && let Some((session, _)) = memory.sessions.get(&id)
        {
            return Ok(session.clone());
        }
        let id = random_id("cs_test_");
        let session = Session {
            url: Some(format!("{}/pay/test/{id}", self.public_url)),
            id: id.clone(),
            status: "open".to_owned(),
            payment_status: "unpaid".to_owned(),
            amount_total: request.amount,
            currency: request.currency.to_lowercase(),
            metadata: request.metadata.clone(),
            client_reference_id: Some(request.client_reference_id.clone()),
            payment_intent: None,
        };
        memory.keys.insert(idempotency_key.to_owned(), id.clone());
        memory.sessions.insert(id, (session.clone(), request.clone()));
        Ok(session)
    }

    async fn retrieve_checkout(&self, _secret: &str, id: &str) -> Result<Session, GatewayError> {
        self.session(id).map(|(session, _)| session).ok_or_else(|| GatewayError::Refused {
            status: 404,
            code: "resource_missing".to_owned(),
            message: format!("No such checkout.session: '{id}'"),
        })
    }

    async fn create_refund(
        &self,
        _secret: &str,
        request: &RefundRequest,
        idempotency_key: &str,
    ) -> Result<Refund, GatewayError> {
        let mut memory = self.memory();
        if let Some(refund) = memory.refunds.get(idempotency_key) {
            return Ok(refund.clone());
        }
        let refund = Refund {
            id: random_id("re_test_"),
            amount: request.amount,
            status: "succeeded".to_owned(),
            payment_intent: Some(request.payment_intent.clone()),
        };
        memory.refunds.insert(idempotency_key.to_owned(), refund.clone());
        Ok(refund)
    }

    async fn list_refunds(
        &self,
        _secret: &str,
        payment_intent: &str,
    ) -> Result<Vec<Refund>, GatewayError> {
        let memory = self.memory();
        let of_intent = |r: &&Refund| r.payment_intent.as_deref() == Some(payment_intent);
        Ok(memory.refunds.values().filter(of_intent).cloned().collect())
    }
}
