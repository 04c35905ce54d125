//! Refunds reported by a business's Stripe webhook, made through Portico or in Stripe's own
//! dashboard, each reflected once by its refund id (through the refund workflow, so a refund
//! Portico made itself is never counted twice):
//!
//! - `charge.refunded`: the charge no longer carries its refunds (Stripe stopped expanding
//!   `refunds` in API version 2022-11-15), so they are listed at the gateway
//!   (`GET /v1/refunds?payment_intent=…`) unless the event includes them;
//! - `refund.created` / `refund.updated`: the refund itself (`object: refund`).
//!
//! Pending and succeeded refunds count. One Portico cannot apply — for a payment it does not
//! know, or for more than what remains — is kept and shown to the owner (see
//! `portico_core::gateway_refunds`), and the webhook still answers 200: retrying would never
//! make it applicable.

use portico_domain::Money;
use portico_domain::booking::Actor;
use portico_integrations::payments::{GatewayKind, Refund};
use portico_store::online;
use portico_store::tenants::Tenant;
use portico_store::unapplied::NewUnapplied;
use serde::Deserialize;
use serde_json::Value;

use crate::{AppState, Error};

const GATEWAY: &str = "stripe";

#[derive(Deserialize)]
struct Charge {
    #[serde(default)]
    payment_intent: Option<String>,
    #[serde(default)]
    currency: String,
    /// Only in events of API versions before 2022-11-15.
    #[serde(default)]
    refunds: Option<RefundList>,
}

#[derive(Deserialize)]
struct RefundList {
    #[serde(default)]
    data: Vec<Refund>,
}

/// `charge.refunded`: every refund of the charge's payment intent.
pub async fn charge_refunded(
    state: &AppState,
    tenant: &Tenant,
    object: &Value,
) -> Result<bool, Error> {
    let Ok(charge) = serde_json::from_value::<Charge>(object.clone()) else { return Ok(false) };
    let Some(intent) = charge.payment_intent else { return Ok(false) };
    let refunds = match charge.refunds {
        Some(list) => list.data,
        None => {
            let Some(tg) =
                crate::online::gateway_for(state, tenant.id, GatewayKind::Stripe).await?
            else {
                tracing::warn!("charge.refunded, but no Stripe secret key to list its refunds");
                return Ok(false);
            };
            // Unreachable now: answer 500 so Stripe delivers again later.
            tg.gateway.list_refunds(&tg.secret, &intent).await.map_err(|e| {
                Error::Internal(anyhow::anyhow!("listing the refunds of {intent}: {e}"))
            })?
        }
    };
    for refund in &refunds {
        reflect(state, tenant, &intent, refund, &charge.currency).await?;
    }
    Ok(true)
}

/// `refund.created` / `refund.updated`: the refund itself.
pub async fn refund_event(
    state: &AppState,
    tenant: &Tenant,
    object: &Value,
) -> Result<bool, Error> {
    let Ok(refund) = serde_json::from_value::<Refund>(object.clone()) else { return Ok(false) };
    let Some(intent) = refund.payment_intent.clone() else { return Ok(false) };
    let currency = object["currency"].as_str().unwrap_or_default();
    reflect(state, tenant, &intent, &refund, currency).await?;
    Ok(true)
}

/// Reflects one refund of `intent` once: through the refund workflow when Portico took the
/// payment and can take the refund off it, otherwise kept as unapplied for the owner.
async fn reflect(
    state: &AppState,
    tenant: &Tenant,
    intent: &str,
    refund: &Refund,
    currency: &str,
) -> Result<(), Error> {
    if !matches!(refund.status.as_str(), "succeeded" | "pending") {
        return Ok(());
    }
    let ctx = state.context(Actor::System, "stripe-webhook");
    let checkout = online::checkout_of_intent(&state.db, tenant.id, GATEWAY, intent).await?;
    let why = match checkout {
        None => "no payment taken through Portico has this payment intent".to_owned(),
        Some(checkout) => {
            let amount = Money::new(refund.amount, checkout.amount.currency);
            let reason = "refunded in Stripe";
            let recorded = portico_core::online::record_refund(
                &state.db, tenant.id, &checkout, &refund.id, amount, reason, &ctx,
            )
            .await?;
            match recorded {
                Ok(_) => return Ok(()),
                Err(refusal) => refusal.to_string(),
            }
        }
    };
    tracing::warn!(refund = %refund.id, %why, "a Stripe refund could not be applied");
    let new = NewUnapplied {
        gateway: GATEWAY,
        refund_id: &refund.id,
        payment_intent: intent,
        amount_minor: refund.amount,
        currency,
        reason: &why,
    };
    portico_core::gateway_refunds::unapplied(&state.db, tenant.id, &new, &ctx).await?;
    Ok(())
}
