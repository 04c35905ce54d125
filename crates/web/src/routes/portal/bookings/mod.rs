//! `/portal/{tenant}/bookings/…`: a client books, sees, cancels and reschedules their own
//! bookings. Every booking is looked up together with the client of the [`ClientScope`], so
//! another client's or another tenant's id is simply not found.

mod detail;
mod new;

use axum::Router;
use axum::routing::{get, post};
use portico_domain::BookingId;
use portico_store::bookings::{self, Booking, Status};
use portico_store::catalog::{self, Service};
use portico_store::favourites::{self, Kind as FavouriteKind};
use portico_store::tenants::Tenant;
use portico_store::{blocks, staff};
use serde::Serialize;

use crate::auth::ClientScope;
use crate::place::PlaceView;
use crate::routes::book::flow::{self, Day, OptionView};
use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/{tenant}/bookings/new", get(new::index))
        .route("/portal/{tenant}/bookings/new/{code}", get(new::service))
        .route("/portal/{tenant}/bookings/new/{code}/hold", post(new::hold))
        .route("/portal/{tenant}/bookings/confirm", get(new::confirm).post(new::create))
        .route("/portal/{tenant}/bookings/paid", get(new::paid))
        .route("/portal/{tenant}/bookings/{id}", get(detail::show))
        .route("/portal/{tenant}/bookings/{id}/cancel", post(detail::cancel))
        .route("/portal/{tenant}/bookings/{id}/booking.ics", get(detail::calendar_file))
        .route(
            "/portal/{tenant}/bookings/{id}/reschedule",
            get(detail::options).post(detail::reschedule),
        )
}

/// How many past or cancelled bookings the portal home lists.
const RECENT: i64 = 10;
/// A generous cap on the upcoming list; regular clients rarely have more.
const UPCOMING: i64 = 100;

pub use crate::routes::book::flow::ServiceView;

/// One line of a list of bookings.
#[derive(Serialize)]
pub struct BookingRow {
    id: i64,
    service: String,
    when: String,
    until: String,
    status: Status,
    /// Where it takes place, on one line.
    place: Option<PlaceView>,
    /// "Book again": the booking form with the same service and person.
    rebook: Option<String>,
}

impl BookingRow {
    fn new(tenant: &Tenant, booking: Booking) -> Self {
        let (when, until) =
            flow::local_range(tenant, booking.starts_at.unix(), booking.ends_at.unix());
        Self {
            place: PlaceView::line(&booking, tenant, true),
            id: booking.id.get(),
            service: booking.service_name,
            when,
            until,
            status: booking.status,
            rebook: None,
        }
    }
}

/// The "Book again" link of a past or cancelled booking whose service can still be booked:
/// the date-and-time step of that service, with the same person chosen (when staff choice is
/// on and they still do the service; otherwise the picker falls back to anyone available).
fn rebook_link(
    tenant: &Tenant,
    booking: &Booking,
    bookable: &[String],
    now: i64,
) -> Option<String> {
    let over = booking.ends_at.unix() <= now || booking.status == Status::Cancelled;
    if !over || !bookable.contains(&booking.service_code) {
        return None;
    }
    let staff = booking.staff_id.map(|id| format!("?staff={id}")).unwrap_or_default();
    Some(format!("/portal/{}/bookings/new/{}{staff}", tenant.slug, booking.service_code))
}

/// The codes of the services clients can book now.
async fn bookable_codes(state: &AppState, tenant: &Tenant) -> Result<Vec<String>, Error> {
    Ok(catalog::list(&state.db, tenant.id, true).await?.into_iter().map(|s| s.code).collect())
}

/// The portal home's lists: upcoming (soonest first) and recent (newest first).
pub async fn lists(
    state: &AppState,
    tenant: &Tenant,
    client: &portico_store::clients::Client,
) -> Result<(Vec<BookingRow>, Vec<BookingRow>), Error> {
    let now = state.clock.now_ts();
    let bookable = bookable_codes(state, tenant).await?;
    let rows = |list: Vec<Booking>| {
        list.into_iter()
            .map(|b| {
                let rebook = rebook_link(tenant, &b, &bookable, now);
                BookingRow { rebook, ..BookingRow::new(tenant, b) }
            })
            .collect()
    };
    let upcoming =
        bookings::upcoming_for_client(&state.db, tenant, client.id, now, UPCOMING).await?;
    let recent = bookings::recent_for_client(&state.db, tenant, client.id, now, RECENT).await?;
    Ok((rows(upcoming), rows(recent)))
}

