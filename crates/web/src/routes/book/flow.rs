//! The steps every booking page shares (public page, client portal, manage link): pick a
//! date, see real options, take a hold, confirm. A pending hold lives in the session, never in
//! a URL.

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Utc};
use portico_domain::BookingId;
use portico_domain::contact::parse_address;
use portico_domain::plans::{Feature, allows};
use portico_domain::schedule::BookingOption;
use portico_store::availability::{self, Query};
use portico_store::bookings::{BookingError, Slot};
use portico_store::catalog::{LocationKind, Service};
use portico_store::schedule_cache::Schedule;
use portico_store::staff::{self, StaffMember};
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::csrf::session_error;
use crate::forms::Check;
use crate::{AppState, Error};

/// A service as booking pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub code: String,
    pub name: String,
    pub description: String,
    pub duration_minutes: u32,
    pub price_minor: i64,
    pub currency: String,
    /// `business`, `client` (the form asks for an address) or `online`.
    pub location_kind: LocationKind,
    pub location_label: &'static str,
    /// Payment is required to book.
    pub prepay: bool,
}

impl From<&Service> for ServiceView {
    fn from(s: &Service) -> Self {
        Self {
            code: s.code.clone(),
            name: s.name.clone(),
            description: s.description.clone(),
            duration_minutes: s.duration_minutes,
            price_minor: s.price_minor,
            currency: s.currency.clone(),
            location_kind: s.location_kind,
            location_label: s.location_kind.label(),
            prepay: s.prepay,
        }
    }
}

/// One bookable option as a page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OptionView {
    /// RFC 3339, posted back to take a hold.
    pub start: String,
    /// Local "09:15".
    pub time: String,
    pub until: String,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub block_id: Option<i64>,
    pub label: Option<String>,
    pub remaining: u32,
}

/// A day in the date strip.
#[derive(Debug, Clone, Serialize)]
pub struct Day {
    pub date: String,
    pub weekday: String,
    pub day: u32,
    pub selected: bool,
}

/// The date strip: a week from `first`, with `selected` marked.
pub fn week(first: NaiveDate, selected: NaiveDate) -> Vec<Day> {
    (0..7)
        .map(|n| {
            let date = first + Duration::days(n);
            Day {
                date: date.to_string(),
                weekday: date.format("%a").to_string(),
                day: date.day(),
                selected: date == selected,
            }
        })
        .collect()
}

/// The week strip around `date`: from its Monday, but never before today.
#[derive(Debug, Clone, Serialize)]
pub struct Strip {
    pub days: Vec<Day>,
    pub previous_week: Option<String>,
    pub next_week: String,
}

pub fn strip(today: NaiveDate, date: NaiveDate) -> Strip {
    let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
    let first = monday.max(today);
    Strip {
        days: week(first, date),
        previous_week: (monday > today)
            .then(|| (monday - Duration::days(7)).max(today).to_string()),
        next_week: (monday + Duration::days(7)).to_string(),
    }
}

/// Today at the tenant.
pub fn today(state: &AppState, tenant: &Tenant) -> NaiveDate {
    availability::local_date(tenant, state.clock.now())
}

/// The date asked for, or today; never before today.
pub fn chosen_date(state: &AppState, tenant: &Tenant, asked: Option<&str>) -> NaiveDate {
    let today = today(state, tenant);
    asked.and_then(|d| d.parse().ok()).filter(|d| *d >= today).unwrap_or(today)
}

/// Whether this tenant lets people choose who they book with.
pub fn staff_choice(state: &AppState, tenant: &Tenant) -> bool {
    allows(tenant.effective_plan(state.clock.now()), Feature::StaffSelection)
}

/// Bookable options for `service` on `date` (optionally with one staff member).
pub async fn options(
    state: &AppState,
    tenant: &Tenant,
    service: &Service,
    date: NaiveDate,
    staff_filter: Option<i64>,
    except_booking: Option<BookingId>,
) -> Result<Vec<OptionView>, Error> {
    let now = state.clock.now();
    let query = Query { from: date, days: 1, staff: staff_filter, now, except_booking };
    let found = availability::options(&state.db, tenant, service, &query).await?;
    let people = staff::list(&state.db, tenant.id).await?;
    Ok(option_views(tenant, found, &people))
}

/// [`options`] from the tenant's schedule in memory (public pages: nothing to except).
pub async fn cached_options(
    state: &AppState,
    schedule: &Schedule,
    service: &Service,
    date: NaiveDate,
    staff_filter: Option<i64>,
) -> Result<Vec<OptionView>, Error> {
    let now = state.clock.now();
    let query = Query { from: date, days: 1, staff: staff_filter, now, except_booking: None };
    let found = schedule.options(service, &query).await?;
    let people = schedule.staff().await?;
    Ok(option_views(schedule, found, &people))
}

