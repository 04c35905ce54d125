//! Booking for a client from the dashboard: choose the client (search by name or email), the
//! service, a date and an option (and who, when several people provide it), add notes, book.
//! Every step is a GET of the same page with what was chosen so far in the query; the final
//! POST books. A place taken meanwhile answers 409 with a clear message and fresh options.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike as _, Duration};
use portico_core::bookings::NewBooking;
use portico_store::availability::local_date;
use portico_store::bookings::{Party, Slot};
use portico_store::catalog::{self, LocationKind, Mode, Service};
use portico_store::clients::{self, Client};
use serde::{Deserialize, Serialize};

use super::{Reach, StaffChoice, actor, options_for, staff_choices};
use crate::auth::TenantScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::routes::book::flow::{self, ChoiceForm, Day, OptionView};
use crate::{AppState, Error};

/// Clients listed for a search.
const MATCHES: i64 = 20;
const MAX_NOTES: usize = 2000;

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    client: Option<i64>,
    #[serde(default)]
    q: String,
    service: Option<String>,
    date: Option<String>,
    #[serde(default, deserialize_with = "crate::forms::empty_as_none")]
    staff: Option<i64>,
    /// A local "HH:MM" to preselect among the day's options (from a calendar's empty time).
    time: Option<String>,
}

#[derive(Debug, Serialize)]
struct ClientView {
    id: i64,
    name: String,
    email: String,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        Self { id: c.id.get(), name: c.name.clone(), email: c.email.clone() }
    }
}

#[derive(Debug, Serialize)]
struct ServiceView {
    code: String,
    name: String,
    duration_minutes: u32,
    price_minor: i64,
    currency: String,
    block: bool,
    selected: bool,
}

#[derive(Serialize)]
struct NewPage {
    chrome: Chrome,
    q: String,
    matches: Vec<ClientView>,
    client: Option<ClientView>,
    services: Vec<ServiceView>,
    service: Option<String>,
    staff: Vec<StaffChoice>,
    staff_selected: Option<i64>,
    date: String,
    days: Vec<Day>,
    prev_week: Option<String>,
    next_week: String,
    options: Vec<OptionView>,
    /// A staff login linked to no staff member can book blocks only.
    slots_closed: bool,
    message: Option<&'static str>,
    notes: String,
    /// The chosen service comes to the client: the form asks where (their stored address
    /// first).
    address_field: bool,
    address: String,
    errors: FieldErrors,
    timezone: String,
    /// The date, time and person asked for, kept in the links of the client and service steps.
    carry: String,
    date_asked: String,
    time_asked: String,
    staff_asked: String,
    /// The index of the option preselected for the time asked, or -1.
    preselect: i64,
}

/// The posted booking: client, service, the option as `start|staff|block`, notes.
#[derive(Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    client: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    option: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    address: String,
    staff: Option<String>,
}

impl NewForm {
    /// The chosen option; `None` if missing or tampered with.
    fn slot(&self) -> Option<Slot> {
        let mut parts = self.option.split('|');
        let choice = ChoiceForm {
            start: parts.next()?.to_owned(),
            staff_id: parts.next().map(str::to_owned),
            block_id: parts.next().map(str::to_owned),
        };
        if parts.next().is_some() {
            return None;
        }
        choice.slot()
    }
}

async fn client_of(state: &AppState, scope: &TenantScope, id: i64) -> Result<Client, Error> {
    clients::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)
}

async fn service_of(state: &AppState, scope: &TenantScope, code: &str) -> Result<Service, Error> {
    catalog::by_code(&state.db, scope.id(), code).await?.filter(|s| s.active).ok_or(Error::NotFound)
}

/// What the page shows besides the query: a message after a taken place, the notes typed
/// and field errors.
#[derive(Default)]
struct Outcome {
    message: Option<&'static str>,
    notes: String,
    /// The address as posted; `None` before a post (the client's stored one is shown).
    address: Option<String>,
    errors: FieldErrors,
}

