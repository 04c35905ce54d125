//! Copying a day's blocks: onto today from yesterday, or onto every empty date of a range.

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use portico_domain::parse::{copy_targets, parse_date};
use portico_store::blocks;
use serde::{Deserialize, Serialize};

use super::day::{Pending, render};
use super::{long_date, timetable_path};
use crate::auth::OwnerScope;
use crate::chrome::flash;
use crate::forms::{Check, see_other};
use crate::{AppState, Error};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CopyForm {
    #[serde(default)]
    pub(super) date: String,
    #[serde(default)]
    pub(super) from: String,
    #[serde(default)]
    pub(super) to: String,
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
    let today = portico_store::availability::local_date(&scope.tenant, state.clock.now());
    if let Err((_, message)) = portico_domain::policy::block_date(date, None, today) {
        flash(&scope.viewer.session, "error", message).await?;
        return Ok(see_other(&timetable_path(&scope, date)));
    }
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
                Some(scope.user.id),
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
    let today = portico_store::availability::local_date(&scope.tenant, state.clock.now());
    if let Some(from) = from
        && let Err((_, message)) = portico_domain::policy::block_date(from, None, today)
    {
        check.fail("from", message);
    }
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
            Some(scope.user.id),
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
