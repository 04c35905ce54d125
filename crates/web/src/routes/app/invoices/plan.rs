//! "Pay in installments" on an open invoice's page: the owner splits the balance into equal
//! parts (a count, the first due date and the days between them) or types the parts (a due
//! date and an amount each, which must add up to the balance). `portico_core::invoices::plan`
//! checks and saves it, as for `POST /api/v1/{t}/invoices/{id}/installments`; bad input
//! re-renders the page with a message per field and changes nothing.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use portico_core::invoices::{PlanRefusal, PlanRequest};
use portico_domain::Money;
use portico_domain::booking::Actor;
use portico_domain::invoice::{InstallmentError, MAX_INSTALLMENTS};
use portico_domain::parse::parse_date;
use serde::Serialize;

use super::payment::PaymentForm;
use super::{Forms, detail, load, render_page, sentence};
use crate::auth::OwnerScope;
use crate::chrome::flash;
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::invoice_view::today;
use crate::{AppState, Error};

/// The longest gap between installments, in days (as over the API).
const MAX_INTERVAL_DAYS: u32 = 366;
/// Blank part rows offered for typing the parts.
pub const PART_ROWS: usize = 4;

/// One typed part.
#[derive(Debug, Default, Clone, Serialize)]
pub struct PartForm {
    pub due_date: String,
    pub amount: String,
}

/// The form as typed: equal parts, or the typed parts when any is filled in.
#[derive(Debug, Clone, Serialize)]
pub struct PlanForm {
    pub count: String,
    pub first_due: String,
    pub interval_days: String,
    pub parts: Vec<PartForm>,
}

impl Default for PlanForm {
    fn default() -> Self {
        Self {
            count: "3".to_owned(),
            first_due: String::new(),
            interval_days: "30".to_owned(),
            parts: vec![PartForm::default(); PART_ROWS],
        }
    }
}

impl PlanForm {
    /// The empty form, the first part due on `due`.
    pub fn on(due: NaiveDate) -> Self {
        Self { first_due: due.to_string(), ..Self::default() }
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self { parts: Vec::new(), ..Self::default() };
        for (key, value) in pairs {
            match key.as_str() {
                "count" => form.count = value,
                "first_due" => form.first_due = value,
                "interval_days" => form.interval_days = value,
                "part_due" => form.parts.push(PartForm { due_date: value, ..PartForm::default() }),
                "part_amount" => match form.parts.last_mut() {
                    Some(part) if part.amount.is_empty() => part.amount = value,
                    _ => form.parts.push(PartForm { amount: value, ..PartForm::default() }),
                },
                _ => {}
            }
        }
        form
    }

    fn typed_parts(&self) -> Vec<&PartForm> {
        self.parts
            .iter()
            .filter(|p| !(p.due_date.trim().is_empty() && p.amount.trim().is_empty()))
            .collect()
    }

    /// The request, or the message of each field that is wrong.
    fn parse(&self, balance: Money) -> Result<PlanRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let typed = self.typed_parts();
        if !typed.is_empty() {
            let mut parts = Vec::with_capacity(typed.len());
            for part in typed {
                let due = parse_date(&part.due_date);
                let amount = Money::parse(part.amount.trim(), balance.currency);
                match (due, amount) {
                    (Ok(due), Ok(amount)) => parts.push((due, amount.minor)),
                    _ => {
                        let message = format!(
                            "Give each part a due date (YYYY-MM-DD) and an amount such as \
                             25.00 (in {}).",
                            balance.currency
                        );
                        errors.insert("parts".to_owned(), message);
                    }
                }
            }
            return if errors.is_empty() { Ok(PlanRequest::Parts(parts)) } else { Err(errors) };
        }
        let count =
            self.count.trim().parse::<usize>().ok().filter(|c| (2..=MAX_INSTALLMENTS).contains(c));
        if count.is_none() {
            errors.insert("count".to_owned(), format!("Split into 2 to {MAX_INSTALLMENTS} parts."));
        }
        let first_due = parse_date(&self.first_due)
            .map_err(|e| errors.insert("first_due".to_owned(), e.to_owned()))
            .ok();
        let interval_days = self
            .interval_days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_INTERVAL_DAYS).contains(d));
        if interval_days.is_none() {
            let message = format!("Enter a whole number of days from 1 to {MAX_INTERVAL_DAYS}.");
            errors.insert("interval_days".to_owned(), message);
        }
        match (count, first_due, interval_days) {
            (Some(count), Some(first_due), Some(interval_days)) => {
                Ok(PlanRequest::Equal { count, first_due, interval_days })
            }
            _ => Err(errors),
        }
    }
}

/// A refused split as a sentence, with amounts in money.
fn split_message(error: &InstallmentError, balance: Money) -> String {
    match error {
        InstallmentError::Sum { parts, .. } => format!(
            "The parts add up to {currency} {}, not to the balance of {currency} {}.",
            Money::new(*parts, balance.currency).amount(),
            balance.amount(),
            currency = balance.currency,
        ),
        other => sentence(other),
    }
}

/// The invoice's page with the plan form as typed and its messages.
async fn render(
    state: &AppState,
    scope: &OwnerScope,
    id: i64,
    form: &PlanForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let payment = PaymentForm::on(today(state, &scope.tenant));
    let forms = Forms { payment: &payment, plan: form };
    render_page(state, scope, id, "app/invoices/show.html", "", &forms, errors).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn create(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let (invoice, _) = load(&state, &scope, id).await?;
    let form = PlanForm::from_pairs(pairs);
    let balance = invoice.balance().map_err(|e| Error::Internal(e.into()))?;
    let request = match form.parse(balance) {
        Ok(request) => request,
        Err(errors) => return render(&state, &scope, id, &form, &errors).await,
    };
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    match portico_core::invoices::plan(&state.db, scope.id(), id, &request, &ctx).await? {
        Ok(planned) => {
            let text =
                format!("The balance is split into {} installments.", planned.installments.len());
            flash(&scope.viewer.session, "info", text).await?;
        }
        Err(PlanRefusal::Split(e)) => {
            let field = if matches!(request, PlanRequest::Parts(_)) { "parts" } else { "count" };
            let errors = FieldErrors::from([(field.to_owned(), split_message(&e, balance))]);
            return render(&state, &scope, id, &form, &errors).await;
        }
        Err(refusal) => flash(&scope.viewer.session, "error", sentence(&refusal)).await?,
    }
    Ok(see_other(&format!("{}#installments", detail(&scope, id))))
}
