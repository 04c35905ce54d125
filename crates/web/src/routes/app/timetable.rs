//! The timetable / capacity editor: labelled blocks on a local date, each with places per
//! `block` service; a week strip to move between days; copy yesterday, or one day onto a
//! range. The validation is shared with the API (`routes::input::blocks`).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike as _, Days, NaiveDate};
use portico_domain::parse::{copy_targets, hhmm, parse_capacity, parse_date, parse_label};
use portico_store::availability::local_date;
use portico_store::blocks::{self, Block, BlockFields, CapacityFields, DeleteOutcome};
use portico_store::catalog::{self, Mode, Service};
use serde::{Deserialize, Serialize};

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::routes::input::blocks::{IN_USE_MOVE, moves, not_bookable_in_blocks, parse_times};
use crate::{AppState, Error};

/// "Tuesday 1 December 2026".
fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    #[serde(default)]
    date: Option<String>,
}

/// A block form as typed: the block's fields and, per service id, places and overlap.
#[derive(Debug, Clone, Default)]
struct BlockValues {
    date: String,
    start: String,
    end: String,
    label: String,
    capacities: BTreeMap<i64, (String, bool)>,
}

impl BlockValues {
    fn from_block(block: &Block) -> Self {
        Self {
            date: block.date.to_string(),
            start: hhmm(block.start_minute.into()),
            end: hhmm(block.end_minute.into()),
            label: block.label.clone(),
            capacities: block
                .capacities
                .iter()
                .map(|c| (c.service_id, (c.capacity.to_string(), c.allow_overlap)))
                .collect(),
        }
    }

    fn from_form(fields: &[(String, String)]) -> Self {
        let mut values = Self::default();
        for (name, value) in fields {
            let value = value.trim().to_owned();
            match name.as_str() {
                "date" => values.date = value,
                "start" => values.start = value,
                "end" => values.end = value,
                "label" => values.label = value,
                _ => {
                    if let Some(id) = name.strip_prefix("cap_").and_then(|id| id.parse().ok()) {
                        values.capacities.entry(id).or_default().0 = value;
                    } else if let Some(id) =
                        name.strip_prefix("overlap_").and_then(|id| id.parse().ok())
                    {
                        values.capacities.entry(id).or_default().1 = true;
                    }
                }
            }
        }
        values
    }

    /// Checks every field; capacities of other tenants' or slot services are refused.
    fn validate(&self, services: &[Service]) -> Result<BlockFields, FieldErrors> {
        let mut check = Check::default();
        let date = check.field("date", parse_date(&self.date));
        let times = match parse_times(&self.start, &self.end) {
            Ok(times) => Some(times),
            Err((field, message)) => {
                check.fail(field, message);
                None
            }
        };
        let label = check.field("label", parse_label(&self.label));
        let mut capacities = Vec::new();
        for (&id, (text, allow_overlap)) in &self.capacities {
            if text.is_empty() {
                continue;
            }
            let Some(service) = services.iter().find(|s| s.id == id) else {
                check.fail("capacities", format!("Unknown service #{id}."));
                continue;
            };
            if let Some(message) = not_bookable_in_blocks(service) {
                check.fail(&format!("cap_{id}"), message);
                continue;
            }
            let key = format!("cap_{id}");
            if let Some(capacity) = check.field(&key, parse_capacity(text.parse().ok())) {
                capacities.push(CapacityFields {
                    service_id: id,
                    capacity,
                    allow_overlap: *allow_overlap,
                });
            }
        }
        match (date, times, label) {
            (Some(date), Some((start_minute, end_minute)), Some(label)) if check.is_ok() => {
                Ok(BlockFields { date, start_minute, end_minute, label, capacities })
            }
            _ => Err(check.errors),
        }
    }
}

#[derive(Serialize)]
struct CapacityInput {
    id: i64,
    name: String,
    capacity: String,
    allow_overlap: bool,
    error: Option<String>,
}

#[derive(Serialize)]
struct BlockForm {
    date: String,
    start: String,
    end: String,
    label: String,
    services: Vec<CapacityInput>,
    errors: FieldErrors,
}

