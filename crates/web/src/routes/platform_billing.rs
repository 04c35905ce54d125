//! `POST /webhooks/stripe/platform`: the platform's own Stripe account reporting businesses'
//! PRO subscriptions. The `Stripe-Signature` is checked exactly as for a business's webhook
//! (any of several `v1` values, timestamp within 300 s of the app clock) against
//! `billing.stripe_webhook_secret` before anything is parsed: bad or missing is 400 and
//! changes nothing. Events are noted by id (a replay is a no-op) in the same transaction that
//! applies them (`portico_core::subscriptions`).
//!
//! Handled: `checkout.session.completed` (a subscription checkout: links the business to its
//! Stripe customer and subscription), `invoice.paid` (PRO until the end of the paid period),
//! `customer.subscription.created` / `.updated` (an active subscription's period extends PRO;
//! its status is kept) and `customer.subscription.deleted` (extends nothing more: PRO lapses
//! when `pro_until` passes). The business is named by the `portico_tenant_id` metadata Portico
//! set on the checkout and its subscription, else by the `client_reference_id`, else by the
//! customer or subscription it is already linked to. Other types answer 200 and are ignored.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use portico_core::subscriptions::{self, Applied, News};
use portico_domain::TenantId;
use portico_domain::booking::Actor;
use portico_integrations::payments;
use portico_store::{platform, tenants};
use serde_json::{Value, json};

use super::webhooks::{Event, refused};
use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/stripe/platform", post(platform_webhook))
}

/// The `client_reference_id` of a business's subscription checkout.
pub fn reference_of(tenant: TenantId) -> String {
    format!("portico-tenant-{}", tenant.get())
}

/// The metadata key naming the business on the checkout and its subscription.
pub const TENANT_KEY: &str = "portico_tenant_id";

/// `POST /webhooks/stripe/platform`.
#[tracing::instrument(skip_all)]
pub async fn platform_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let secret = &state.config.billing.stripe_webhook_secret;
    if secret.is_empty() {
        return Ok(refused("no platform webhook signing secret is configured"));
    }
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    if let Err(why) = payments::verify(header, &body, secret, state.clock.now_ts()) {
        tracing::warn!(%why, "platform webhook refused");
        return Ok(refused(&why.to_string()));
    }
    let Ok(event) = serde_json::from_slice::<Event>(&body) else {
        let body = json!({ "error": { "code": "malformed", "message": "not a Stripe event" } });
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    };
    let Some(news) = news_of(&event.kind, &event.data.object) else {
        return Ok(Json(json!({ "received": true, "handled": false })).into_response());
    };
    let Some(tenant) = tenant_of(&state, &event.data.object, &news).await? else {
        tracing::warn!(event = %event.id, kind = %event.kind, "a platform event names no known business");
        return Ok(Json(json!({ "received": true, "handled": false })).into_response());
    };
    let ctx = state.context(Actor::System, "stripe-webhook");
    let applied =
        subscriptions::apply(&state.db, tenant, &event.id, &event.kind, &news, &ctx).await?;
    let answer = match applied {
        Applied::Replay => json!({ "received": true, "replay": true }),
        Applied::Noted { extended } => {
            json!({ "received": true, "handled": true, "extended": extended })
        }
        Applied::Canceled => json!({ "received": true, "handled": true, "canceled": true }),
    };
    Ok(Json(answer).into_response())
}

/// A string field, or the `id` of an expanded object.
fn id_of(value: &Value) -> String {
    value.as_str().or_else(|| value["id"].as_str()).unwrap_or_default().to_owned()
}

/// What an event of `kind` says about a subscription; `None` for types not handled (or a
/// checkout that was not a subscription).
fn news_of(kind: &str, object: &Value) -> Option<News> {
    let customer = id_of(&object["customer"]);
    match kind {
        "checkout.session.completed" => (object["mode"] == "subscription").then(|| News {
            customer,
            subscription: id_of(&object["subscription"]),
            status: None,
            paid_through: None,
        }),
        "invoice.paid" => {
            // The subscription is at the top (API versions up to 2025-02) or under `parent`.
            let subscription = match id_of(&object["subscription"]) {
                id if id.is_empty() => {
                    id_of(&object["parent"]["subscription_details"]["subscription"])
                }
                id => id,
            };
            let ends = object["lines"]["data"].as_array().into_iter().flatten();
            let paid_through = ends.filter_map(|line| line["period"]["end"].as_i64()).max();
            (!subscription.is_empty() && object["status"] == "paid").then_some(News {
                customer,
                subscription,
                status: None,
                paid_through,
            })
        }
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            let status = object["status"].as_str().unwrap_or_default().to_owned();
            // At the top (up to 2025-02) or on each item (later API versions).
            let period_end = object["current_period_end"].as_i64().or_else(|| {
                let items = object["items"]["data"].as_array().into_iter().flatten();
                items.filter_map(|item| item["current_period_end"].as_i64()).max()
            });
            let deleted = kind.ends_with(".deleted");
            Some(News {
                customer,
                subscription: id_of(&object["id"]),
                status: Some(if deleted { "canceled".to_owned() } else { status }),
                paid_through: period_end.filter(|_| !deleted),
            })
        }
        _ => None,
    }
}

/// The metadata naming the business, wherever this object type carries it.
fn tenant_metadata(object: &Value) -> Option<i64> {
    let places = [
        &object["metadata"],
        &object["subscription_details"]["metadata"],
        &object["parent"]["subscription_details"]["metadata"],
    ];
    let lines = object["lines"]["data"].as_array().into_iter().flatten().map(|l| &l["metadata"]);
    places
        .into_iter()
        .chain(lines)
        .find_map(|metadata| metadata[TENANT_KEY].as_str().and_then(|id| id.parse().ok()))
}

async fn tenant_of(
    state: &AppState,
    object: &Value,
    news: &News,
) -> Result<Option<TenantId>, Error> {
    let named = tenant_metadata(object).or_else(|| {
        let reference = object["client_reference_id"].as_str()?;
        reference.strip_prefix("portico-tenant-")?.parse().ok()
    });
    if let Some(id) = named {
        return Ok(tenants::by_id(&state.db, id).await?.map(|t| t.id));
    }
    Ok(platform::tenant_of(&state.db, &news.subscription, &news.customer).await?)
}
