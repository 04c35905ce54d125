//! The agenda: one day per person and per block, or a week with a column per day; links to
//! the previous and next day or week. The owner may narrow it to one person; a staff login
//! sees what its [`Reach`] allows.

use portico_domain::StaffId;
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Datelike as _, Duration, NaiveDate};
use portico_store::blocks::{self, Block};
use portico_store::bookings::{self, Booking, Filter, Status};
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};

use super::{Reach, Team, day_start, local_time, parse_date, status_label};
use crate::auth::TenantScope;
use crate::chrome::Chrome;
use crate::place::PlaceView;
use crate::routes::book::flow;
use crate::{AppState, Error};

#[derive(Debug, Deserialize)]
pub struct AgendaQuery {
    date: Option<String>,
    view: Option<String>,
    staff: Option<String>,
}

/// Whose bookings the owner asked to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Person {
    Everyone,
    /// The owner's own appointments: slot bookings assigned to no staff member.
    Owner,
    Staff(i64),
}

impl Person {
    /// `staff=` as given; a staff id of another tenant is 404 like any foreign id.
    fn parse(text: Option<&str>, team: &Team) -> Result<Self, Error> {
        match text.map(str::trim).unwrap_or_default() {
            "" => Ok(Self::Everyone),
            "owner" => Ok(Self::Owner),
            id => {
                let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
                team.staff
                    .iter()
                    .any(|s| s.id.get() == id)
                    .then_some(Self::Staff(id))
                    .ok_or(Error::NotFound)
            }
        }
    }

    fn param(self) -> String {
        match self {
            Self::Everyone => String::new(),
            Self::Owner => "owner".to_owned(),
            Self::Staff(id) => id.to_string(),
        }
    }

    fn includes(self, booking: &Booking) -> bool {
        match self {
            Self::Everyone => true,
            Self::Owner => booking.block_id.is_none() && booking.staff_id.is_none(),
            Self::Staff(id) => booking.staff_id.map(StaffId::get) == Some(id),
        }
    }
}

/// One booking in the agenda.
#[derive(Debug, Serialize)]
struct Entry {
    id: i64,
    time: String,
    until: String,
    service: String,
    party: String,
    /// The person or the block it is with.
    with: String,
    status: &'static str,
    /// Where it takes place, on one line.
    place: Option<PlaceView>,
    cancelled: bool,
    /// Started and still open: it can be marked completed or a no-show.
    to_mark: bool,
}

#[derive(Debug, Serialize)]
struct PersonDay {
    /// `owner` or the staff member's id, for anchors.
    key: String,
    name: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Serialize)]
struct ServiceDay {
    name: String,
    capacity: u32,
    booked: u32,
    held: u32,
    remaining: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, Serialize)]
struct BlockDay {
    id: i64,
    label: String,
    start: String,
    end: String,
    services: Vec<ServiceDay>,
}

#[derive(Debug, Serialize)]
struct WeekDay {
    date: String,
    label: String,
    today: bool,
    entries: Vec<Entry>,
    blocks: Vec<BlockDay>,
}

#[derive(Debug, Serialize)]
struct FilterChoice {
    value: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct AgendaPage {
    chrome: Chrome,
    view: &'static str,
    date: String,
    title: String,
    today: String,
    prev: String,
    next: String,
    /// The `staff` parameter to keep in links ("" = everyone).
    staff: String,
    /// The owner's person filter; empty for a staff login.
    filter: Vec<FilterChoice>,
    /// A staff login whose login is linked to no staff member.
    unlinked: bool,
    /// A staff login.
    own: bool,
    people: Vec<PersonDay>,
    blocks: Vec<BlockDay>,
    days: Vec<WeekDay>,
    timezone: String,
}

pub(super) fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// What the agenda reads for a range of local dates.
pub(super) struct Range {
    pub(super) now: i64,
    pub(super) bookings: Vec<Booking>,
    pub(super) names: HashMap<i64, String>,
    pub(super) blocks: Vec<Block>,
}

impl Range {
    pub(super) async fn load(
        state: &AppState,
        tenant: &Tenant,
        first: NaiveDate,
        last: NaiveDate,
        reach: Reach,
        keep: impl Fn(&Booking) -> bool,
    ) -> Result<Self, Error> {
        let from = day_start(tenant, first).timestamp();
        let to = day_start(tenant, last + Duration::days(1)).timestamp();
        let filter = Filter {
            from: Some(from),
            to: Some(to),
            limit: Some(5000),
            visibility: reach.visibility(),
            ..Filter::default()
        };
        let bookings = bookings::list(&state.db, tenant, &filter)
            .await?
            .into_iter()
            // A booking belongs to the local day it starts on.
            .filter(|b| (from..to).contains(&b.starts_at.unix()) && keep(b))
            .collect();
        let names = bookings::party_names(&state.db, tenant, from, to).await?.into_iter().collect();
        let blocks =
            blocks::between(&state.db, tenant.id, first, last, state.clock.now_ts()).await?;
        Ok(Self { now: state.clock.now_ts(), bookings, names, blocks })
    }

