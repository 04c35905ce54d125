//! Starting and ending the owner's read-only preview of a client's portal
//! ([`crate::preview`]). Both are audited; ending returns to the client's page.

use axum::extract::{Path, State};
use axum::response::Response;
use portico_store::clients;

use crate::auth::OwnerScope;
use crate::chrome::flash;
use crate::forms::see_other;
use crate::preview::{self, Preview};
use crate::{AppState, Error};

/// `POST …/clients/{id}/preview`: opens the client's portal as they see it.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn start(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let client = clients::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)?;
    let marker = Preview {
        tenant_id: scope.id().get(),
        tenant_slug: scope.tenant.slug.clone(),
        client_id: id,
    };
    preview::start(&scope.viewer.session, &marker).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "client.preview_started",
            format!("#{id} {}", client.name),
        )
        .await?;
    Ok(see_other(&format!("/portal/{}", scope.tenant.slug)))
}

/// `POST /app/{tenant}/preview/end`: back to the client's page (or the client list when no
/// preview of this tenant was running).
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn end(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    let current = preview::current(&scope.viewer.session).await?;
    let Some(ended) = current.filter(|p| p.tenant_id == scope.id().get()) else {
        return Ok(see_other(&format!("/app/{}/clients", scope.tenant.slug)));
    };
    preview::end(&scope.viewer.session).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "client.preview_ended",
            format!("#{}", ended.client_id),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Preview ended.").await?;
    Ok(see_other(&format!("/app/{}/clients/{}", scope.tenant.slug, ended.client_id)))
}
