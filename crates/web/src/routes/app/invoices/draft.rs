//! Writing a draft on a page: the client, the due date, the notes and the lines, typed in rows
//! or added from the client's unbilled (confirmed or completed) bookings. The whole form
//! replaces the draft; blank rows are ignored; every problem is shown at its field and nothing
//! is saved until all are fixed.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days};
use portico_domain::booking::Actor;
use portico_domain::invoice::{self, InvoiceStatus, Line};
use portico_domain::parse::{parse_date, parse_text};
use portico_domain::{Currency, Money};
use portico_store::clients;
use portico_store::invoices::{self, CreateRefusal, EditRefusal, Invoice, NewInvoice, Unbilled};
use serde::Serialize;

use super::ListQuery;
use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::invoice_view::{rate, today};
use crate::{AppState, Error};

/// The most lines of one invoice (as over the API).
const MAX_LINES: usize = 200;
const MAX_NOTES: usize = 5000;
/// Blank rows offered below the lines, for new ones.
const BLANK_ROWS: usize = 3;
/// A new draft is due this many days from today unless changed.
const DEFAULT_TERMS_DAYS: u64 = 14;

/// One row of lines as typed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct RowForm {
    description: String,
    quantity: String,
    /// In major units ("19.99").
    price: String,
    /// A percentage ("20", "7.5"), or blank for none.
    tax: String,
    /// The booking the line bills (kept through edits), or blank.
    booking: String,
}

impl RowForm {
    fn is_blank(&self) -> bool {
        [&self.description, &self.quantity, &self.price, &self.tax]
            .iter()
            .all(|f| f.trim().is_empty())
    }
}

/// The form as posted: repeated row fields arrive in order, a row starting at each
/// `description`.
#[derive(Debug, Default, Clone, Serialize)]
pub struct DraftForm {
    client: String,
    due_date: String,
    notes: String,
    rows: Vec<RowForm>,
    /// Ticked unbilled bookings, to add as lines.
    bookings: Vec<String>,
}

impl DraftForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "client" => form.client = value,
                "due_date" => form.due_date = value,
                "notes" => form.notes = value,
                "booking" => form.bookings.push(value),
                "description" => {
                    form.rows.push(RowForm { description: value, ..RowForm::default() });
                }
                "quantity" | "price" | "tax" | "line_booking" => {
                    if form.rows.is_empty() {
                        form.rows.push(RowForm::default());
                    }
                    if let Some(last) = form.rows.last_mut() {
                        let field = match key.as_str() {
                            "quantity" => &mut last.quantity,
                            "price" => &mut last.price,
                            "tax" => &mut last.tax,
                            _ => &mut last.booking,
                        };
                        *field = value;
                    }
                }
                _ => {}
            }
        }
        form
    }

    fn from_invoice(invoice: &Invoice) -> Self {
        Self {
            client: invoice.client_id.get().to_string(),
            due_date: invoice.due_date.to_string(),
            notes: invoice.notes.clone(),
            rows: invoice
                .lines
                .iter()
                .map(|line| RowForm {
                    description: line.description.clone(),
                    quantity: line.quantity.to_string(),
                    price: line.unit_price.amount(),
                    tax: line
                        .tax_rate_bp
                        .map(|bp| rate(bp).trim_end_matches('%').to_owned())
                        .unwrap_or_default(),
                    booking: line.booking_id.map(|id| id.to_string()).unwrap_or_default(),
                })
                .collect(),
            bookings: Vec::new(),
        }
    }

    /// The draft, or the message of every field in error. `unbilled` are the chosen client's
    /// bookings that may be added.
    fn validate(
        &self,
        currency: Currency,
        unbilled: &[Unbilled],
        tz: chrono_tz::Tz,
    ) -> Result<NewInvoice, FieldErrors> {
        let mut check = Check::default();
        let client = check
            .field("client", self.client.trim().parse::<i64>().map_err(|_| "Choose a client."));
        let due_date = check.field("due_date", parse_date(&self.due_date));
        let notes = check.field("notes", parse_text(&self.notes, MAX_NOTES));
        let mut lines = Vec::new();
        for (index, row) in self.rows.iter().enumerate().filter(|(_, row)| !row.is_blank()) {
            if let Some(line) = parse_row(&mut check, index, row, currency) {
                lines.push(line);
            }
        }
        for id in &self.bookings {
            let found = id
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|id| unbilled.iter().find(|b| b.id.get() == id));
            let Some(booking) = found else {
                check.fail(
                    "bookings",
                    "A chosen booking is not an unbilled booking of this client.",
                );
                continue;
            };
            if booking.currency != currency.code() {
                check.fail(
                    "bookings",
                    format!(
                        "A booking priced in {} cannot go on an invoice in {currency}.",
                        booking.currency
                    ),
                );
                continue;
            }
            lines.push(Line {
                description: booking_description(booking, tz),
                quantity: 1,
                unit_price: Money::new(booking.price_minor, currency),
                tax_rate_bp: None,
                booking_id: Some(booking.id.get()),
            });
        }
        if lines.len() > MAX_LINES {
            check.fail("lines", format!("Use at most {MAX_LINES} lines."));
        }
        match (client, due_date, notes) {
            (Some(client), Some(due_date), Some(notes)) if check.is_ok() => {
                Ok(NewInvoice { client, currency, due_date, notes, lines })
            }
            _ => Err(check.errors),
        }
    }
}

