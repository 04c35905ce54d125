//! Time off: added for the business or a staff member, deleted from the owner's list (or
//! by a staff member allowed to edit their own hours, from theirs).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use portico_domain::accounts::Role;
use portico_domain::parse::{parse_local, parse_reason};
use portico_domain::policy::time_off_span;
use portico_store::hours;
use serde::{Deserialize, Serialize};

use super::affected::{self, Choice};
use super::page::{Pending, render};
use super::{Person, staff_member};
use crate::auth::{OwnerScope, TenantScope};
use crate::chrome::flash;
use crate::forms::{Check, safe_next, see_other};
use crate::{AppState, Error};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TimeOffForm {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    reason: String,
    /// What to do with confirmed bookings inside the time off: `keep` or `cancel` (the
    /// clients are told). Asked for only when there are some.
    #[serde(default)]
    bookings: String,
}

async fn save_time_off(
    state: &AppState,
    scope: &TenantScope,
    person: &Person,
    form: TimeOffForm,
) -> Result<Response, Error> {
    let tz = scope.tenant.timezone;
    let mut check = Check::default();
    let start = check.field("start", parse_local(tz, &form.start));
    let end = check.field("end", parse_local(tz, &form.end));
    let reason = check.field("reason", parse_reason(&form.reason));
    if let (Some(start), Some(end)) = (start, end)
        && let Err((field, message)) = time_off_span(start, end, state.clock.now())
    {
        check.fail(field, message);
    }
    let (Some(start), Some(end), Some(reason), true) = (start, end, reason, check.is_ok()) else {
        let pending = Pending { time_off: Some((form, check.errors)), ..Pending::default() };
        return render(state, scope, person, pending).await;
    };
    // Bookings inside it: nothing changes until the owner chooses to keep or cancel them.
    let inside =
        affected::open_bookings(state, scope, person, start.timestamp(), end.timestamp()).await?;
    let choice = Choice::parse(&form.bookings);
    if !inside.is_empty() && choice.is_none() {
        let affected = affected::listed(state, scope, &inside).await?;
        check.fail("bookings", affected::count_message(inside.len(), "in this time off."));
        let pending =
            Pending { time_off: Some((form, check.errors)), affected, ..Pending::default() };
        return render(state, scope, person, pending).await;
    }
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
            Some(scope.user.id),
            "time_off.added",
            format!("#{} staff={:?}", entry.id, person.id()),
        )
        .await?;
    let text = affected::apply(state, scope, choice, &inside, "Time off added.").await?;
    flash(&scope.viewer.session, "info", &text).await?;
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
    scope: TenantScope,
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

/// Deletes time off: the owner any of the tenant's (their page lists everyone's); a staff
/// login allowed to edit its own hours only its own (anyone else's is 404).
pub async fn delete_time_off(
    State(state): State<AppState>,
    scope: TenantScope,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, Error> {
    super::edits_own_hours(&scope)?;
    let entry = hours::get_time_off(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    if scope.role != Role::Owner {
        // Only time off of the staff member's own: the business's or another's is 404.
        staff_member(&state, &scope, entry.staff_id.ok_or(Error::NotFound)?.get()).await?;
    }
    if !hours::delete_time_off(&state.db, scope.id(), entry.id).await? {
        return Err(Error::NotFound);
    }
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "time_off.deleted",
            format!("#{id}"),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Time off deleted.").await?;
    let back = safe_next(form.next.as_deref())
        .unwrap_or_else(|| format!("/app/{}/hours", scope.tenant.slug));
    Ok(see_other(&back))
}
