//! `GET /feeds/{token}.ics`: a team member's or a client's private calendar feed. The random
//! token is the only credential (calendar apps cannot log in); regenerating it on the
//! notifications page or the portal profile revokes the old address, which then answers 404.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portico_domain::StaffId;
use portico_domain::accounts::Role;
use portico_store::notify::feeds::{self, Owner};
use portico_store::{clients, staff, tenants};

use crate::{AppState, Error};

pub fn router() -> Router<AppState> {
    Router::new().route("/feeds/{file}", get(show))
}

/// The absolute address of the feed with `token`, as a calendar app needs it.
pub fn url(state: &AppState, token: &str) -> String {
    let base = state.config.public_url.as_str().trim_end_matches('/');
    format!("{base}/feeds/{token}.ics")
}

#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, Error> {
    let token = file.strip_suffix(".ics").ok_or(Error::NotFound)?;
    let (tenant_id, owner) = feeds::by_token(&state.db, token).await?.ok_or(Error::NotFound)?;
    let tenant = tenants::by_id(&state.db, tenant_id.get()).await?.ok_or(Error::NotFound)?;
    let now = state.clock.now();
    let (name, bookings) = match owner {
        Owner::Member(user) => {
            let role =
                tenants::role_of(&state.db, tenant.id, user).await?.ok_or(Error::NotFound)?;
            let own = staff::for_user(&state.db, tenant.id, user).await?.map(|s| s.id);
            let list = feeds::member_bookings(
                &state.db,
                &tenant,
                own.map(StaffId::get),
                role == Role::Owner,
                now.timestamp(),
            )
            .await?;
            (format!("{} · my bookings", tenant.name), list)
        }
        Owner::Client(client) => {
            let client =
                clients::get(&state.db, tenant.id, client.get()).await?.ok_or(Error::NotFound)?;
            let list =
                feeds::client_bookings(&state.db, &tenant, client.id, now.timestamp()).await?;
            (format!("{} · my bookings", tenant.name), list)
        }
    };
    let mut events = Vec::with_capacity(bookings.len());
    for booking in bookings {
        let sequence = feeds::sequence(&state.db, tenant.id, booking.id, None).await?;
        events.push((booking, sequence));
    }
    let body = portico_core::ics::feed(&name, &tenant, &events, now);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}