/// One typed row as a line; its problems are recorded as `lines[i].field`.
fn parse_row(
    check: &mut Check,
    index: usize,
    row: &RowForm,
    currency: Currency,
) -> Option<Line<i64>> {
    let key = |field: &str| format!("lines[{index}].{field}");
    let description =
        check.field(&key("description"), invoice::check_description(&row.description));
    let quantity = match row.quantity.trim() {
        "" => Ok(1),
        text => text
            .parse::<i64>()
            .map_err(|_| "Enter a whole number.")
            .and_then(invoice::check_quantity),
    };
    let quantity = check.field(&key("quantity"), quantity);
    let price = Money::parse(row.price.trim(), currency)
        .map_err(|_| format!("Enter a price such as 25.00 (in {currency})."))
        .and_then(|m| invoice::check_unit_price(m.minor).map_err(str::to_owned));
    let price = check.field(&key("price"), price);
    let tax = match row.tax.trim() {
        "" => Ok(None),
        text => percent_bp(text)
            .and_then(|bp| {
                invoice::check_tax_rate(bp)
                    .map_err(|_| "Enter a tax rate from 0 to 100 %.".to_owned())
            })
            .map(Some),
    };
    let tax = check.field(&key("tax"), tax);
    // The booking travels in a hidden field: a problem with it is shown at the description.
    let booking = match row.booking.trim() {
        "" => Some(None),
        text => check.field(
            &key("description"),
            text.parse::<i64>().map(Some).map_err(|_| "Unknown booking."),
        ),
    };
    Some(Line {
        description: description?,
        quantity: quantity?,
        unit_price: Money::new(price?, currency),
        tax_rate_bp: tax?,
        booking_id: booking?,
    })
}

/// A percentage with at most two decimals ("20", "7.5", "7.25") in basis points.
fn percent_bp(text: &str) -> Result<i64, String> {
    let message = || "Enter the tax as a percentage, such as 20 or 7.5.".to_owned();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit())
    {
        return Err(message());
    }
    let whole: i64 = whole.parse().map_err(|_| message())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| message())?;
    whole.checked_mul(100).and_then(|w| w.checked_add(fraction)).ok_or_else(message)
}

/// The line text of a booking: the service and when, in the tenant's time.
fn booking_description(booking: &Unbilled, tz: chrono_tz::Tz) -> String {
    let when = DateTime::from_timestamp(booking.starts_at.unix(), 0)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    format!("{} — {when}", booking.service)
}

#[derive(Serialize)]
struct ClientOption {
    id: i64,
    name: String,
}

#[derive(Serialize)]
struct BookingOption {
    id: i64,
    label: String,
    status: String,
    price_minor: i64,
    currency: String,
}

#[derive(Serialize)]
struct FormPage<'a> {
    chrome: Chrome,
    /// The draft being edited; none for a new one.
    invoice_id: Option<i64>,
    form: &'a DraftForm,
    clients: Vec<ClientOption>,
    /// The chosen client's unbilled bookings.
    unbilled: Vec<BookingOption>,
    currency: String,
    errors: &'a FieldErrors,
}

async fn unbilled_for(
    state: &AppState,
    scope: &OwnerScope,
    client: &str,
) -> Result<Vec<Unbilled>, Error> {
    match client.trim().parse::<i64>() {
        Ok(id) => Ok(invoices::unbilled_bookings(&state.db, scope.id(), id).await?),
        Err(_) => Ok(Vec::new()),
    }
}

