//! Timetable blocks over the API: per-service places keyed by service code, with what is
//! booked, held and remaining; copying a day onto another day or a range.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use portico_domain::parse::{copy_targets, hhmm, parse_capacity, parse_date, parse_label};
use portico_store::availability::local_date;
use portico_store::blocks::{self, Block, BlockFields, CapacityFields, DeleteOutcome};
use portico_store::catalog::{self, Service};
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::ApiScope;
use crate::error::{FieldErrors, field_error};
use crate::json::parse as json_body;
use crate::routes::input::blocks::{
    IN_USE_MOVE, moves, not_bookable_in_blocks, not_past, parse_times,
};
use crate::{AppState, Error};

/// A block as the API shows it; every map is keyed by service code.
#[derive(Debug, Serialize)]
pub struct BlockJson {
    id: i64,
    date: NaiveDate,
    start: String,
    end: String,
    label: String,
    capacities: BTreeMap<String, u32>,
    allow_overlap: BTreeMap<String, bool>,
    booked: BTreeMap<String, u32>,
    held: BTreeMap<String, u32>,
    remaining: BTreeMap<String, u32>,
}

impl From<&Block> for BlockJson {
    fn from(b: &Block) -> Self {
        let by_code = |f: &dyn Fn(&blocks::Capacity) -> u32| {
            b.capacities.iter().map(|c| (c.code.clone(), f(c))).collect()
        };
        Self {
            id: b.id.get(),
            date: b.date,
            start: hhmm(b.start_minute.into()),
            end: hhmm(b.end_minute.into()),
            label: b.label.clone(),
            capacities: by_code(&|c| c.capacity),
            allow_overlap: b.capacities.iter().map(|c| (c.code.clone(), c.allow_overlap)).collect(),
            booked: by_code(&|c| c.booked),
            held: by_code(&|c| c.held),
            remaining: by_code(&|c| c.remaining()),
        }
    }
}

/// A block request; everything is optional so a `PATCH` can send only what changes, and a
/// missing field gets a field message rather than a parse error.
#[derive(Debug, Default, Deserialize)]
struct BlockBody {
    date: Option<String>,
    start: Option<String>,
    end: Option<String>,
    label: Option<String>,
    /// `code → places`, or `code → {"capacity": n, "allow_overlap": bool}`; in a `PATCH`,
    /// `code → null` removes the service from the block and codes left out keep theirs.
    #[serde(default)]
    capacities: BTreeMap<String, Value>,
}

/// Parses one capacity entry of the body.
fn capacity_entry(value: &Value) -> Result<(u32, bool), String> {
    let (places, overlap) = match value {
        Value::Object(map) => (map.get("capacity"), map.get("allow_overlap")),
        other => (Some(other), None),
    };
    let capacity = parse_capacity(places.and_then(Value::as_i64))?;
    let allow_overlap = match overlap {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("allow_overlap must be true or false.".to_owned()),
    };
    Ok((capacity, allow_overlap))
}

/// Checks a complete body against the tenant's services.
fn validate(body: &BlockBody, services: &[Service]) -> Result<BlockFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut fail = |field: &str, message: String| {
        errors.entry(field.to_owned()).or_insert(message);
    };
    let required = "This field is required.".to_owned();
    let date = match body.date.as_deref().map(parse_date) {
        Some(Ok(date)) => Some(date),
        Some(Err(message)) => {
            fail("date", message.to_owned());
            None
        }
        None => {
            fail("date", required.clone());
            None
        }
    };
    let times = match (body.start.as_deref(), body.end.as_deref()) {
        (Some(start), Some(end)) => match parse_times(start, end) {
            Ok(times) => Some(times),
            Err((field, message)) => {
                fail(field, message);
                None
            }
        },
        (start, end) => {
            if start.is_none() {
                fail("start", required.clone());
            }
            if end.is_none() {
                fail("end", required.clone());
            }
            None
        }
    };
    let label = match parse_label(body.label.as_deref().unwrap_or_default()) {
        Ok(label) => Some(label),
        Err(message) => {
            fail("label", message);
            None
        }
    };
    let mut capacities = Vec::new();
    for (code, value) in &body.capacities {
        let key = format!("capacities.{code}");
        let Some(service) = services.iter().find(|s| &s.code == code) else {
            fail(&key, "No service has this code.".to_owned());
            continue;
        };
        if let Some(message) = not_bookable_in_blocks(service) {
            fail(&key, message);
            continue;
        }
        match capacity_entry(value) {
            Ok((capacity, allow_overlap)) => {
                capacities.push(CapacityFields {
                    service_id: service.id.get(),
                    capacity,
                    allow_overlap,
                });
            }
            Err(message) => fail(&key, message),
        }
    }
    match (date, times, label) {
        (Some(date), Some((start_minute, end_minute)), Some(label)) if errors.is_empty() => {
            Ok(BlockFields { date, start_minute, end_minute, label, capacities })
        }
        _ => Err(errors),
    }
}

async fn load(state: &AppState, tenant: &Tenant, id: i64) -> Result<Block, Error> {
    blocks::get(&state.db, tenant.id, id, state.clock.now_ts()).await?.ok_or(Error::NotFound)
}

#[derive(Debug, Deserialize)]
pub struct DayQuery {
    date: Option<String>,
}

/// The blocks of `?date=` (today in the tenant's zone when left out).
pub async fn index(
    State(state): State<AppState>,
    scope: ApiScope,
    Query(query): Query<DayQuery>,
) -> Result<Json<Value>, Error> {
    let date = match query.date.as_deref() {
        Some(text) => parse_date(text).map_err(|message| field_error("date", message))?,
        None => local_date(&scope.tenant, state.clock.now()),
    };
    let list: Vec<BlockJson> =
        blocks::between(&state.db, scope.tenant.id, date, date, state.clock.now_ts())
            .await?
            .iter()
            .map(Into::into)
            .collect();
    Ok(Json(serde_json::json!({ "date": date, "blocks": list })))
}

pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<BlockJson>, Error> {
    Ok(Json((&load(&state, &scope.tenant, id).await?).into()))
}

pub async fn create(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    let body: BlockBody = json_body(body)?;
    let services = catalog::list(&state.db, scope.tenant.id, false).await?;
    let today = portico_store::availability::local_date(&scope.tenant, state.clock.now());
    let fields = validate(&body, &services)
        .and_then(|f| not_past(f, None, today))
        .map_err(|fields| Error::Unprocessable { fields })?;
    let id = blocks::insert(&state.db, scope.tenant.id, &fields, state.clock.now_ts()).await?;
    let block = load(&state, &scope.tenant, id.get()).await?;
    Ok((StatusCode::CREATED, Json(BlockJson::from(&block))).into_response())
}

/// Changes what the body names; the rest of the block stays. A block with bookings or holds
/// keeps its date and times (409 `in_use`).
pub async fn update(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<BlockJson>, Error> {
    let block = load(&state, &scope.tenant, id).await?;
    let patch: BlockBody = json_body(body)?;
    let mut capacities: BTreeMap<String, Value> = block
        .capacities
        .iter()
        .map(|c| {
            let entry =
                serde_json::json!({ "capacity": c.capacity, "allow_overlap": c.allow_overlap });
            (c.code.clone(), entry)
        })
        .collect();
    for (code, value) in patch.capacities {
        if value.is_null() {
            capacities.remove(&code);
        } else {
            capacities.insert(code, value);
        }
    }
    let merged = BlockBody {
        date: Some(patch.date.unwrap_or_else(|| block.date.to_string())),
        start: Some(patch.start.unwrap_or_else(|| hhmm(block.start_minute.into()))),
        end: Some(patch.end.unwrap_or_else(|| hhmm(block.end_minute.into()))),
        label: Some(patch.label.unwrap_or_else(|| block.label.clone())),
        capacities,
    };
    let services = catalog::list(&state.db, scope.tenant.id, false).await?;
    let today = portico_store::availability::local_date(&scope.tenant, state.clock.now());
    let fields = validate(&merged, &services)
        .and_then(|f| not_past(f, Some(block.date), today))
        .map_err(|fields| Error::Unprocessable { fields })?;
    if moves(&block, &fields) && blocks::in_use(&state.db, scope.tenant.id, block.id).await? {
        return Err(Error::Conflict { code: "in_use", message: IN_USE_MOVE.to_owned() });
    }
    if !blocks::update(&state.db, scope.tenant.id, block.id, &fields, state.clock.now_ts()).await? {
        return Err(Error::NotFound);
    }
    Ok(Json((&load(&state, &scope.tenant, id).await?).into()))
}

pub async fn delete(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<StatusCode, Error> {
    let block = load(&state, &scope.tenant, id).await?;
    match blocks::delete(&state.db, scope.tenant.id, block.id).await? {
        DeleteOutcome::Deleted => Ok(StatusCode::NO_CONTENT),
        DeleteOutcome::NotFound => Err(Error::NotFound),
        DeleteOutcome::InUse => Err(Error::Conflict {
            code: "in_use",
            message: "This block has bookings or holds: cancel or move them first, or set its \
                      places to 0."
                .to_owned(),
        }),
    }
}

#[derive(Debug, Deserialize)]
struct CopyBody {
    from_date: Option<String>,
    to_date: Option<String>,
    /// The last date of a range starting at `to_date`.
    until: Option<String>,
}

/// Copies the blocks of `from_date` onto `to_date` (or every date from `to_date` to `until`)
/// where there are none yet. Dates that already had blocks are reported as skipped.
pub async fn copy(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, Error> {
    let body: CopyBody = json_body(body)?;
    let mut errors = FieldErrors::new();
    let mut date = |field: &str, text: Option<&str>| match text.map(parse_date) {
        Some(Ok(date)) => Some(date),
        Some(Err(message)) => {
            errors.insert(field.to_owned(), message.to_owned());
            None
        }
        None => {
            errors.insert(field.to_owned(), "This field is required.".to_owned());
            None
        }
    };
    let from = date("from_date", body.from_date.as_deref());
    let to = date("to_date", body.to_date.as_deref());
    let until = match body.until.as_deref() {
        Some(text) => date("until", Some(text)),
        None => to,
    };
    let (Some(from), Some(to), Some(until)) = (from, to, until) else {
        return Err(Error::Unprocessable { fields: errors });
    };
    let today = portico_store::availability::local_date(&scope.tenant, state.clock.now());
    if let Err((_, message)) = portico_domain::policy::block_date(to, None, today) {
        return Err(field_error("to_date", message));
    }
    let targets = copy_targets(to, until).map_err(|message| field_error("until", message))?;
    if targets == [from] {
        return Err(field_error("to_date", "Copy onto another date than the one copied."));
    }
    let now = state.clock.now_ts();
    let source = blocks::between(&state.db, scope.tenant.id, from, from, now).await?;
    if source.is_empty() {
        return Err(field_error("from_date", format!("{from} has no blocks to copy.")));
    }
    let (filled, mut skipped) =
        blocks::copy_day(&state.db, scope.tenant.id, from, &targets, now).await?;
    // The source date inside the range has blocks too: it is skipped like the others.
    if targets.contains(&from) {
        skipped.push(from);
        skipped.sort();
    }
    Ok(Json(serde_json::json!({
        "from_date": from,
        "blocks_per_day": source.len(),
        "filled": filled,
        "skipped": skipped,
    })))
}
