//! The calendar at `/app/{tenant}/schedule`: a time grid of one day with a column per person
//! (the owner first) and one for the timetable blocks, a week with a column per day, or a
//! month with the bookings per day. Rows are quarter hours between the earliest opening and
//! the latest closing of what the grid shows; an empty half hour in the future links to
//! "book for a client" there. At phone width one column shows, with links to its neighbours.
//! A staff login sees its own column and the team's blocks, like the agenda.

mod grid;

use portico_domain::StaffId;
use std::collections::{BTreeSet, HashMap};

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Timelike as _};
use portico_store::blocks::Block;
use portico_store::bookings::{Booking, Status};
use portico_store::hours;
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};

use self::grid::Window;
use super::agenda::{Range, hhmm};
use super::{Reach, Team, parse_date, status_label};
use crate::auth::TenantScope;
use crate::chrome::Chrome;
use crate::routes::book::flow;
use crate::{AppState, Error};

/// How far apart the "book here" links of empty time are.
const SLOT_LINK_MINUTES: u16 = 30;

#[derive(Debug, Deserialize)]
pub struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    /// The column shown at phone width: a person's key in the day view, a date in the week.
    col: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Day,
    Week,
    Month,
}

impl View {
    fn parse(text: Option<&str>) -> Self {
        match text {
            Some("week") => Self::Week,
            Some("month") => Self::Month,
            _ => Self::Day,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// A booking or a timetable block on the grid.
#[derive(Debug, Serialize)]
struct Item {
    /// `booking` or `block`.
    kind: &'static str,
    id: i64,
    href: String,
    row: u16,
    span: u16,
    /// 1-based lane among the items it overlaps.
    lane: usize,
    start: String,
    end: String,
    /// The client (or guest), or the block's label.
    title: String,
    /// The service (and, in the week, the person), or a block's places per service.
    detail: String,
    /// Where a booking takes place, on one line ("" for a block or an unknown place).
    place: String,
    status: &'static str,
    /// A block's places booked of its capacity, "3/5".
    fill: String,
    full: bool,
    /// Who is booked in a block.
    names: Vec<String>,
    #[serde(skip)]
    minutes: (u16, u16),
}

/// A "book for a client here" link over an empty half hour.
#[derive(Debug, Serialize)]
struct SlotLink {
    row: u16,
    time: String,
    href: String,
}

#[derive(Debug, Serialize)]
struct Column {
    /// `owner`, a staff id or `blocks` in the day view; the date in the week view.
    key: String,
    title: String,
    /// `owner` or the staff id for a person's column (`data-person`), empty otherwise.
    person: String,
    date: String,
    today: bool,
    lanes: usize,
    slots: Vec<SlotLink>,
    items: Vec<Item>,
    /// The column shown at phone width.
    focus: bool,
}

#[derive(Debug, Serialize)]
struct HourMark {
    row: u16,
    label: String,
}

#[derive(Debug, Clone, Serialize)]
struct MonthDay {
    date: String,
    day: u32,
    in_month: bool,
    today: bool,
    count: usize,
}

#[derive(Serialize)]
struct CalendarPage {
    chrome: Chrome,
    view: &'static str,
    date: String,
    today: String,
    title: String,
    prev: String,
    next: String,
    hours: Vec<HourMark>,
    /// The quarter-hour rows of the grid.
    rows: u16,
    columns: Vec<Column>,
    /// The now-line's row and local minute, when today is on the grid and inside its hours.
    now_row: Option<u16>,
    now_minute: u16,
    first_minute: u16,
    /// Phone width: the title of the column shown and the links to its neighbours.
    focus_title: String,
    prev_col: String,
    next_col: String,
    weeks: Vec<Vec<MonthDay>>,
    own: bool,
    unlinked: bool,
    timezone: String,
}

/// The local date and minute of an instant at the tenant.
fn local(tenant: &Tenant, ts: i64) -> (NaiveDate, u16) {
    let at = DateTime::from_timestamp(ts, 0).unwrap_or_default().with_timezone(&tenant.timezone);
    (at.date_naive(), u16::try_from(at.hour() * 60 + at.minute()).unwrap_or_default())
}

/// A booking's local date and `[start, end)` minutes, cut at midnight.
fn minutes_of(tenant: &Tenant, booking: &Booking) -> (NaiveDate, (u16, u16)) {
    let (date, start) = local(tenant, booking.starts_at.unix());
    let length = ((booking.ends_at.unix() - booking.starts_at.unix()) / 60).clamp(0, 1440);
    let end = (i64::from(start) + length).min(1440);
    (date, (start, u16::try_from(end).unwrap_or(1440)))
}

/// Whose column a slot booking is in: `owner` or the staff id.
fn person_key(staff: Option<i64>) -> String {
    staff.map_or_else(|| "owner".to_owned(), |id| id.to_string())
}

/// What the grid reads and needs to lay out items.
struct Grid<'a> {
    tenant: &'a Tenant,
    team: &'a Team,
    range: &'a Range,
    window: Window,
    today: NaiveDate,
    now_minute: u16,
}

impl Grid<'_> {
    fn booking(&self, booking: &Booking, with_person: bool) -> Item {
        let (_, (start, end)) = minutes_of(self.tenant, booking);
        Item {
            kind: "booking",
            id: booking.id.get(),
            href: format!("/app/{}/bookings/{}", self.tenant.slug, booking.id),
            row: self.window.row(start),
            span: self.window.span(start, end),
            lane: 1,
            start: hhmm(start),
            end: hhmm(end),
            title: self.range.names.get(&booking.id.get()).cloned().unwrap_or_default(),
            detail: if with_person {
                format!(
                    "{} · {}",
                    booking.service_name,
                    self.team.name(booking.staff_id.map(StaffId::get))
                )
            } else {
                booking.service_name.clone()
            },
            place: booking.place_line(self.tenant, false).unwrap_or_default(),
            status: status_label(booking.status),
            fill: String::new(),
            full: false,
            names: Vec::new(),
            minutes: (start, end),
        }
    }

    fn block(&self, block: &Block) -> Item {
        let (start, end) = (block.start_minute, block.end_minute);
        let booked: u32 = block.capacities.iter().map(|c| c.booked).sum();
        let capacity: u32 = block.capacities.iter().map(|c| c.capacity).sum();
        let detail = if block.capacities.len() == 1 {
            block.capacities[0].name.clone()
        } else {
            block
                .capacities
                .iter()
                .map(|c| format!("{} {}/{}", c.name, c.booked, c.capacity))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        Item {
            kind: "block",
            id: block.id.get(),
            href: format!(
                "/app/{}/bookings?date={}&view=day#block-{}",
                self.tenant.slug, block.date, block.id
            ),
            row: self.window.row(start),
            span: self.window.span(start, end),
            lane: 1,
            start: hhmm(start),
            end: hhmm(end),
            title: block.label.clone(),
            detail,
            place: String::new(),
            status: "",
            fill: format!("{booked}/{capacity}"),
            full: block.capacities.iter().all(|c| c.remaining() == 0),
            names: self
                .range
                .bookings
                .iter()
                .filter(|b| b.block_id == Some(block.id))
                .filter_map(|b| self.range.names.get(&b.id.get()).cloned())
                .collect(),
            minutes: (start, end),
        }
    }

    /// Links over the empty half hours still ahead, to book there (with `staff` if given).
    fn slot_links(&self, date: NaiveDate, staff: Option<i64>) -> Vec<SlotLink> {
        let ahead =
            |minute: u16| date > self.today || (date == self.today && minute > self.now_minute);
        let who = staff.map(|id| format!("&staff={id}")).unwrap_or_default();
        self.window
            .steps(SLOT_LINK_MINUTES)
            .filter(|&m| ahead(m))
            .map(|m| SlotLink {
                row: self.window.row(m),
                time: hhmm(m),
                href: format!(
                    "/app/{}/bookings/new?date={date}&time={}{who}",
                    self.tenant.slug,
                    hhmm(m)
                ),
            })
            .collect()
    }

    fn column(
        &self,
        key: String,
        title: String,
        person: String,
        date: NaiveDate,
        mut items: Vec<Item>,
        slots: Vec<SlotLink>,
    ) -> Column {
        let spans: Vec<(u16, u16)> = items.iter().map(|i| i.minutes).collect();
        let (lane_of, lanes) = grid::lanes(&spans);
        for (item, lane) in items.iter_mut().zip(lane_of) {
            item.lane = lane + 1;
        }
        Column {
            key,
            title,
            person,
            date: date.to_string(),
            today: date == self.today,
            lanes,
            slots,
            items,
            focus: false,
        }
    }
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn show(
    State(state): State<AppState>,
    scope: TenantScope,
    Query(query): Query<CalendarQuery>,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let reach = Reach::of(&state, &scope).await?;
    let team = Team::load(&state, tenant).await?;
    let today = flow::today(&state, tenant);
    let date = parse_date(query.date.as_deref()).unwrap_or(today);
    let view = View::parse(query.view.as_deref());
    let monday = date - Duration::days(date.weekday().num_days_from_monday().into());
    let (first, last) = match view {
        View::Day => (date, date),
        View::Week => (monday, monday + Duration::days(6)),
        View::Month => {
            let start = date.with_day(1).unwrap_or(date);
            let end = start + chrono::Months::new(1) - Duration::days(1);
            let grid_first = start - Duration::days(start.weekday().num_days_from_monday().into());
            let grid_last = end + Duration::days((6 - end.weekday().num_days_from_monday()).into());
            (grid_first, grid_last)
        }
    };
    // Cancelled bookings free their time: the grid shows what occupies it.
    let range =
        Range::load(&state, tenant, first, last, reach, |b| b.status != Status::Cancelled).await?;
    let (now_date, now_minute) = local(tenant, state.clock.now_ts());
    let mut page = CalendarPage {
        chrome: Chrome::app(&scope, &state).await?,
        view: view.as_str(),
        date: date.to_string(),
        today: today.to_string(),
        title: String::new(),
        prev: String::new(),
        next: String::new(),
        hours: Vec::new(),
        rows: 0,
        columns: Vec::new(),
        now_row: None,
        now_minute,
        first_minute: 0,
        focus_title: String::new(),
        prev_col: String::new(),
        next_col: String::new(),
        weeks: Vec::new(),
        own: reach != Reach::Everything,
        unlinked: reach == Reach::Own(None),
        timezone: tenant.timezone.name().to_owned(),
    };
    if view == View::Month {
        month(&mut page, tenant, &range, date, first, last, today);
        return Ok(state.templates.page("app/schedule.html", &page));
    }

    // The people with a column: a staff login only itself; the owner sees the owner, the
    // active staff, and anybody else with a booking on the days shown.
    let booked: BTreeSet<StaffId> =
        range.bookings.iter().filter(|b| b.block_id.is_none()).filter_map(|b| b.staff_id).collect();
    let people: Vec<Option<StaffId>> = match reach {
        Reach::Own(me) => me.map(Some).into_iter().collect(),
        Reach::Everything => std::iter::once(None)
            .chain(
                team.staff
                    .iter()
                    .filter(|s| s.active || booked.contains(&s.id))
                    .map(|s| Some(s.id)),
            )
            .chain(
                booked
                    .iter()
                    .filter(|id| team.staff.iter().all(|s| s.id != **id))
                    .map(|id| Some(*id)),
            )
            .collect(),
    };
    let dates: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let weekly = hours::weekly_of_tenant(&state.db, tenant.id).await?;
    let weekdays: Vec<i64> =
        dates.iter().map(|d| d.weekday().number_from_monday().into()).collect();
    let opening = weekly
        .iter()
        .filter(|(who, r)| {
            people.iter().any(|p| p.map(StaffId::get) == *who) && weekdays.contains(&r.weekday)
        })
        .map(|(_, r)| {
            let clamp = |m: i64| u16::try_from(m.clamp(0, 1440)).unwrap_or_default();
            (clamp(r.start_minute), clamp(r.end_minute))
        });
    let blocks = range.blocks.iter().map(|b| (b.start_minute, b.end_minute));
    let bookings = range.bookings.iter().map(|b| minutes_of(tenant, b).1);
    let window = Window::around(opening.chain(blocks).chain(bookings));
    let grid = Grid { tenant, team: &team, range: &range, window, today, now_minute };

    let slot_bookings = |date: NaiveDate| {
        range
            .bookings
            .iter()
            .filter(move |b| b.block_id.is_none() && minutes_of(tenant, b).0 == date)
    };
    let blocks_on = |date: NaiveDate| range.blocks.iter().filter(move |b| b.date == date);
    let mut columns = Vec::new();
    if view == View::Day {
        for &person in &people {
            let items = slot_bookings(date)
                .filter(|b| b.staff_id == person)
                .map(|b| grid.booking(b, false))
                .collect();
            let key = person_key(person.map(StaffId::get));
            let slots = grid.slot_links(date, person.map(StaffId::get));
            columns.push(grid.column(
                key.clone(),
                team.name(person.map(StaffId::get)),
                key,
                date,
                items,
                slots,
            ));
        }
        let items: Vec<Item> = blocks_on(date).map(|b| grid.block(b)).collect();
        if !items.is_empty() {
            let title = "Timetable".to_owned();
            columns.push(grid.column(
                "blocks".into(),
                title,
                String::new(),
                date,
                items,
                Vec::new(),
            ));
        }
    } else {
        // Slot links in the week book with the viewer's person if it is a staff login.
        let can_book_slots = reach != Reach::Own(None);
        for &day in &dates {
            let items = blocks_on(day)
                .map(|b| grid.block(b))
                .chain(slot_bookings(day).map(|b| grid.booking(b, true)))
                .collect();
            let slots = if can_book_slots { grid.slot_links(day, None) } else { Vec::new() };
            let title = day.format("%a %-d %b").to_string();
            columns.push(grid.column(day.to_string(), title, String::new(), day, items, slots));
        }
    }

    // The column shown at phone width, and the links to its neighbours.
    let keys: Vec<&str> = columns.iter().map(|c| c.key.as_str()).collect();
    let asked = query.col.as_deref().and_then(|col| keys.iter().position(|k| *k == col));
    let focus = asked.or_else(|| keys.iter().position(|k| *k == today.to_string())).unwrap_or(0);
    let base = format!("/app/{}/schedule", tenant.slug);
    let link = |view: View, date: NaiveDate, col: &str| {
        format!("{base}?view={}&date={date}&col={col}", view.as_str())
    };
    if let Some(shown) = columns.get(focus) {
        page.focus_title = shown.title.clone();
        (page.prev_col, page.next_col) = match view {
            View::Week => {
                let day: NaiveDate = shown.key.parse().unwrap_or(date);
                let (before, after) = (day - Duration::days(1), day + Duration::days(1));
                (
                    link(View::Week, before, &before.to_string()),
                    link(View::Week, after, &after.to_string()),
                )
            }
            _ => (
                match focus.checked_sub(1) {
                    Some(i) => link(View::Day, date, keys[i]),
                    None => link(View::Day, date - Duration::days(1), keys[keys.len() - 1]),
                },
                match keys.get(focus + 1) {
                    Some(key) => link(View::Day, date, key),
                    None => link(View::Day, date + Duration::days(1), keys[0]),
                },
            ),
        };
    }
    if let Some(shown) = columns.get_mut(focus) {
        shown.focus = true;
    }
    let (step, title) = match view {
        View::Week => (7, format!("Week of {}", monday.format("%-d %B %Y"))),
        _ => (1, date.format("%A %-d %B %Y").to_string()),
    };
    page.title = title;
    page.prev = (first - Duration::days(step)).to_string();
    page.next = (first + Duration::days(step)).to_string();
    page.hours =
        window.steps(60).map(|m| HourMark { row: window.row(m), label: hhmm(m) }).collect();
    page.first_minute = window.first;
    page.rows = window.rows();
    let today_shown = (first..=last).contains(&now_date);
    page.now_row = (today_shown && (window.first..window.last).contains(&now_minute))
        .then(|| window.row(now_minute));
    page.columns = columns;
    Ok(state.templates.page("app/schedule.html", &page))
}

/// The month overview: weeks from Monday, each day with its number of bookings.
fn month(
    page: &mut CalendarPage,
    tenant: &Tenant,
    range: &Range,
    date: NaiveDate,
    first: NaiveDate,
    last: NaiveDate,
    today: NaiveDate,
) {
    let mut counts: HashMap<NaiveDate, usize> = HashMap::new();
    for booking in &range.bookings {
        *counts.entry(local(tenant, booking.starts_at.unix()).0).or_default() += 1;
    }
    let days: Vec<MonthDay> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| MonthDay {
            date: d.to_string(),
            day: d.day(),
            in_month: d.month() == date.month(),
            today: d == today,
            count: counts.get(&d).copied().unwrap_or_default(),
        })
        .collect();
    page.weeks = days.chunks(7).map(<[MonthDay]>::to_vec).collect();
    let start = date.with_day(1).unwrap_or(date);
    page.title = start.format("%B %Y").to_string();
    page.prev = (start - chrono::Months::new(1)).to_string();
    page.next = (start + chrono::Months::new(1)).to_string();
}
