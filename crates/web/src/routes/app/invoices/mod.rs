//! `/app/{tenant}/invoices`: the owner's invoices — the list with filters and the outstanding
//! and overdue totals, the detail page with its PDF, issuing and voiding (after a
//! confirmation step). Drafts are written in [`draft`]. Every change goes through
//! `portico_core::invoices`.

pub mod draft;
pub mod payment;
pub mod plan;

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use portico_domain::booking::Actor;
use portico_domain::invoice::InvoiceStatus;
use portico_domain::parse::parse_text;
use portico_store::clients::{self, Client};
use portico_store::invoices::{self, Filter, Invoice, StatusFilter};
use serde::{Deserialize, Serialize};

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{empty_as_none, see_other};
use crate::invoice_view::{
    Amounts, InvoiceView, PaymentView, file_name, history, payment_views, pdf, pdf_response, today,
};
use crate::{AppState, Error};

/// The longest void reason, in characters (as over the API).
const MAX_REASON: usize = 500;

/// The amounts still owed, per currency (a tenant that changed its currency has both).
#[derive(Debug, Serialize)]
pub struct Owed {
    pub currency: &'static str,
    pub outstanding: i64,
    pub overdue: i64,
}

/// What `invoices` owe: the balance of every open invoice, and of those overdue.
pub fn owed(invoices: &[Invoice], today: NaiveDate) -> Result<Vec<Owed>, Error> {
    let mut sums: BTreeMap<&'static str, (i64, i64)> = BTreeMap::new();
    for invoice in invoices.iter().filter(|i| i.status == InvoiceStatus::Open) {
        let amounts = Amounts::of(invoice, today)?;
        let sum = sums.entry(invoice.currency.code()).or_default();
        sum.0 += amounts.balance.minor;
        if amounts.overdue {
            sum.1 += amounts.balance.minor;
        }
    }
    Ok(sums
        .into_iter()
        .map(|(currency, (outstanding, overdue))| Owed { currency, outstanding, overdue })
        .collect())
}

/// A list row: the invoice and its client's name.
#[derive(Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub invoice: InvoiceView,
    pub client_name: String,
}

/// The tenant's clients by id, for names in lists and the filter.
async fn client_names(
    state: &AppState,
    scope: &OwnerScope,
) -> Result<BTreeMap<i64, String>, Error> {
    Ok(clients::search(&state.db, scope.id(), "", 10_000)
        .await?
        .into_iter()
        .map(|c| (c.id.get(), c.name))
        .collect())
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    client: Option<i64>,
}

#[derive(Serialize)]
struct ClientOption {
    id: i64,
    name: String,
}

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    query: ListQuery,
    statuses: [&'static str; 5],
    clients: Vec<ClientOption>,
    invoices: Vec<Row>,
    owed: Vec<Owed>,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(
    State(state): State<AppState>,
    scope: OwnerScope,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let today = today(&state, &scope.tenant);
    let status = match query.status.as_str() {
        "" => None,
        "overdue" => Some(StatusFilter::Overdue { today }),
        other => Some(StatusFilter::Is(InvoiceStatus::parse(other).ok_or(Error::NotFound)?)),
    };
    let names = client_names(&state, &scope).await?;
    if query.client.is_some_and(|id| !names.contains_key(&id)) {
        return Err(Error::NotFound);
    }
    let client = query.client;
    let list = invoices::list(&state.db, scope.id(), &Filter { client, status }).await?;
    // The totals are of every open invoice (of the chosen client), whatever the status filter.
    let open = Filter { client, status: Some(StatusFilter::Is(InvoiceStatus::Open)) };
    let owed = owed(&invoices::list(&state.db, scope.id(), &open).await?, today)?;
    let invoices = list
        .iter()
        .map(|invoice| {
            Ok(Row {
                invoice: InvoiceView::new(&scope.tenant, invoice, today)?,
                client_name: names.get(&invoice.client_id.get()).cloned().unwrap_or_default(),
            })
        })
        .collect::<Result<_, Error>>()?;
    let page = IndexPage {
        chrome: Chrome::app(&scope, &state).await?,
        query,
        statuses: ["draft", "open", "overdue", "paid", "void"],
        clients: names.into_iter().map(|(id, name)| ClientOption { id, name }).collect(),
        invoices,
        owed,
    };
    Ok(state.templates.page("app/invoices/index.html", &page))
}

/// The invoice and its client, or 404 if either is not the tenant's.
async fn load(state: &AppState, scope: &OwnerScope, id: i64) -> Result<(Invoice, Client), Error> {
    let invoice = invoices::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    let client = clients::get(&state.db, scope.id(), invoice.client_id.get())
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("invoice {id} has no client")))?;
    Ok((invoice, client))
}

#[derive(Serialize)]
struct ClientView {
    id: i64,
    name: String,
    email: String,
}

