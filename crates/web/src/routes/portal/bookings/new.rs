//! A client books in the portal: service → date and time (a hold is taken) → confirm.
//! The client record supplies name, email and phone, so only notes are asked.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_core::bookings::NewBooking;
use portico_store::bookings::{Actor, Party};
use portico_store::catalog::{self, Service};
use portico_store::favourites::{self, Kind};
use serde::{Deserialize, Serialize};

use super::{Ask, Picker, ServiceView, active_service, bad_choice, day_of, picker, place};
use crate::auth::ClientScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::limits::Limit;
use crate::online::NotStarted;
use crate::routes::book::flow::{self, ChoiceForm, PendingHold};
use crate::{AppState, Error};
use portico_core::prepay::RequestParty;

const NOTES_MAX: usize = 2000;

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    services: Vec<ServiceChoice>,
}

/// A service on the list, marked when it is one of the client's favourites.
#[derive(Serialize)]
struct ServiceChoice {
    #[serde(flatten)]
    service: ServiceView,
    favourite: bool,
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn index(State(state): State<AppState>, scope: ClientScope) -> Result<Response, Error> {
    let services = catalog::list(&state.db, scope.tenant.id, true).await?;
    let favourites =
        favourites::of_client(&state.db, scope.tenant.id, scope.client.id, Kind::Service).await?;
    let mut services: Vec<ServiceChoice> = services
        .iter()
        .map(|s| ServiceChoice { service: s.into(), favourite: favourites.contains(&s.id.get()) })
        .collect();
    // Favourites first, each group in the business's order.
    services.sort_by_key(|s| !s.favourite);
    let page = IndexPage { chrome: Chrome::client(&scope).await?, services };
    Ok(state.templates.page("portal/bookings/new.html", &page))
}

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    date: Option<String>,
    #[serde(default, deserialize_with = "crate::forms::empty_as_none")]
    staff: Option<i64>,
}

#[derive(Serialize)]
struct ServicePage {
    chrome: Chrome,
    service: ServiceView,
    /// Whether the service is one of the client's favourites.
    favourite: bool,
    #[serde(flatten)]
    picker: Picker,
}

