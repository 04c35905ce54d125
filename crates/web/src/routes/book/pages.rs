//! The guest booking steps: service → date and time → details → confirmation.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_core::bookings::NewBooking;
use portico_domain::accounts::{self, Email};
use portico_store::bookings::{self, Actor, Party};
use portico_store::catalog::Service;
use portico_store::schedule_cache::{self, Schedule};
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};

use super::flow::{self, ChoiceForm, Day, OptionView, PendingHold, ServiceView};
use crate::auth::Viewer;
use crate::calendar_links::AddToCalendar;
use crate::chrome::{Chrome, flash};
use crate::csrf::session_error;
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::limits::{Limit, ip_subject};
use crate::online::NotStarted;
use crate::pictures::staff_photo_path;
use crate::place::PlaceView;
use crate::{AppState, Error};
use portico_core::prepay::RequestParty;

const BOOKED_KEY: &str = "booked";

/// The checkout session this visitor started for a pre-paid booking (to show them their
/// booking when they come back paid).
fn prepay_key(tenant: &Tenant) -> String {
    format!("prepay:{}", tenant.slug)
}

/// The tenant of a public page with its schedule in memory (one version check).
pub async fn tenant(state: &AppState, slug: &str) -> Result<Schedule, Error> {
    schedule_cache::by_slug(&state.db, slug).await?.ok_or(Error::NotFound)
}

pub async fn active_service(tenant: &Schedule, code: &str) -> Result<Service, Error> {
    tenant.service_by_code(code).await?.filter(|s| s.active).ok_or(Error::NotFound)
}

/// The frame of the public pages: the business's name, no dashboard navigation.
pub async fn chrome(viewer: &Viewer, tenant: &Tenant) -> Result<Chrome, Error> {
    Chrome::booking(viewer, tenant).await
}

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    services: Vec<ServiceView>,
}

pub async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let services = tenant.active_services().await?.iter().map(ServiceView::from).collect();
    let page = IndexPage { chrome: chrome(&viewer, &tenant).await?, services };
    Ok(state.templates.page("book/index.html", &page))
}

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    date: Option<String>,
    #[serde(default, deserialize_with = "crate::forms::empty_as_none")]
    staff: Option<i64>,
}

#[derive(Serialize)]
struct StaffChoice {
    id: i64,
    name: String,
    bio: String,
    /// The path of their photo, if they have one.
    photo: Option<String>,
    selected: bool,
}

#[derive(Serialize)]
struct ServicePage {
    chrome: Chrome,
    service: ServiceView,
    date: String,
    days: Vec<Day>,
    previous_week: Option<String>,
    next_week: String,
    staff: Vec<StaffChoice>,
    staff_selected: Option<i64>,
    options: Vec<OptionView>,
    message: Option<&'static str>,
    action: String,
    timezone: String,
}

/// Renders the date-and-time step, optionally explaining why a choice failed.
pub async fn render_service(
    state: &AppState,
    viewer: &Viewer,
    tenant: &Schedule,
    service: &Service,
    date: Option<&str>,
    staff: Option<i64>,
    message: Option<&'static str>,
) -> Result<Response, Error> {
    let date = flow::chosen_date(state, tenant, date);
    let today = flow::today(state, tenant);
    let choosable = flow::cached_choosable_staff(state, tenant, service).await?;
    let staff = staff.filter(|id| choosable.iter().any(|s| s.id.get() == *id));
    let options = flow::cached_options(state, tenant, service, date, staff).await?;
    let strip = flow::strip(today, date);
    let page = ServicePage {
        chrome: chrome(viewer, tenant).await?,
        service: ServiceView::from(service),
        date: date.to_string(),
        days: strip.days,
        previous_week: strip.previous_week,
        next_week: strip.next_week,
        staff: choosable
            .iter()
            .map(|s| StaffChoice {
                id: s.id.get(),
                name: s.name.clone(),
                bio: s.bio.clone(),
                photo: staff_photo_path(&tenant.slug, s.id.get(), s.photo_version),
                selected: Some(s.id.get()) == staff,
            })
            .collect(),
        staff_selected: staff,
        options,
        message,
        action: format!("/book/{}/services/{}/hold", tenant.slug, service.code),
        timezone: tenant.timezone.name().to_owned(),
    };
    let status = if message.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok((status, state.templates.page("book/service.html", &page)).into_response())
}