#[derive(Serialize)]
struct ShowPage<'a> {
    chrome: Chrome,
    invoice: InvoiceView,
    payments: Vec<PaymentView>,
    client: ClientView,
    reason: &'a str,
    /// The "Record a payment" form as typed, or its defaults.
    payment: &'a payment::PaymentForm,
    /// The "Pay in installments" form as typed, or its defaults.
    plan: &'a plan::PlanForm,
    methods: &'static [payment::Choice],
    errors: &'a FieldErrors,
    /// The hosted pay link to copy and send, when the business takes online payments.
    pay_link: Option<String>,
}

async fn render_show(
    state: &AppState,
    scope: &OwnerScope,
    id: i64,
    template: &str,
    reason: &str,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let today = today(state, &scope.tenant);
    let payment = payment::PaymentForm::on(today);
    let plan = plan::PlanForm::on(today);
    let forms = Forms { payment: &payment, plan: &plan };
    render_page(state, scope, id, template, reason, &forms, errors).await
}

/// The detail page's forms as typed (or their defaults).
pub struct Forms<'a> {
    pub payment: &'a payment::PaymentForm,
    pub plan: &'a plan::PlanForm,
}

/// The detail page (or its void step) with what was typed into its forms.
async fn render_page(
    state: &AppState,
    scope: &OwnerScope,
    id: i64,
    template: &str,
    reason: &str,
    forms: &Forms<'_>,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let (invoice, client) = load(state, scope, id).await?;
    let payments = history(state, &scope.tenant, &invoice).await?;
    let online = crate::online::gateway_of(state, scope.id()).await?.is_some();
    let pay_link = (online && invoice.status == InvoiceStatus::Open)
        .then(|| crate::online::pay_link(state, scope.id(), invoice.id.get()));
    let page = ShowPage {
        pay_link,
        chrome: Chrome::app(scope, state).await?,
        invoice: InvoiceView::new(&scope.tenant, &invoice, today(state, &scope.tenant))?,
        payments: payment_views(&payments, invoice.id),
        client: ClientView { id: client.id.get(), name: client.name, email: client.email },
        reason,
        payment: forms.payment,
        plan: forms.plan,
        methods: &payment::METHODS,
        errors,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page(template, &page)).into_response())
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    render_show(&state, &scope, id, "app/invoices/show.html", "", &FieldErrors::new()).await
}

/// The PDF; a draft's is marked DRAFT.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn download(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let (invoice, client) = load(&state, &scope, id).await?;
    let payments = history(&state, &scope.tenant, &invoice).await?;
    let today = today(&state, &scope.tenant);
    let logo = crate::pictures::logo_for_pdf(&state, scope.id()).await?;
    let bytes = pdf(&scope.tenant, &client, &invoice, &payments, today, logo)?;
    Ok(pdf_response(bytes, &file_name(&invoice)))
}

fn detail(scope: &OwnerScope, id: i64) -> String {
    format!("/app/{}/invoices/{id}", scope.tenant.slug)
}

/// Issues the draft (it gets the next number and becomes read-only).
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn issue(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    load(&state, &scope, id).await?;
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    match portico_core::invoices::issue(&state.db, scope.id(), id, &ctx).await? {
        Ok(invoice) => {
            let number = invoice.number.unwrap_or_default();
            flash(&scope.viewer.session, "info", format!("Issued as {number}.")).await?;
        }
        Err(refusal) => flash(&scope.viewer.session, "error", sentence(&refusal)).await?,
    }
    Ok(see_other(&detail(&scope, id)))
}

/// A refusal's message as a sentence.
pub(crate) fn sentence(refusal: &impl ToString) -> String {
    let text = refusal.to_string();
    let mut chars = text.chars();
    let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// The confirmation step before voiding: what voiding means, and the reason.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn confirm_void(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    render_show(&state, &scope, id, "app/invoices/void.html", "", &FieldErrors::new()).await
}

#[derive(Debug, Deserialize)]
pub struct VoidForm {
    #[serde(default)]
    reason: String,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn void(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<VoidForm>,
) -> Result<Response, Error> {
    load(&state, &scope, id).await?;
    let reason = match parse_text(&form.reason, MAX_REASON) {
        Ok(reason) if !reason.is_empty() => reason,
        checked => {
            let message = checked.err().unwrap_or_else(|| "Say why the invoice is void.".into());
            let errors = FieldErrors::from([("reason".to_owned(), message)]);
            let template = "app/invoices/void.html";
            return render_show(&state, &scope, id, template, &form.reason, &errors).await;
        }
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    match portico_core::invoices::void(&state.db, scope.id(), id, &reason, &ctx).await? {
        Ok(_) => flash(&scope.viewer.session, "info", "The invoice is void.").await?,
        Err(refusal) => flash(&scope.viewer.session, "error", sentence(&refusal)).await?,
    }
    Ok(see_other(&detail(&scope, id)))
}
