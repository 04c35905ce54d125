//! Invoices over the API: drafts, issuing (which assigns the number), voiding. The rules are
//! `portico_domain::invoice`'s; an issued invoice is read-only (there is no edit route).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use portico_domain::billing;
use portico_domain::booking::Actor;
use portico_domain::invoice::{self, InvoiceStatus, Line, TransitionError};
use portico_domain::parse::{parse_date, parse_text};
use portico_domain::{BookingId, Currency, Money};
use portico_store::invoices::{self, CreateRefusal, Filter, Invoice, NewInvoice, StatusFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::ApiScope;
use crate::error::{FieldErrors, field_error};
use crate::invoice_view::Amounts;
use crate::routes::input::JsonInput;
use crate::{AppState, Error};

/// The most lines of one invoice (which also keeps every total far from overflowing).
const MAX_LINES: usize = 200;
/// The longest notes and void reason, in characters.
const MAX_NOTES: usize = 5000;
const MAX_REASON: usize = 500;

/// An invoice as the API shows it.
#[derive(Debug, Serialize)]
pub struct InvoiceJson {
    id: i64,
    number: Option<String>,
    status: &'static str,
    client_id: i64,
    currency: Currency,
    subtotal_minor: i64,
    tax_minor: i64,
    total_minor: i64,
    /// Payments applied to it, less refunds taken back off it.
    paid_minor: i64,
    balance_minor: i64,
    due_date: NaiveDate,
    overdue: bool,
    notes: String,
    void_reason: Option<String>,
    lines: Vec<LineJson>,
    /// The plan, in due-date order; payments settle the parts oldest first.
    installments: Vec<InstallmentJson>,
}

#[derive(Debug, Serialize)]
struct InstallmentJson {
    due_date: NaiveDate,
    amount_minor: i64,
    paid_minor: i64,
    overdue: bool,
}

#[derive(Debug, Serialize)]
struct LineJson {
    description: String,
    quantity: i64,
    unit_price_minor: i64,
    tax_rate_bp: Option<u32>,
    booking_id: Option<BookingId>,
    subtotal_minor: i64,
    tax_minor: i64,
    total_minor: i64,
}

impl InvoiceJson {
    /// `today` is the tenant's date, for the derived `overdue`.
    fn new(invoice: Invoice, today: NaiveDate) -> Result<Self, Error> {
        let money = |e| Error::Internal(anyhow::Error::new(e));
        // The same amounts as the pages and the PDF (a void invoice owes nothing).
        let Amounts { totals, paid, balance, overdue } = Amounts::of(&invoice, today)?;
        // Only an open invoice's parts can be late (as on the pages).
        let open = invoice.status == InvoiceStatus::Open;
        let installments = invoice
            .installments
            .iter()
            .zip(invoice.installments_paid())
            .map(|(part, paid)| InstallmentJson {
                due_date: part.due_date,
                amount_minor: part.amount.minor,
                paid_minor: paid.minor,
                overdue: open
                    && billing::installment_overdue(part.due_date, today, part.amount, paid),
            })
            .collect();
        let lines = invoice
            .lines
            .into_iter()
            .map(|line| {
                let t = line.totals().map_err(money)?;
                Ok(LineJson {
                    subtotal_minor: t.subtotal.minor,
                    tax_minor: t.tax.minor,
                    total_minor: t.total.minor,
                    description: line.description,
                    quantity: line.quantity,
                    unit_price_minor: line.unit_price.minor,
                    tax_rate_bp: line.tax_rate_bp,
                    booking_id: line.booking_id,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            id: invoice.id.get(),
            number: invoice.number,
            status: invoice.status.as_str(),
            client_id: invoice.client_id.get(),
            currency: invoice.currency,
            subtotal_minor: totals.subtotal.minor,
            tax_minor: totals.tax.minor,
            total_minor: totals.total.minor,
            paid_minor: paid.minor,
            balance_minor: balance.minor,
            overdue,
            due_date: invoice.due_date,
            notes: invoice.notes,
            void_reason: invoice.void_reason,
            lines,
            installments,
        })
    }
}

/// The tenant's date now.
pub(super) fn today(state: &AppState, scope: &ApiScope) -> NaiveDate {
    state.clock.now().with_timezone(&scope.tenant.timezone).date_naive()
}

pub(super) fn currency(scope: &ApiScope) -> Result<Currency, Error> {
    Currency::parse(&scope.tenant.currency).map_err(|e| Error::Internal(anyhow::Error::new(e)))
}

/// Reads a JSON object field by field into `errors` (keys are prefixed, e.g. `lines[0].`).
struct Fields<'a> {
    map: Map<String, Value>,
    prefix: String,
    errors: &'a mut FieldErrors,
}

impl Fields<'_> {
    fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.errors.entry(format!("{}{key}", self.prefix)).or_insert_with(|| message.into());
    }

    /// A whole number; `None` when absent or null (and `required` says whether that is wrong).
    fn whole(&mut self, key: &str, required: bool) -> Option<i64> {
        match self.map.remove(key) {
            Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => {
                self.fail(key, "This field is required.");
                None
            }
            Some(_) => {
                self.fail(key, "Enter a whole number.");
                None
            }
        }
    }

    /// A string; absent or null is empty.
    fn text(&mut self, key: &str) -> String {
        match self.map.remove(key) {
            Some(Value::String(text)) => text,
            None | Some(Value::Null) => String::new(),
            Some(_) => {
                self.fail(key, "Use a string.");
                String::new()
            }
        }
    }

    /// Every key nobody read is an error: a typo must not be silently ignored.
    fn finish(mut self) {
        let keys: Vec<String> = self.map.keys().cloned().collect();
        for key in keys {
            self.fail(&key, "Unknown field.");
        }
        self.map.clear();
    }
}