/// The scoped client's own booking; anything else is 404.
async fn own_booking(state: &AppState, scope: &ClientScope, id: &str) -> Result<Booking, Error> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    bookings::get_for_client(&state.db, &scope.tenant, scope.client.id, id)
        .await?
        .ok_or(Error::NotFound)
}

async fn active_service(state: &AppState, tenant: &Tenant, code: &str) -> Result<Service, Error> {
    catalog::by_code(&state.db, tenant.id, code).await?.filter(|s| s.active).ok_or(Error::NotFound)
}

/// Where a booking or hold takes place, in words.
#[derive(Debug, Default)]
struct Place {
    /// The block's label (block mode).
    label: Option<String>,
    /// The block's local end, "12:00": a place in a block lasts until the block ends.
    block_until: Option<String>,
    /// The person (slot mode), when it is a staff member.
    staff_name: Option<String>,
}

async fn place(
    state: &AppState,
    tenant: &Tenant,
    block: Option<i64>,
    person: Option<i64>,
) -> Result<Place, Error> {
    let mut place = Place::default();
    if let Some(id) = block
        && let Some(b) = blocks::get(&state.db, tenant.id, id, state.clock.now_ts()).await?
    {
        place.block_until = Some(format!("{:02}:{:02}", b.end_minute / 60, b.end_minute % 60));
        place.label = Some(b.label);
    }
    if let Some(id) = person {
        place.staff_name = staff::get(&state.db, tenant.id, id).await?.map(|s| s.name);
    }
    Ok(place)
}

#[derive(Serialize)]
struct StaffChoice {
    id: i64,
    name: String,
    bio: String,
    /// The path of their photo, if they have one.
    photo: Option<String>,
    selected: bool,
    /// One of the client's favourites (listed first).
    favourite: bool,
}

/// What a date-and-time step asks for.
#[derive(Debug, Default)]
struct Ask<'a> {
    date: Option<&'a str>,
    staff: Option<i64>,
    /// When rescheduling: the booking whose own place does not count against it.
    except_booking: Option<BookingId>,
    /// Why the previous choice failed.
    message: Option<&'static str>,
}

/// The date strip, the staff choice (PRO) and a day's options, as
/// `portal/bookings/_picker.html` shows them.
#[derive(Serialize)]
struct Picker {
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

async fn picker(
    state: &AppState,
    scope: &ClientScope,
    service: &Service,
    ask: &Ask<'_>,
    action: String,
) -> Result<Picker, Error> {
    let tenant = &scope.tenant;
    let favourites =
        favourites::of_client(&state.db, tenant.id, scope.client.id, FavouriteKind::Staff).await?;
    let date = flow::chosen_date(state, tenant, ask.date);
    let today = flow::today(state, tenant);
    let choosable = flow::choosable_staff(state, tenant, service).await?;
    let staff = ask.staff.filter(|id| choosable.iter().any(|s| s.id.get() == *id));
    let options = flow::options(state, tenant, service, date, staff, ask.except_booking).await?;
    let strip = flow::strip(today, date);
    let mut staff_choices: Vec<StaffChoice> = choosable
        .iter()
        .map(|s| StaffChoice {
            id: s.id.get(),
            name: s.name.clone(),
            bio: s.bio.clone(),
            photo: crate::pictures::staff_photo_path(&tenant.slug, s.id.get(), s.photo_version),
            selected: Some(s.id.get()) == staff,
            favourite: favourites.contains(&s.id.get()),
        })
        .collect();
    // Favourites first, each group in the business's order.
    staff_choices.sort_by_key(|s| !s.favourite);
    Ok(Picker {
        date: date.to_string(),
        days: strip.days,
        previous_week: strip.previous_week,
        next_week: strip.next_week,
        staff: staff_choices,
        staff_selected: staff,
        options,
        message: ask.message,
        action,
        timezone: tenant.timezone.name().to_owned(),
    })
}

/// The local date of a chosen start, for showing that day again (never before today).
fn day_of(state: &AppState, tenant: &Tenant, start: chrono::DateTime<chrono::Utc>) -> String {
    flow::today(state, tenant)
        .max(portico_store::availability::local_date(tenant, start))
        .to_string()
}

fn bad_choice() -> Error {
    Error::BadRequest { code: "bad_choice", message: "Choose a time from the list.".into() }
}
