//! The hours page: the week's rows per weekday, the booking rules (owner only), time off, and
//! links to the staff's hours; a failed form shows again with its errors.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::StaffId;
use portico_domain::parse::{WEEKDAYS, hhmm};
use portico_domain::plans::{self, Feature};
use portico_store::hours::{self, TimeOff};
use portico_store::staff;
use serde::Serialize;

use super::{Person, RulesForm, TimeOffForm, staff_member};
use crate::auth::{OwnerScope, TenantScope};
use crate::chrome::Chrome;
use crate::error::FieldErrors;
use crate::routes::input::hours::MAX_RANGES_PER_DAY;
use crate::{AppState, Error};

#[derive(Serialize)]
struct RowView {
    key: String,
    start: String,
    end: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct DayView {
    name: &'static str,
    rows: Vec<RowView>,
}

#[derive(Serialize)]
struct TimeOffView {
    id: i64,
    who: String,
    starts_at: i64,
    ends_at: i64,
    reason: String,
}

#[derive(Serialize)]
struct StaffLink {
    id: i64,
    name: String,
    active: bool,
}

#[derive(Serialize)]
struct RulesView {
    form: RulesForm,
    errors: FieldErrors,
}

#[derive(Serialize)]
struct HoursPage {
    chrome: Chrome,
    /// "Business hours" or the staff member's name.
    title: String,
    staff_id: Option<i64>,
    path: String,
    tz: String,
    days: Vec<DayView>,
    week_error: Option<String>,
    /// The tenant's booking rules, on the owner's page only.
    rules: Option<RulesView>,
    time_off: Vec<TimeOffView>,
    time_off_form: TimeOffForm,
    time_off_errors: FieldErrors,
    affected: Vec<AffectedBooking>,
    /// Bookings new weekly hours would leave out, waiting for the owner's choice.
    week_affected: Vec<AffectedBooking>,
    /// On the owner's page of a PRO tenant: links to each staff member's hours.
    staff: Vec<StaffLink>,
}

/// Weekly-hours rows as typed (weekday, start, end), with messages keyed `{weekday}_{n}`.
pub(super) type WeekRows = (Vec<(String, String, String)>, BTreeMap<String, String>);

/// What a failed post re-shows instead of the stored values.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) week: Option<WeekRows>,
    pub(super) rules: Option<(RulesForm, FieldErrors)>,
    pub(super) time_off: Option<(TimeOffForm, FieldErrors)>,
    /// Bookings inside the time off being added, waiting for the owner's choice.
    pub(super) affected: Vec<AffectedBooking>,
    /// Bookings the weekly hours being saved would leave out, and what to say about them.
    pub(super) week_affected: Vec<AffectedBooking>,
    pub(super) week_message: Option<String>,
}

/// A booking that new time off or new hours would leave out.
#[derive(Debug, Serialize)]
pub(super) struct AffectedBooking {
    pub(super) id: i64,
    pub(super) starts_at: i64,
    pub(super) service: String,
    pub(super) party: String,
}

impl Pending {
    fn is_error(&self) -> bool {
        self.week.is_some() || self.rules.is_some() || self.time_off.is_some()
    }
}

/// Form rows per weekday: the ranges (stored or as typed) plus one blank row to add another.
fn day_views(rows: &[(String, String, String)], errors: &BTreeMap<String, String>) -> Vec<DayView> {
    WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let day = (i + 1).to_string();
            let mut views: Vec<RowView> = rows
                .iter()
                .filter(|(d, start, end)| *d == day && !(start.is_empty() && end.is_empty()))
                .map(|(_, start, end)| (start.clone(), end.clone()))
                .enumerate()
                .map(|(n, (start, end))| {
                    let key = format!("{day}_{n}");
                    RowView { error: errors.get(&key).cloned(), key, start, end }
                })
                .collect();
            if views.len() < MAX_RANGES_PER_DAY {
                let key = format!("{day}_{}", views.len());
                views.push(RowView { key, start: String::new(), end: String::new(), error: None });
            }
            DayView { name, rows: views }
        })
        .collect()
}

pub(super) async fn render(
    state: &AppState,
    scope: &TenantScope,
    person: &Person,
    pending: Pending,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let now = state.clock.now_ts();
    let is_error = pending.is_error();
    let (rows, week_errors) = match pending.week {
        Some(week) => week,
        None => {
            let stored = hours::weekly(&state.db, tenant.id, person.id()).await?;
            let rows = stored
                .iter()
                .map(|r| (r.weekday.to_string(), hhmm(r.start_minute), hhmm(r.end_minute)))
                .collect();
            (rows, BTreeMap::new())
        }
    };
    let all_staff = staff::list(&state.db, tenant.id).await?;
    let name_of = |id: Option<StaffId>| match id {
        None => "Business (you)".to_owned(),
        Some(id) => all_staff
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("Staff #{id}"), |s| s.name.clone()),
    };
    let entries = match person.id() {
        None => hours::upcoming_time_off(&state.db, tenant.id, now).await?,
        Some(id) => hours::time_off(&state.db, tenant.id, Some(id), now, i64::MAX).await?,
    };
    let time_off = entries
        .into_iter()
        .map(|t: TimeOff| TimeOffView {
            id: t.id.get(),
            who: name_of(t.staff_id),
            starts_at: t.starts_at.unix(),
            ends_at: t.ends_at.unix(),
            reason: t.reason,
        })
        .collect();
    let rules = match (&person.staff, pending.rules) {
        (Some(_), _) => None,
        (None, Some((form, errors))) => Some(RulesView { form, errors }),
        (None, None) => Some(RulesView {
            form: RulesForm::current(&tenant.scheduling),
            errors: FieldErrors::new(),
        }),
    };
    let (time_off_form, time_off_errors) = pending.time_off.unwrap_or_default();
    let pro = plans::allows(scope.plan(state), Feature::Staff);
    let staff = if person.staff.is_none() && pro {
        all_staff
            .iter()
            .map(|s| StaffLink { id: s.id.get(), name: s.name.clone(), active: s.active })
            .collect()
    } else {
        Vec::new()
    };
    let page = HoursPage {
        chrome: Chrome::app(scope, state).await?,
        title: person
            .staff
            .as_ref()
            .map_or_else(|| "Business hours".to_owned(), |s| s.name.clone()),
        staff_id: person.id(),
        path: person.path(&tenant.slug),
        tz: tenant.timezone.name().to_owned(),
        week_error: pending.week_message.or_else(|| {
            (!week_errors.is_empty())
                .then(|| "Some ranges need fixing: nothing was saved.".to_owned())
        }),
        days: day_views(&rows, &week_errors),
        rules,
        time_off,
        time_off_form,
        time_off_errors,
        affected: pending.affected,
        week_affected: pending.week_affected,
        staff,
    };
    let status = if is_error { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, state.templates.page("app/hours.html", &page)).into_response())
}

pub async fn show(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    render(&state, &scope, &Person { staff: None }, Pending::default()).await
}

/// A staff member's hours: for the owner, or for that staff member (see [`staff_member`]).
pub async fn staff_show(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let person = staff_member(&state, &scope, id).await?;
    render(&state, &scope, &person, Pending::default()).await
}
