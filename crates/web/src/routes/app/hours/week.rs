//! The weekly-hours form: rows `start_{weekday}_{n}` / `end_{weekday}_{n}`, saved whole or not
//! at all; new hours that leave confirmed bookings out wait for the owner's choice (`bookings`
//! = `keep` or `cancel`, see [`affected`]).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use portico_store::bookings::Booking;
use portico_store::hours;

use super::affected::{self, Choice, within_hours};
use super::page::{Pending, render};
use super::{Person, staff_member};
use crate::auth::{OwnerScope, TenantScope};
use crate::chrome::flash;
use crate::forms::see_other;
use crate::routes::input::hours::{MAX_RANGES_PER_DAY, RangeText, parse_week};
use crate::{AppState, Error};

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
    scope: &TenantScope,
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
    // Confirmed bookings ahead that the old hours held and the new ones leave out: nothing
    // changes until the owner chooses to keep or cancel them.
    let choice =
        fields.iter().find(|(name, _)| name == "bookings").and_then(|(_, v)| Choice::parse(v));
    let now = state.clock.now_ts();
    let old = hours::weekly(&state.db, scope.id(), person.id()).await?;
    let tenant = &scope.tenant;
    let left_out: Vec<Booking> = affected::open_bookings(state, scope, person, now, i64::MAX)
        .await?
        .into_iter()
        .filter(|b| b.starts_at.unix() >= now)
        .filter(|b| within_hours(tenant, &old, b) && !within_hours(tenant, &ranges, b))
        .collect();
    if !left_out.is_empty() && choice.is_none() {
        let shown = filled.iter().map(|(_, d, s, e)| (d.clone(), s.clone(), e.clone())).collect();
        let pending = Pending {
            week: Some((shown, BTreeMap::new())),
            week_affected: affected::listed(state, scope, &left_out).await?,
            week_message: Some(affected::count_message(left_out.len(), "outside the new hours.")),
            ..Pending::default()
        };
        return render(state, scope, person, pending).await;
    }
    hours::replace_weekly(&state.db, scope.id(), person.id(), &ranges).await?;
    let who = person.id().map_or_else(|| "business".to_owned(), |id| format!("staff #{id}"));
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "hours.updated",
            format!("{who}: {} ranges", ranges.len()),
        )
        .await?;
    let text = affected::apply(state, scope, choice, &left_out, "Weekly hours saved.").await?;
    flash(&scope.viewer.session, "info", text).await?;
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
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let person = staff_member(&state, &scope, id).await?;
    save_week(&state, &scope, &person, &fields).await
}
