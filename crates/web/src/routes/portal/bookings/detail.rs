//! One of the client's own bookings: details and history, and — when the business lets this
//! client and the cut-off has not passed — cancel and reschedule.

use crate::calendar_links::AddToCalendar;
use crate::place::PlaceView;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use portico_domain::booking::Action;
use portico_domain::{BlockId, BookingId, StaffId};
use portico_store::bookings::{self, Actor, Booking, Status};
use portico_store::catalog;
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};

use super::{Ask, Picker, bad_choice, day_of, own_booking, picker, place};
use crate::auth::ClientScope;
use crate::chrome::{Chrome, flash};
use crate::forms::see_other;
use crate::routes::book::flow::{self, ChoiceForm};
use crate::{AppState, Error};

/// Why the client may not change the booking now, if they may not.
fn refusal(state: &AppState, scope: &ClientScope, booking: &Booking) -> Option<String> {
    let actor = Actor::Client(scope.user.id);
    let self_serve = scope.client.can_self_reschedule != 0;
    crate::workflow::refusal(state, &scope.tenant, booking, Action::Cancel, actor, self_serve)
}

/// Refuses a change with 409 (and changes nothing) when the policy does not allow it.
fn ensure_allowed(state: &AppState, scope: &ClientScope, booking: &Booking) -> Result<(), Error> {
    match refusal(state, scope, booking) {
        Some(message) => Err(Error::Conflict { code: "not_allowed", message }),
        None => Ok(()),
    }
}

fn detail_path(tenant: &Tenant, id: i64) -> String {
    format!("/portal/{}/bookings/{id}", tenant.slug)
}

/// One line of the booking's history, in words for the client.
#[derive(Serialize)]
struct HistoryView {
    at: String,
    what: String,
}

fn local(tenant: &Tenant, ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&tenant.timezone)
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

async fn history(
    state: &AppState,
    tenant: &Tenant,
    id: BookingId,
) -> Result<Vec<HistoryView>, Error> {
    let lines = bookings::history(&state.db, tenant, id).await?;
    Ok(lines
        .into_iter()
        .map(|line| {
            let by = if line.actor_kind == "client" { "you" } else { "the business" };
            let what = match (line.action.as_str(), line.from_starts_at, line.to_starts_at) {
                ("created", ..) => format!("Booked by {by}"),
                ("rescheduled", Some(from), Some(to)) => {
                    format!(
                        "Moved by {by} from {} to {}",
                        local(tenant, from.unix()),
                        local(tenant, to.unix())
                    )
                }
                ("cancelled", ..) => format!("Cancelled by {by}"),
                ("completed", ..) => "Completed".to_owned(),
                ("no_show", ..) => "Marked as missed".to_owned(),
                (other, ..) => other.replace('_', " "),
            };
            HistoryView { at: local(tenant, line.created_at.unix()), what }
        })
        .collect())
}

#[derive(Serialize)]
struct ShowPage {
    chrome: Chrome,
    id: i64,
    service: String,
    when: String,
    until: String,
    label: Option<String>,
    staff_name: Option<String>,
    place: PlaceView,
    status: Status,
    notes: String,
    price_minor: i64,
    currency: String,
    refusal: Option<String>,
    history: Vec<HistoryView>,
    /// Add-to-calendar links while the booking holds its place.
    calendar: Option<AddToCalendar>,
    /// "Book again" once the booking is over or cancelled.
    rebook: Option<String>,
    /// How it stands once billed.
    payment: Option<crate::invoice_view::BookingPayment>,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let booking = own_booking(&state, &scope, &id).await?;
    let tenant = &scope.tenant;
    let (when, until) = flow::local_range(tenant, booking.starts_at.unix(), booking.ends_at.unix());
    let place = place(
        &state,
        tenant,
        booking.block_id.map(BlockId::get),
        booking.staff_id.map(StaffId::get),
    )
    .await?;
    let calendar = booking.status.occupies().then(|| {
        let ics = format!("{}/booking.ics", detail_path(tenant, booking.id.get()));
        AddToCalendar::new(tenant, &booking, &ics)
    });
    let bookable = super::bookable_codes(&state, tenant).await?;
    let rebook = super::rebook_link(tenant, &booking, &bookable, state.clock.now_ts());
    let payment = crate::invoice_view::booking_payment(&state, tenant, booking.id).await?;
    let page = ShowPage {
        place: PlaceView::of(&booking, &scope.tenant),
        payment,
        calendar,
        rebook,
        chrome: Chrome::client(&scope).await?,
        refusal: refusal(&state, &scope, &booking),
        history: history(&state, tenant, booking.id).await?,
        id: booking.id.get(),
        service: booking.service_name,
        when,
        until,
        label: place.label,
        staff_name: place.staff_name,
        status: booking.status,
        notes: booking.notes,
        price_minor: booking.price_minor,
        currency: booking.currency,
    };
    Ok(state.templates.page("portal/bookings/show.html", &page))
}

