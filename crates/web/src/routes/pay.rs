//! `/pay/…`: paying an invoice online without a login, and coming back.
//!
//! - `/pay/{token}`: the hosted pay link (a signed token naming one tenant's invoice and its
//!   expiry, 30 days on; a changed or forged token is a 404, an expired one 410): the invoice's amounts and "Pay now", which starts a
//!   checkout session and sends the payer to the gateway.
//! - `/pay/return?session_id=…`: where the gateway sends the payer back. The session is
//!   retrieved from the gateway (never trusted from the URL) and fulfilled once — the webhook
//!   may have done it already, then nothing changes.
//! - `/pay/test/{session}`: the `test` gateway's simulated checkout, marked TEST MODE, absent
//!   in production.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use portico_domain::booking::Actor;
use portico_domain::invoice::InvoiceStatus;
use portico_integrations::payments::GatewayKind;
use portico_store::invoices::{self, Invoice};
use portico_store::online;
use portico_store::tenants::{self, Tenant};
use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::chrome::{Chrome, flash};
use crate::forms::see_other;
use crate::invoice_view::{Amounts, today};
use crate::online::{
    PayLinkError, Reflected, amount_due, gateway_for, gateway_of, verify_pay_token,
};
use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pay/return", get(back))
        .route("/pay/test/{session}", get(test_page).post(test_pay))
        .route("/pay/test/{session}/cancel", post(test_cancel))
        .route("/pay/{token}", get(show).post(start))
}

/// The tenant and invoice a pay link names: an issued invoice (not a draft) that still exists.
async fn resolve(state: &AppState, token: &str) -> Result<(Tenant, Invoice), Error> {
    let (tenant, invoice) = verify_pay_token(state, token).map_err(|why| match why {
        PayLinkError::Invalid => Error::NotFound,
        PayLinkError::Expired => Error::Gone {
            message: "This payment link has expired. Please ask the business for a new one."
                .to_owned(),
        },
    })?;
    let tenant = tenants::by_id(&state.db, tenant).await?.ok_or(Error::NotFound)?;
    let invoice = invoices::get(&state.db, tenant.id, invoice)
        .await?
        .filter(|i| i.status != InvoiceStatus::Draft)
        .ok_or(Error::NotFound)?;
    Ok((tenant, invoice))
}

#[derive(Serialize)]
struct PayPage {
    chrome: Chrome,
    token: String,
    business: String,
    number: String,
    status: &'static str,
    currency: &'static str,
    total: i64,
    balance: i64,
    /// What "Pay now" asks for (the next installment, or the balance); 0 = nothing.
    due: i64,
    /// The business takes online payments.
    online: bool,
    /// Through the simulated gateway.
    test_mode: bool,
}

/// `GET /pay/{token}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let (tenant, invoice) = resolve(&state, &token).await?;
    let amounts = Amounts::of(&invoice, today(&state, &tenant))?;
    let gateway = gateway_of(&state, tenant.id).await?;
    let page = PayPage {
        chrome: Chrome::new(&viewer).await?,
        token,
        business: tenant.name.clone(),
        number: invoice.number.clone().unwrap_or_default(),
        status: invoice.status.as_str(),
        currency: invoice.currency.code(),
        total: amounts.totals.total.minor,
        balance: amounts.balance.minor,
        due: amount_due(&invoice).map_or(0, |m| m.minor),
        online: gateway.is_some(),
        test_mode: gateway.is_some_and(|g| g.kind == GatewayKind::Test),
    };
    Ok(state.templates.page("pay/invoice.html", &page))
}

/// `POST /pay/{token}`: "Pay now" — to the gateway's checkout page.
#[tracing::instrument(skip_all)]
pub async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let (tenant, invoice) = resolve(&state, &token).await?;
    let ctx = state.context(Actor::System, viewer.ip_string());
    match crate::online::start(&state, &tenant, &invoice, &ctx).await? {
        Ok(url) => Ok(see_other(&url)),
        Err(why) => {
            flash(&viewer.session, "error", &why.words()).await?;
            Ok(see_other(&format!("/pay/{token}")))
        }
    }
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    #[serde(default)]
    session_id: String,
}

