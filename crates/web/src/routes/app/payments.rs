//! `/app/{tenant}/payments`: every payment the business received or was told of — the list
//! (date, client, amount, method, status, invoice; filtered by status and method, a page at a
//! time) and one payment's page: where it went (its invoices and the credit it left), its
//! refunds, and the refund form (part or all of it, with a reason) through
//! `portico_core::payments::refund`. Owner-only: staff never see money.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate};
use portico_core::online::OnlineRefusal;
use portico_core::payments::Refusal;
use portico_domain::billing::{MAX_AMOUNT, Method, PaymentStatus};
use portico_domain::booking::Actor;
use portico_domain::parse::parse_text;
use portico_domain::{ClientId, InvoiceId, Money};
use portico_store::invoices::{self, Filter};
use portico_store::payments::{self, Payment, Refund};
use portico_store::tenants::Tenant;
use portico_store::{clients, credit};
use serde::{Deserialize, Serialize};

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::invoice_view::{method_word, payment_word};
use crate::{AppState, Error};

/// Payments per page of the list.
const PER_PAGE: usize = 50;
/// Why a refund form did nothing: it was shown before another refund (or submitted twice).
const REFUNDED_MEANWHILE: &str = "This payment was refunded meanwhile; nothing more was \
                                  refunded. Check the refunds below before refunding again.";

/// The longest refund reason, in characters (as over the API).
const MAX_REASON: usize = 500;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    page: Option<usize>,
}

/// A filter choice.
#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

/// One payment as the pages show it.
#[derive(Debug, Serialize)]
pub struct PaymentRow {
    pub id: i64,
    pub received_on: NaiveDate,
    pub client_id: i64,
    pub client_name: String,
    pub currency: &'static str,
    pub amount: i64,
    pub refunded: i64,
    pub method: &'static str,
    pub status: &'static str,
    pub word: &'static str,
    pub reference: String,
    pub reason: String,
    /// The invoice it was for: (id, number).
    pub invoice_id: Option<InvoiceId>,
    pub invoice_number: Option<String>,
}

/// The tenant's invoice numbers by id.
pub async fn invoice_numbers(
    state: &AppState,
    tenant: &Tenant,
    client: Option<ClientId>,
) -> Result<BTreeMap<InvoiceId, Option<String>>, Error> {
    let filter = Filter { client: client.map(ClientId::get), status: None };
    Ok(invoices::list(&state.db, tenant.id, &filter)
        .await?
        .into_iter()
        .map(|i| (i.id, i.number))
        .collect())
}

impl PaymentRow {
    pub fn new(
        payment: &Payment,
        client_name: String,
        numbers: &BTreeMap<InvoiceId, Option<String>>,
    ) -> Self {
        Self {
            id: payment.id.get(),
            received_on: payment.received_on,
            client_id: payment.client_id.get(),
            client_name,
            currency: payment.amount.currency.code(),
            amount: payment.amount.minor,
            refunded: payment.refunded.minor,
            method: method_word(payment.method),
            status: payment.status.as_str(),
            word: payment_word(payment.status),
            reference: payment.reference.clone(),
            reason: payment.decision_reason.clone(),
            invoice_id: payment.invoice_id,
            invoice_number: payment.invoice_id.and_then(|id| numbers.get(&id).cloned().flatten()),
        }
    }
}

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    query: ListQuery,
    statuses: Vec<Choice>,
    methods: Vec<Choice>,
    payments: Vec<PaymentRow>,
    page: usize,
    pages: usize,
    total: usize,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(
    State(state): State<AppState>,
    scope: OwnerScope,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let status = match query.status.as_str() {
        "" => None,
        other => Some(PaymentStatus::parse(other).ok_or(Error::NotFound)?),
    };
    let method = match query.method.as_str() {
        "" => None,
        other => Some(Method::parse(other).ok_or(Error::NotFound)?),
    };
    let mut list = payments::list(&state.db, scope.id(), None).await?;
    list.retain(|p| status.is_none_or(|s| p.status == s) && method.is_none_or(|m| p.method == m));
    let total = list.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let names: BTreeMap<i64, String> = clients::search(&state.db, scope.id(), "", 10_000)
        .await?
        .into_iter()
        .map(|c| (c.id.get(), c.name))
        .collect();
    let numbers = invoice_numbers(&state, &scope.tenant, None).await?;
    let payments = list
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|p| {
            let name = names.get(&p.client_id.get()).cloned().unwrap_or_default();
            PaymentRow::new(p, name, &numbers)
        })
        .collect();
    let page = IndexPage {
        chrome: Chrome::app(&scope, &state).await?,
        query,
        statuses: PaymentStatus::ALL
            .into_iter()
            .map(|s| Choice { value: s.as_str(), label: payment_word(s) })
            .collect(),
        methods: Method::ALL
            .into_iter()
            .map(|m| Choice { value: m.as_str(), label: method_word(m) })
            .collect(),
        payments,
        page,
        pages,
        total,
    };
    Ok(state.templates.page("app/payments/index.html", &page))
}

