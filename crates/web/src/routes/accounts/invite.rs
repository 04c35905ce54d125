//! Accepting an invitation (staff team or client portal). The emailed token proves the
//! address, so a new login created here is verified; an existing login must be logged in.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts::{self, Email, Role};
use portico_domain::password::check_password;
use portico_store::tokens::{self, Link, Purpose};
use portico_store::{audit, clients, staff, tenants, users};
use serde::{Deserialize, Serialize};

use crate::auth::{self, Viewer};
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::routes::accounts::password::invalid_link;
use crate::{AppState, Error, passwords};

/// A link valid as either kind of invitation.
async fn find(state: &AppState, token: &str) -> Result<(Purpose, Link), Error> {
    let now = state.clock.now_ts();
    for purpose in [Purpose::StaffInvite, Purpose::ClientInvite] {
        if let Some(link) = tokens::peek(&state.db, purpose, token, now).await? {
            return Ok((purpose, link));
        }
    }
    Err(invalid_link())
}

#[derive(Serialize)]
struct InvitePage<'a> {
    chrome: Chrome,
    token: &'a str,
    tenant: String,
    email: String,
    as_staff: bool,
    /// A login with this email exists: log in as it to accept.
    has_login: bool,
    logged_in_as_invitee: bool,
    errors: FieldErrors,
    name: String,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    errors: FieldErrors,
    name: String,
) -> Result<Response, Error> {
    let (purpose, link) = find(state, token).await?;
    let tenant = tenants::by_id(&state.db, link.tenant_id.ok_or_else(invalid_link)?.get())
        .await?
        .ok_or_else(invalid_link)?;
    let email = Email::parse(&link.email).map_err(|_| invalid_link())?;
    let has_login =
        users::by_email(&state.db, &email).await?.is_some_and(|u| u.password_hash.is_some());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = InvitePage {
        chrome: Chrome::new(viewer).await?,
        token,
        tenant: tenant.name,
        logged_in_as_invitee: viewer.user.as_ref().is_some_and(|u| u.email == email.as_str()),
        email: link.email,
        as_staff: purpose == Purpose::StaffInvite,
        has_login,
        errors,
        name,
    };
    Ok((status, state.templates.page("account/invite.html", &page)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    page(&state, &viewer, &token, FieldErrors::new(), String::new()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub async fn accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Result<Response, Error> {
    let (purpose, link) = find(&state, &token).await?;
    let email = Email::parse(&link.email).map_err(|_| invalid_link())?;
    let existing = users::by_email(&state.db, &email).await?;
    let now = state.clock.now_ts();

    // Who accepts: the logged-in owner of the address, or a new login created now.
    let mut new_login = None;
    match (&existing, &viewer.user) {
        (Some(user), Some(me)) if user.id == me.id => {}
        (Some(user), _) if user.password_hash.is_some() => {
            flash(&viewer.session, "info", format!("Log in as {email} to accept the invitation."))
                .await?;
            return Ok(see_other(&format!("/accounts/login?next=/accounts/invite/{token}")));
        }
        _ => {
            let mut check = Check::default();
            let name = check.field("name", accounts::parse_name(&form.name));
            check.field(
                "password",
                check_password(&form.password, &[email.as_str(), form.name.trim()]),
            );
            match name {
                Some(name) if check.is_ok() => {
                    new_login = Some((name, passwords::hash(&form.password).await?))
                }
                _ => return page(&state, &viewer, &token, check.errors, form.name).await,
            }
        }
    }

    let mut tx = state.db.begin_write().await?;
    tokens::consume(&mut tx, purpose, &token, now).await?.ok_or_else(invalid_link)?;
    let user_id = match (&existing, new_login) {
        (Some(user), Some((name, hash))) => {
            // A login created without a password (never used): complete it.
            users::set_password(&mut tx, user.id, &hash, now).await?;
            let _ = name;
            user.id
        }
        (Some(user), None) => user.id,
        (None, Some((name, hash))) => {
            users::insert(&mut tx, &email, &name, Some(&hash), Some(now), now)
                .await?
                .ok_or_else(invalid_link)?
        }
        (None, None) => return Err(invalid_link()),
    };
    users::mark_verified(&mut tx, user_id, now).await?;
    // Accepting proves the address (and may make the login a client here): link its guest
    // bookings in the tenants where it is a client.
    portico_jobs::enqueue(&mut tx, &portico_jobs::LinkGuest::Link { user_id: user_id.get() }, now)
        .await?;
    let tenant_id = link.tenant_id.ok_or_else(invalid_link)?;
    let tenant = tenants::by_id(&state.db, tenant_id.get()).await?.ok_or_else(invalid_link)?;
    // Membership and staff links change who can be booked: a schedule write of this tenant.
    let mut tx = portico_store::versions::ScheduleTx::wrap(tx, tenant_id);
    let destination = if purpose == Purpose::StaffInvite {
        // A member keeps their role (an owner accepting is not demoted to staff); anyone else
        // joins only while the plan has room. Refusing rolls the whole acceptance back.
        if tenants::role_of(&state.db, tenant_id, user_id).await?.is_none() {
            auth::require_staff_room(&state, &tenant).await?;
            tenants::add_member(&mut tx, tenant_id, user_id, Role::Staff, now).await?;
        }
        // The invitation carries no staff id: the login is linked to the staff member of this
        // tenant whose email is the invited address (the first without a login), if any.
        staff::link_user_by_email(&mut tx, tenant_id, email.as_str(), user_id, now).await?;
        format!("/app/{}", tenant.slug)
    } else {
        let client = link.client_id.ok_or_else(invalid_link)?;
        if !clients::link_user(&mut tx, tenant_id, client, user_id, now).await? {
            return Err(Error::Conflict {
                code: "already_client",
                message: format!(
                    "Your login is already linked to another client profile at {}.",
                    tenant.name
                ),
            });
        }
        format!("/portal/{}", tenant.slug)
    };
    let ip = viewer.ip_string();
    let action = if purpose == Purpose::StaffInvite {
        "invitation.accepted.staff"
    } else {
        "invitation.accepted.client"
    };
    let entry = audit::Entry {
        tenant: Some(tenant_id),
        actor: Some(user_id),
        action,
        detail: email.to_string(),
        ip: &ip,
    };
    audit::record_in(&mut tx, &entry, now).await?;
    tx.commit().await?;

    let user = users::by_id(&state.db, user_id.get()).await?.ok_or_else(invalid_link)?;
    auth::log_in(&state, &viewer.session, &user).await?;
    flash(&viewer.session, "info", format!("Welcome to {}!", tenant.name)).await?;
    Ok(see_other(&destination))
}