fn object(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// One line of the body, checked by the domain's rules; prices are in `currency`.
fn parse_line(
    map: Map<String, Value>,
    index: usize,
    currency: Currency,
    errors: &mut FieldErrors,
) -> Option<Line<i64>> {
    let mut f = Fields { map, prefix: format!("lines[{index}]."), errors };
    let description = f.text("description");
    let quantity = f.whole("quantity", false).unwrap_or(1);
    let unit_price = f.whole("unit_price_minor", true);
    let tax = f.whole("tax_rate_bp", false);
    let booking_id = f.whole("booking_id", false);
    let description =
        invoice::check_description(&description).map_err(|e| f.fail("description", e));
    let quantity = invoice::check_quantity(quantity).map_err(|e| f.fail("quantity", e));
    let unit_price = match unit_price.map(invoice::check_unit_price) {
        Some(Ok(minor)) => Some(Money::new(minor, currency)),
        Some(Err(e)) => {
            f.fail("unit_price_minor", e);
            None
        }
        None => None,
    };
    let tax_rate_bp =
        tax.map(invoice::check_tax_rate).transpose().map_err(|e| f.fail("tax_rate_bp", e));
    f.finish();
    Some(Line {
        description: description.ok()?,
        quantity: quantity.ok()?,
        unit_price: unit_price?,
        tax_rate_bp: tax_rate_bp.ok()?,
        booking_id,
    })
}

/// The body of `POST /invoices`, or 422 with every problem.
fn parse_new(value: Value, currency: Currency) -> Result<NewInvoice, Error> {
    let map = object(value).ok_or_else(|| Error::BadRequest {
        code: "bad_json",
        message: "The body must be a JSON object.".into(),
    })?;
    let mut errors = FieldErrors::new();
    let mut f = Fields { map, prefix: String::new(), errors: &mut errors };
    let client = f.whole("client_id", true);
    let due = f.text("due_date");
    let due = parse_date(&due).map_err(|e| f.fail("due_date", e)).ok();
    let notes = f.text("notes");
    let notes = parse_text(&notes, MAX_NOTES).map_err(|e| f.fail("notes", e)).ok();
    let lines = match f.map.remove("lines") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_LINES => items,
        Some(Value::Array(_)) => {
            f.fail("lines", format!("Use at most {MAX_LINES} lines."));
            Vec::new()
        }
        Some(_) => {
            f.fail("lines", "Use a list of lines.");
            Vec::new()
        }
    };
    f.finish();
    let mut parsed = Vec::with_capacity(lines.len());
    for (index, item) in lines.into_iter().enumerate() {
        match object(item) {
            Some(map) => parsed.extend(parse_line(map, index, currency, &mut errors)),
            None => {
                errors.insert(format!("lines[{index}]"), "Use an object.".into());
            }
        }
    }
    match (client, due, notes) {
        (Some(client), Some(due_date), Some(notes)) if errors.is_empty() => {
            Ok(NewInvoice { client, currency, due_date, notes, lines: parsed })
        }
        _ => Err(Error::Unprocessable { fields: errors }),
    }
}