/// The date-and-time step; with a message (409) when the previous choice failed.
async fn render_service(
    state: &AppState,
    scope: &ClientScope,
    service: &Service,
    ask: &Ask<'_>,
) -> Result<Response, Error> {
    let action = format!("/portal/{}/bookings/new/{}/hold", scope.tenant.slug, service.code);
    let favourites =
        favourites::of_client(&state.db, scope.tenant.id, scope.client.id, Kind::Service).await?;
    let page = ServicePage {
        chrome: Chrome::client(scope).await?,
        service: ServiceView::from(service),
        favourite: favourites.contains(&service.id.get()),
        picker: picker(state, scope, service, ask, action).await?,
    };
    let status = if ask.message.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok((status, state.templates.page("portal/bookings/service.html", &page)).into_response())
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn service(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, code)): Path<(String, String)>,
    Query(q): Query<DateQuery>,
) -> Result<Response, Error> {
    let service = active_service(&state, &scope.tenant, &code).await?;
    let ask = Ask { date: q.date.as_deref(), staff: q.staff, ..Ask::default() };
    render_service(&state, &scope, &service, &ask).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn hold(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, code)): Path<(String, String)>,
    Form(form): Form<ChoiceForm>,
) -> Result<Response, Error> {
    let service = active_service(&state, &scope.tenant, &code).await?;
    // Holds block capacity for a while: a logged-in client gets the guests' budget, per account.
    let limit = Limit { name: "portal-hold", max: state.config.rate_limits.booking_per_ip };
    state.rate_limit(limit, &format!("user:{}", scope.user.id)).await?;
    let slot = form.slot().ok_or_else(bad_choice)?;
    let now = state.clock.now();
    match portico_core::bookings::hold(&state.db, &scope.tenant, &service, &slot, now).await {
        Ok(hold) => {
            let pending = PendingHold {
                token: hold.token,
                service: service.code.clone(),
                start: hold.starts_at,
                staff_id: hold.staff_id,
                block_id: hold.block_id,
                expires_at: hold.expires_at,
            };
            flow::save_hold(&state, &scope.viewer.session, &scope.tenant, &pending).await?;
            Ok(see_other(&format!("/portal/{}/bookings/confirm", scope.tenant.slug)))
        }
        Err(error) => match flow::taken_message(&error) {
            Some(message) => {
                let date = day_of(&state, &scope.tenant, slot.start);
                let ask = Ask { date: Some(&date), message: Some(message), ..Ask::default() };
                render_service(&state, &scope, &service, &ask).await
            }
            None => Err(error.into()),
        },
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ConfirmForm {
    #[serde(default)]
    notes: String,
    /// For a service at the client's address; starts as their stored address.
    #[serde(default)]
    address: String,
}

#[derive(Serialize)]
struct ConfirmPage<'a> {
    chrome: Chrome,
    service: ServiceView,
    when: String,
    until: String,
    label: Option<String>,
    staff_name: Option<String>,
    held_until: String,
    name: String,
    email: String,
    form: &'a ConfirmForm,
    errors: &'a FieldErrors,
    /// Why a pre-paid service cannot be paid now (the business takes no online payments).
    prepay_unavailable: Option<&'static str>,
}

async fn render_confirm(
    state: &AppState,
    scope: &ClientScope,
    service: &Service,
    hold: &PendingHold,
    form: &ConfirmForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let start = hold.start.timestamp();
    let (when, until) =
        flow::local_range(tenant, start, start + i64::from(service.duration_minutes) * 60);
    let place = place(state, tenant, hold.block_id, hold.staff_id).await?;
    let page = ConfirmPage {
        chrome: Chrome::client(scope).await?,
        service: ServiceView::from(service),
        when,
        until: place.block_until.unwrap_or(until),
        label: place.label,
        staff_name: place.staff_name,
        held_until: hold.expires_at.with_timezone(&tenant.timezone).format("%H:%M").to_string(),
        name: scope.client.name.clone(),
        email: scope.client.email.clone(),
        form,
        errors,
        prepay_unavailable: (service.prepay && !crate::prepay::available(state, tenant).await?)
            .then_some(crate::prepay::UNAVAILABLE),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("portal/bookings/confirm.html", &page)).into_response())
}

/// What the confirm step works on.
enum Held {
    /// The pending hold and its service.
    Ready(PendingHold, Service),
    /// Nothing to confirm (no hold, or the service was withdrawn meanwhile): start over.
    StartOver(Response),
}

