//! Recurring bookings a client sets up in the portal. Like the dashboard's series page, the
//! time is picked from the options the first date offers the client (the notice and advance
//! rules hold), never typed; a time not offered there is refused.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use portico_domain::policy::Changer;
use portico_store::bookings::Actor;
use portico_store::{catalog, series};
use serde::{Deserialize, Serialize};

use crate::auth::ClientScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::routes::book::flow::{self, ServiceView};
use crate::routes::input::series::{
    self as series_input, Booker, FirstStep, SeriesForm, SeriesView, StaffChoice, TimeChoice,
    WeekdayBox,
};
use crate::{AppState, Error};

#[derive(Serialize)]
struct SeriesPage<'a> {
    chrome: Chrome,
    series: Vec<SeriesView>,
    services: Vec<ServiceView>,
    /// Who the client may choose (PRO, people providing the chosen service); empty otherwise.
    staff: Vec<StaffChoice>,
    weekdays: Vec<WeekdayBox>,
    form: &'a SeriesForm,
    errors: &'a FieldErrors,
    /// The start times free for the client on the first date; `None` until a service and a
    /// first date are chosen.
    times: Option<Vec<TimeChoice>>,
    action: String,
    submit: &'static str,
    may_cancel: bool,
    today: String,
}

/// The people the client may choose for the form's service (none without staff choice).
async fn choosable(
    state: &AppState,
    scope: &ClientScope,
    form: &SeriesForm,
) -> Result<Vec<portico_store::staff::StaffMember>, Error> {
    match catalog::by_code(&state.db, scope.tenant.id, form.service.trim()).await? {
        Some(service) if service.active => {
            flow::choosable_staff(state, &scope.tenant, &service).await
        }
        _ => Ok(Vec::new()),
    }
}

/// The person the form names, if the client may choose them; `Err(())` for anyone else.
async fn staff_of(
    state: &AppState,
    scope: &ClientScope,
    form: &SeriesForm,
) -> Result<Result<Option<i64>, ()>, Error> {
    let id = match form.staff_id.trim() {
        "" => return Ok(Ok(None)),
        id => id.parse::<i64>().ok(),
    };
    let people = choosable(state, scope, form).await?;
    Ok(id.filter(|id| people.iter().any(|p| p.id.get() == *id)).map(Some).ok_or(()))
}

async fn render(
    state: &AppState,
    scope: &ClientScope,
    form: &SeriesForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let services = catalog::list(&state.db, scope.tenant.id, true).await?;
    let staff = staff_of(state, scope, form).await?.unwrap_or(None);
    let times = series_input::times(state, &scope.tenant, Booker::Client, form, staff).await?;
    let page = SeriesPage {
        chrome: Chrome::client(scope).await?,
        series: series_input::views(state, &scope.tenant, scope.client.id).await?,
        services: services.iter().map(ServiceView::from).collect(),
        staff: choosable(state, scope, form)
            .await?
            .into_iter()
            .map(|s| StaffChoice::new(s.id.get(), s.name))
            .collect(),
        weekdays: form.weekday_boxes(),
        form,
        errors,
        times,
        action: format!("/portal/{}/series", scope.tenant.slug),
        submit: "Set it up",
        may_cancel: scope.client.can_self_reschedule != 0,
        today: flow::today(state, &scope.tenant).to_string(),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("portal/series.html", &page)).into_response())
}

pub async fn index(
    State(state): State<AppState>,
    scope: ClientScope,
    Query(step): Query<FirstStep>,
) -> Result<Response, Error> {
    let form = step.form(&state, &scope.tenant).await?;
    render(&state, &scope, &form, &FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    scope: ClientScope,
    Form(form): Form<SeriesForm>,
) -> Result<Response, Error> {
    let mut check = Check::default();
    let staff = staff_of(&state, &scope, &form).await?.unwrap_or_else(|()| {
        check.fail("staff_id", "Choose someone from the list.");
        None
    });
    // The time must be one the first date offers the client for this service and person.
    series_input::check_time(&state, &scope.tenant, Booker::Client, &form, staff, &mut check)
        .await?;
    let created = series_input::create(
        &state,
        &scope.viewer,
        Actor::Client(scope.user.id),
        &scope.tenant,
        scope.client.id,
        staff,
        &form,
        check,
    )
    .await?;
    let outcome = match created {
        Ok(outcome) => outcome,
        Err(errors) => return render(&state, &scope, &form, &errors).await,
    };
    let mut message = format!("Your recurring booking is set up: {} booked.", outcome.booked.len());
    if !outcome.skipped.is_empty() {
        message.push_str(&format!(" {} date(s) were not available.", outcome.skipped.len()));
    }
    flash(&scope.viewer.session, "info", message).await?;
    Ok(see_other(&format!("/portal/{}/series", scope.tenant.slug)))
}

#[derive(Debug, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    from: String,
}

/// Ends the client's series from a date on, under the same policy as single bookings: the
/// client needs `can_self_reschedule`, and the first occurrence cancelled must be past the
/// cut-off (or booked within the grace period).
pub async fn cancel(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<CancelForm>,
) -> Result<Response, Error> {
    let found = series::get(&state.db, scope.tenant.id, id)
        .await?
        .filter(|s| s.client_id == scope.client.id)
        .ok_or(Error::NotFound)?;
    let from: NaiveDate = form
        .from
        .trim()
        .parse()
        .map_err(|_| crate::error::field_error("from", "Choose a date."))?;
    let changer = Changer::Client { can_self_reschedule: scope.client.can_self_reschedule != 0 };
    portico_core::series::may_end_from(
        &state.db,
        &scope.tenant,
        &found,
        from,
        changer,
        state.clock.now(),
    )
    .await?
    .map_err(|refusal| Error::Conflict { code: "not_allowed", message: refusal.to_string() })?;
    let ctx = state.context(Actor::Client(scope.user.id), scope.viewer.ip_string());
    let n = portico_core::series::cancel_from(&state.db, &scope.tenant, &found, from, &ctx).await?;
    flash(
        &scope.viewer.session,
        "info",
        format!("Your recurring booking ends before {from}; {n} booking(s) cancelled."),
    )
    .await?;
    Ok(see_other(&format!("/portal/{}/series", scope.tenant.slug)))
}
