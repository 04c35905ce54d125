//! The business's logo and its staff members' photos, served to every page and email that
//! shows them (public, like the booking page; each from the tenant in the path only).

use axum::extract::{Path, State};
use axum::response::Response;
use portico_store::images::Picture;

use super::pages::tenant;
use crate::{AppState, Error, pictures};

/// `/book/{tenant}/logo`
pub async fn logo(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    pictures::serve(&state, tenant.id, Picture::Logo).await
}

/// `/book/{tenant}/staff/{id}/photo`
pub async fn staff_photo(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let tenant = tenant(&state, &slug).await?;
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    pictures::serve(&state, tenant.id, Picture::Staff(id)).await
}
