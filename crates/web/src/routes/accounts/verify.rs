//! Email verification: the link shows a page; confirming is a POST (no state change on GET).

use axum::extract::{Path, State};
use axum::response::Response;
use portico_jobs::{AccountEmail, LinkGuest};
use portico_store::tokens::{self, Purpose};
use portico_store::users;
use serde::Serialize;

use crate::auth::Viewer;
use crate::chrome::{Chrome, flash};
use crate::forms::see_other;
use crate::routes::accounts::password::invalid_link;
use crate::{AppState, Error};

#[derive(Serialize)]
struct VerifyPage<'a> {
    chrome: Chrome,
    token: &'a str,
    email: String,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let link = tokens::peek(&state.db, Purpose::VerifyEmail, &token, state.clock.now_ts())
        .await?
        .ok_or_else(invalid_link)?;
    let page = VerifyPage { chrome: Chrome::new(&viewer).await?, token: &token, email: link.email };
    Ok(state.templates.page("account/verify.html", &page))
}

pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let now = state.clock.now_ts();
    let mut tx = state.db.begin_write().await?;
    let link = tokens::consume(&mut tx, Purpose::VerifyEmail, &token, now)
        .await?
        .ok_or_else(invalid_link)?;
    let user_id = link.user_id.ok_or_else(invalid_link)?;
    users::mark_verified(&mut tx, user_id, now).await?;
    // The address is proven: the login's guest bookings can now be linked.
    portico_jobs::enqueue(&mut tx, &LinkGuest::Link { user_id: user_id.get() }, now).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    state.audit(&viewer, None, Some(user_id), "email.verified", link.email).await?;
    flash(&viewer.session, "info", "Thank you — your email address is confirmed.").await?;
    Ok(see_other(if viewer.user.is_some() { "/accounts" } else { "/accounts/login" }))
}

pub async fn resend(State(state): State<AppState>, viewer: Viewer) -> Result<Response, Error> {
    let user = viewer.require_user()?.clone();
    if user.email_verified_at.is_none() {
        let job = AccountEmail::VerifyEmail { user_id: user.id.get() };
        let who = Some(user.id);
        state
            .audit_with_job(&viewer, None, who, "email.verification_sent", &user.email, &job)
            .await?;
        flash(
            &viewer.session,
            "info",
            format!("We sent a new confirmation link to {}.", user.email),
        )
        .await?;
    }
    Ok(see_other("/accounts"))
}
