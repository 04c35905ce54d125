//! Business settings (name, time zone, currency, client portal on/off), contact details and
//! branding (colour, logo), and API tokens.

use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::Instant;
use portico_domain::accounts;
use portico_domain::contact::BrandColor;
use portico_store::images::{self, Picture};
use portico_store::tenants::{self, Settings};
use portico_store::tokens;
use serde::{Deserialize, Serialize};

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::routes::input::branding::{BrandingDraft, validate_branding};
use crate::{AppState, Error, pictures};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    portal_enabled: Option<String>,
    /// Staff logins may edit their own weekly hours and time off.
    #[serde(default)]
    staff_edit_own_hours: Option<String>,
}

/// The contact details and brand colour, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct BrandingForm {
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    brand_color: String,
}

impl BrandingForm {
    fn current(scope: &OwnerScope) -> Self {
        let contact = &scope.tenant.contact;
        Self {
            contact_email: contact.email.clone(),
            contact_phone: contact.phone.clone(),
            address: contact.address.clone(),
            website: contact.website.clone(),
            brand_color: scope.tenant.brand_color.map(BrandColor::hex).unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct TokenRow {
    id: i64,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

#[derive(Serialize)]
struct SettingsPage<'a> {
    chrome: Chrome,
    form: &'a SettingsForm,
    branding: &'a BrandingForm,
    /// Problems of either form (their field names differ).
    errors: &'a FieldErrors,
    timezones: Vec<&'static str>,
    currencies: &'static [&'static str],
    tokens: Vec<TokenRow>,
    /// A token just created, shown this once.
    new_token: Option<String>,
    tz: String,
    /// The path of the uploaded logo, if any.
    logo: Option<String>,
}

async fn render(
    state: &AppState,
    scope: &OwnerScope,
    form: &SettingsForm,
    errors: &FieldErrors,
    new_token: Option<String>,
) -> Result<Response, Error> {
    render_with(state, scope, form, &BrandingForm::current(scope), errors, new_token).await
}

async fn render_with(
    state: &AppState,
    scope: &OwnerScope,
    form: &SettingsForm,
    branding: &BrandingForm,
    errors: &FieldErrors,
    new_token: Option<String>,
) -> Result<Response, Error> {
    let tokens = tokens::list_api_tokens(&state.db, scope.id())
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.get(),
            name: t.name,
            created_at: t.created_at.unix(),
            last_used_at: t.last_used_at.map(Instant::unix),
        })
        .collect();
    let page = SettingsPage {
        chrome: Chrome::app(scope, state).await?,
        form,
        branding,
        errors,
        timezones: accounts::timezone_names(),
        currencies: accounts::CURRENCIES,
        tokens,
        new_token,
        tz: scope.tenant.timezone.name().to_owned(),
        logo: crate::pictures::logo_path(&scope.tenant.slug, scope.tenant.logo_version),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/settings.html", &page)).into_response())
}

fn current(scope: &OwnerScope) -> SettingsForm {
    SettingsForm {
        name: scope.tenant.name.clone(),
        timezone: scope.tenant.timezone.name().to_owned(),
        currency: scope.tenant.currency.clone(),
        portal_enabled: scope.tenant.portal_enabled.then(|| "on".to_owned()),
        staff_edit_own_hours: scope.tenant.staff_edit_own_hours.then(|| "on".to_owned()),
    }
}

pub async fn show(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    render(&state, &scope, &current(&scope), &FieldErrors::new(), None).await
}

pub async fn update(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<SettingsForm>,
) -> Result<Response, Error> {
    let mut check = Check::default();
    let name = check.field("name", accounts::parse_name(&form.name));
    let timezone = check.field("timezone", accounts::parse_timezone(&form.timezone));
    let currency = check.field("currency", accounts::parse_currency(&form.currency));
    let (Some(name), Some(timezone), Some(currency), true) =
        (name, timezone, currency, check.is_ok())
    else {
        return render(&state, &scope, &form, &check.errors, None).await;
    };
    let settings = Settings {
        name: &name,
        timezone,
        currency,
        portal_enabled: form.portal_enabled.is_some(),
        staff_edit_own_hours: form.staff_edit_own_hours.is_some(),
    };
    tenants::update_settings(&state.db, scope.id(), &settings, state.clock.now_ts()).await?;
    let detail = format!(
        "name={name} timezone={} currency={currency} portal={} staff_own_hours={}",
        timezone.name(),
        settings.portal_enabled,
        settings.staff_edit_own_hours
    );
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "tenant.settings_changed",
            detail,
        )
        .await?;
    flash(&scope.viewer.session, "info", "Settings saved.").await?;
    Ok(see_other(&format!("/app/{}/settings", scope.tenant.slug)))
}

