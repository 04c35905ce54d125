//! Recurring bookings a client sets up in the portal.

use axum::Form;
use axum::extract::{Path, State};
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
use crate::routes::input::series::{self as series_input, SeriesForm, SeriesView, WeekdayBox};
use crate::{AppState, Error};

#[derive(Serialize)]
struct SeriesPage<'a> {
    chrome: Chrome,
    series: Vec<SeriesView>,
    services: Vec<ServiceView>,
    weekdays: Vec<WeekdayBox>,
    form: &'a SeriesForm,
    errors: &'a FieldErrors,
    may_cancel: bool,
    today: String,
}

async fn render(
    state: &AppState,
    scope: &ClientScope,
    form: &SeriesForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let services = catalog::list(&state.db, scope.tenant.id, true).await?;
    let page = SeriesPage {
        chrome: Chrome::client(scope).await?,
        series: series_input::views(state, &scope.tenant, scope.client.id()).await?,
        services: services.iter().map(ServiceView::from).collect(),
        weekdays: form.weekday_boxes(),
        form,
        errors,
        may_cancel: scope.client.can_self_reschedule != 0,
        today: flow::today(state, &scope.tenant).to_string(),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("portal/series.html", &page)).into_response())
}

pub async fn index(State(state): State<AppState>, scope: ClientScope) -> Result<Response, Error> {
    let form = SeriesForm {
        interval_weeks: "1".into(),
        ends: "count".into(),
        count: "8".into(),
        starts_on: flow::today(&state, &scope.tenant)
            .succ_opt()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        ..SeriesForm::default()
    };
    render(&state, &scope, &form, &FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    scope: ClientScope,
    Form(form): Form<SeriesForm>,
) -> Result<Response, Error> {
    let created = series_input::create(
        &state,
        &scope.viewer,
        Actor::Client(scope.user.id()),
        &scope.tenant,
        scope.client.id(),
        None,
        &form,
        Check::default(),
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
    let ctx = state.context(Actor::Client(scope.user.id()), scope.viewer.ip_string());
    let n = portico_core::series::cancel_from(&state.db, &scope.tenant, &found, from, &ctx).await?;
    flash(
        &scope.viewer.session,
        "info",
        format!("Your recurring booking ends before {from}; {n} booking(s) cancelled."),
    )
    .await?;
    Ok(see_other(&format!("/portal/{}/series", scope.tenant.slug)))
}
