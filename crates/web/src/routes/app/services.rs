//! The owner's services: list, create, edit, delete (or deactivate when booked), and the
//! default duration per service code. The rules live in `routes::input`.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::accounts;
use portico_store::catalog::{self, Service, ServiceDefault};
use serde::{Deserialize, Serialize};

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::{Check, see_other};
use crate::routes::input::{
    self as input, Base, Refusal, ServiceDraft, minor_from_text, whole_from_text,
};
use crate::{AppState, Error};

/// The default-duration form on the list page.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct DefaultForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    notes: String,
}

#[derive(Serialize)]
struct IndexPage<'a> {
    chrome: Chrome,
    services: Vec<Service>,
    defaults: Vec<ServiceDefault>,
    default_form: &'a DefaultForm,
    errors: &'a FieldErrors,
}

async fn render_index(
    state: &AppState,
    scope: &OwnerScope,
    default_form: &DefaultForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let page = IndexPage {
        chrome: Chrome::app(scope, state).await?,
        services: catalog::list(&state.db, scope.id(), false).await?,
        defaults: catalog::defaults(&state.db, scope.id()).await?,
        default_form,
        errors,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/services/index.html", &page)).into_response())
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn index(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    render_index(&state, &scope, &DefaultForm::default(), &FieldErrors::new()).await
}

/// Sets (or replaces) the default duration for a code.
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn set_default(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<DefaultForm>,
) -> Result<Response, Error> {
    let mut check = Check::default();
    let duration = whole_from_text(&mut check, "duration_minutes", &form.duration_minutes);
    let (code, minutes, notes) =
        match input::validate_default(&form.code, duration, &form.notes, check) {
            Ok(valid) => valid,
            Err(errors) => return render_index(&state, &scope, &form, &errors).await,
        };
    catalog::set_default(&state.db, scope.id(), &code, minutes, &notes).await?;
    let detail = format!("{code} = {minutes} min");
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), "service.default_set", detail)
        .await?;
    flash(
        &scope.viewer.session,
        "info",
        format!("New “{code}” services default to {minutes} minutes."),
    )
    .await?;
    Ok(see_other(&format!("/app/{}/services", scope.tenant.slug)))
}

/// The service form as typed; the price is in major units ("12.50").
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ServiceForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    buffer_before_minutes: String,
    #[serde(default)]
    buffer_after_minutes: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    display_order: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    location_kind: String,
    #[serde(default)]
    meeting_url: String,
    #[serde(default)]
    prepay: Option<String>,
}

impl ServiceForm {
    fn from_service(s: &Service) -> Self {
        Self {
            code: s.code.clone(),
            name: s.name.clone(),
            description: s.description.clone(),
            duration_minutes: s.duration_minutes.to_string(),
            buffer_before_minutes: s.buffer_before_minutes.to_string(),
            buffer_after_minutes: s.buffer_after_minutes.to_string(),
            price: s.price().amount(),
            currency: s.currency.clone(),
            mode: s.mode.as_str().to_owned(),
            display_order: s.display_order.to_string(),
            active: s.active.then(|| "on".to_owned()),
            location_kind: s.location_kind.as_str().to_owned(),
            meeting_url: s.meeting_url.clone(),
            prepay: s.prepay.then(|| "on".to_owned()),
        }
    }

    fn draft(&self) -> ServiceDraft {
        let mut check = Check::default();
        let mut draft = ServiceDraft {
            code: Some(self.code.clone()),
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            duration_minutes: whole_from_text(
                &mut check,
                "duration_minutes",
                &self.duration_minutes,
            ),
            buffer_before_minutes: whole_from_text(
                &mut check,
                "buffer_before_minutes",
                &self.buffer_before_minutes,
            ),
            buffer_after_minutes: whole_from_text(
                &mut check,
                "buffer_after_minutes",
                &self.buffer_after_minutes,
            ),
            price_minor: minor_from_text(&mut check, "price_minor", &self.price, &self.currency),
            currency: Some(self.currency.clone()),
            mode: Some(self.mode.clone()),
            active: Some(self.active.is_some()),
            display_order: whole_from_text(&mut check, "display_order", &self.display_order),
            location_kind: Some(self.location_kind.clone()),
            meeting_url: Some(self.meeting_url.clone()),
            prepay: Some(self.prepay.is_some()),
            errors: FieldErrors::new(),
        };
        draft.errors = check.errors;
        draft
    }
}

#[derive(Serialize)]
struct FormPage<'a> {
    chrome: Chrome,
    /// The code the service is stored under (the form may be changing it).
    editing: Option<&'a str>,
    form: &'a ServiceForm,
    errors: &'a FieldErrors,
    currencies: &'static [&'static str],
    defaults: Vec<ServiceDefault>,
}