fn conflict(refusal: TransitionError) -> Error {
    Error::Conflict { code: "invalid_transition", message: format!("{}.", capitalized(refusal)) }
}

pub(super) fn capitalized(refusal: impl ToString) -> String {
    let text = refusal.to_string();
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `POST`: 201 with the new draft. The currency is the tenant's.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn create(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    let new = parse_new(crate::json::value(body)?, currency(&scope)?)?;
    let ctx = state.context(Actor::Api, "");
    let invoice =
        match portico_core::invoices::create(&state.db, scope.tenant.id, &new, &ctx).await? {
            Ok(invoice) => invoice,
            Err(CreateRefusal::UnknownClient) => {
                return Err(field_error("client_id", "Unknown client."));
            }
            Err(CreateRefusal::UnknownBooking(index)) => {
                return Err(field_error(&format!("lines[{index}].booking_id"), "Unknown booking."));
            }
        };
    let json = InvoiceJson::new(invoice, today(&state, &scope))?;
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    client_id: Option<i64>,
    #[serde(default)]
    status: String,
}

/// `GET ?client_id=&status=draft|open|paid|void|overdue`: newest first.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(
    State(state): State<AppState>,
    scope: ApiScope,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, Error> {
    let today = today(&state, &scope);
    let status = match query.status.trim() {
        "" => None,
        "overdue" => Some(StatusFilter::Overdue { today }),
        other => Some(StatusFilter::Is(
            InvoiceStatus::parse(other)
                .ok_or_else(|| field_error("status", "Use draft, open, paid, void or overdue."))?,
        )),
    };
    let filter = Filter { client: query.client_id, status };
    let list = invoices::list(&state.db, scope.tenant.id, &filter)
        .await?
        .into_iter()
        .map(|invoice| InvoiceJson::new(invoice, today))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Json(serde_json::json!({ "invoices": list })))
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<InvoiceJson>, Error> {
    let invoice = invoices::get(&state.db, scope.tenant.id, id).await?.ok_or(Error::NotFound)?;
    Ok(Json(InvoiceJson::new(invoice, today(&state, &scope))?))
}

/// `POST …/issue`: the draft gets the tenant's next number and becomes open. 409 when it is
/// not a draft or has no lines.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn issue(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<InvoiceJson>, Error> {
    let ctx = state.context(Actor::Api, "");
    let invoice = portico_core::invoices::issue(&state.db, scope.tenant.id, id, &ctx)
        .await?
        .map_err(conflict)?;
    Ok(Json(InvoiceJson::new(invoice, today(&state, &scope))?))
}

#[derive(Debug, Deserialize)]
pub struct VoidRequest {
    #[serde(default)]
    reason: String,
}

/// `POST …/void` `{"reason"}`: a draft or open invoice becomes void. 409 when paid or void.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn void(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<InvoiceJson>, Error> {
    let tenant = scope.tenant.id;
    // Another tenant's id is a 404 before the body is judged.
    invoices::get(&state.db, tenant, id).await?.ok_or(Error::NotFound)?;
    let body: VoidRequest = crate::json::parse(body)?;
    let reason = parse_text(&body.reason, MAX_REASON).map_err(|e| field_error("reason", e))?;
    if reason.is_empty() {
        return Err(field_error("reason", "Say why the invoice is void."));
    }
    let ctx = state.context(Actor::Api, "");
    let invoice = portico_core::invoices::void(&state.db, tenant, id, &reason, &ctx)
        .await?
        .map_err(conflict)?;
    Ok(Json(InvoiceJson::new(invoice, today(&state, &scope))?))
}