async fn render(
    state: &AppState,
    scope: &TenantScope,
    query: &NewQuery,
    outcome: Outcome,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let reach = Reach::of(state, scope).await?;
    let client = match query.client {
        Some(id) => Some(client_of(state, scope, id).await?),
        None => None,
    };
    let matches = match client {
        Some(_) => Vec::new(),
        None => clients::search(&state.db, tenant.id, &query.q, MATCHES).await?,
    };
    let service = match (&client, query.service.as_deref()) {
        (Some(_), Some(code)) => Some(service_of(state, scope, code).await?),
        _ => None,
    };
    let today = flow::today(state, tenant);
    let date = flow::chosen_date(state, tenant, query.date.as_deref());
    let first = date - Duration::days(date.weekday().num_days_from_monday().into());
    let (staff, options, person) = match &service {
        Some(service) => {
            let staff = staff_choices(state, tenant, service, reach, query.staff).await?;
            let (options, person) =
                options_for(state, tenant, service, reach, &staff, query.staff, date, None).await?;
            (staff, options, person)
        }
        None => (Vec::new(), Vec::new(), None),
    };
    let time_asked = query.time.as_deref().map(str::trim).unwrap_or_default();
    let preselect = (!time_asked.is_empty())
        .then(|| {
            let at = |o: &&OptionView| o.time == time_asked;
            let same_person = options.iter().position(|o| at(&o) && o.staff_id == query.staff);
            same_person.or_else(|| options.iter().position(|o| at(&o)))
        })
        .flatten()
        .and_then(|i| i64::try_from(i).ok())
        .unwrap_or(-1);
    let date_asked = query.date.as_deref().map(str::trim).unwrap_or_default();
    let staff_asked = query.staff.map(|id| id.to_string()).unwrap_or_default();
    let carry: String = [("date", date_asked), ("time", time_asked), ("staff", &staff_asked)]
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("&{name}={}", link_safe(value)))
        .collect();
    let services = catalog::list(&state.db, tenant.id, true)
        .await?
        .into_iter()
        .map(|s| ServiceView {
            selected: service.as_ref().is_some_and(|chosen| chosen.id == s.id),
            block: s.mode == Mode::Block,
            code: s.code,
            name: s.name,
            duration_minutes: s.duration_minutes,
            price_minor: s.price_minor,
            currency: s.currency,
        })
        .collect();
    let address_field = service.as_ref().is_some_and(|s| s.location_kind == LocationKind::Client);
    let page = NewPage {
        chrome: Chrome::app(scope, state).await?,
        q: query.q.clone(),
        matches: matches.iter().map(ClientView::from).collect(),
        client: client.as_ref().map(ClientView::from),
        services,
        slots_closed: reach == Reach::Own(None)
            && service.as_ref().is_some_and(|s| s.mode == Mode::Slot),
        service: service.map(|s| s.code),
        staff_selected: person.filter(|_| !staff.is_empty()),
        staff,
        date: date.to_string(),
        days: flow::week(first, date),
        prev_week: (first > today).then(|| (first - Duration::days(7)).max(today).to_string()),
        next_week: (first + Duration::days(7)).to_string(),
        options,
        message: outcome.message,
        notes: outcome.notes,
        address_field,
        address: outcome
            .address
            .unwrap_or_else(|| client.as_ref().map(|c| c.address.clone()).unwrap_or_default()),
        errors: outcome.errors,
        timezone: tenant.timezone.name().to_owned(),
        carry,
        date_asked: date_asked.to_owned(),
        time_asked: time_asked.to_owned(),
        staff_asked,
        preselect,
    };
    let status = if page.message.is_some() {
        StatusCode::CONFLICT
    } else if !page.errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, state.templates.page("app/bookings/new.html", &page)).into_response())
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn new(
    State(state): State<AppState>,
    scope: TenantScope,
    Query(query): Query<NewQuery>,
) -> Result<Response, Error> {
    render(&state, &scope, &query, Outcome::default()).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn create(
    State(state): State<AppState>,
    scope: TenantScope,
    Form(form): Form<NewForm>,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let reach = Reach::of(&state, &scope).await?;
    // Ids of another tenant are 404 before anything else.
    let client_id: i64 = form.client.trim().parse().map_err(|_| Error::NotFound)?;
    let client = client_of(&state, &scope, client_id).await?;
    let service = service_of(&state, &scope, form.service.trim()).await?;
    let mut check = Check::default();
    let slot = form.slot();
    if slot.is_none() {
        check.fail("option", "Choose a time from the list.");
    }
    let notes = form.notes.trim().to_owned();
    if notes.chars().count() > MAX_NOTES {
        check.fail("notes", "Use at most 2,000 characters.");
    }
    let address = flow::booking_address(&mut check, &service, &form.address, true);
    let asked_staff = form.staff.as_deref().and_then(|s| s.parse().ok());
    let mut query = NewQuery {
        client: Some(client.id.get()),
        q: String::new(),
        service: Some(service.code.clone()),
        date: None,
        staff: asked_staff,
        time: None,
    };
    // A refused form shows the day of the time chosen, with its fields and their messages.
    if let Some(slot) = slot {
        query.date = Some(local_date(tenant, slot.start).to_string());
    }
    let Some(slot) = slot.filter(|_| check.is_ok()) else {
        let outcome =
            Outcome { message: None, notes, address: Some(form.address), errors: check.errors };
        return render(&state, &scope, &query, outcome).await;
    };
    let new = NewBooking {
        service: &service,
        slot: reach.restrict(&service, slot)?,
        party: Party::Client(client.id),
        notes: notes.clone(),
        hold_token: None,
        address: address.clone(),
    };
    let ctx = state.context(actor(&scope), scope.viewer.ip_string());
    match portico_core::bookings::create(&state.db, tenant, &new, &ctx).await {
        Ok(booking) => {
            let (when, _) =
                flow::local_range(tenant, booking.starts_at.unix(), booking.ends_at.unix());
            let text = format!("Booked {} for {} on {when}.", service.name, client.name);
            flash(&scope.viewer.session, "info", text).await?;
            Ok(see_other(&format!("/app/{}/bookings/{}", tenant.slug, booking.id)))
        }
        Err(error) => match flow::taken_message(&error) {
            Some(message) => {
                let outcome = Outcome {
                    message: Some(message),
                    notes,
                    address: Some(address),
                    errors: FieldErrors::new(),
                };
                render(&state, &scope, &query, outcome).await
            }
            None => Err(error.into()),
        },
    }
}

/// Keeps only the characters a date, a time or an id has, so a carried value cannot add
/// parameters to a link.
fn link_safe(value: &str) -> String {
    value.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':')).collect()
}