    fn entry(&self, tenant: &Tenant, team: &Team, booking: &Booking) -> Entry {
        let with = match booking.block_id {
            Some(id) => self
                .blocks
                .iter()
                .find(|b| b.id == id)
                .map_or_else(|| format!("Block #{id}"), |b| b.label.clone()),
            None => team.name(booking.staff_id.map(StaffId::get)),
        };
        Entry {
            id: booking.id.get(),
            time: local_time(tenant, booking.starts_at.unix()),
            until: local_time(tenant, booking.ends_at.unix()),
            service: booking.service_name.clone(),
            party: self.names.get(&booking.id.get()).cloned().unwrap_or_default(),
            with,
            status: status_label(booking.status),
            place: PlaceView::line(booking, tenant, false),
            cancelled: booking.status == Status::Cancelled,
            to_mark: booking.status.occupies() && booking.starts_at.unix() <= self.now,
        }
    }

    fn on(&self, tenant: &Tenant, date: NaiveDate) -> impl Iterator<Item = &Booking> {
        let (from, to) = (day_start(tenant, date), day_start(tenant, date + Duration::days(1)));
        let (from, to) = (from.timestamp(), to.timestamp());
        self.bookings.iter().filter(move |b| (from..to).contains(&b.starts_at.unix()))
    }

    /// The blocks of `date` with their places per service and the bookings in each.
    fn blocks_on(&self, tenant: &Tenant, team: &Team, date: NaiveDate) -> Vec<BlockDay> {
        self.blocks
            .iter()
            .filter(|b| b.date == date)
            .map(|block| {
                let inside: Vec<&Booking> =
                    self.bookings.iter().filter(|b| b.block_id == Some(block.id)).collect();
                let mut services: Vec<ServiceDay> = block
                    .capacities
                    .iter()
                    .map(|c| ServiceDay {
                        name: c.name.clone(),
                        capacity: c.capacity,
                        booked: c.booked,
                        held: c.held,
                        remaining: c.remaining(),
                        entries: inside
                            .iter()
                            .filter(|b| b.service_id.get() == c.service_id)
                            .map(|b| self.entry(tenant, team, b))
                            .collect(),
                    })
                    .collect();
                // Bookings of a service whose places were removed since still show.
                let orphans: Vec<Entry> = inside
                    .iter()
                    .filter(|b| block.capacities.iter().all(|c| c.service_id != b.service_id.get()))
                    .map(|b| self.entry(tenant, team, b))
                    .collect();
                if !orphans.is_empty() {
                    services.push(ServiceDay {
                        name: "Other services".to_owned(),
                        capacity: 0,
                        booked: 0,
                        held: 0,
                        remaining: 0,
                        entries: orphans,
                    });
                }
                BlockDay {
                    id: block.id.get(),
                    label: block.label.clone(),
                    start: hhmm(block.start_minute),
                    end: hhmm(block.end_minute),
                    services,
                }
            })
            .collect()
    }