impl BlockForm {
    /// The inputs for every `block` service, plus any other service the block already has.
    fn new(values: &BlockValues, errors: FieldErrors, services: &[Service]) -> Self {
        let services = services
            .iter()
            .filter(|s| s.mode == Mode::Block || values.capacities.contains_key(&s.id))
            .map(|s| {
                let (capacity, allow_overlap) =
                    values.capacities.get(&s.id).cloned().unwrap_or_default();
                CapacityInput {
                    id: s.id,
                    name: if s.active { s.name.clone() } else { format!("{} (inactive)", s.name) },
                    capacity,
                    allow_overlap,
                    error: errors.get(&format!("cap_{}", s.id)).cloned(),
                }
            })
            .collect();
        Self {
            date: values.date.clone(),
            start: values.start.clone(),
            end: values.end.clone(),
            label: values.label.clone(),
            services,
            errors,
        }
    }
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

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CopyForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
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
struct Pending {
    new_block: Option<(BlockValues, FieldErrors)>,
    edit: Option<(i64, BlockValues, FieldErrors)>,
    copy: Option<(CopyForm, FieldErrors)>,
}

fn timetable_path(scope: &OwnerScope, date: NaiveDate) -> String {
    format!("/app/{}/timetable?date={date}", scope.tenant.slug)
}

async fn render(
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
            let open = edit_id == Some(b.id);
            let (values, errors) = match edit.take_if(|_| open) {
                Some(failed) => failed,
                None => (BlockValues::from_block(b), FieldErrors::new()),
            };
            BlockView {
                id: b.id,
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

/// The date to show again after a failed post: the one typed, else today.
fn fallback_date(state: &AppState, scope: &OwnerScope, text: &str) -> NaiveDate {
    parse_date(text).unwrap_or_else(|_| local_date(&scope.tenant, state.clock.now()))
}

pub async fn create(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let values = BlockValues::from_form(&fields);
    let services = catalog::list(&state.db, scope.id(), false).await?;
    let fields = match values.validate(&services) {
        Ok(fields) => fields,
        Err(errors) => {
            let date = fallback_date(&state, &scope, &values.date);
            let pending = Pending { new_block: Some((values, errors)), ..Pending::default() };
            return render(&state, &scope, date, pending).await;
        }
    };
    let id = blocks::insert(&state.db, scope.id(), &fields, state.clock.now_ts()).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "block.created",
            format!("#{id} {} {}", fields.date, fields.label),
        )
        .await?;
    flash(&scope.viewer.session, "info", format!("Added {}.", fields.label)).await?;
    Ok(see_other(&timetable_path(&scope, fields.date)))
}

pub async fn update(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let now = state.clock.now_ts();
    let block = blocks::get(&state.db, scope.id(), id, now).await?.ok_or(Error::NotFound)?;
    let values = BlockValues::from_form(&fields);
    let services = catalog::list(&state.db, scope.id(), false).await?;
    let result = match values.validate(&services) {
        Ok(fields)
            if moves(&block, &fields) && blocks::in_use(&state.db, scope.id(), id).await? =>
        {
            Err(FieldErrors::from([("start".to_owned(), IN_USE_MOVE.to_owned())]))
        }
        other => other,
    };
    let fields = match result {
        Ok(fields) => fields,
        Err(errors) => {
            let pending = Pending { edit: Some((id, values, errors)), ..Pending::default() };
            return render(&state, &scope, block.date, pending).await;
        }
    };
    if !blocks::update(&state.db, scope.id(), id, &fields, now).await? {
        return Err(Error::NotFound);
    }
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "block.updated",
            format!("#{id} {} {}", fields.date, fields.label),
        )
        .await?;
    flash(&scope.viewer.session, "info", format!("Saved {}.", fields.label)).await?;
    Ok(see_other(&timetable_path(&scope, fields.date)))
}

pub async fn delete(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let block = blocks::get(&state.db, scope.id(), id, state.clock.now_ts())
        .await?
        .ok_or(Error::NotFound)?;
    match blocks::delete(&state.db, scope.id(), id).await? {
        DeleteOutcome::NotFound => return Err(Error::NotFound),
        DeleteOutcome::InUse => {
            let text = format!(
                "{} has bookings or holds, so it was not deleted. Cancel or move them first, \
                 or set its places to 0 to stop new bookings.",
                block.label
            );
            flash(&scope.viewer.session, "error", text).await?;
        }
        DeleteOutcome::Deleted => {
            state
                .audit(
                    &scope.viewer,
                    Some(scope.id()),
                    Some(scope.user.id()),
                    "block.deleted",
                    format!("#{id} {} {}", block.date, block.label),
                )
                .await?;
            flash(&scope.viewer.session, "info", format!("Deleted {}.", block.label)).await?;
        }
    }
    Ok(see_other(&timetable_path(&scope, block.date)))
}

/// A summary of a copy for a flash message.
fn copy_summary(filled: &[NaiveDate], skipped: &[NaiveDate]) -> String {
    let list = |dates: &[NaiveDate]| dates.iter().map(ToString::to_string).collect::<Vec<_>>();
    let mut text = match filled.len() {
        0 => "Nothing was copied.".to_owned(),
        1 => format!("Copied onto {}.", filled[0]),
        n => format!("Copied onto {n} days: {}.", list(filled).join(", ")),
    };
    if !skipped.is_empty() {
        text.push_str(&format!(
            " Skipped {} that already had blocks: {}.",
            if skipped.len() == 1 { "1 day".to_owned() } else { format!("{} days", skipped.len()) },
            list(skipped).join(", ")
        ));
    }
    text
}

#[derive(Debug, Deserialize)]
pub struct DateForm {
    #[serde(default)]
    date: String,
}

/// Copies the previous day's blocks onto this date, if it has none yet.
pub async fn copy_yesterday(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<DateForm>,
) -> Result<Response, Error> {
    let date = parse_date(&form.date).map_err(|_| Error::NotFound)?;
    let yesterday = date - Days::new(1);
    let now = state.clock.now_ts();
    let source = blocks::between(&state.db, scope.id(), yesterday, yesterday, now).await?;
    if source.is_empty() {
        let text = format!("{} has no blocks to copy.", long_date(yesterday));
        flash(&scope.viewer.session, "error", text).await?;
        return Ok(see_other(&timetable_path(&scope, date)));
    }
    let (filled, _) = blocks::copy_day(&state.db, scope.id(), yesterday, &[date], now).await?;
    if filled.is_empty() {
        let text = "This day already has blocks, so nothing was copied.";
        flash(&scope.viewer.session, "error", text).await?;
    } else {
        state
            .audit(
                &scope.viewer,
                Some(scope.id()),
                Some(scope.user.id()),
                "blocks.copied",
                format!("{yesterday} -> {date}"),
            )
            .await?;
        let blocks = if source.len() == 1 {
            "1 block".to_owned()
        } else {
            format!("{} blocks", source.len())
        };
        let text = format!("Copied {blocks} from {}.", long_date(yesterday));
        flash(&scope.viewer.session, "info", text).await?;
    }
    Ok(see_other(&timetable_path(&scope, date)))
}

/// Copies this day's blocks onto every empty date of a range.
pub async fn copy_range(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<CopyForm>,
) -> Result<Response, Error> {
    let date = parse_date(&form.date).map_err(|_| Error::NotFound)?;
    let mut check = Check::default();
    let from = check.field("from", parse_date(&form.from));
    let to = check.field("to", parse_date(&form.to));
    let targets = match (from, to) {
        (Some(from), Some(to)) => check.field("to", copy_targets(from, to)),
        _ => None,
    };
    let now = state.clock.now_ts();
    if blocks::between(&state.db, scope.id(), date, date, now).await?.is_empty() {
        check.fail("copy", "This day has no blocks to copy.");
    }
    let (Some(targets), true) = (targets, check.is_ok()) else {
        let pending = Pending { copy: Some((form, check.errors)), ..Pending::default() };
        return render(&state, &scope, date, pending).await;
    };
    let (filled, mut skipped) =
        blocks::copy_day(&state.db, scope.id(), date, &targets, now).await?;
    // The day itself, inside the range, has blocks too: it is skipped like the others.
    if targets.contains(&date) {
        skipped.push(date);
        skipped.sort();
    }
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id()),
            "blocks.copied",
            format!("{date} -> {} days, {} skipped", filled.len(), skipped.len()),
        )
        .await?;
    let kind = if filled.is_empty() { "error" } else { "info" };
    flash(&scope.viewer.session, kind, copy_summary(&filled, &skipped)).await?;
    Ok(see_other(&timetable_path(&scope, date)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    #[test]
    fn copy_summaries_name_the_dates() {
        let text = copy_summary(&[day("2026-12-02"), day("2026-12-04")], &[day("2026-12-03")]);
        assert_eq!(
            text,
            "Copied onto 2 days: 2026-12-02, 2026-12-04. Skipped 1 day that already had blocks: \
             2026-12-03."
        );
    }
}
