//! `/app/{tenant}/bookings…`: the provider's agenda (day and week, per person and per block),
//! a booking's detail and history, status changes, reschedule, and booking for a client.
//!
//! Who sees what ([`Reach`]): the owner sees and works every booking. A staff login sees and
//! works the bookings assigned to its staff member, and the bookings in timetable blocks (blocks
//! are the team's shared timetable; nobody is assigned to them). Any other booking is 404 to
//! them, exactly like another tenant's id.

pub(super) mod agenda;
pub(super) mod detail;
pub(super) mod new;
pub(super) mod schedule;

use chrono::{DateTime, NaiveDate, Utc};
use portico_domain::accounts::Role;
use portico_domain::schedule::{LocalMinutes, local_instant};
use portico_domain::{BookingId, StaffId};
use portico_store::bookings::{self, Actor, Booking, Slot, Status, Visibility};
use portico_store::catalog::{Mode, Service};
use portico_store::staff::{self, StaffMember};
use portico_store::tenants::{self, Tenant};
use serde::Serialize;

use crate::auth::TenantScope;
use crate::routes::book::flow::{self, OptionView};
use crate::{AppState, Error};

/// What part of the tenant's bookings the person asking may see and work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// The owner: every booking.
    Everything,
    /// A staff login: the bookings of its staff member (if the login is linked to one) and
    /// the bookings in timetable blocks.
    Own(Option<StaffId>),
}

impl Reach {
    pub(super) async fn of(state: &AppState, scope: &TenantScope) -> Result<Self, Error> {
        Ok(match scope.role {
            Role::Owner => Self::Everything,
            Role::Staff => {
                let me = staff::for_user(&state.db, scope.id(), scope.user.id).await?;
                Self::Own(me.map(|m| m.id))
            }
        })
    }

    /// The same reach as a store filter, so hidden bookings are never fetched.
    pub(super) fn visibility(self) -> Visibility {
        match self {
            Self::Everything => Visibility::All,
            Self::Own(me) => Visibility::Staff(me),
        }
    }

    /// The person whose slots this viewer may book: `None` = anyone (owner), `Some(me)` = only
    /// themselves (`Some(None)` for a staff login linked to nobody: no slots at all).
    pub(super) fn slot_person(self) -> Option<Option<StaffId>> {
        match self {
            Self::Everything => None,
            Self::Own(me) => Some(me),
        }
    }

    /// Makes a posted choice respect the reach: a staff login books slots only with itself.
    pub(super) fn restrict(self, service: &Service, mut slot: Slot) -> Result<Slot, Error> {
        if service.mode == Mode::Slot
            && let Some(me) = self.slot_person()
        {
            slot.staff = Some(me.ok_or(Error::Forbidden)?.get());
        }
        Ok(slot)
    }
}

/// The history actor for a change made by `scope`.
pub(super) fn actor(scope: &TenantScope) -> Actor {
    match scope.role {
        Role::Owner => Actor::Owner(scope.user.id),
        Role::Staff => Actor::Staff(scope.user.id),
    }
}

/// The booking `id` of the scope's tenant, if this viewer may see it; 404 otherwise.
pub(super) async fn visible(
    state: &AppState,
    scope: &TenantScope,
    reach: Reach,
    id: i64,
) -> Result<Booking, Error> {
    bookings::get_visible(&state.db, &scope.tenant, id, reach.visibility())
        .await?
        .ok_or(Error::NotFound)
}

/// The people bookings can be assigned to: the owner (`None`) and the staff members.
pub(super) struct Team {
    pub owner: String,
    pub staff: Vec<StaffMember>,
}

impl Team {
    pub(super) async fn load(state: &AppState, tenant: &Tenant) -> Result<Self, Error> {
        let owner = tenants::members(&state.db, tenant.id)
            .await?
            .into_iter()
            .find(|m| m.role == Role::Owner.as_str())
            .map_or_else(|| "Owner".to_owned(), |m| m.name);
        Ok(Self { owner, staff: staff::list(&state.db, tenant.id).await? })
    }

