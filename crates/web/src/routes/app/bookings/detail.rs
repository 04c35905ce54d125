//! One booking: its detail and history, and what a provider does with it — mark completed or
//! no-show (once it has started), cancel, or move it to another time (at any time).

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::booking::Action;
use portico_domain::{Instant, StaffId};
use portico_store::availability::local_date;
use portico_store::bookings::{self, Booking, HistoryLine};
use portico_store::{blocks, catalog, clients};
use serde::{Deserialize, Serialize};

use super::{Reach, StaffChoice, Team, actor, options_for, staff_choices, status_label, visible};
use crate::auth::TenantScope;
use crate::chrome::{Chrome, flash};
use crate::forms::see_other;
use crate::place::PlaceView;
use crate::routes::book::flow::{self, ChoiceForm, Day, OptionView};
use crate::{AppState, Error};

#[derive(Debug, Serialize)]
struct Contact {
    /// The client record, for a link (owners only: client pages are theirs).
    client_id: Option<i64>,
    name: String,
    email: String,
    phone: String,
    guest: bool,
}

#[derive(Debug, Serialize)]
struct HistoryRow {
    action: &'static str,
    actor: String,
    when: String,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct DetailPage {
    chrome: Chrome,
    id: i64,
    service: String,
    when: String,
    until: String,
    /// Local date, for the link back to the agenda.
    date: String,
    person: Option<String>,
    block: Option<String>,
    place: PlaceView,
    contact: Contact,
    notes: String,
    status: &'static str,
    price_minor: i64,
    currency: String,
    history: Vec<HistoryRow>,
    /// Pending or confirmed: it can be cancelled or moved.
    open: bool,
    started: bool,
    can_complete: bool,
    can_no_show: bool,
    timezone: String,
}

fn action_label(action: &str) -> &'static str {
    match action {
        "created" => "Booked",
        "rescheduled" => "Rescheduled",
        "cancelled" => "Cancelled",
        "completed" => "Completed",
        "no_show" => "No-show",
        "confirmed" => "Confirmed",
        _ => "Changed",
    }
}

fn actor_label(line: &HistoryLine) -> String {
    let kind = match line.actor_kind.as_str() {
        "owner" => "Owner",
        "staff" => "Staff",
        "client" => "Client",
        "guest" => "Guest",
        "api" => "API",
        _ => "System",
    };
    match &line.actor_email {
        Some(email) => format!("{kind} ({email})"),
        None => kind.to_owned(),
    }
}

/// "Wed 2 Dec 2026, 10:00" at the tenant, and the person if there was one.
fn moment(
    scope: &TenantScope,
    team: &Team,
    at: Option<Instant>,
    staff: Option<StaffId>,
    block: bool,
) -> Option<String> {
    let at = at?.unix();
    let (when, _) = flow::local_range(&scope.tenant, at, at);
    Some(if block || (staff.is_none() && team.staff.is_empty()) {
        when
    } else {
        format!("{when} · {}", team.name(staff.map(StaffId::get)))
    })
}

