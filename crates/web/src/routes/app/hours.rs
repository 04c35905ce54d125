//! Weekly hours and time off of the owner (the business) or of a staff member (PRO), and the
//! tenant's booking rules. The parsing is shared with the API (`routes::input::hours`).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::parse::{WEEKDAYS, hhmm, parse_local, parse_reason};
use portico_domain::plans::{self, Feature};
use portico_store::hours::{self, TimeOff};
use portico_store::staff::{self, StaffMember};
use portico_store::tenants::{self, Scheduling};
use serde::{Deserialize, Serialize};

use crate::auth::{OwnerScope, RequirePlan, StaffGate};
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, safe_next, see_other};
use crate::routes::input::hours::{MAX_RANGES_PER_DAY, RangeText, parse_week};
use crate::{AppState, Error};

/// Whose hours a page shows: the owner (the business) or a staff member.
struct Person {
    staff: Option<StaffMember>,
}

impl Person {
    fn id(&self) -> Option<i64> {
        self.staff.as_ref().map(|s| s.id)
    }

    fn path(&self, slug: &str) -> String {
        match &self.staff {
            Some(s) => format!("/app/{slug}/staff/{}/hours", s.id),
            None => format!("/app/{slug}/hours"),
        }
    }
}

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

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RulesForm {
    #[serde(default)]
    slot_interval_minutes: String,
    #[serde(default)]
    min_notice_minutes: String,
    #[serde(default)]
    max_advance_days: String,
    #[serde(default)]
    hold_minutes: String,
    #[serde(default)]
    cancel_cutoff_hours: String,
}

impl RulesForm {
    fn current(s: &Scheduling) -> Self {
        Self {
            slot_interval_minutes: s.slot_interval_minutes.to_string(),
            min_notice_minutes: s.min_notice_minutes.to_string(),
            max_advance_days: s.max_advance_days.to_string(),
            hold_minutes: s.hold_minutes.to_string(),
            cancel_cutoff_hours: s.cancel_cutoff_hours.to_string(),
        }
    }