async fn render_form(
    state: &AppState,
    scope: &OwnerScope,
    editing: Option<&str>,
    form: &ServiceForm,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let page = FormPage {
        chrome: Chrome::app(scope, state).await?,
        editing,
        form,
        errors,
        currencies: accounts::CURRENCIES,
        defaults: catalog::defaults(&state.db, scope.id()).await?,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/services/form.html", &page)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    code: String,
}

/// The empty form; `?code=` fills the code and that code's default duration.
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn new(
    State(state): State<AppState>,
    scope: OwnerScope,
    Query(query): Query<NewQuery>,
) -> Result<Response, Error> {
    let orders = catalog::list(&state.db, scope.id(), false).await?;
    let mut form = ServiceForm {
        currency: scope.tenant.currency.clone(),
        mode: "slot".to_owned(),
        price: "0.00".to_owned(),
        buffer_before_minutes: "0".to_owned(),
        buffer_after_minutes: "0".to_owned(),
        display_order: input::next_order(orders.iter().map(|s| s.display_order)).to_string(),
        active: Some("on".to_owned()),
        ..ServiceForm::default()
    };
    if let Ok(code) = portico_domain::parse::parse_code(&query.code) {
        if let Some(minutes) = catalog::default_duration(&state.db, scope.id(), &code).await? {
            form.duration_minutes = minutes.to_string();
        }
        form.code = code;
    }
    render_form(&state, &scope, None, &form, &FieldErrors::new()).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn create(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(form): Form<ServiceForm>,
) -> Result<Response, Error> {
    let draft = form.draft();
    let prepared = input::prepare_service(&state.db, &scope.tenant, &draft, Base::New);
    let fields = match prepared.await? {
        Ok(fields) => fields,
        Err(refusal) => {
            return render_form(&state, &scope, None, &form, &refusal.into_fields()).await;
        }
    };
    let now = state.clock.now_ts();
    let Some(service) = catalog::insert(&state.db, scope.id(), &fields, now).await? else {
        let errors = Refusal::CodeTaken.into_fields();
        return render_form(&state, &scope, None, &form, &errors).await;
    };
    let detail = format!("{} {}", service.code, service.name);
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), "service.created", detail)
        .await?;
    flash(&scope.viewer.session, "info", format!("{} was added.", service.name)).await?;
    Ok(see_other(&format!("/app/{}/services", scope.tenant.slug)))
}

async fn load(state: &AppState, scope: &OwnerScope, code: &str) -> Result<Service, Error> {
    catalog::by_code(&state.db, scope.id(), code).await?.ok_or(Error::NotFound)
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn show(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, Error> {
    let service = load(&state, &scope, &code).await?;
    let form = ServiceForm::from_service(&service);
    render_form(&state, &scope, Some(&service.code), &form, &FieldErrors::new()).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn update(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, code)): Path<(String, String)>,
    Form(form): Form<ServiceForm>,
) -> Result<Response, Error> {
    let service = load(&state, &scope, &code).await?;
    let base = Base::Replace(&service);
    let fields = match input::prepare_service(&state.db, &scope.tenant, &form.draft(), base).await?
    {
        Ok(fields) => fields,
        Err(refusal) => {
            let errors = refusal.into_fields();
            return render_form(&state, &scope, Some(&service.code), &form, &errors).await;
        }
    };
    let now = state.clock.now_ts();
    let updated = catalog::update(&state.db, scope.id(), &service.code, &fields, now)
        .await?
        .ok_or(Error::NotFound)?;
    let detail = format!("{} → {}", service.code, updated.code);
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), "service.updated", detail)
        .await?;
    flash(&scope.viewer.session, "info", format!("{} was saved.", updated.name)).await?;
    Ok(see_other(&format!("/app/{}/services", scope.tenant.slug)))
}

/// Deletes a service that was never booked; one with bookings is deactivated instead.
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn delete(
    State(state): State<AppState>,
    scope: OwnerScope,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, Error> {
    let service = load(&state, &scope, &code).await?;
    let now = state.clock.now_ts();
    let deleted =
        catalog::delete(&state.db, scope.id(), &service.code, now).await?.ok_or(Error::NotFound)?;
    let (action, message) = if deleted {
        ("service.deleted", format!("{} was deleted.", service.name))
    } else {
        (
            "service.deactivated",
            format!("{} has bookings, so it was deactivated instead of deleted.", service.name),
        )
    };
    state.audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), action, service.code).await?;
    flash(&scope.viewer.session, "info", message).await?;
    Ok(see_other(&format!("/app/{}/services", scope.tenant.slug)))
}