/// Where a payment went: an invoice and the amount, net of refunds.
#[derive(Serialize)]
struct Allocation {
    invoice_id: InvoiceId,
    number: Option<String>,
    amount: i64,
}

/// A refund as the pages show it.
#[derive(Debug, Serialize)]
pub struct RefundView {
    pub date: String,
    pub amount: i64,
    pub currency: &'static str,
    pub reason: String,
}

impl RefundView {
    pub fn new(tenant: &Tenant, refund: &Refund) -> Self {
        Self {
            date: DateTime::from_timestamp(refund.created_at.unix(), 0)
                .map(|t| t.with_timezone(&tenant.timezone).date_naive().to_string())
                .unwrap_or_default(),
            amount: refund.amount.minor,
            currency: refund.amount.currency.code(),
            reason: refund.reason.clone(),
        }
    }
}

/// The refund form as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct RefundForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    /// What was refunded when the form was shown (minor units): a second submit of the same
    /// form finds more refunded and refunds nothing.
    #[serde(default)]
    refunded_before: String,
}

#[derive(Serialize)]
struct ShowPage<'a> {
    chrome: Chrome,
    payment: PaymentRow,
    allocations: Vec<Allocation>,
    /// The credit it left, net of refunds.
    credit: i64,
    refunds: Vec<RefundView>,
    /// The most that can be refunded now (the core decides; this is the form's hint).
    refundable: i64,
    form: &'a RefundForm,
    errors: &'a FieldErrors,
}

/// The payment, or 404 when it is not the tenant's.
async fn load(state: &AppState, scope: &OwnerScope, id: i64) -> Result<Payment, Error> {
    payments::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)
}

/// The most that can be refunded now, as `portico_core::payments::refund` counts it.
async fn refundable(state: &AppState, scope: &OwnerScope, payment: &Payment) -> Result<i64, Error> {
    let currency = payment.amount.currency;
    let entries = credit::entries(&state.db, scope.id(), payment.client_id).await?;
    let balance = entries.iter().filter(|e| e.amount.currency == currency).map(|e| e.amount.minor);
    Ok(portico_core::payments::refundable(payment, balance.sum()))
}