    /// The day's slot bookings per person: the owner first, then staff in display order.
    fn people_on(
        &self,
        tenant: &Tenant,
        team: &Team,
        date: NaiveDate,
        shown: &dyn Fn(Option<StaffId>, bool) -> bool,
    ) -> Vec<PersonDay> {
        let people = std::iter::once(None).chain(team.staff.iter().map(|s| Some(s.id)));
        people
            .filter_map(|person| {
                let entries: Vec<Entry> = self
                    .on(tenant, date)
                    .filter(|b| b.block_id.is_none() && b.staff_id == person)
                    .map(|b| self.entry(tenant, team, b))
                    .collect();
                shown(person, !entries.is_empty()).then(|| PersonDay {
                    key: person.map_or_else(|| "owner".to_owned(), |id| id.to_string()),
                    name: team.name(person.map(StaffId::get)),
                    entries,
                })
            })
            .collect()
    }
}

/// A day on the provider home: the people with appointments (a staff login always sees its
/// own column) and the timetable blocks.
#[derive(Debug, Serialize)]
pub(in crate::routes::app) struct HomeDay {
    date: String,
    label: String,
    today: bool,
    people: Vec<PersonDay>,
    blocks: Vec<BlockDay>,
}

/// The `count` days from today that the provider home shows, as far as the viewer may see.
pub(in crate::routes::app) async fn upcoming_days(
    state: &AppState,
    scope: &TenantScope,
    count: i64,
) -> Result<Vec<HomeDay>, Error> {
    let tenant = &scope.tenant;
    let reach = Reach::of(state, scope).await?;
    let team = Team::load(state, tenant).await?;
    let today = flow::today(state, tenant);
    let last = today + Duration::days(count - 1);
    let range = Range::load(state, tenant, today, last, reach, |_| true).await?;
    let shown = |who: Option<StaffId>, busy: bool| match reach {
        Reach::Own(me) => busy || (who.is_some() && who == me),
        Reach::Everything => busy,
    };
    Ok(today
        .iter_days()
        .take(usize::try_from(count).unwrap_or_default())
        .map(|day| HomeDay {
            date: day.to_string(),
            label: if day == today {
                "Today".to_owned()
            } else if day == today + Duration::days(1) {
                "Tomorrow".to_owned()
            } else {
                day.format("%A %-d %B").to_string()
            },
            today: day == today,
            people: range.people_on(tenant, &team, day, &shown),
            blocks: range.blocks_on(tenant, &team, day),
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn index(
    State(state): State<AppState>,
    scope: TenantScope,
    Query(query): Query<AgendaQuery>,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let reach = Reach::of(&state, &scope).await?;
    let team = Team::load(&state, tenant).await?;
    // A staff login's view is fixed by its reach; only the owner filters.
    let person = match reach {
        Reach::Everything => Person::parse(query.staff.as_deref(), &team)?,
        Reach::Own(_) => Person::Everyone,
    };
    let today = flow::today(&state, tenant);
    let date = parse_date(query.date.as_deref()).unwrap_or(today);
    let week = query.view.as_deref() == Some("week");
    let first = if week {
        date - Duration::days(date.weekday().num_days_from_monday().into())
    } else {
        date
    };
    let last = if week { first + Duration::days(6) } else { date };
    let range = Range::load(&state, tenant, first, last, reach, |b| person.includes(b)).await?;
    // Blocks show unless the owner narrowed the agenda to one person.
    let with_blocks = person == Person::Everyone;
    let active_staff = team.staff.iter().any(|s| s.active);
    let shown = |who: Option<StaffId>, busy: bool| match (reach, person) {
        (Reach::Own(me), _) => busy || (who.is_some() && who == me),
        (Reach::Everything, Person::Staff(id)) => who.map(StaffId::get) == Some(id),
        (Reach::Everything, Person::Owner) => who.is_none(),
        (Reach::Everything, Person::Everyone) => match who {
            None => busy || !active_staff,
            Some(id) => busy || team.staff.iter().any(|s| s.id == id && s.active),
        },
    };
    let (people, blocks, days) = if week {
        let days = first
            .iter_days()
            .take(7)
            .map(|day| WeekDay {
                date: day.to_string(),
                label: day.format("%a %-d %b").to_string(),
                today: day == today,
                entries: range.on(tenant, day).map(|b| range.entry(tenant, &team, b)).collect(),
                blocks: if with_blocks { range.blocks_on(tenant, &team, day) } else { Vec::new() },
            })
            .collect();
        (Vec::new(), Vec::new(), days)
    } else {
        let blocks = if with_blocks { range.blocks_on(tenant, &team, date) } else { Vec::new() };
        (range.people_on(tenant, &team, date, &shown), blocks, Vec::new())
    };
    let step = Duration::days(if week { 7 } else { 1 });
    let filter = match reach {
        Reach::Everything => std::iter::once(("".to_owned(), "Everyone".to_owned()))
            .chain(std::iter::once(("owner".to_owned(), format!("{} (owner)", team.owner))))
            .chain(team.staff.iter().map(|s| (s.id.to_string(), s.name.clone())))
            .map(|(value, name)| FilterChoice { selected: value == person.param(), value, name })
            .collect(),
        Reach::Own(_) => Vec::new(),
    };
    let title = if week {
        format!("Week of {}", first.format("%-d %B %Y"))
    } else {
        date.format("%A %-d %B %Y").to_string()
    };
    let page = AgendaPage {
        chrome: Chrome::app(&scope, &state).await?,
        view: if week { "week" } else { "day" },
        date: date.to_string(),
        title,
        today: today.to_string(),
        prev: (first - step).to_string(),
        next: (first + step).to_string(),
        staff: person.param(),
        filter,
        unlinked: reach == Reach::Own(None),
        own: reach != Reach::Everything,
        people,
        blocks,
        days,
        timezone: tenant.timezone.name().to_owned(),
    };
    Ok(state.templates.page("app/bookings/agenda.html", &page))
}