/// Saves the contact details and the brand colour (their own form on the settings page).
pub async fn update_branding(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<BrandingForm>,
) -> Result<Response, Error> {
    let draft = BrandingDraft {
        contact_email: Some(form.contact_email.clone()),
        contact_phone: Some(form.contact_phone.clone()),
        address: Some(form.address.clone()),
        website: Some(form.website.clone()),
        brand_color: Some(form.brand_color.clone()),
    };
    let mut check = Check::default();
    let tenant = &scope.tenant;
    let valid = validate_branding(&mut check, &draft, &tenant.contact, tenant.brand_color);
    let (Some((contact, color)), true) = (valid, check.is_ok()) else {
        return render_with(&state, &scope, &current(&scope), &form, &check.errors, None).await;
    };
    tenants::update_branding(&state.db, scope.id(), &contact, color, state.clock.now_ts()).await?;
    let detail = format!(
        "email={} phone={} website={} colour={}",
        contact.email,
        contact.phone,
        contact.website,
        color.map(BrandColor::hex).unwrap_or_default()
    );
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "tenant.branding_changed",
            detail,
        )
        .await?;
    flash(&scope.viewer.session, "info", "Contact details saved.").await?;
    Ok(see_other(&format!("/app/{}/settings#contact", scope.tenant.slug)))
}

/// The widest and tallest a logo is kept (larger ones are shrunk to fit).
const LOGO_FIT: u32 = 512;

/// Uploads the business's logo (PNG, JPEG or WebP; checked and re-encoded).
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn upload_logo(
    State(state): State<AppState>,
    scope: OwnerScope,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Error> {
    let picture = Picture::Logo;
    if let Err(message) = pictures::upload(&state, scope.id(), picture, form, LOGO_FIT).await? {
        let errors = FieldErrors::from([("logo".to_owned(), message.to_owned())]);
        return render(&state, &scope, &current(&scope), &errors, None).await;
    }
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), "tenant.logo_changed", "")
        .await?;
    flash(&scope.viewer.session, "info", "Logo saved.").await?;
    Ok(see_other(&format!("/app/{}/settings#logo", scope.tenant.slug)))
}

/// Removes the business's logo.
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn remove_logo(
    State(state): State<AppState>,
    scope: OwnerScope,
) -> Result<Response, Error> {
    if images::delete(&state.db, scope.id(), Picture::Logo).await? {
        let actor = Some(scope.user.id);
        state.audit(&scope.viewer, Some(scope.id()), actor, "tenant.logo_removed", "").await?;
        flash(&scope.viewer.session, "info", "Logo removed.").await?;
    }
    Ok(see_other(&format!("/app/{}/settings#logo", scope.tenant.slug)))
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// Creates an API token and shows it once, on this response (it is stored hashed).
pub async fn create_token(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<TokenForm>,
) -> Result<Response, Error> {
    let mut check = Check::default();
    let Some(name) = check.field("token_name", accounts::parse_name(&form.name)) else {
        return render(&state, &scope, &current(&scope), &check.errors, None).await;
    };
    let (id, token) =
        tokens::create_api_token(&state.db, scope.id(), &name, state.clock.now_ts()).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "api_token.created",
            format!("#{id} {name}"),
        )
        .await?;
    render(&state, &scope, &current(&scope), &FieldErrors::new(), Some(token)).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    if !tokens::revoke_api_token(&state.db, scope.id(), id, state.clock.now_ts()).await? {
        return Err(Error::NotFound);
    }
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "api_token.revoked",
            format!("#{id}"),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Token revoked.").await?;
    Ok(see_other(&format!("/app/{}/settings", scope.tenant.slug)))
}