async fn render(
    state: &AppState,
    scope: &OwnerScope,
    invoice_id: Option<i64>,
    form: &DraftForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let mut shown = form.clone();
    shown.rows.extend(std::iter::repeat_n(RowForm::default(), BLANK_ROWS));
    let tz = scope.tenant.timezone;
    let unbilled = unbilled_for(state, scope, &form.client)
        .await?
        .iter()
        .map(|b| BookingOption {
            id: b.id.get(),
            label: booking_description(b, tz),
            status: b.status.clone(),
            price_minor: b.price_minor,
            currency: b.currency.clone(),
        })
        .collect();
    let clients = clients::search(&state.db, scope.id(), "", 10_000)
        .await?
        .into_iter()
        .map(|c| ClientOption { id: c.id.get(), name: c.name })
        .collect();
    let page = FormPage {
        chrome: Chrome::app(scope, state).await?,
        invoice_id,
        form: &shown,
        clients,
        unbilled,
        currency: scope.tenant.currency.clone(),
        errors,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/invoices/form.html", &page)).into_response())
}

fn currency(scope: &OwnerScope) -> Result<Currency, Error> {
    Currency::parse(&scope.tenant.currency).map_err(|e| Error::Internal(anyhow::Error::new(e)))
}

/// `?client=` picks the client whose unbilled bookings are offered.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn new(
    State(state): State<AppState>,
    scope: OwnerScope,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    if let Some(id) = query.client {
        clients::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    }
    let due = today(&state, &scope.tenant) + Days::new(DEFAULT_TERMS_DAYS);
    let form = DraftForm {
        client: query.client.map(|id| id.to_string()).unwrap_or_default(),
        due_date: due.to_string(),
        ..DraftForm::default()
    };
    render(&state, &scope, None, &form, &FieldErrors::new()).await
}

fn refusal_errors(refusal: CreateRefusal) -> FieldErrors {
    let (field, message) = match refusal {
        CreateRefusal::UnknownClient => ("client".to_owned(), "Choose a client."),
        CreateRefusal::UnknownBooking(_) => ("bookings".to_owned(), "Unknown booking."),
    };
    FieldErrors::from([(field, message.to_owned())])
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn create(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let form = DraftForm::from_pairs(pairs);
    let unbilled = unbilled_for(&state, &scope, &form.client).await?;
    let new = match form.validate(currency(&scope)?, &unbilled, scope.tenant.timezone) {
        Ok(new) => new,
        Err(errors) => return render(&state, &scope, None, &form, &errors).await,
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    match portico_core::invoices::create(&state.db, scope.id(), &new, &ctx).await? {
        Ok(invoice) => {
            flash(&scope.viewer.session, "info", "Draft saved.").await?;
            Ok(see_other(&format!("/app/{}/invoices/{}", scope.tenant.slug, invoice.id)))
        }
        Err(refusal) => render(&state, &scope, None, &form, &refusal_errors(refusal)).await,
    }
}

async fn load_draft(state: &AppState, scope: &OwnerScope, id: i64) -> Result<Invoice, Error> {
    let invoice = invoices::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    if invoice.status != InvoiceStatus::Draft {
        return Err(Error::Conflict {
            code: "invalid_transition",
            message: "Only a draft can be edited; void an issued invoice and write a new one."
                .into(),
        });
    }
    Ok(invoice)
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn edit(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let invoice = load_draft(&state, &scope, id).await?;
    render(&state, &scope, Some(id), &DraftForm::from_invoice(&invoice), &FieldErrors::new()).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn update(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let invoice = load_draft(&state, &scope, id).await?;
    let form = DraftForm::from_pairs(pairs);
    let unbilled = unbilled_for(&state, &scope, &form.client).await?;
    let new = match form.validate(invoice.currency, &unbilled, scope.tenant.timezone) {
        Ok(new) => new,
        Err(errors) => return render(&state, &scope, Some(id), &form, &errors).await,
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    match portico_core::invoices::update(&state.db, scope.id(), id, &new, &ctx).await? {
        Ok(_) => {
            flash(&scope.viewer.session, "info", "Draft saved.").await?;
            Ok(see_other(&format!("/app/{}/invoices/{id}", scope.tenant.slug)))
        }
        Err(EditRefusal::Reference(refusal)) => {
            render(&state, &scope, Some(id), &form, &refusal_errors(refusal)).await
        }
        Err(EditRefusal::NotDraft(status)) => Err(Error::Conflict {
            code: "invalid_transition",
            message: format!("Only a draft can be edited; this invoice is {status}."),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_basis_points() {
        assert_eq!(percent_bp("20"), Ok(2000));
        assert_eq!(percent_bp("7.5"), Ok(750));
        assert_eq!(percent_bp("7.25"), Ok(725));
        assert_eq!(percent_bp("0"), Ok(0));
        for bad in ["", "-1", "7.255", "a", ".5", "1e3"] {
            assert!(percent_bp(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn repeated_row_fields_make_rows_in_order() {
        let pairs = [
            ("client", "3"),
            ("description", "Walk"),
            ("quantity", "2"),
            ("price", "10"),
            ("tax", ""),
            ("line_booking", ""),
            ("description", ""),
            ("quantity", ""),
            ("price", ""),
            ("tax", ""),
            ("line_booking", ""),
            ("booking", "7"),
            ("booking", "8"),
        ];
        let form = DraftForm::from_pairs(
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        );
        assert_eq!(form.client, "3");
        assert_eq!(form.rows.len(), 2);
        assert_eq!(
            (form.rows[0].description.as_str(), form.rows[0].quantity.as_str()),
            ("Walk", "2")
        );
        assert!(form.rows[1].is_blank());
        assert_eq!(form.bookings, ["7", "8"]);
    }
}
