//! The fake's subscriptions (Checkout `mode=subscription` for a recurring price, with the
//! subscription and its invoices in Stripe's 2024-06-20 shapes), billing portal sessions
//! (`POST /v1/billing_portal/sessions`) and the refund list (`GET /v1/refunds`).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::api::{Admitted, admit, error, finish, form, missing, value};
use super::state::{FakeState, StoredSubscription};
use super::{Shared, bracketed, lock};

/// A billing period of the fake's prices (monthly, as 30 days).
pub const PERIOD_SECS: i64 = 30 * 86_400;

pub(super) fn new_subscription_session(
    state: &mut FakeState,
    account: &str,
    form: &[(String, String)],
) -> Result<Value, (u16, Value)> {
    let price =
        value(form, "line_items[0][price]").ok_or_else(|| missing("line_items[0][price]"))?;
    let Some((amount, currency)) = state.prices.get(price).cloned() else {
        let message = format!("No such price: '{price}'");
        return Err(error(400, "invalid_request_error", "resource_missing", &message));
    };
    let success = value(form, "success_url").filter(|v| !v.is_empty());
    let success = success.ok_or_else(|| missing("success_url"))?;
    let customer = value(form, "customer");
    if let Some(customer) = customer
        && state.customers.get(customer).map(String::as_str) != Some(account)
    {
        let message = format!("No such customer: '{customer}'");
        return Err(error(400, "invalid_request_error", "resource_missing", &message));
    }
    let id = state.next("cs_test_");
    Ok(json!({
        "id": id,
        "object": "checkout.session",
        "mode": "subscription",
        "url": format!("{}/c/pay/{id}", state.base),
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": amount,
        "currency": currency,
        "customer": customer,
        "customer_email": value(form, "customer_email"),
        "metadata": bracketed(form, "metadata"),
        "client_reference_id": value(form, "client_reference_id"),
        "success_url": success,
        "cancel_url": value(form, "cancel_url"),
        "subscription": null,
        "payment_intent": null,
        "invoice": null,
        "livemode": false,
    }))
}

/// What completing a subscription checkout produced, as the events carry each object.
#[derive(Debug, Clone)]
pub struct Subscribed {
    /// For `checkout.session.completed`.
    pub session: Value,
    /// For `customer.subscription.created` / `.updated`.
    pub subscription: Value,
    /// The first invoice, paid, for `invoice.paid`.
    pub invoice: Value,
}

impl FakeState {
    /// The payer subscribes at `now`: a customer (unless the session named one), an active
    /// subscription for one period, its first invoice paid.
    pub(super) fn subscribe(&mut self, session_id: &str, now: i64) -> Subscribed {
        let stored = self.sessions.get(session_id).expect("a session of the fake").clone();
        let account = stored.account.clone();
        let customer = match stored.json["customer"].as_str() {
            Some(customer) => customer.to_owned(),
            None => {
                let customer = self.next("cus_");
                self.customers.insert(customer.clone(), account.clone());
                customer
            }
        };
        let subscription_id = self.next("sub_");
        let price = self
            .prices
            .iter()
            .find(|(_, (amount, _))| Some(*amount) == stored.json["amount_total"].as_i64())
            .map(|(id, p)| (id.clone(), p.clone()))
            .expect("the session's price");
        let metadata: BTreeMap<String, String> = stored.subscription_metadata.clone();
        let item = self.next("si_");
        let subscription = json!({
            "id": subscription_id,
            "object": "subscription",
            "customer": customer,
            "status": "active",
            "cancel_at_period_end": false,
            "canceled_at": null,
            "ended_at": null,
            "created": now,
            "current_period_start": now,
            "current_period_end": now + PERIOD_SECS,
            "items": { "object": "list", "has_more": false, "data": [{
                "id": item,
                "object": "subscription_item",
                "quantity": 1,
                "subscription": subscription_id,
                "current_period_start": now,
                "current_period_end": now + PERIOD_SECS,
                "price": {
                    "id": price.0, "object": "price", "unit_amount": price.1.0,
                    "currency": price.1.1, "recurring": { "interval": "month", "interval_count": 1 },
                },
            }]},
            "metadata": metadata,
            "livemode": false,
        });
        self.subscriptions
            .insert(subscription_id.clone(), StoredSubscription { json: subscription.clone() });
        let invoice = self.invoice(&subscription, "subscription_create");
        let session = &mut self.sessions.get_mut(session_id).expect("the session").json;
        session["status"] = json!("complete");
        session["payment_status"] = json!("paid");
        session["url"] = Value::Null;
        session["customer"] = json!(customer);
        session["subscription"] = json!(subscription_id);
        session["invoice"] = invoice["id"].clone();
        Subscribed { session: session.clone(), subscription, invoice }
    }

