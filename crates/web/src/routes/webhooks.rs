//! `POST /webhooks/stripe/{tenant}`: Stripe's events for one business (the slug; an unknown
//! one is 404). The `Stripe-Signature` is checked against the business's own signing secret
//! before anything is parsed (any of several `v1` values, timestamp within 300 s of the app
//! clock): a bad or missing signature is 400 and changes nothing. Events are noted by id so a
//! replay is a no-op; unknown types answer 200 and are ignored. Handled:
//! `checkout.session.completed` (fulfils once, or flags a mismatch), `checkout.session.expired`,
//! and `charge.refunded`, `refund.created` and `refund.updated` (each refund reflected once, by
//! its id, or kept as unapplied for the owner: [`crate::gateway_refunds`]). A failure to handle
//! answers 500 and Stripe delivers again.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use portico_domain::booking::Actor;
use portico_integrations::payments::{self, Session};
use portico_store::online;
use portico_store::sealed::{self, SecretKind, Slot};
use portico_store::tenants::{self, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/stripe/{tenant}", post(stripe))
}

const GATEWAY: &str = "stripe";

#[derive(Deserialize)]
pub(super) struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Deserialize)]
pub(super) struct EventData {
    pub object: Value,
}

pub(super) fn refused(message: &str) -> Response {
    let body = json!({ "error": { "code": "bad_signature", "message": message } });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// `POST /webhooks/stripe/{tenant}`.
#[tracing::instrument(skip_all, fields(tenant = %slug))]
pub async fn stripe(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let tenant = tenants::by_slug(&state.db, &slug).await?.ok_or(Error::NotFound)?;
    let slot = Slot::tenant(SecretKind::StripeWebhookSecret);
    let Some(secret) = sealed::get(&state.db, &state.keyring, tenant.id, slot).await? else {
        return Ok(refused("no webhook signing secret is configured for this business"));
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    if let Err(why) = payments::verify(header, &body, &secret, state.clock.now_ts()) {
        tracing::warn!(%why, "webhook refused");
        return Ok(refused(&why.to_string()));
    }
    let Ok(event) = serde_json::from_slice::<Event>(&body) else {
        let body = json!({ "error": { "code": "malformed", "message": "not a Stripe event" } });
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    };
    if online::event_seen(&state.db, tenant.id, GATEWAY, &event.id).await? {
        return Ok(Json(json!({ "received": true, "replay": true })).into_response());
    }
    let handled = match event.kind.as_str() {
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.expired" => session_event(&state, &tenant, &event.data.object).await?,
        "charge.refunded" => {
            crate::gateway_refunds::charge_refunded(&state, &tenant, &event.data.object).await?
        }
        "refund.created" | "refund.updated" => {
            crate::gateway_refunds::refund_event(&state, &tenant, &event.data.object).await?
        }
        _ => false,
    };
    let now = state.clock.now_ts();
    online::note_event(&state.db, tenant.id, GATEWAY, &event.id, &event.kind, now).await?;
    Ok(Json(json!({ "received": true, "handled": handled })).into_response())
}

/// A session's news: fulfil, flag or expire the checkout it belongs to (at this business).
async fn session_event(state: &AppState, tenant: &Tenant, object: &Value) -> Result<bool, Error> {
    let Ok(session) = serde_json::from_value::<Session>(object.clone()) else { return Ok(false) };
    let Some(checkout) =
        online::checkout_of_tenant(&state.db, tenant.id, GATEWAY, &session.id).await?
    else {
        return Ok(false);
    };
    let ctx = state.context(Actor::System, "stripe-webhook");
    crate::online::reflect(state, tenant, &checkout, &session, &ctx).await?;
    Ok(true)
}