/// The booking as an `.ics` file, for "Add to calendar".
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn calendar_file(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let booking = own_booking(&state, &scope, &id).await?;
    crate::calendar_links::download(&state, &scope.tenant, &booking).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn cancel(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let booking = own_booking(&state, &scope, &id).await?;
    let tenant = &scope.tenant;
    let ctx = state.context(Actor::Client(scope.user.id), scope.viewer.ip_string());
    portico_core::bookings::cancel(&state.db, tenant, booking.id.get(), &ctx).await?;
    flash(&scope.viewer.session, "info", "Your booking is cancelled. We sent you a confirmation.")
        .await?;
    Ok(see_other(&detail_path(tenant, booking.id.get())))
}

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    date: Option<String>,
    #[serde(default, deserialize_with = "crate::forms::empty_as_none")]
    staff: Option<i64>,
}

#[derive(Serialize)]
struct ReschedulePage {
    chrome: Chrome,
    id: i64,
    service: String,
    current: String,
    /// Where it takes place, on one line.
    place: Option<PlaceView>,
    #[serde(flatten)]
    picker: Picker,
}

async fn render_options(
    state: &AppState,
    scope: &ClientScope,
    booking: &Booking,
    ask: &Ask<'_>,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let service = catalog::by_id(&state.db, tenant.id, booking.service_id.get())
        .await?
        .ok_or(Error::NotFound)?;
    let (current, until) =
        flow::local_range(tenant, booking.starts_at.unix(), booking.ends_at.unix());
    let action = format!("{}/reschedule", detail_path(tenant, booking.id.get()));
    let page = ReschedulePage {
        chrome: Chrome::client(scope).await?,
        id: booking.id.get(),
        service: service.name.clone(),
        current: format!("{current} – {until}"),
        place: PlaceView::line(booking, tenant, true),
        picker: picker(state, scope, &service, ask, action).await?,
    };
    let status = if ask.message.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok((status, state.templates.page("portal/bookings/reschedule.html", &page)).into_response())
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn options(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<DateQuery>,
) -> Result<Response, Error> {
    let booking = own_booking(&state, &scope, &id).await?;
    ensure_allowed(&state, &scope, &booking)?;
    let ask = Ask {
        date: q.date.as_deref(),
        staff: q.staff,
        except_booking: Some(booking.id),
        message: None,
    };
    render_options(&state, &scope, &booking, &ask).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn reschedule(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<ChoiceForm>,
) -> Result<Response, Error> {
    let booking = own_booking(&state, &scope, &id).await?;
    let slot = form.slot().ok_or_else(bad_choice)?;
    let tenant = &scope.tenant;
    let ctx = state.context(Actor::Client(scope.user.id), scope.viewer.ip_string());
    match portico_core::bookings::reschedule(&state.db, tenant, booking.id.get(), &slot, &ctx).await
    {
        Ok(_) => {
            let text = "Your booking has a new time. We sent you a confirmation.";
            flash(&scope.viewer.session, "info", text).await?;
            Ok(see_other(&detail_path(tenant, booking.id.get())))
        }
        Err(error) => match flow::taken_message(&error) {
            Some(message) => {
                let date = day_of(&state, tenant, slot.start);
                let ask = Ask {
                    date: Some(&date),
                    staff: None,
                    except_booking: Some(booking.id),
                    message: Some(message),
                };
                render_options(&state, &scope, &booking, &ask).await
            }
            None => Err(error.into()),
        },
    }
}
