//! Adding, changing and deleting a block; a block with bookings or holds keeps its date and
//! times, and is not deleted.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use portico_domain::parse::parse_date;
use portico_store::availability::local_date;
use portico_store::blocks::{self, DeleteOutcome};
use portico_store::catalog;

use super::day::{Pending, render};
use super::form::BlockValues;
use super::timetable_path;
use crate::auth::OwnerScope;
use crate::chrome::flash;
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::routes::input::blocks::{IN_USE_MOVE, moves, not_past};
use crate::{AppState, Error};

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
    let today = local_date(&scope.tenant, state.clock.now());
    let fields = match values.validate(&services).and_then(|f| not_past(f, None, today)) {
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
            Some(scope.user.id),
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
    let today = local_date(&scope.tenant, state.clock.now());
    let result = match values.validate(&services).and_then(|f| not_past(f, Some(block.date), today))
    {
        Ok(fields)
            if moves(&block, &fields)
                && blocks::in_use(&state.db, scope.id(), block.id).await? =>
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
    if !blocks::update(&state.db, scope.id(), block.id, &fields, now).await? {
        return Err(Error::NotFound);
    }
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
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
    match blocks::delete(&state.db, scope.id(), block.id).await? {
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
                    Some(scope.user.id),
                    "block.deleted",
                    format!("#{id} {} {}", block.date, block.label),
                )
                .await?;
            flash(&scope.viewer.session, "info", format!("Deleted {}.", block.label)).await?;
        }
    }
    Ok(see_other(&timetable_path(&scope, block.date)))
}