    fn validate(&self) -> Result<Scheduling, FieldErrors> {
        let mut check = Check::default();
        let mut number = |field: &str, text: &str, low: u32, high: u32| {
            let parsed = text.trim().parse::<u32>().ok().filter(|n| (low..=high).contains(n));
            check.field(field, parsed.ok_or(format!("Enter a whole number from {low} to {high}.")))
        };
        let slot = number("slot_interval_minutes", &self.slot_interval_minutes, 5, 120);
        let notice = number("min_notice_minutes", &self.min_notice_minutes, 0, 10_080);
        let advance = number("max_advance_days", &self.max_advance_days, 1, 730);
        let hold = number("hold_minutes", &self.hold_minutes, 1, 60);
        let cutoff = number("cancel_cutoff_hours", &self.cancel_cutoff_hours, 0, 720);
        match (slot, notice, advance, hold, cutoff) {
            (Some(slot), Some(notice), Some(advance), Some(hold), Some(cutoff)) => Ok(Scheduling {
                slot_interval_minutes: slot,
                min_notice_minutes: notice,
                max_advance_days: advance,
                hold_minutes: hold,
                cancel_cutoff_hours: cutoff,
            }),
            _ => Err(check.errors),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TimeOffForm {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    reason: String,
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
    /// On the owner's page of a PRO tenant: links to each staff member's hours.
    staff: Vec<StaffLink>,
}

/// Weekly-hours rows as typed (weekday, start, end), with messages keyed `{weekday}_{n}`.
type WeekRows = (Vec<(String, String, String)>, BTreeMap<String, String>);

/// What a failed post re-shows instead of the stored values.
#[derive(Default)]
struct Pending {
    week: Option<WeekRows>,
    rules: Option<(RulesForm, FieldErrors)>,
    time_off: Option<(TimeOffForm, FieldErrors)>,
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

async fn render(
    state: &AppState,
    scope: &OwnerScope,
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
    let name_of = |id: Option<i64>| match id {
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
            id: t.id,
            who: name_of(t.staff_id),
            starts_at: t.starts_at,
            ends_at: t.ends_at,
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
            .map(|s| StaffLink { id: s.id, name: s.name.clone(), active: s.active })
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
        week_error: (!week_errors.is_empty())
            .then(|| "Some ranges need fixing: nothing was saved.".to_owned()),
        days: day_views(&rows, &week_errors),
        rules,
        time_off,
        time_off_form,
        time_off_errors,
        staff,
    };
    let status = if is_error { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, state.templates.page("app/hours.html", &page)).into_response())
}

async fn staff_member(state: &AppState, scope: &OwnerScope, id: i64) -> Result<Person, Error> {
    let member = staff::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    Ok(Person { staff: Some(member) })
}

pub async fn show(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    render(&state, &scope, &Person { staff: None }, Pending::default()).await
}

pub async fn staff_show(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let person = staff_member(&state, &scope, id).await?;
    render(&state, &scope, &person, Pending::default()).await
}

/// Reads `start_{weekday}_{n}` / `end_{weekday}_{n}` pairs into rows (weekday, start, end),
/// keyed `{weekday}_{n}` in the order they were sent.
fn week_rows(fields: &[(String, String)]) -> Vec<(String, String, String, String)> {
    let mut rows: BTreeMap<(u8, usize), (String, String)> = BTreeMap::new();
    for (name, value) in fields {
        let (side, key) = match name.split_once('_') {
            Some(("start", key)) => (0, key),
            Some(("end", key)) => (1, key),
            _ => continue,
        };
        let Some((day, n)) = key.split_once('_') else { continue };
        let (Ok(day), Ok(n)) = (day.parse::<u8>(), n.parse::<usize>()) else { continue };
        if !(1..=7).contains(&day) || n >= MAX_RANGES_PER_DAY * 2 {
            continue;
        }
        let row = rows.entry((day, n)).or_default();
        let slot = if side == 0 { &mut row.0 } else { &mut row.1 };
        value.trim().clone_into(slot);
    }
    rows.into_iter()
        .map(|((day, n), (start, end))| (format!("{day}_{n}"), day.to_string(), start, end))
        .collect()
}

async fn save_week(
    state: &AppState,
    scope: &OwnerScope,
    person: &Person,
    fields: &[(String, String)],
) -> Result<Response, Error> {
    let rows = week_rows(fields);
    let filled: Vec<&(String, String, String, String)> =
        rows.iter().filter(|(_, _, start, end)| !(start.is_empty() && end.is_empty())).collect();
    let mut errors = BTreeMap::new();
    for (key, _, start, end) in &filled {
        if start.is_empty() || end.is_empty() {
            errors.insert(key.clone(), "Enter both a start and an end, or neither.".to_owned());
        }
    }
    let texts: Vec<RangeText<'_>> = filled
        .iter()
        .map(|(_, day, start, end)| RangeText { weekday: day.parse().unwrap_or(0), start, end })
        .collect();
    let parsed = match parse_week(&texts) {
        Ok(parsed) if errors.is_empty() => Some(parsed),
        Ok(_) => None,
        Err(problems) => {
            for p in problems {
                errors.entry(filled[p.index].0.clone()).or_insert(p.message);
            }
            None
        }
    };
    let Some(ranges) = parsed else {
        // Re-number the keys the way the page will show the rows again.
        let shown: Vec<(String, String, String)> =
            filled.iter().map(|(_, d, s, e)| (d.clone(), s.clone(), e.clone())).collect();
        let mut renamed = BTreeMap::new();
        for day in 1..=7 {
            let day = day.to_string();
            for (n, (key, ..)) in filled.iter().filter(|(_, d, ..)| *d == day).enumerate() {
                if let Some(message) = errors.get(key) {
                    renamed.insert(format!("{day}_{n}"), message.clone());
                }
            }
        }
        let pending = Pending { week: Some((shown, renamed)), ..Pending::default() };
        return render(state, scope, person, pending).await;
    };
    hours::replace_weekly(&state.db, scope.id(), person.id(), &ranges).await?;
    let who = person.id().map_or_else(|| "business".to_owned(), |id| format!("staff #{id}"));
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "hours.updated",
            format!("{who}: {} ranges", ranges.len()),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Weekly hours saved.").await?;
    Ok(see_other(&person.path(&scope.tenant.slug)))
}

pub async fn update(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    save_week(&state, &scope, &Person { staff: None }, &fields).await
}

pub async fn staff_update(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let person = staff_member(&state, &scope, id).await?;
    save_week(&state, &scope, &person, &fields).await
}

pub async fn update_rules(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<RulesForm>,
) -> Result<Response, Error> {
    let rules = match form.validate() {
        Ok(rules) => rules,
        Err(errors) => {
            let pending = Pending { rules: Some((form, errors)), ..Pending::default() };
            return render(&state, &scope, &Person { staff: None }, pending).await;
        }
    };
    tenants::update_scheduling(&state.db, scope.id(), &rules, state.clock.now_ts()).await?;
    let detail = format!(
        "interval={} notice={} advance={} hold={} cutoff={}",
        rules.slot_interval_minutes,
        rules.min_notice_minutes,
        rules.max_advance_days,
        rules.hold_minutes,
        rules.cancel_cutoff_hours
    );
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id()), "scheduling.updated", detail)
        .await?;
    flash(&scope.viewer.session, "info", "Booking rules saved.").await?;
    Ok(see_other(&format!("/app/{}/hours", scope.tenant.slug)))
}

async fn save_time_off(
    state: &AppState,
    scope: &OwnerScope,
    person: &Person,
    form: TimeOffForm,
) -> Result<Response, Error> {
    let tz = scope.tenant.timezone;
    let mut check = Check::default();
    let start = check.field("start", parse_local(tz, &form.start));
    let end = check.field("end", parse_local(tz, &form.end));
    let reason = check.field("reason", parse_reason(&form.reason));
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        check.fail("end", "The end must be after the start.");
    }
    let (Some(start), Some(end), Some(reason), true) = (start, end, reason, check.is_ok()) else {
        let pending = Pending { time_off: Some((form, check.errors)), ..Pending::default() };
        return render(state, scope, person, pending).await;
    };
    let now = state.clock.now_ts();
    let entry = hours::add_time_off(
        &state.db,
        scope.id(),
        person.id(),
        start.timestamp(),
        end.timestamp(),
        &reason,
        now,
    )
    .await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "time_off.added",
            format!("#{} staff={:?}", entry.id, person.id()),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Time off added.").await?;
    Ok(see_other(&person.path(&scope.tenant.slug)))
}

pub async fn add_time_off(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<TimeOffForm>,
) -> Result<Response, Error> {
    save_time_off(&state, &scope, &Person { staff: None }, form).await
}

pub async fn staff_add_time_off(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<TimeOffForm>,
) -> Result<Response, Error> {
    let person = staff_member(&state, &scope, id).await?;
    save_time_off(&state, &scope, &person, form).await
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    next: Option<String>,
}

/// Deletes any time off of the tenant (the owner's page lists everyone's).
pub async fn delete_time_off(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, Error> {
    if !hours::delete_time_off(&state.db, scope.id(), id).await? {
        return Err(Error::NotFound);
    }
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "time_off.deleted",
            format!("#{id}"),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Time off deleted.").await?;
    let back = safe_next(form.next.as_deref())
        .unwrap_or_else(|| format!("/app/{}/hours", scope.tenant.slug));
    Ok(see_other(&back))
}
