//! The guest's manage link: view, cancel or reschedule one booking within the tenant's policy.
//! A wrong, expired or other tenant's token is 404.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use portico_domain::booking::Action;
use portico_store::bookings::{self, Actor, Booking, Status};
use portico_store::catalog;
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};

use super::flow::{self, ChoiceForm, Day, OptionView};
use super::pages::{chrome, tenant};
use crate::auth::Viewer;
use crate::chrome::{Chrome, flash};
use crate::forms::see_other;
use crate::place::PlaceView;
use crate::{AppState, Error};

async fn booking(state: &AppState, tenant: &Tenant, token: &str) -> Result<Booking, Error> {
    bookings::by_link(&state.db, tenant, token, state.clock.now_ts()).await?.ok_or(Error::NotFound)
}

/// Whom the booking is for: the guest, or the client the business booked it for.
async fn party_name(state: &AppState, tenant: &Tenant, booking: &Booking) -> Result<String, Error> {
    Ok(match booking.client_id {
        Some(id) => portico_store::clients::get(&state.db, tenant.id, id.get())
            .await?
            .map(|c| c.name)
            .unwrap_or_default(),
        None => booking.guest_name.clone(),
    })
}

/// Why the guest may not change the booking now, if they may not.
fn refusal(state: &AppState, tenant: &Tenant, booking: &Booking) -> Option<String> {
    crate::workflow::refusal(state, tenant, booking, Action::Cancel, Actor::Guest, false)
}

#[derive(Serialize)]
struct ManagePage {
    chrome: Chrome,
    token: String,
    service: String,
    when: String,
    until: String,
    status: Status,
    name: String,
    refusal: Option<String>,
    place: PlaceView,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let booking = booking(&state, &tenant, &token).await?;
    let (when, until) =
        flow::local_range(&tenant, booking.starts_at.unix(), booking.ends_at.unix());
    let name = party_name(&state, &tenant, &booking).await?;
    let page = ManagePage {
        place: PlaceView::of(&booking, &tenant),
        chrome: chrome(&viewer, &tenant).await?,
        refusal: refusal(&state, &tenant, &booking),
        token,
        service: booking.service_name,
        when,
        until,
        status: booking.status,
        name,
    };
    Ok(state.templates.page("book/manage.html", &page))
}

pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let booking = booking(&state, &tenant, &token).await?;
    let ctx = state.context(Actor::Guest, viewer.ip_string());
    portico_core::bookings::cancel(&state.db, &tenant, booking.id.get(), &ctx).await?;
    flash(&viewer.session, "info", "Your booking is cancelled. We sent you a confirmation.")
        .await?;
    Ok(see_other(&format!("/book/{slug}/manage/{token}")))
}

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    date: Option<String>,
}

#[derive(Serialize)]
struct ReschedulePage {
    chrome: Chrome,
    service: String,
    current: String,
    /// Where it takes place, on one line.
    place: Option<PlaceView>,
    date: String,
    days: Vec<Day>,
    options: Vec<OptionView>,
    message: Option<&'static str>,
    action: String,
    back: String,
    timezone: String,
}

async fn render_options(
    state: &AppState,
    viewer: &Viewer,
    tenant: &Tenant,
    booking: &Booking,
    token: &str,
    date: Option<&str>,
    message: Option<&'static str>,
) -> Result<Response, Error> {
    let service = catalog::by_id(&state.db, tenant.id, booking.service_id.get())
        .await?
        .ok_or(Error::NotFound)?;
    let date = flow::chosen_date(state, tenant, date);
    let options = flow::options(state, tenant, &service, date, None, Some(booking.id)).await?;
    let (current, _) = flow::local_range(tenant, booking.starts_at.unix(), booking.ends_at.unix());
    let page = ReschedulePage {
        chrome: chrome(viewer, tenant).await?,
        service: service.name,
        current,
        place: PlaceView::line(booking, tenant, true),
        date: date.to_string(),
        days: flow::week(date, date),
        options,
        message,
        action: format!("/book/{}/manage/{token}/reschedule", tenant.slug),
        back: format!("/book/{}/manage/{token}", tenant.slug),
        timezone: tenant.timezone.name().to_owned(),
    };
    let status = if message.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok((status, state.templates.page("book/reschedule.html", &page)).into_response())
}

pub async fn options(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, token)): Path<(String, String)>,
    Query(q): Query<DateQuery>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let booking = booking(&state, &tenant, &token).await?;
    if let Some(reason) = refusal(&state, &tenant, &booking) {
        return Err(Error::Conflict { code: "not_allowed", message: reason });
    }
    render_options(&state, &viewer, &tenant, &booking, &token, q.date.as_deref(), None).await
}

pub async fn reschedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, token)): Path<(String, String)>,
    Form(form): Form<ChoiceForm>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let booking = booking(&state, &tenant, &token).await?;
    let slot = form.slot().ok_or(Error::BadRequest {
        code: "bad_choice",
        message: "Choose a time from the list.".into(),
    })?;
    let ctx = state.context(Actor::Guest, viewer.ip_string());
    match portico_core::bookings::reschedule(&state.db, &tenant, booking.id.get(), &slot, &ctx)
        .await
    {
        Ok(_) => {
            flash(
                &viewer.session,
                "info",
                "Your booking has a new time. We sent you a confirmation.",
            )
            .await?;
            Ok(see_other(&format!("/book/{slug}/manage/{token}")))
        }
        Err(error) => match flow::taken_message(&error) {
            Some(message) => {
                let date = (slot.start - Duration::zero())
                    .with_timezone(&tenant.timezone)
                    .date_naive()
                    .to_string();
                render_options(
                    &state,
                    &viewer,
                    &tenant,
                    &booking,
                    &token,
                    Some(&date),
                    Some(message),
                )
                .await
            }
            None => Err(error.into()),
        },
    }
}