    /// The paid invoice of the subscription's current period.
    fn invoice(&mut self, subscription: &Value, reason: &str) -> Value {
        let id = self.next("in_");
        let line = self.next("il_");
        let price = &subscription["items"]["data"][0]["price"];
        let (start, end) =
            (&subscription["current_period_start"], &subscription["current_period_end"]);
        json!({
            "id": id,
            "object": "invoice",
            "status": "paid",
            "paid": true,
            "billing_reason": reason,
            "customer": subscription["customer"],
            "subscription": subscription["id"],
            "subscription_details": { "metadata": subscription["metadata"] },
            "amount_due": price["unit_amount"],
            "amount_paid": price["unit_amount"],
            "currency": price["currency"],
            "period_start": start,
            "period_end": end,
            "lines": { "object": "list", "has_more": false, "data": [{
                "id": line,
                "object": "line_item",
                "type": "subscription",
                "amount": price["unit_amount"],
                "currency": price["currency"],
                "subscription": subscription["id"],
                "metadata": subscription["metadata"],
                "period": { "start": start, "end": end },
                "price": price,
            }]},
            "livemode": false,
        })
    }

    /// The next period is paid: the subscription and its new invoice.
    pub(super) fn renew(&mut self, subscription_id: &str) -> (Value, Value) {
        let stored = self.subscriptions.get_mut(subscription_id).expect("a subscription");
        let json = &mut stored.json;
        let end = json["current_period_end"].as_i64().expect("a period end");
        json["current_period_start"] = json!(end);
        json["current_period_end"] = json!(end + PERIOD_SECS);
        json["items"]["data"][0]["current_period_start"] = json!(end);
        json["items"]["data"][0]["current_period_end"] = json!(end + PERIOD_SECS);
        let subscription = json.clone();
        let invoice = self.invoice(&subscription, "subscription_cycle");
        (subscription, invoice)
    }

    /// The subscription is canceled at once (from the billing portal, or in the dashboard).
    pub(super) fn cancel(&mut self, subscription_id: &str, now: i64) -> Value {
        let stored = self.subscriptions.get_mut(subscription_id).expect("a subscription");
        stored.json["status"] = json!("canceled");
        stored.json["canceled_at"] = json!(now);
        stored.json["ended_at"] = json!(now);
        stored.json.clone()
    }
}

pub(super) async fn create_portal_session(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let path = "/v1/billing_portal/sessions";
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let mut state = lock(&shared);
    let account = match admit(&mut state, "POST", path, &headers, &body) {
        Admitted::Go(account) => account,
        Admitted::Answer(answer) => return answer,
    };
    let answer = form(&bytes).and_then(|form| {
        let customer = value(&form, "customer").ok_or_else(|| missing("customer"))?;
        if state.customers.get(customer) != Some(&account) {
            let message = format!("No such customer: '{customer}'");
            return Err(error(400, "invalid_request_error", "resource_missing", &message));
        }
        let id = state.next("bps_");
        Ok((
            200,
            json!({
                "id": id,
                "object": "billing_portal.session",
                "customer": customer,
                "return_url": value(&form, "return_url"),
                "url": format!("{}/p/session/{id}", state.base),
                "livemode": false,
            }),
        ))
    });
    let answer = answer.unwrap_or_else(|refused| refused);
    finish(&mut state, &account, path, &headers, &body, answer)
}

pub(super) async fn list_refunds(
    State(shared): State<Shared>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let intent = query.get("payment_intent").cloned().unwrap_or_default();
    let path = format!("/v1/refunds?payment_intent={intent}");
    let mut state = lock(&shared);
    let account = match admit(&mut state, "GET", &path, &headers, "") {
        Admitted::Go(account) => account,
        Admitted::Answer(answer) => return answer,
    };
    let answer = if state.intent_accounts.get(&intent) == Some(&account) {
        let mut data: Vec<Value> =
            state.refunds.iter().filter(|r| r["payment_intent"] == intent).cloned().collect();
        data.reverse();
        (200, json!({ "object": "list", "url": "/v1/refunds", "has_more": false, "data": data }))
    } else {
        let message = format!("No such payment_intent: '{intent}'");
        error(400, "invalid_request_error", "resource_missing", &message)
    };
    finish(&mut state, &account, &path, &HeaderMap::new(), "", answer)
}
