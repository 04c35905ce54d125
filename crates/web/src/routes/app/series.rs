//! Recurring series booked by the owner for a client. The time is picked from the real
//! options of the chosen service and person on the first date (shown once those are
//! chosen), never typed; a time not offered there is refused.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use portico_store::bookings::Actor;
use portico_store::clients::{self, Client};
use portico_store::{catalog, series};
use serde::{Deserialize, Serialize};

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::routes::book::flow::{self, ServiceView};
use crate::routes::input::series::{
    self as series_input, Booker, FirstStep, SeriesForm, SeriesView, StaffChoice, TimeChoice,
};
use crate::{AppState, Error};

#[derive(Serialize)]
struct SeriesPage<'a> {
    chrome: Chrome,
    client_id: i64,
    client_name: String,
    series: Vec<SeriesView>,
    services: Vec<ServiceView>,
    staff: Vec<StaffChoice>,
    weekdays: Vec<series_input::WeekdayBox>,
    form: &'a SeriesForm,
    errors: &'a FieldErrors,
    /// The start times of the chosen service and person on the first date; `None` until a
    /// service and a first date are chosen.
    times: Option<Vec<TimeChoice>>,
    action: String,
    submit: &'static str,
    cancel_action: String,
    today: String,
}

async fn client(state: &AppState, scope: &OwnerScope, id: i64) -> Result<Client, Error> {
    clients::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)
}

/// The staff member the form names (`None` = any available, or not one of the tenant's).
fn staff_of(form: &SeriesForm) -> Option<i64> {
    form.staff_id.trim().parse::<i64>().ok()
}

async fn render(
    state: &AppState,
    scope: &OwnerScope,
    client: &Client,
    form: &SeriesForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let services = catalog::list(&state.db, scope.id(), true).await?;
    let staff = portico_store::staff::list(&state.db, scope.id()).await?;
    let times =
        series_input::times(state, &scope.tenant, Booker::Provider, form, staff_of(form)).await?;
    let page = SeriesPage {
        chrome: Chrome::app(scope, state).await?,
        client_id: client.id.get(),
        client_name: client.name.clone(),
        series: series_input::views(state, &scope.tenant, client.id).await?,
        services: services.iter().map(ServiceView::from).collect(),
        staff: staff
            .into_iter()
            .filter(|s| s.active)
            .map(|s| StaffChoice::new(s.id.get(), s.name))
            .collect(),
        weekdays: form.weekday_boxes(),
        form,
        errors,
        times,
        action: format!("/app/{}/clients/{}/series", scope.tenant.slug, client.id),
        submit: "Create the series",
        cancel_action: format!("/app/{}/series", scope.tenant.slug),
        today: flow::today(state, &scope.tenant).to_string(),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/series.html", &page)).into_response())
}

pub async fn index(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Query(step): Query<FirstStep>,
) -> Result<Response, Error> {
    let client = client(&state, &scope, id).await?;
    let form = step.form(&state, &scope.tenant).await?;
    render(&state, &scope, &client, &form, &FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<SeriesForm>,
) -> Result<Response, Error> {
    let client = client(&state, &scope, id).await?;
    let mut check = Check::default();
    let staff = match form.staff_id.trim() {
        "" => None,
        id => match id.parse::<i64>().ok() {
            Some(id) if portico_store::staff::get(&state.db, scope.id(), id).await?.is_some() => {
                Some(id)
            }
            _ => {
                check.fail("staff_id", "Choose someone from the list.");
                None
            }
        },
    };
    // The time must be one the first date offers for this service and person.
    series_input::check_time(&state, &scope.tenant, Booker::Provider, &form, staff, &mut check)
        .await?;
    let created = series_input::create(
        &state,
        &scope.viewer,
        Actor::Owner(scope.user.id),
        &scope.tenant,
        client.id,
        staff,
        &form,
        check,
    )
    .await?;
    let outcome = match created {
        Ok(outcome) => outcome,
        Err(errors) => return render(&state, &scope, &client, &form, &errors).await,
    };
    let message = format!(
        "Series created: {} booked{}.",
        outcome.booked.len(),
        if outcome.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} could not be booked (see below)", outcome.skipped.len())
        }
    );
    flash(&scope.viewer.session, "info", message).await?;
    Ok(see_other(&format!("/app/{}/clients/{id}/series", scope.tenant.slug)))
}

#[derive(Debug, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    from: String,
}

/// Cancels the rest of a series from a date on.
pub async fn cancel(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<CancelForm>,
) -> Result<Response, Error> {
    let found = series::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    let from: NaiveDate = form
        .from
        .trim()
        .parse()
        .map_err(|_| crate::error::field_error("from", "Choose a date."))?;
    let ctx = state.context(Actor::Owner(scope.user.id), scope.viewer.ip_string());
    let n = portico_core::series::cancel_from(&state.db, &scope.tenant, &found, from, &ctx).await?;
    flash(
        &scope.viewer.session,
        "info",
        format!("The series ends before {from}; {n} booking(s) cancelled."),
    )
    .await?;
    Ok(see_other(&format!("/app/{}/clients/{}/series", scope.tenant.slug, found.client_id)))
}