fn option_views(
    tenant: &Tenant,
    found: Vec<BookingOption>,
    people: &[StaffMember],
) -> Vec<OptionView> {
    let local = |t: DateTime<Utc>| t.with_timezone(&tenant.timezone).format("%H:%M").to_string();
    found
        .into_iter()
        .map(|o| OptionView {
            start: o.start.to_rfc3339(),
            time: local(o.start),
            until: local(o.end),
            staff_name: o
                .staff_id
                .and_then(|id| people.iter().find(|p| p.id.get() == id))
                .map(|p| p.name.clone()),
            staff_id: o.staff_id,
            block_id: o.block_id,
            label: o.label,
            remaining: o.remaining,
        })
        .collect()
}

/// Staff who provide the service (for the "who" choice), when the plan allows choosing.
pub async fn choosable_staff(
    state: &AppState,
    tenant: &Tenant,
    service: &Service,
) -> Result<Vec<StaffMember>, Error> {
    if !staff_choice(state, tenant) {
        return Ok(Vec::new());
    }
    let people = availability::people(&state.db, tenant, service, state.clock.now()).await?;
    let all = staff::list(&state.db, tenant.id).await?;
    Ok(all.into_iter().filter(|s| people.contains(&Some(s.id.get()))).collect())
}

/// [`choosable_staff`] from the tenant's schedule in memory.
pub async fn cached_choosable_staff(
    state: &AppState,
    schedule: &Schedule,
    service: &Service,
) -> Result<Vec<StaffMember>, Error> {
    if !staff_choice(state, schedule) {
        return Ok(Vec::new());
    }
    let people = schedule.people(service, state.clock.now()).await?;
    let all = schedule.staff().await?;
    Ok(all.into_iter().filter(|s| people.contains(&Some(s.id.get()))).collect())
}

/// A hold taken on a booking page, waiting for the details step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingHold {
    pub token: String,
    pub service: String,
    pub start: DateTime<Utc>,
    pub staff_id: Option<i64>,
    pub block_id: Option<i64>,
    pub expires_at: DateTime<Utc>,
}

impl PendingHold {
    pub fn slot(&self) -> Slot {
        Slot { start: self.start, staff: self.staff_id, block: self.block_id }
    }
}

fn hold_key(tenant: &Tenant) -> String {
    format!("hold:{}", tenant.slug)
}

/// Keeps the new hold in the session, giving back the place of one it replaces.
pub async fn save_hold(
    state: &AppState,
    session: &Session,
    tenant: &Tenant,
    hold: &PendingHold,
) -> Result<(), Error> {
    if let Some(previous) = pending_hold(session, tenant).await? {
        portico_store::bookings::release_hold(
            &state.db,
            tenant,
            &previous.token,
            state.clock.now_ts(),
        )
        .await?;
    }
    session.insert(&hold_key(tenant), hold).await.map_err(session_error)
}

pub async fn pending_hold(
    session: &Session,
    tenant: &Tenant,
) -> Result<Option<PendingHold>, Error> {
    session.get(&hold_key(tenant)).await.map_err(session_error)
}

pub async fn clear_hold(session: &Session, tenant: &Tenant) -> Result<(), Error> {
    session.remove_value(&hold_key(tenant)).await.map_err(session_error)?;
    Ok(())
}

/// What a person reads when their choice was taken meanwhile.
pub fn taken_message(error: &BookingError) -> Option<&'static str> {
    match error {
        BookingError::Unavailable => {
            Some("Sorry — that time was just taken. Here are the times still free.")
        }
        BookingError::HoldInvalid => {
            Some("Your reservation expired. Here are the times still free.")
        }
        _ => None,
    }
}

/// The posted choice of an option.
#[derive(Debug, Deserialize)]
pub struct ChoiceForm {
    #[serde(default)]
    pub start: String,
    pub staff_id: Option<String>,
    pub block_id: Option<String>,
}

impl ChoiceForm {
    /// The slot chosen; `None` if the form was tampered with.
    pub fn slot(&self) -> Option<Slot> {
        let start = DateTime::parse_from_rfc3339(self.start.trim()).ok()?.with_timezone(&Utc);
        let id = |v: &Option<String>| {
            v.as_deref().filter(|s| !s.is_empty()).map(str::parse::<i64>).transpose()
        };
        Some(Slot { start, staff: id(&self.staff_id).ok()?, block: id(&self.block_id).ok()? })
    }
}

/// A booking's local start/end for pages.
pub fn local_range(tenant: &Tenant, starts_at: i64, ends_at: i64) -> (String, String) {
    let fmt = |ts: i64| {
        DateTime::from_timestamp(ts, 0)
            .unwrap_or_default()
            .with_timezone(&tenant.timezone)
            .format("%a %-d %b %Y, %H:%M")
            .to_string()
    };
    let end = fmt(ends_at);
    (fmt(starts_at), end.rsplit(", ").next().unwrap_or_default().to_owned())
}

/// The address typed for a booking (field `address`), checked; when the service comes to the
/// client and `required`, an empty one is a field error (otherwise the workflow falls back to
/// the client's stored address). Other services ignore it.
pub fn booking_address(check: &mut Check, service: &Service, text: &str, required: bool) -> String {
    if service.location_kind != LocationKind::Client {
        return String::new();
    }
    let address = check.field("address", parse_address(text)).unwrap_or_default();
    if required && address.is_empty() {
        check.fail("address", "Enter the address where the appointment takes place.");
    }
    address
}