pub async fn service(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, code)): Path<(String, String)>,
    Query(q): Query<DateQuery>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let service = active_service(&tenant, &code).await?;
    render_service(&state, &viewer, &tenant, &service, q.date.as_deref(), q.staff, None).await
}

pub async fn hold(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, code)): Path<(String, String)>,
    Form(form): Form<ChoiceForm>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let service = active_service(&tenant, &code).await?;
    state
        .rate_limit(
            Limit { name: "booking-ip", max: state.config.rate_limits.booking_per_ip },
            &ip_subject(viewer.ip),
        )
        .await?;
    let slot = form.slot().ok_or(Error::BadRequest {
        code: "bad_choice",
        message: "Choose a time from the list.".into(),
    })?;
    let date = flow::today(&state, &tenant)
        .max(portico_store::availability::local_date(&tenant, slot.start))
        .to_string();
    match portico_core::bookings::hold(&state.db, &tenant, &service, &slot, state.clock.now()).await
    {
        Ok(hold) => {
            let pending = PendingHold {
                token: hold.token,
                service: service.code.clone(),
                start: hold.starts_at,
                staff_id: hold.staff_id,
                block_id: hold.block_id,
                expires_at: hold.expires_at,
            };
            flow::save_hold(&state, &viewer.session, &tenant, &pending).await?;
            Ok(see_other(&format!("/book/{}/details", tenant.slug)))
        }
        Err(error) => match flow::taken_message(&error) {
            Some(message) => {
                render_service(
                    &state,
                    &viewer,
                    &tenant,
                    &service,
                    Some(&date),
                    slot.staff,
                    Some(message),
                )
                .await
            }
            None => Err(error.into()),
        },
    }
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct DetailsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    address: String,
}

#[derive(Serialize)]
struct DetailsPage<'a> {
    chrome: Chrome,
    service: ServiceView,
    when: String,
    until: String,
    label: Option<String>,
    staff_name: Option<String>,
    held_until: String,
    form: &'a DetailsForm,
    errors: &'a FieldErrors,
    /// Payment is required to book: "Continue to payment".
    prepay: bool,
    /// Why it cannot be paid now (the business takes no online payments).
    prepay_unavailable: Option<&'static str>,
}

async fn render_details(
    state: &AppState,
    viewer: &Viewer,
    tenant: &Schedule,
    hold: &PendingHold,
    form: &DetailsForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let service = active_service(tenant, &hold.service).await?;
    let start = hold.start.timestamp();
    let block = match hold.block_id {
        Some(id) => {
            portico_store::blocks::get(&state.db, tenant.id, id, state.clock.now_ts()).await?
        }
        None => None,
    };
    // A block booking lasts until the block ends.
    let end = match &block {
        Some(b) => portico_store::availability::block_end(tenant, b).timestamp(),
        None => start + i64::from(service.duration_minutes) * 60,
    };
    let (when, until) = flow::local_range(tenant, start, end);
    let label = block.map(|b| b.label);
    let staff_name = match hold.staff_id {
        Some(id) => portico_store::staff::get(&state.db, tenant.id, id).await?.map(|s| s.name),
        None => None,
    };
    let page = DetailsPage {
        chrome: chrome(viewer, tenant).await?,
        service: ServiceView::from(&service),
        when,
        until,
        label,
        staff_name,
        held_until: hold.expires_at.with_timezone(&tenant.timezone).format("%H:%M").to_string(),
        form,
        errors,
        prepay: service.prepay,
        prepay_unavailable: (service.prepay && !crate::prepay::available(state, tenant).await?)
            .then_some(crate::prepay::UNAVAILABLE),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("book/details.html", &page)).into_response())
}

