//! Client self-registration at a portal. The page answers the same whether or not the email
//! already has a login; the owner of an existing address is told by email instead.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts::{self, Email};
use portico_domain::password::check_password;
use portico_jobs::{AccountEmail, LinkGuest};
use portico_store::clients::{self, ClientFields};
use portico_store::tenants::{self, Tenant};
use portico_store::{audit, users};
use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::limits::{Limit, ip_subject};
use crate::{AppState, Error, passwords};

async fn portal_tenant(state: &AppState, slug: &str) -> Result<Tenant, Error> {
    tenants::by_slug(&state.db, slug).await?.filter(|t| t.portal_enabled).ok_or(Error::NotFound)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default, skip_serializing)]
    password: String,
}

#[derive(Serialize)]
struct RegisterPage<'a> {
    chrome: Chrome,
    form: &'a RegisterForm,
    errors: &'a FieldErrors,
    /// After a successful submission: "check your email".
    sent: bool,
    /// Logged in: offer to join with the current login instead.
    already_client: bool,
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    tenant: &Tenant,
    form: &RegisterForm,
    errors: &FieldErrors,
    sent: bool,
) -> Result<Response, Error> {
    let chrome = Chrome::portal_of(viewer, tenant).await?;
    let already_client = match &viewer.user {
        Some(user) => clients::for_user(&state.db, tenant.id, user.id).await?.is_some(),
        None => false,
    };
    let page = RegisterPage { chrome, form, errors, sent, already_client };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("portal/register.html", &page)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let tenant = portal_tenant(&state, &slug).await?;
    render(&state, &viewer, &tenant, &RegisterForm::default(), &FieldErrors::new(), false).await
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(form): Form<RegisterForm>,
) -> Result<Response, Error> {
    let tenant = portal_tenant(&state, &slug).await?;
    state
        .rate_limit(
            Limit { name: "register-ip", max: state.config.rate_limits.register_per_ip },
            &ip_subject(viewer.ip),
        )
        .await?;
    let mut check = Check::default();
    let name = check.field("name", accounts::parse_name(&form.name));
    let email = check.field("email", Email::parse(&form.email));
    let phone = check.field("phone", accounts::parse_phone(&form.phone)).unwrap_or_default();
    check.field("password", check_password(&form.password, &[form.email.trim(), form.name.trim()]));
    let (Some(name), Some(email), true) = (name, email, check.is_ok()) else {
        return render(&state, &viewer, &tenant, &form, &check.errors, false).await;
    };

    let now = state.clock.now_ts();
    // Hash in both cases so the answer takes as long whether or not the address is known.
    let hash = passwords::hash(&form.password).await?;
    let mut tx = state.db.begin_write().await?;
    match users::by_email(&state.db, &email).await? {
        Some(existing) => {
            let job = AccountEmail::AlreadyRegistered {
                tenant_id: tenant.id.get(),
                user_id: existing.id.get(),
            };
            portico_jobs::enqueue(&mut tx, &job, now).await?;
        }
        None => {
            let user = users::insert(&mut tx, &email, &name, Some(&hash), None, now)
                .await?
                .ok_or(Error::Conflict { code: "retry", message: "Please try again.".into() })?;
            let fields = ClientFields {
                name: name.clone(),
                email: email.to_string(),
                phone,
                ..Default::default()
            };
            let client = clients::insert(&mut tx, tenant.id, &fields, Some(user), now).await?;
            portico_jobs::enqueue(&mut tx, &AccountEmail::VerifyEmail { user_id: user.get() }, now)
                .await?;
            let ip = viewer.ip_string();
            let entry = audit::Entry {
                tenant: Some(tenant.id),
                actor: Some(user),
                action: "client.registered",
                detail: format!("#{client} {email}"),
                ip: &ip,
            };
            audit::record_in(&mut tx, &entry, now).await?;
        }
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    let shown = RegisterForm { email: email.to_string(), ..Default::default() };
    render(&state, &viewer, &tenant, &shown, &FieldErrors::new(), true).await
}

/// A logged-in user becomes a client here: an unlinked record with their (confirmed) email
/// is linked, otherwise a new record is created.
pub async fn join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let user = viewer.require_user()?.clone();
    let tenant = portal_tenant(&state, &slug).await?;
    if clients::for_user(&state.db, tenant.id, user.id).await?.is_some() {
        return Ok(see_other(&format!("/portal/{slug}")));
    }
    state
        .rate_limit(
            Limit { name: "register-ip", max: state.config.rate_limits.register_per_ip },
            &ip_subject(viewer.ip),
        )
        .await?;
    let now = state.clock.now_ts();
    let mut tx = state.db.begin_write().await?;
    let unlinked = if user.email_verified_at.is_some() {
        clients::unlinked_with_email(&state.db, tenant.id, &user.email).await?
    } else {
        None
    };
    let client = match unlinked {
        Some(client) => {
            clients::link_user(&mut tx, tenant.id, client, user.id, now).await?;
            client
        }
        None => {
            let fields = ClientFields {
                name: user.name.clone(),
                email: user.email.clone(),
                ..Default::default()
            };
            clients::insert(&mut tx, tenant.id, &fields, Some(user.id), now).await?
        }
    };
    let ip = viewer.ip_string();
    let entry = audit::Entry {
        tenant: Some(tenant.id),
        actor: Some(user.id),
        action: "client.joined",
        detail: format!("#{client}"),
        ip: &ip,
    };
    audit::record_in(&mut tx, &entry, now).await?;
    if user.email_verified_at.is_some() {
        // A verified login became a client here: its guest bookings here can be linked.
        portico_jobs::enqueue(&mut tx, &LinkGuest::Link { user_id: user.id.get() }, now).await?;
    }
    tx.commit().await.map_err(anyhow::Error::from)?;
    flash(&viewer.session, "info", format!("Welcome to {}!", tenant.name)).await?;
    Ok(see_other(&format!("/portal/{slug}")))
}