#[derive(Serialize)]
struct DonePage {
    chrome: Chrome,
    business: String,
    /// `paid`, `mismatch`, `expired` or `pending`.
    outcome: &'static str,
    /// The pay link, to try again.
    again: String,
    /// The client's portal invoice page.
    portal: String,
}

/// `GET /pay/return?session_id=…`: the payer is back from the gateway.
#[tracing::instrument(skip_all)]
pub async fn back(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ReturnQuery>,
) -> Result<Response, Error> {
    let mut found = None;
    for kind in [GatewayKind::Stripe, GatewayKind::Test] {
        if let Some(checkout) =
            online::checkout_by_session(&state.db, kind.as_str(), &query.session_id).await?
        {
            found = Some((kind, checkout));
            break;
        }
    }
    let (kind, checkout) = found.ok_or(Error::NotFound)?;
    // A pre-paid booking's payer comes back to the booking pages, not here.
    let invoice = checkout.invoice_id.ok_or(Error::NotFound)?;
    let tenant =
        tenants::by_id(&state.db, checkout.tenant_id.get()).await?.ok_or(Error::NotFound)?;
    let ctx = state.context(Actor::System, viewer.ip_string());
    let mut outcome = Reflected::Pending;
    if let Some(tg) = gateway_for(&state, tenant.id, kind).await? {
        match tg.gateway.retrieve_checkout(&tg.secret, &checkout.session_id).await {
            Ok(session) => {
                outcome =
                    crate::online::reflect(&state, &tenant, &checkout, &session, &ctx).await?;
            }
            // The webhook fulfils it; the page says the payment is being confirmed.
            Err(error) => tracing::warn!(%error, "could not retrieve the session on return"),
        }
    }
    let page = DonePage {
        chrome: Chrome::new(&viewer).await?,
        business: tenant.name.clone(),
        outcome: match outcome {
            Reflected::Paid => "paid",
            Reflected::Mismatch => "mismatch",
            Reflected::Expired => "expired",
            Reflected::Pending | Reflected::Refunded => "pending",
        },
        again: crate::online::pay_link(&state, tenant.id, invoice.get()),
        portal: format!("/portal/{}/invoices/{invoice}", tenant.slug),
    };
    Ok(state.templates.page("pay/done.html", &page))
}

#[derive(Serialize)]
struct TestPage {
    chrome: Chrome,
    session: String,
    description: String,
    amount: i64,
    currency: String,
    open: bool,
}

/// `GET /pay/test/{session}`: the simulated checkout (TEST MODE).
pub async fn test_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(session): Path<String>,
) -> Result<Response, Error> {
    let gateway = state.gateways.test().ok_or(Error::NotFound)?;
    let (found, request) = gateway.session(&session).ok_or(Error::NotFound)?;
    let page = TestPage {
        chrome: Chrome::new(&viewer).await?,
        session,
        description: request.description,
        amount: request.amount,
        currency: request.currency.to_uppercase(),
        open: found.status == "open",
    };
    Ok(state.templates.page("pay/test.html", &page))
}

/// `POST /pay/test/{session}`: "Pay" — the session completes; back to the success URL.
pub async fn test_pay(
    State(state): State<AppState>,
    Path(session): Path<String>,
) -> Result<Response, Error> {
    let gateway = state.gateways.test().ok_or(Error::NotFound)?;
    let to = gateway.pay(&session).ok_or(Error::NotFound)?;
    Ok(see_other(&to))
}

/// `POST /pay/test/{session}/cancel`: back to where the payer came from, nothing paid.
pub async fn test_cancel(
    State(state): State<AppState>,
    Path(session): Path<String>,
) -> Result<Response, Error> {
    let gateway = state.gateways.test().ok_or(Error::NotFound)?;
    let to = gateway.cancel_url(&session).ok_or(Error::NotFound)?;
    Ok(see_other(&to))
}