pub async fn details(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let Some(hold) = flow::pending_hold(&viewer.session, &tenant).await? else {
        return Ok(see_other(&format!("/book/{slug}")));
    };
    if hold.expires_at <= state.clock.now() {
        flow::clear_hold(&viewer.session, &tenant).await?;
        flash(&viewer.session, "error", "Your reservation expired. Please choose a time again.")
            .await?;
        return Ok(see_other(&format!("/book/{slug}/services/{}", hold.service)));
    }
    render_details(&state, &viewer, &tenant, &hold, &DetailsForm::default(), &FieldErrors::new())
        .await
}

pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(form): Form<DetailsForm>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let Some(hold) = flow::pending_hold(&viewer.session, &tenant).await? else {
        return Ok(see_other(&format!("/book/{slug}")));
    };
    let mut check = Check::default();
    let name = check.field("name", accounts::parse_name(&form.name));
    let email = check.field("email", Email::parse(&form.email));
    let phone =
        check.field("phone", accounts::parse_required_phone(&form.phone)).unwrap_or_default();
    if form.notes.chars().count() > 2000 {
        check.fail("notes", "Use at most 2,000 characters.");
    }
    let service = active_service(&tenant, &hold.service).await?;
    let address = flow::booking_address(&mut check, &service, &form.address, true);
    let (Some(name), Some(email), true) = (name, email, check.is_ok()) else {
        return render_details(&state, &viewer, &tenant, &hold, &form, &check.errors).await;
    };
    if service.prepay {
        let party = RequestParty::Guest {
            name: name.to_string(),
            email: email.to_string(),
            phone: phone.to_owned(),
        };
        let ask = crate::prepay::Ask {
            hold: &hold,
            party,
            notes: form.notes.trim().to_owned(),
            address,
            surface: crate::prepay::Surface::Public,
        };
        return pay_first(&state, &viewer, &tenant, &service, &hold, ask, &form).await;
    }
    let new = NewBooking {
        service: &service,
        slot: hold.slot(),
        party: Party::Guest { name, email: email.to_string(), phone: phone.to_owned() },
        notes: form.notes.trim().to_owned(),
        hold_token: Some(&hold.token),
        address,
    };
    let ctx = state
        .context(Actor::Guest, viewer.ip_string())
        .with_billing(tenant.id, tenant.billing().await?);
    let result = portico_core::bookings::create(&state.db, &tenant, &new, &ctx).await;
    flow::clear_hold(&viewer.session, &tenant).await?;
    match result {
        Ok(booking) => {
            viewer
                .session
                .insert(BOOKED_KEY, booking.id)
                .await
                .map_err(crate::csrf::session_error)?;
            Ok(see_other(&format!("/book/{slug}/done")))
        }
        Err(error) => match flow::taken_message(&error) {
            Some(message) => {
                let date = portico_store::availability::local_date(&tenant, hold.start).to_string();
                render_service(&state, &viewer, &tenant, &service, Some(&date), None, Some(message))
                    .await
            }
            None => Err(error.into()),
        },
    }
}