async fn render_show(
    state: &AppState,
    scope: &OwnerScope,
    payment: &Payment,
    form: &RefundForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let client = clients::get(&state.db, scope.id(), payment.client_id.get()).await?;
    let numbers = invoice_numbers(state, &scope.tenant, Some(payment.client_id)).await?;
    let refunds = payments::refunds(&state.db, scope.id(), None, Some(payment.id)).await?;
    let page = ShowPage {
        chrome: Chrome::app(scope, state).await?,
        payment: PaymentRow::new(payment, client.map(|c| c.name).unwrap_or_default(), &numbers),
        allocations: payment
            .applied
            .iter()
            .map(|&(invoice_id, amount)| Allocation {
                invoice_id,
                number: numbers.get(&invoice_id).cloned().flatten(),
                amount,
            })
            .collect(),
        credit: payment.credit.minor,
        refunds: refunds.iter().map(|r| RefundView::new(&scope.tenant, r)).collect(),
        refundable: refundable(state, scope, payment).await?,
        form,
        errors,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/payments/show.html", &page)).into_response())
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let payment = load(&state, &scope, id).await?;
    let form =
        RefundForm { refunded_before: payment.refunded.minor.to_string(), ..RefundForm::default() };
    render_show(&state, &scope, &payment, &form, &FieldErrors::new()).await
}

fn detail(scope: &OwnerScope, id: i64) -> String {
    format!("/app/{}/payments/{id}", scope.tenant.slug)
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn refund(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<RefundForm>,
) -> Result<Response, Error> {
    let payment = load(&state, &scope, id).await?;
    // The form was shown before another refund (or is submitted twice): look again first.
    if form.refunded_before.trim() != payment.refunded.minor.to_string() {
        flash(&scope.viewer.session, "error", REFUNDED_MEANWHILE).await?;
        return Ok(see_other(&detail(&scope, id)));
    }
    let currency = payment.amount.currency;
    let mut errors = FieldErrors::new();
    let amount = match Money::parse(form.amount.trim(), currency) {
        Ok(m) if (1..=MAX_AMOUNT).contains(&m.minor) => Some(m),
        _ => {
            let message = format!("Enter the amount to refund, such as 25.00 (in {currency}).");
            errors.insert("amount".to_owned(), message);
            None
        }
    };
    let reason = match parse_text(&form.reason, MAX_REASON) {
        Ok(reason) if !reason.is_empty() => Some(reason),
        checked => {
            let message = checked.err().unwrap_or_else(|| "Say why it is refunded.".into());
            errors.insert("reason".to_owned(), message);
            None
        }
    };
    let (Some(amount), Some(reason)) = (amount, reason) else {
        return render_show(&state, &scope, &payment, &form, &errors).await;
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    let seen = form.refunded_before.trim().parse().ok();
    let refunded =
        crate::online::refund_payment(&state, scope.id(), id, amount, &reason, seen, &ctx);
    match refunded.await? {
        Ok(_) => {
            let text = format!("Refunded {currency} {}.", amount.amount());
            flash(&scope.viewer.session, "info", text).await?;
        }
        Err(OnlineRefusal::Refused(Refusal::NotFound) | OnlineRefusal::NotOnline) => {
            return Err(Error::NotFound);
        }
        Err(OnlineRefusal::Gateway(message)) => {
            let message = format!("The payment gateway refused the refund: {message}");
            let errors = FieldErrors::from([("amount".to_owned(), message)]);
            return render_show(&state, &scope, &payment, &form, &errors).await;
        }
        Err(OnlineRefusal::Refused(Refusal::RefundTooLarge(most))) => {
            let most = Money::new(most, currency);
            let message = format!(
                "At most {currency} {} of this payment can be refunded now.",
                most.amount()
            );
            let errors = FieldErrors::from([("amount".to_owned(), message)]);
            return render_show(&state, &scope, &payment, &form, &errors).await;
        }
        Err(OnlineRefusal::Refused(Refusal::RefundedMeanwhile)) => {
            flash(&scope.viewer.session, "error", REFUNDED_MEANWHILE).await?;
        }
        Err(OnlineRefusal::Refused(refusal)) => {
            let errors =
                FieldErrors::from([("amount".to_owned(), super::invoices::sentence(&refusal))]);
            return render_show(&state, &scope, &payment, &form, &errors).await;
        }
    }
    Ok(see_other(&detail(&scope, id)))
}