    /// The name of the person a booking (or a history line) is with.
    pub(super) fn name(&self, staff: Option<i64>) -> String {
        match staff {
            None => self.owner.clone(),
            Some(id) => self
                .staff
                .iter()
                .find(|s| s.id.get() == id)
                .map_or_else(|| format!("Staff #{id}"), |s| s.name.clone()),
        }
    }
}

/// Bookable options for a provider: capacity and hours hold, but not the notice and advance
/// rules guests have (the booking transaction relaxes them the same way for providers).
pub(crate) async fn provider_options(
    state: &AppState,
    tenant: &Tenant,
    service: &Service,
    date: NaiveDate,
    person: Option<i64>,
    except_booking: Option<BookingId>,
) -> Result<Vec<OptionView>, Error> {
    let mut rules = tenant.clone();
    rules.scheduling.min_notice_minutes = 0;
    rules.scheduling.max_advance_days = 3650;
    flow::options(state, &rules, service, date, person, except_booking).await
}

/// The staff filter a provider may pick on option pages: the people providing `service`
/// when there are several, for the owner only (a staff login books with itself).
#[derive(Debug, Serialize)]
pub(super) struct StaffChoice {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub(super) async fn staff_choices(
    state: &AppState,
    tenant: &Tenant,
    service: &Service,
    reach: Reach,
    selected: Option<i64>,
) -> Result<Vec<StaffChoice>, Error> {
    if reach != Reach::Everything || service.mode != Mode::Slot {
        return Ok(Vec::new());
    }
    let people =
        portico_store::availability::people(&state.db, tenant, service, state.clock.now()).await?;
    let all = staff::list(&state.db, tenant.id).await?;
    let choices: Vec<StaffChoice> = all
        .into_iter()
        .filter(|s| people.contains(&Some(s.id.get())))
        .map(|s| StaffChoice {
            selected: Some(s.id.get()) == selected,
            id: s.id.get(),
            name: s.name,
        })
        .collect();
    Ok(if choices.len() > 1 { choices } else { Vec::new() })
}

/// The options this viewer may book for `service` on `date`, and the person they are for:
/// a staff login only its own slots (none if its login is linked to nobody), the owner
/// anyone's or those of the person picked among `choices`.
#[expect(clippy::too_many_arguments, reason = "one options query, all of it needed")]
pub(super) async fn options_for(
    state: &AppState,
    tenant: &Tenant,
    service: &Service,
    reach: Reach,
    choices: &[StaffChoice],
    asked: Option<i64>,
    date: NaiveDate,
    except_booking: Option<BookingId>,
) -> Result<(Vec<OptionView>, Option<i64>), Error> {
    let person = match (service.mode, reach.slot_person()) {
        (Mode::Block, _) => None,
        (Mode::Slot, Some(None)) => return Ok((Vec::new(), None)),
        (Mode::Slot, Some(me)) => me.map(StaffId::get),
        (Mode::Slot, None) => asked.filter(|id| choices.iter().any(|c| c.id == *id)),
    };
    let options = provider_options(state, tenant, service, date, person, except_booking).await?;
    Ok((options, person))
}

/// The first instant of a local date at the tenant (DST-aware).
pub(in crate::routes::app) fn day_start(tenant: &Tenant, date: NaiveDate) -> DateTime<Utc> {
    local_instant(tenant.timezone, date, LocalMinutes::MIDNIGHT)
}

/// Local "HH:MM" of an instant at the tenant.
pub(super) fn local_time(tenant: &Tenant, ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&tenant.timezone)
        .format("%H:%M")
        .to_string()
}

/// A date as `YYYY-MM-DD` from a query string, if valid.
pub(super) fn parse_date(text: Option<&str>) -> Option<NaiveDate> {
    let text = text?.trim();
    (text.len() == 10).then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()).flatten()
}

/// How a status reads on a page.
pub(super) fn status_label(status: Status) -> &'static str {
    status.label()
}
