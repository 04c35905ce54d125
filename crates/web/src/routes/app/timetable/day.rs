//! A day of the timetable: the week strip, the day's blocks with what is booked, held and
//! remaining, their edit forms, a new-block form and the copy form.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike as _, Days, NaiveDate};
use portico_domain::parse::{hhmm, parse_date};
use portico_store::availability::local_date;
use portico_store::blocks;
use portico_store::catalog::{self, Mode};
use serde::{Deserialize, Serialize};

use super::copy::CopyForm;
use super::form::{BlockForm, BlockValues};
use super::long_date;
use crate::auth::OwnerScope;
use crate::chrome::Chrome;
use crate::error::FieldErrors;
use crate::{AppState, Error};

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    #[serde(default)]
    date: Option<String>,
}

#[derive(Serialize)]
struct CapacityView {
    code: String,
    name: String,
    capacity: u32,
    booked: u32,
    held: u32,
    remaining: u32,
    allow_overlap: bool,
}

#[derive(Serialize)]
struct BlockView {
    id: i64,
    label: String,
    start: String,
    end: String,
    capacities: Vec<CapacityView>,
    form: BlockForm,
    /// Set when this block's edit form failed: it opens with the errors.
    open: bool,
}

#[derive(Serialize)]
struct DayCell {
    date: String,
    weekday: String,
    day: String,
    count: usize,
    current: bool,
    today: bool,
}

#[derive(Serialize)]
struct TimetablePage {
    chrome: Chrome,
    tz: String,
    date: String,
    date_label: String,
    today: String,
    yesterday: String,
    prev_week: String,
    next_week: String,
    week: Vec<DayCell>,
    blocks: Vec<BlockView>,
    new_block: BlockForm,
    has_block_services: bool,
    copy: CopyForm,
    copy_errors: FieldErrors,
}

/// What a failed post shows again, with its errors.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) new_block: Option<(BlockValues, FieldErrors)>,
    pub(super) edit: Option<(i64, BlockValues, FieldErrors)>,
    pub(super) copy: Option<(CopyForm, FieldErrors)>,
}

pub(super) async fn render(
    state: &AppState,
    scope: &OwnerScope,
    date: NaiveDate,
    pending: Pending,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let now = state.clock.now();
    let today = local_date(tenant, now);
    let monday = date - Days::new(date.weekday().num_days_from_monday().into());
    let sunday = monday + Days::new(6);
    let week_blocks =
        blocks::between(&state.db, tenant.id, monday, sunday, now.timestamp()).await?;
    let week = monday
        .iter_days()
        .take(7)
        .map(|day| DayCell {
            date: day.to_string(),
            weekday: day.format("%a").to_string(),
            day: day.format("%-d %b").to_string(),
            count: week_blocks.iter().filter(|b| b.date == day).count(),
            current: day == date,
            today: day == today,
        })
        .collect();
    let services = catalog::list(&state.db, tenant.id, false).await?;
    let is_error = pending.new_block.is_some() || pending.edit.is_some() || pending.copy.is_some();
    let (edit_id, edit_values, edit_errors) = match pending.edit {
        Some((id, values, errors)) => (Some(id), values, errors),
        None => (None, BlockValues::default(), FieldErrors::new()),
    };
    let mut edit = Some((edit_values, edit_errors));
    let blocks = week_blocks
        .iter()
        .filter(|b| b.date == date)
        .map(|b| {
            let open = edit_id == Some(b.id.get());
            let (values, errors) = match edit.take_if(|_| open) {
                Some(failed) => failed,
                None => (BlockValues::from_block(b), FieldErrors::new()),
            };
            BlockView {
                id: b.id.get(),
                label: b.label.clone(),
                start: hhmm(b.start_minute.into()),
                end: hhmm(b.end_minute.into()),
                capacities: b
                    .capacities
                    .iter()
                    .map(|c| CapacityView {
                        code: c.code.clone(),
                        name: c.name.clone(),
                        capacity: c.capacity,
                        booked: c.booked,
                        held: c.held,
                        remaining: c.remaining(),
                        allow_overlap: c.allow_overlap,
                    })
                    .collect(),
                form: BlockForm::new(&values, errors, &services),
                open,
            }
        })
        .collect();
    let (new_values, new_errors) = pending.new_block.unwrap_or_else(|| {
        (BlockValues { date: date.to_string(), ..BlockValues::default() }, FieldErrors::new())
    });
    let (copy, copy_errors) = pending.copy.unwrap_or_else(|| {
        let next = date + Days::new(1);
        let form = CopyForm {
            date: date.to_string(),
            from: next.to_string(),
            to: (date + Days::new(7)).to_string(),
        };
        (form, FieldErrors::new())
    });
    let page = TimetablePage {
        chrome: Chrome::app(scope, state).await?,
        tz: tenant.timezone.name().to_owned(),
        date: date.to_string(),
        date_label: long_date(date),
        today: today.to_string(),
        yesterday: (date - Days::new(1)).to_string(),
        prev_week: (date - Days::new(7)).to_string(),
        next_week: (date + Days::new(7)).to_string(),
        week,
        blocks,
        new_block: BlockForm::new(&new_values, new_errors, &services),
        has_block_services: services.iter().any(|s| s.mode == Mode::Block),
        copy,
        copy_errors,
    };
    let status = if is_error { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, state.templates.page("app/timetable.html", &page)).into_response())
}

/// The timetable of `?date=` (today in the tenant's zone when absent or unreadable).
pub async fn show(
    State(state): State<AppState>,
    scope: OwnerScope,
    Query(query): Query<DateQuery>,
) -> Result<Response, Error> {
    let date = query
        .date
        .as_deref()
        .and_then(|d| parse_date(d).ok())
        .unwrap_or_else(|| local_date(&scope.tenant, state.clock.now()));
    render(&state, &scope, date, Pending::default()).await
}
