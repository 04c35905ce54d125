//! What the fake Stripe remembers.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    /// The form body as sent.
    pub body: String,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct StoredSession {
    /// The secret key of the account it belongs to.
    pub account: String,
    pub json: Value,
    /// `subscription_data[metadata]` of a subscription checkout (not shown on the session).
    pub subscription_metadata: BTreeMap<String, String>,
}

/// A subscription of the fake (`mode=subscription` checkouts).
#[derive(Debug, Clone)]
pub(super) struct StoredSubscription {
    pub json: Value,
}

/// The first answer to an idempotency key, replayed for the same request.
#[derive(Debug, Clone)]
pub(super) struct Remembered {
    pub path: String,
    pub body: String,
    pub status: u16,
    pub answer: Value,
}

#[derive(Debug, Default)]
pub(super) struct FakeState {
    pub base: String,
    pub calls: Vec<Call>,
    pub keys: HashSet<String>,
    pub sessions: BTreeMap<String, StoredSession>,
    pub idempotency: HashMap<(String, String), Remembered>,
    pub refunds: Vec<Value>,
    /// Payment intent → (amount, currency) charged.
    pub charges: HashMap<String, (i64, String)>,
    /// Payment intent → the account (secret key) that took it.
    pub intent_accounts: HashMap<String, String>,
    /// Price id → (unit amount, currency) of the recurring prices (monthly).
    pub prices: HashMap<String, (i64, String)>,
    /// Customer id → account.
    pub customers: HashMap<String, String>,
    pub subscriptions: BTreeMap<String, StoredSubscription>,
    pub fail_next: usize,
    pub cut_off_next: usize,
    pub counter: u64,
}

impl FakeState {
    pub fn next(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{:08}{:016x}", self.counter, rand::random::<u64>())
    }

    pub fn complete(&mut self, id: &str, paid: Option<(i64, String)>) -> Value {
        let intent = self.next("pi_");
        let session = self.sessions.get_mut(id).expect("a session of the fake");
        let json = &mut session.json;
        if json["payment_intent"].is_null() {
            json["payment_intent"] = json!(intent);
        }
        if let Some((amount, currency)) = paid {
            json["amount_total"] = json!(amount);
            json["currency"] = json!(currency);
        }
        json["status"] = json!("complete");
        json["payment_status"] = json!("paid");
        json["url"] = Value::Null;
        let json = json.clone();
        let account = session.account.clone();
        let intent = json["payment_intent"].as_str().unwrap_or_default().to_owned();
        let amount = json["amount_total"].as_i64().unwrap_or_default();
        let currency = json["currency"].as_str().unwrap_or_default().to_owned();
        self.intent_accounts.insert(intent.clone(), account);
        self.charges.insert(intent, (amount, currency));
        json
    }

    /// Refunds `amount` of a payment intent's charge; `Err` with Stripe's message when more
    /// than what is left.
    pub fn refund(&mut self, intent: &str, amount: i64) -> Result<Value, String> {
        let Some((charged, _)) = self.charges.get(intent).cloned() else {
            return Err(format!("No such payment_intent: '{intent}'"));
        };
        let refunded = self.refunded(intent);
        if amount <= 0 || refunded + amount > charged {
            return Err(format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({})",
                charged - refunded
            ));
        }
        let id = self.next("re_");
        self.counter += 1;
        let refund = json!({
            "id": id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": format!("txn_{}", id.trim_start_matches("re_")),
            "charge": format!("ch_{}", intent.trim_start_matches("pi_")),
            "created": 1_700_000_000 + self.counter,
            "currency": self.charges[intent].1,
            "metadata": {},
            "payment_intent": intent,
            "reason": null,
            "receipt_number": null,
            "status": "succeeded",
        });
        self.refunds.push(refund.clone());
        Ok(refund)
    }

    fn refunded(&self, intent: &str) -> i64 {
        self.refunds
            .iter()
            .filter(|r| r["payment_intent"] == intent)
            .map(|r| r["amount"].as_i64().unwrap_or_default())
            .sum()
    }

    /// The charge as events carry it since API version 2022-11-15: `refunds` is no longer
    /// included (it must be listed: `GET /v1/refunds?payment_intent=…`).
    pub fn charge(&self, intent: &str) -> Value {
        let (amount, currency) = self.charges.get(intent).cloned().unwrap_or_default();
        let refunded = self.refunded(intent);
        json!({
            "id": format!("ch_{}", intent.trim_start_matches("pi_")),
            "object": "charge",
            "amount": amount,
            "amount_refunded": refunded,
            "currency": currency,
            "payment_intent": intent,
            "refunded": refunded == amount,
        })
    }
}