async fn contact(
    state: &AppState,
    scope: &TenantScope,
    booking: &Booking,
) -> Result<Contact, Error> {
    let owner = scope.role == portico_domain::accounts::Role::Owner;
    Ok(match booking.client_id {
        Some(id) => {
            let client = clients::get(&state.db, scope.id(), id.get()).await?;
            Contact {
                client_id: owner.then_some(id.get()),
                name: client.as_ref().map_or_else(|| format!("Client #{id}"), |c| c.name.clone()),
                email: client.as_ref().map(|c| c.email.clone()).unwrap_or_default(),
                phone: client.as_ref().map(|c| c.phone.clone()).unwrap_or_default(),
                guest: false,
            }
        }
        None => Contact {
            client_id: None,
            name: booking.guest_name.clone(),
            email: booking.guest_email.clone(),
            phone: booking.guest_phone.clone(),
            guest: true,
        },
    })
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn show(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let reach = Reach::of(&state, &scope).await?;
    let booking = visible(&state, &scope, reach, id).await?;
    let team = Team::load(&state, &scope.tenant).await?;
    let now = state.clock.now_ts();
    let block = match booking.block_id {
        Some(block) => blocks::get(&state.db, scope.id(), block.get(), now).await?.map(|b| b.label),
        None => None,
    };
    let in_block = booking.block_id.is_some();
    let history = bookings::history(&state.db, &scope.tenant, booking.id)
        .await?
        .iter()
        .map(|line| HistoryRow {
            action: action_label(&line.action),
            actor: actor_label(line),
            when: flow::local_range(&scope.tenant, line.created_at.unix(), line.created_at.unix())
                .0,
            from: moment(&scope, &team, line.from_starts_at, line.from_staff_id, in_block),
            to: moment(&scope, &team, line.to_starts_at, line.to_staff_id, in_block),
        })
        .collect();
    let (when, until) =
        flow::local_range(&scope.tenant, booking.starts_at.unix(), booking.ends_at.unix());
    let status = booking.status();
    let started = booking.starts_at.unix() <= now;
    let page = DetailPage {
        place: PlaceView::of(&booking, &scope.tenant),
        chrome: Chrome::app(&scope, &state).await?,
        id: booking.id.get(),
        service: booking.service_name.clone(),
        when,
        until,
        date: local_date(&scope.tenant, booking.start()).to_string(),
        person: (!in_block).then(|| team.name(booking.staff_id.map(StaffId::get))),
        block,
        contact: contact(&state, &scope, &booking).await?,
        notes: booking.notes.clone(),
        status: status_label(booking.status),
        price_minor: booking.price_minor,
        currency: booking.currency.clone(),
        history,
        open: status.occupies(),
        started,
        can_complete: started && status.occupies(),
        can_no_show: started && status.occupies(),
        timezone: scope.tenant.timezone.name().to_owned(),
    };
    Ok(state.templates.page("app/bookings/detail.html", &page))
}

/// Marks a booking completed or no-show, only once it has started (before that, whether the
/// client came cannot be known). Both are final. Nobody is notified of attendance.
/// Where a status change returns: the booking (default), or the provider home it was made
/// from (`back=home`).
#[derive(Debug, Deserialize)]
pub struct Back {
    #[serde(default)]
    back: String,
}

impl Back {
    /// A post without a readable form returns to the booking.
    fn or_booking(form: Result<Form<Self>, FormRejection>) -> Self {
        form.map_or_else(|_| Self { back: String::new() }, |Form(back)| back)
    }
}

async fn mark(
    state: &AppState,
    scope: &TenantScope,
    id: i64,
    action: Action,
    back: &Back,
) -> Result<Response, Error> {
    let reach = Reach::of(state, scope).await?;
    let booking = visible(state, scope, reach, id).await?;
    let ctx = state.context(actor(scope), scope.viewer.ip_string());
    let text = if action == Action::Complete {
        portico_core::bookings::complete(&state.db, &scope.tenant, booking.id.get(), &ctx).await?;
        "Marked completed."
    } else {
        portico_core::bookings::no_show(&state.db, &scope.tenant, booking.id.get(), &ctx).await?;
        "Marked as a no-show."
    };
    flash(&scope.viewer.session, "info", text).await?;
    Ok(see_other(&match back.back.as_str() {
        "home" => format!("/app/{}", scope.tenant.slug),
        _ => format!("/app/{}/bookings/{id}", scope.tenant.slug),
    }))
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn complete(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
    back: Result<Form<Back>, FormRejection>,
) -> Result<Response, Error> {
    mark(&state, &scope, id, Action::Complete, &Back::or_booking(back)).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn no_show(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
    back: Result<Form<Back>, FormRejection>,
) -> Result<Response, Error> {
    mark(&state, &scope, id, Action::NoShow, &Back::or_booking(back)).await
}

/// Cancels at any time (providers have no cut-off); the client or guest is told.
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn cancel(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let reach = Reach::of(&state, &scope).await?;
    let booking = visible(&state, &scope, reach, id).await?;
    let ctx = state.context(actor(&scope), scope.viewer.ip_string());
    portico_core::bookings::cancel(&state.db, &scope.tenant, booking.id.get(), &ctx).await?;
    flash(&scope.viewer.session, "info", "Cancelled. The place is free again.").await?;
    Ok(see_other(&format!("/app/{}/bookings/{id}", scope.tenant.slug)))
}

#[derive(Debug, Deserialize)]
pub struct OptionsQuery {
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
    date: String,
    days: Vec<Day>,
    staff: Vec<StaffChoice>,
    staff_selected: Option<i64>,
    options: Vec<OptionView>,
    message: Option<&'static str>,
    action: String,
    timezone: String,
}

/// The options page for moving `booking`, on `date` (or its own day, or today), the booking's
/// own place not counting against it. With `message`, a 409 explaining the choice was taken.
async fn render_options(
    state: &AppState,
    scope: &TenantScope,
    reach: Reach,
    booking: &Booking,
    query: &OptionsQuery,
    message: Option<&'static str>,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let service = catalog::by_id(&state.db, tenant.id, booking.service_id.get())
        .await?
        .ok_or(Error::NotFound)?;
    let own_day = local_date(tenant, booking.start()).to_string();
    let date = flow::chosen_date(state, tenant, Some(query.date.as_deref().unwrap_or(&own_day)));
    let staff = staff_choices(state, tenant, &service, reach, query.staff).await?;
    let (options, person) =
        options_for(state, tenant, &service, reach, &staff, query.staff, date, Some(booking.id))
            .await?;
    let (current, _) = flow::local_range(tenant, booking.starts_at.unix(), booking.ends_at.unix());
    let page = ReschedulePage {
        chrome: Chrome::app(scope, state).await?,
        id: booking.id.get(),
        service: service.name,
        current,
        place: PlaceView::line(booking, tenant, false),
        date: date.to_string(),
        days: flow::week(date, date),
        staff_selected: person.filter(|_| !staff.is_empty()),
        staff,
        options,
        message,
        action: format!("/app/{}/bookings/{}/reschedule", tenant.slug, booking.id),
        timezone: tenant.timezone.name().to_owned(),
    };
    let status = if message.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok((status, state.templates.page("app/bookings/reschedule.html", &page)).into_response())
}

/// Refuses (409) to offer new times for a booking the state machine would not move.
fn refuse_closed(state: &AppState, scope: &TenantScope, booking: &Booking) -> Result<(), Error> {
    let now = state.clock.now();
    portico_core::bookings::check(
        &scope.tenant,
        booking,
        Action::Reschedule,
        actor(scope),
        false,
        now,
    )?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn options(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
    Query(query): Query<OptionsQuery>,
) -> Result<Response, Error> {
    let reach = Reach::of(&state, &scope).await?;
    let booking = visible(&state, &scope, reach, id).await?;
    refuse_closed(&state, &scope, &booking)?;
    render_options(&state, &scope, reach, &booking, &query, None).await
}

/// Moves the booking to the chosen option, at any time; the client or guest is told.
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn reschedule(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<ChoiceForm>,
) -> Result<Response, Error> {
    let reach = Reach::of(&state, &scope).await?;
    let booking = visible(&state, &scope, reach, id).await?;
    refuse_closed(&state, &scope, &booking)?;
    let tenant = &scope.tenant;
    let service = catalog::by_id(&state.db, tenant.id, booking.service_id.get())
        .await?
        .ok_or(Error::NotFound)?;
    let slot = form.slot().ok_or(Error::BadRequest {
        code: "bad_choice",
        message: "Choose a time from the list.".into(),
    })?;
    let slot = reach.restrict(&service, slot)?;
    let ctx = state.context(actor(&scope), scope.viewer.ip_string());
    match portico_core::bookings::reschedule(&state.db, tenant, booking.id.get(), &slot, &ctx).await
    {
        Ok(moved) => {
            let (when, _) = flow::local_range(tenant, moved.starts_at.unix(), moved.ends_at.unix());
            flash(&scope.viewer.session, "info", format!("Moved to {when}.")).await?;
            Ok(see_other(&format!("/app/{}/bookings/{id}", tenant.slug)))
        }
        Err(error) => match flow::taken_message(&error) {
            Some(message) => {
                let date = Some(local_date(tenant, slot.start).to_string());
                let query = OptionsQuery { date, staff: slot.staff };
                render_options(&state, &scope, reach, &booking, &query, Some(message)).await
            }
            None => Err(error.into()),
        },
    }
}
