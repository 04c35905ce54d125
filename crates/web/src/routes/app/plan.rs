//! `/app/{tenant}/plan` (owner only): the business's plan, when PRO runs until (its renewal
//! date while a subscription is active) and what PRO adds. With the platform's Stripe account
//! configured (`billing.stripe_secret_key`, `billing.pro_price_id`) the owner subscribes
//! through Stripe Checkout (`mode=subscription`) and manages the subscription (card, invoices,
//! cancelling) in Stripe's billing portal; PRO itself starts and is extended only by the
//! platform webhook ([`crate::routes::platform_billing`]), never by the browser's return.
//! Without those settings the page says how the operator moves a business to PRO.

use axum::extract::{Query, State};
use axum::response::Response;
use portico_domain::booking::Actor;
use portico_domain::plans::{Feature, Plan};
use portico_integrations::payments::SubscriptionCheckout;
use portico_store::platform;
use serde::{Deserialize, Serialize};

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::forms::see_other;
use crate::routes::platform_billing::{TENANT_KEY, reference_of};
use crate::{AppState, Error};

#[derive(Serialize)]
struct Pitch {
    title: &'static str,
    pitch: &'static str,
}

#[derive(Serialize)]
struct PlanPage {
    chrome: Chrome,
    plan: &'static str,
    pro_until: Option<i64>,
    tz: String,
    /// Businesses can subscribe themselves.
    self_serve: bool,
    /// Stripe's status of the subscription (empty: none).
    status: String,
    /// Renews at `pro_until` (an active subscription, not canceled).
    renews: bool,
    /// There is a Stripe customer to open the billing portal for.
    can_manage: bool,
    /// Back from a subscription checkout.
    returned: bool,
    features: Vec<Pitch>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PlanQuery {
    #[serde(default)]
    checkout: String,
}

fn page_url(scope: &OwnerScope) -> String {
    format!("/app/{}/plan", scope.tenant.slug)
}

fn public(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.config.public_url.as_str().trim_end_matches('/'))
}

/// `GET /app/{tenant}/plan`.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: OwnerScope,
    Query(query): Query<PlanQuery>,
) -> Result<Response, Error> {
    let subscription = platform::subscription(&state.db, scope.id()).await?;
    let plan = scope.plan(&state);
    let status = subscription.as_ref().map(|s| s.status.clone()).unwrap_or_default();
    let features = [Feature::Staff, Feature::StaffSelection, Feature::GoogleCalendar]
        .into_iter()
        .chain([Feature::SmsNotifications])
        .map(|f| Pitch { title: f.title(), pitch: f.pitch() })
        .collect();
    let page = PlanPage {
        chrome: Chrome::app(&scope, &state).await?,
        plan: plan.as_str(),
        pro_until: scope.tenant.pro_until.filter(|_| plan == Plan::Pro).map(|t| t.timestamp()),
        tz: scope.tenant.timezone.name().to_owned(),
        self_serve: state.config.billing.self_serve(),
        renews: plan == Plan::Pro && matches!(status.as_str(), "active" | "trialing"),
        can_manage: subscription.as_ref().is_some_and(|s| !s.customer_id.is_empty()),
        status,
        returned: query.checkout == "done",
        features,
    };
    Ok(state.templates.page("app/plan.html", &page))
}

/// `POST /app/{tenant}/plan/upgrade`: to Stripe Checkout for the PRO subscription.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn upgrade(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    let billing = &state.config.billing;
    if !billing.self_serve() {
        let message = "Upgrading online is not available: ask the Portico operator.";
        flash(&scope.viewer.session, "error", message).await?;
        return Ok(see_other(&page_url(&scope)));
    }
    let subscription = platform::subscription(&state.db, scope.id()).await?;
    let subscribed = subscription.as_ref().is_some_and(|s| {
        !s.subscription_id.is_empty() && matches!(s.status.as_str(), "active" | "trialing")
    });
    if subscribed {
        let message = "You already subscribe to PRO: manage it with \"Manage billing\".";
        flash(&scope.viewer.session, "info", message).await?;
        return Ok(see_other(&page_url(&scope)));
    }
    let customer = subscription.map(|s| s.customer_id).filter(|c| !c.is_empty());
    let request = SubscriptionCheckout {
        price: billing.pro_price_id.clone(),
        client_reference_id: reference_of(scope.id()),
        customer_email: customer.is_none().then(|| scope.user.email.clone()),
        customer,
        success_url: public(&state, &format!("{}?checkout=done", page_url(&scope))),
        cancel_url: public(&state, &page_url(&scope)),
        metadata: [
            (TENANT_KEY.to_owned(), scope.id().get().to_string()),
            ("portico_tenant".to_owned(), scope.tenant.slug.clone()),
        ]
        .into(),
    };
    // A double click or a retry within the hour gets the same session back.
    let key = format!("portico-pro-{}-{}", scope.id().get(), state.clock.now_ts() / 3600);
    let stripe = state.gateways.stripe();
    let session =
        match stripe.create_subscription_checkout(&billing.stripe_secret_key, &request, &key).await
        {
            Ok(session) => session,
            Err(error) => {
                tracing::warn!(%error, "PRO checkout not started");
                let message = "The payment service did not start the checkout. Nothing was \
                               charged; please try again.";
                flash(&scope.viewer.session, "error", message).await?;
                return Ok(see_other(&page_url(&scope)));
            }
        };
    let Some(url) = session.url.filter(|_| session.status == "open") else {
        let message = "That checkout is no longer open; please try again in a while.";
        flash(&scope.viewer.session, "error", message).await?;
        return Ok(see_other(&page_url(&scope)));
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    portico_core::subscriptions::checkout_started(&state.db, scope.id(), &session.id, &ctx).await?;
    Ok(see_other(&url))
}

/// `POST /app/{tenant}/plan/billing`: to Stripe's billing portal for the business's customer.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn billing(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    let secret = state.config.billing.stripe_secret_key.clone();
    let customer = platform::subscription(&state.db, scope.id())
        .await?
        .map(|s| s.customer_id)
        .filter(|c| !c.is_empty() && !secret.is_empty());
    let Some(customer) = customer else {
        let message = "There is no PRO subscription to manage yet.";
        flash(&scope.viewer.session, "error", message).await?;
        return Ok(see_other(&page_url(&scope)));
    };
    let back = public(&state, &page_url(&scope));
    let key = format!("portico-portal-{}-{}", scope.id().get(), state.clock.now_ts());
    let opened = state.gateways.stripe().create_portal_session(&secret, &customer, &back, &key);
    match opened.await {
        Ok(portal) => Ok(see_other(&portal.url)),
        Err(error) => {
            tracing::warn!(%error, "billing portal not opened");
            let message = "The billing page could not be opened; please try again.";
            flash(&scope.viewer.session, "error", message).await?;
            Ok(see_other(&page_url(&scope)))
        }
    }
}
