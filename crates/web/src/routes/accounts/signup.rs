//! Provider sign-up: a business, its owner login, and straight into the dashboard.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts::{self, Email, Role, Slug};
use portico_domain::password::check_password;
use portico_domain::plans::Plan;
use portico_jobs::AccountEmail;
use portico_store::tenants::NewTenant;
use portico_store::{audit, tenants, users};
use serde::{Deserialize, Serialize};

use crate::auth::{self, Viewer};
use crate::chrome::Chrome;
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::limits::{Limit, ip_subject};
use crate::passwords;
use crate::{AppState, Error};

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct SignupForm {
    #[serde(default)]
    business_name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    owner_name: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
}

#[derive(Serialize)]
struct SignupPage<'a> {
    chrome: Chrome,
    form: &'a SignupForm,
    errors: &'a FieldErrors,
    timezones: Vec<&'static str>,
    /// `fill`: the browser's zone replaces the default (a fresh form); `offer`: a button
    /// offers it (the owner's own choice is kept).
    browser_zone: &'static str,
    currencies: &'static [&'static str],
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    form: &SignupForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let page = SignupPage {
        chrome: Chrome::new(viewer).await?,
        form,
        errors,
        timezones: accounts::timezone_names(),
        browser_zone: if errors.is_empty() { "fill" } else { "offer" },
        currencies: accounts::CURRENCIES,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("account/signup.html", &page)).into_response())
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, Error> {
    let form = SignupForm {
        timezone: "Europe/London".into(),
        currency: "GBP".into(),
        ..Default::default()
    };
    render(&state, &viewer, &form, &FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SignupForm>,
) -> Result<Response, Error> {
    state
        .rate_limit(
            Limit { name: "register-ip", max: state.config.rate_limits.register_per_ip },
            &ip_subject(viewer.ip),
        )
        .await?;
    let mut check = Check::default();
    let business = check.field("business_name", accounts::parse_name(&form.business_name));
    let slug_input = if form.slug.trim().is_empty() {
        Slug::suggest(&form.business_name)
    } else {
        form.slug.clone()
    };
    let slug = check.field("slug", Slug::parse(&slug_input));
    let timezone = check.field("timezone", accounts::parse_timezone(&form.timezone));
    let currency = check.field("currency", accounts::parse_currency(&form.currency));
    let owner = check.field("owner_name", accounts::parse_name(&form.owner_name));
    let email = check.field("email", Email::parse(&form.email));
    let context = [form.email.trim(), form.business_name.trim(), form.owner_name.trim()];
    check.field("password", check_password(&form.password, &context));
    if let Some(slug) = &slug
        && tenants::slug_taken(&state.db, slug.as_str()).await?
    {
        check.fail("slug", "That booking address is taken; choose another.");
    }
    let (
        Some(business),
        Some(slug),
        Some(timezone),
        Some(currency),
        Some(owner),
        Some(email),
        true,
    ) = (business, slug, timezone, currency, owner, email, check.is_ok())
    else {
        let form = SignupForm { slug: slug_input, ..form };
        return render(&state, &viewer, &form, &check.errors).await;
    };

    // An existing login may add a business by proving its password; otherwise a new login.
    let existing = users::by_email(&state.db, &email).await?;
    if let Some(user) = &existing
        && !auth::passwords_match(&form.password, Some(user)).await
    {
        check.fail(
            "email",
            "This email already has a Portico login. Enter its password to add this business \
             to it, or log in first.",
        );
        return render(&state, &viewer, &form, &check.errors).await;
    }
    let now = state.clock.now_ts();
    let hash = passwords::hash(&form.password).await?;
    let mut tx = state.db.begin_write().await?;
    let user_id = match &existing {
        Some(user) => user.id,
        None => users::insert(&mut tx, &email, &owner, Some(&hash), None, now).await?.ok_or_else(
            || Error::Conflict { code: "email_taken", message: "Please try again.".into() },
        )?,
    };
    let new = NewTenant {
        slug: &slug,
        name: &business,
        timezone,
        currency,
        plan: Plan::Free,
        pro_until: None,
    };
    let Some(tenant_id) = tenants::insert(&mut tx, &new, now).await? else {
        drop(tx);
        check.fail("slug", "That booking address is taken; choose another.");
        return render(&state, &viewer, &form, &check.errors).await;
    };
    let mut tx = portico_store::versions::ScheduleTx::wrap(tx, tenant_id);
    tenants::add_member(&mut tx, tenant_id, user_id, Role::Owner, now).await?;
    let ip = viewer.ip_string();
    let entry = audit::Entry {
        tenant: Some(tenant_id),
        actor: Some(user_id),
        action: "tenant.created",
        detail: format!("{} ({})", business, slug),
        ip: &ip,
    };
    audit::record_in(&mut tx, &entry, now).await?;
    if existing.as_ref().is_none_or(|u| u.email_verified_at.is_none()) {
        portico_jobs::enqueue(&mut tx, &AccountEmail::VerifyEmail { user_id: user_id.get() }, now)
            .await?;
    }
    tx.commit().await?;

    let user = users::by_id(&state.db, user_id.get()).await?.ok_or(Error::NotFound)?;
    auth::log_in(&state, &viewer.session, &user).await?;
    Ok(see_other(&format!("/app/{slug}")))
}