/// A pre-paid service: to the gateway's checkout for the held place (the hold stays in the
/// session, so coming back without paying can try again).
async fn pay_first(
    state: &AppState,
    viewer: &Viewer,
    tenant: &Schedule,
    service: &Service,
    hold: &PendingHold,
    ask: crate::prepay::Ask<'_>,
    form: &DetailsForm,
) -> Result<Response, Error> {
    let ctx = state.context(Actor::Guest, viewer.ip_string());
    match crate::prepay::start(state, tenant, service, ask, &ctx).await? {
        Ok((url, session)) => {
            viewer.session.insert(&prepay_key(tenant), session).await.map_err(session_error)?;
            Ok(see_other(&url))
        }
        Err(NotStarted::Unavailable) => {
            let mut errors = FieldErrors::new();
            errors.insert("payment".to_owned(), crate::prepay::UNAVAILABLE.to_owned());
            render_details(state, viewer, tenant, hold, form, &errors).await
        }
        Err(why) => {
            let mut errors = FieldErrors::new();
            errors.insert("payment".to_owned(), why.words());
            render_details(state, viewer, tenant, hold, form, &errors).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PaidQuery {
    #[serde(default)]
    session_id: String,
}

/// `GET /book/{tenant}/paid?session_id=…`: back from the gateway. The session is retrieved
/// from the gateway and reflected (the booking is made once, here or by the webhook); the
/// visitor who started it sees their booking, marked paid.
pub async fn paid(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<PaidQuery>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let ctx = state.context(Actor::Guest, viewer.ip_string());
    let (outcome, checkout) =
        crate::prepay::come_back(&state, &tenant, &query.session_id, &ctx).await?;
    let started: Option<String> =
        viewer.session.get(&prepay_key(&tenant)).await.map_err(session_error)?;
    let mine = started.as_deref() == Some(checkout.session_id.as_str());
    if let (Some(booking), true) = (checkout.booking_id, mine) {
        flow::clear_hold(&viewer.session, &tenant).await?;
        viewer.session.remove_value(&prepay_key(&tenant)).await.map_err(session_error)?;
        viewer.session.insert(BOOKED_KEY, booking).await.map_err(session_error)?;
        return Ok(see_other(&format!("/book/{slug}/done")));
    }
    let (kind, text) = crate::prepay::outcome_words(outcome, checkout.booking_id.is_some());
    flash(&viewer.session, kind, text).await?;
    Ok(see_other(&format!("/book/{slug}")))
}

#[derive(Serialize)]
struct DonePage {
    chrome: Chrome,
    calendar: AddToCalendar,
    service: String,
    when: String,
    until: String,
    email: String,
    price_minor: i64,
    currency: String,
    /// How it stands once billed.
    payment: Option<crate::invoice_view::BookingPayment>,
    place: PlaceView,
}

/// The booking this visitor just made here (from their session), if any.
async fn just_booked(
    state: &AppState,
    viewer: &Viewer,
    tenant: &Tenant,
) -> Result<Option<bookings::Booking>, Error> {
    let id: Option<i64> =
        viewer.session.get(BOOKED_KEY).await.map_err(crate::csrf::session_error)?;
    match id {
        Some(id) => Ok(bookings::get(&state.db, tenant, id).await?),
        None => Ok(None),
    }
}

pub async fn done(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let booking = just_booked(&state, &viewer, &tenant).await?;
    let Some(booking) = booking else { return Ok(see_other(&format!("/book/{slug}"))) };
    let (when, until) =
        flow::local_range(&tenant, booking.starts_at.unix(), booking.ends_at.unix());
    let calendar = AddToCalendar::new(&tenant, &booking, &format!("/book/{slug}/done/booking.ics"));
    let payment = crate::invoice_view::booking_payment(&state, &tenant, booking.id).await?;
    let page = DonePage {
        payment,
        place: PlaceView::of(&booking, &tenant),
        chrome: chrome(&viewer, &tenant).await?,
        calendar,
        service: booking.service_name,
        when,
        until,
        email: booking.guest_email,
        price_minor: booking.price_minor,
        currency: booking.currency,
    };
    Ok(state.templates.page("book/done.html", &page))
}

/// `/book/{tenant}/brand.css`: the business's colour as CSS variables, linked from its
/// client-facing pages (a stylesheet, so the content security policy needs no inline style).
/// Text on the colour is white or ink, whichever reads; links keep the house ink when the
/// colour is too light to read on white. Versioned by the colour in the link, so cacheable;
/// without a colour it sets nothing.
pub async fn brand_css(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let css = match tenant.brand_color {
        None => "/* Portico's own colours */\n".to_owned(),
        Some(color) => {
            let ink = if color.readable_on_white() { color.hex() } else { "#1d2521".to_owned() };
            format!(
                ":root {{ --brand: {}; --brand-contrast: {}; --brand-ink: {ink}; }}\n",
                color.hex(),
                color.text_hex()
            )
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        css,
    )
        .into_response())
}

/// The booking this visitor just made, as an `.ics` file ("Add to calendar").
pub async fn calendar_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    // Like the page itself: without a booking made here in this session, back to the start.
    match just_booked(&state, &viewer, &tenant).await? {
        Some(booking) => crate::calendar_links::download(&state, &tenant, &booking).await,
        None => Ok(see_other(&format!("/book/{slug}"))),
    }
}
