//! A client marks services and staff members as favourites (listed first when they book).
//! Each form says whether the item is to be a favourite (`favourite=on`) or not, so a repeated
//! post changes nothing; the item must be the tenant's, else 404.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use portico_store::favourites::{self, Kind};
use portico_store::{catalog, staff};
use serde::Deserialize;

use crate::auth::ClientScope;
use crate::forms::{safe_next, see_other};
use crate::{AppState, Error};

#[derive(Debug, Deserialize)]
pub struct FavouriteForm {
    /// Present: make it a favourite; absent: not any more.
    favourite: Option<String>,
    /// The portal page to return to.
    next: Option<String>,
}

/// Marks or unmarks the tenant's active service `code`.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn service(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, code)): Path<(String, String)>,
    Form(form): Form<FavouriteForm>,
) -> Result<Response, Error> {
    let service = catalog::by_code(&state.db, scope.tenant.id, &code)
        .await?
        .filter(|s| s.active)
        .ok_or(Error::NotFound)?;
    save(&state, &scope, Kind::Service, service.id.get(), &form).await
}

/// Marks or unmarks the tenant's active staff member `id`.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn staff(
    State(state): State<AppState>,
    scope: ClientScope,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<FavouriteForm>,
) -> Result<Response, Error> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    let member = staff::get(&state.db, scope.tenant.id, id)
        .await?
        .filter(|s| s.active)
        .ok_or(Error::NotFound)?;
    save(&state, &scope, Kind::Staff, member.id.get(), &form).await
}

async fn save(
    state: &AppState,
    scope: &ClientScope,
    kind: Kind,
    item: i64,
    form: &FavouriteForm,
) -> Result<Response, Error> {
    let on = form.favourite.is_some();
    let now = state.clock.now_ts();
    favourites::set(&state.db, scope.tenant.id, scope.client.id, kind, item, on, now).await?;
    let portal = format!("/portal/{}", scope.tenant.slug);
    let next = safe_next(form.next.as_deref())
        .filter(|next| next.starts_with(&format!("{portal}/")))
        .unwrap_or_else(|| format!("{portal}/bookings/new"));
    Ok(see_other(&next))
}