async fn held(state: &AppState, scope: &ClientScope) -> Result<Held, Error> {
    let start_over = see_other(&format!("/portal/{}/bookings/new", scope.tenant.slug));
    let Some(hold) = flow::pending_hold(&scope.viewer.session, &scope.tenant).await? else {
        return Ok(Held::StartOver(start_over));
    };
    match active_service(state, &scope.tenant, &hold.service).await {
        Ok(service) => Ok(Held::Ready(hold, service)),
        Err(Error::NotFound) => {
            flow::clear_hold(&scope.viewer.session, &scope.tenant).await?;
            flash(&scope.viewer.session, "error", "That service can no longer be booked.").await?;
            Ok(Held::StartOver(start_over))
        }
        Err(error) => Err(error),
    }
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn confirm(State(state): State<AppState>, scope: ClientScope) -> Result<Response, Error> {
    let (hold, service) = match held(&state, &scope).await? {
        Held::Ready(hold, service) => (hold, service),
        Held::StartOver(redirect) => return Ok(redirect),
    };
    if hold.expires_at <= state.clock.now() {
        flow::clear_hold(&scope.viewer.session, &scope.tenant).await?;
        let message = "Your reservation expired. Please choose a time again.";
        flash(&scope.viewer.session, "error", message).await?;
        let date = day_of(&state, &scope.tenant, hold.start);
        let slug = &scope.tenant.slug;
        return Ok(see_other(&format!("/portal/{slug}/bookings/new/{}?date={date}", service.code)));
    }
    let form = ConfirmForm { address: scope.client.address.clone(), ..ConfirmForm::default() };
    render_confirm(&state, &scope, &service, &hold, &form, &FieldErrors::new()).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn create(
    State(state): State<AppState>,
    scope: ClientScope,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, Error> {
    let (hold, service) = match held(&state, &scope).await? {
        Held::Ready(hold, service) => (hold, service),
        Held::StartOver(redirect) => return Ok(redirect),
    };
    let mut check = Check::default();
    if form.notes.chars().count() > NOTES_MAX {
        check.fail("notes", "Use at most 2,000 characters.");
    }
    let address = flow::booking_address(&mut check, &service, &form.address, true);
    if !check.is_ok() {
        return render_confirm(&state, &scope, &service, &hold, &form, &check.errors).await;
    }
    let tenant = &scope.tenant;
    if service.prepay {
        return pay_first(&state, &scope, &service, &hold, &form, address).await;
    }
    let new = NewBooking {
        service: &service,
        slot: hold.slot(),
        party: Party::Client(scope.client.id),
        notes: form.notes.trim().to_owned(),
        hold_token: Some(&hold.token),
        address,
    };
    let ctx = state.context(Actor::Client(scope.user.id), scope.viewer.ip_string());
    let result = portico_core::bookings::create(&state.db, tenant, &new, &ctx).await;
    // Used or refused, the hold is done with.
    flow::clear_hold(&scope.viewer.session, tenant).await?;
    match result {
        Ok(booking) => {
            let text = format!("You're booked. We sent a confirmation to {}.", scope.client.email);
            flash(&scope.viewer.session, "info", text).await?;
            Ok(see_other(&format!("/portal/{}/bookings/{}", tenant.slug, booking.id)))
        }
        Err(error) => match flow::taken_message(&error) {
            Some(message) => {
                let date = day_of(&state, tenant, hold.start);
                let ask = Ask { date: Some(&date), message: Some(message), ..Ask::default() };
                render_service(&state, &scope, &service, &ask).await
            }
            None => Err(error.into()),
        },
    }
}

/// A pre-paid service: to the gateway's checkout for the held place (the hold stays in the
/// session, so coming back without paying can try again).
async fn pay_first(
    state: &AppState,
    scope: &ClientScope,
    service: &Service,
    hold: &PendingHold,
    form: &ConfirmForm,
    address: String,
) -> Result<Response, Error> {
    let ctx = state.context(Actor::Client(scope.user.id), scope.viewer.ip_string());
    let party =
        RequestParty::Client { client_id: scope.client.id.get(), user_id: scope.user.id.get() };
    let ask = crate::prepay::Ask {
        hold,
        party,
        notes: form.notes.trim().to_owned(),
        address,
        surface: crate::prepay::Surface::Portal,
    };
    match crate::prepay::start(state, &scope.tenant, service, ask, &ctx).await? {
        Ok((url, _)) => Ok(see_other(&url)),
        Err(why) => {
            let text = match why {
                NotStarted::Unavailable => crate::prepay::UNAVAILABLE.to_owned(),
                other => other.words(),
            };
            let errors = FieldErrors::from([("payment".to_owned(), text)]);
            render_confirm(state, scope, service, hold, form, &errors).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PaidQuery {
    #[serde(default)]
    session_id: String,
}

/// `GET /portal/{tenant}/bookings/paid?session_id=…`: back from the gateway. The session is
/// retrieved and reflected (the booking is made once, here or by the webhook); the client
/// sees their booking, marked paid.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn paid(
    State(state): State<AppState>,
    scope: ClientScope,
    Query(query): Query<PaidQuery>,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let ctx = state.context(Actor::Client(scope.user.id), scope.viewer.ip_string());
    let (outcome, checkout) =
        crate::prepay::come_back(&state, tenant, &query.session_id, &ctx).await?;
    // Another client's session is not found.
    if checkout.client_id != scope.client.id {
        return Err(Error::NotFound);
    }
    let (kind, text) = crate::prepay::outcome_words(outcome, checkout.booking_id.is_some());
    flash(&scope.viewer.session, kind, text).await?;
    match checkout.booking_id {
        Some(booking) => {
            flow::clear_hold(&scope.viewer.session, tenant).await?;
            Ok(see_other(&format!("/portal/{}/bookings/{booking}", tenant.slug)))
        }
        None => Ok(see_other(&format!("/portal/{}/bookings/new", tenant.slug))),
    }
}