/// `POST …/installments` `{"count","first_due","interval_days"}` or `{"parts":[{"due_date",
/// "amount_minor"}]}`: splits an open invoice's balance. 201 with the invoice; 409 when it is
/// not open or a payment was made under the current plan; 422 when the parts do not fit.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn installments(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    use portico_core::invoices::{PlanRefusal, PlanRequest};
    let tenant = scope.tenant.id;
    invoices::get(&state.db, tenant, id).await?.ok_or(Error::NotFound)?;
    let request = parse_plan(JsonInput::from_body(body)?)?;
    let ctx = state.context(Actor::Api, "");
    let invoice = match portico_core::invoices::plan(&state.db, tenant, id, &request, &ctx).await? {
        Ok(invoice) => invoice,
        Err(PlanRefusal::Split(e)) => {
            let field = if matches!(request, PlanRequest::Parts(_)) { "parts" } else { "count" };
            return Err(field_error(field, format!("{}.", capitalized(e))));
        }
        Err(refusal) => {
            return Err(Error::Conflict {
                code: "invalid_transition",
                message: format!("{}.", capitalized(refusal)),
            });
        }
    };
    let json = InvoiceJson::new(invoice, today(&state, &scope))?;
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

/// The longest gap between installments, in days.
const MAX_INTERVAL_DAYS: i64 = 366;

fn parse_plan(mut input: JsonInput) -> Result<portico_core::invoices::PlanRequest, Error> {
    use portico_core::invoices::PlanRequest;
    let request = match input.raw("parts") {
        Some(Value::Array(items)) => {
            let mut parts = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let due = item.get("due_date").and_then(Value::as_str).map(parse_date);
                let amount = item.get("amount_minor").and_then(Value::as_i64);
                let known = item
                    .as_object()
                    .is_some_and(|o| o.keys().all(|k| k == "due_date" || k == "amount_minor"));
                match (due, amount) {
                    (Some(Ok(due)), Some(amount)) if known => parts.push((due, amount)),
                    _ => input.error(
                        &format!("parts[{index}]"),
                        "Give a due_date (YYYY-MM-DD) and a whole amount_minor, nothing else.",
                    ),
                }
            }
            Some(PlanRequest::Parts(parts))
        }
        Some(_) => {
            input.error("parts", "Use a list of parts.");
            None
        }
        None => {
            let count = input.whole("count");
            let first_due = input.text("first_due");
            let interval = input.whole("interval_days").unwrap_or(30);
            let first_due = match first_due.as_deref().map(parse_date) {
                Some(Ok(date)) => Some(date),
                Some(Err(e)) => {
                    input.error("first_due", e);
                    None
                }
                None => {
                    input.error("first_due", "This field is required.");
                    None
                }
            };
            if count.is_none() {
                input.error("count", "Give a count of parts, or the parts.");
            }
            let interval_days = u32::try_from(interval)
                .ok()
                .filter(|days| (1..=MAX_INTERVAL_DAYS).contains(&i64::from(*days)));
            if interval_days.is_none() {
                input.error("interval_days", "Enter a whole number of days from 1 to 366.");
            }
            match (count.and_then(|c| usize::try_from(c).ok()), first_due, interval_days) {
                (Some(count), Some(first_due), Some(interval_days)) => {
                    Some(PlanRequest::Equal { count, first_due, interval_days })
                }
                (None, ..) if count.is_some() => {
                    input.error("count", "Split into 2 to 24 parts.");
                    None
                }
                _ => None,
            }
        }
    };
    let errors = input.finish(&[]);
    match request {
        Some(request) if errors.is_empty() => Ok(request),
        _ => Err(Error::Unprocessable { fields: errors }),
    }
}
