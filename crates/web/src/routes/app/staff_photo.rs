//! A staff member's photo (PRO), shown next to their name and bio where clients choose who
//! they book with: uploaded through the same picture pipeline as the logo.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use portico_store::images::{self, Picture};

use super::staff::{StaffForm, load, render_form};
use crate::auth::{OwnerScope, RequirePlan, StaffGate};
use crate::chrome::flash;
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::{AppState, Error, pictures};

/// The widest and tallest a photo is kept (larger ones are shrunk to fit).
const PHOTO_FIT: u32 = 256;

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn upload(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Error> {
    let member = load(&state, &scope, &id).await?;
    let picture = Picture::Staff(member.id.get());
    if let Err(message) = pictures::upload(&state, scope.id(), picture, form, PHOTO_FIT).await? {
        let errors = FieldErrors::from([("picture".to_owned(), message.to_owned())]);
        let form = StaffForm::from_member(&member);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_form(&state, &scope, Some(&member), &form, status, &errors).await;
    }
    let detail = format!("#{} photo", member.id);
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), "staff.updated", detail)
        .await?;
    flash(&scope.viewer.session, "info", format!("{}'s photo was saved.", member.name)).await?;
    Ok(see_other(&format!("/app/{}/staff/{}", scope.tenant.slug, member.id)))
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn remove(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let member = load(&state, &scope, &id).await?;
    if images::delete(&state.db, scope.id(), Picture::Staff(member.id.get())).await? {
        let detail = format!("#{} photo removed", member.id);
        let actor = Some(scope.user.id);
        state.audit(&scope.viewer, Some(scope.id()), actor, "staff.updated", detail).await?;
        flash(&scope.viewer.session, "info", format!("{}'s photo was removed.", member.name))
            .await?;
    }
    Ok(see_other(&format!("/app/{}/staff/{}", scope.tenant.slug, member.id)))
}
