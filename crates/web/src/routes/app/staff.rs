//! Staff members (PRO): list and order, create, edit (services, bio, active), delete (or
//! deactivate when booked), and an invitation to log in. FREE tenants get the upgrade page;
//! their rows stay. The rules live in `routes::input`.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_domain::StaffId;
use portico_domain::plans::max_active_staff;
use portico_jobs::AccountEmail;
use portico_store::catalog::{self, Service};
use portico_store::staff::{self, StaffMember};
use serde::{Deserialize, Serialize};

use crate::auth::{OwnerScope, RequirePlan, StaffGate};
use crate::chrome::{Chrome, flash};
use crate::error::{FieldErrors, field_error};
use crate::forms::{Check, see_other};
use crate::routes::input::{self, Base, Refusal, StaffDraft, whole_from_text};
use crate::{AppState, Error};

#[derive(Serialize)]
struct StaffRow {
    id: i64,
    name: String,
    email: String,
    active: bool,
    has_login: bool,
    services: String,
}

#[derive(Serialize)]
struct IndexPage {
    chrome: Chrome,
    staff: Vec<StaffRow>,
    active: usize,
    limit: usize,
}

fn service_names(codes: &[String], services: &[Service]) -> String {
    let names: Vec<&str> = codes
        .iter()
        .map(|code| services.iter().find(|s| &s.code == code).map_or(code.as_str(), |s| &s.name))
        .collect();
    names.join(", ")
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn index(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
) -> Result<Response, Error> {
    let services = catalog::list(&state.db, scope.id(), false).await?;
    let members = staff::list(&state.db, scope.id()).await?;
    let page = IndexPage {
        chrome: Chrome::app(&scope, &state).await?,
        active: members.iter().filter(|m| m.active).count(),
        limit: max_active_staff(scope.plan(&state)),
        staff: members
            .into_iter()
            .map(|m| StaffRow {
                services: service_names(&m.services, &services),
                id: m.id.get(),
                name: m.name,
                email: m.email,
                active: m.active,
                has_login: m.user_id.is_some(),
            })
            .collect(),
    };
    Ok(state.templates.page("app/staff/index.html", &page))
}

/// The staff form as posted: the service checkboxes repeat the `services` key, so the body
/// is read as pairs rather than into a struct.
#[derive(Debug, Default, Clone, Serialize)]
pub struct StaffForm {
    name: String,
    email: String,
    phone: String,
    bio: String,
    display_order: String,
    active: bool,
    services: Vec<String>,
}

impl StaffForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => form.name = value,
                "email" => form.email = value,
                "phone" => form.phone = value,
                "bio" => form.bio = value,
                "display_order" => form.display_order = value,
                "active" => form.active = true,
                "services" => form.services.push(value),
                _ => {}
            }
        }
        form
    }

    pub(super) fn from_member(m: &StaffMember) -> Self {
        Self {
            name: m.name.clone(),
            email: m.email.clone(),
            phone: m.phone.clone(),
            bio: m.bio.clone(),
            display_order: m.display_order.to_string(),
            active: m.active,
            services: m.services.clone(),
        }
    }

    fn draft(&self) -> StaffDraft {
        let mut check = Check::default();
        let display_order = whole_from_text(&mut check, "display_order", &self.display_order);
        StaffDraft {
            name: Some(self.name.clone()),
            email: Some(self.email.clone()),
            phone: Some(self.phone.clone()),
            bio: Some(self.bio.clone()),
            active: Some(self.active),
            display_order,
            services: Some(self.services.clone()),
            errors: check.errors,
        }
    }
}

#[derive(Serialize)]
struct ServiceOption {
    code: String,
    name: String,
    active: bool,
    checked: bool,
}

#[derive(Serialize)]
struct MemberDetail {
    id: i64,
    has_login: bool,
    can_invite: bool,
    /// The path of their photo, if they have one.
    photo: Option<String>,
}

#[derive(Serialize)]
struct FormPage<'a> {
    chrome: Chrome,
    member: Option<MemberDetail>,
    form: &'a StaffForm,
    services: Vec<ServiceOption>,
    errors: &'a FieldErrors,
}

pub(super) async fn render_form(
    state: &AppState,
    scope: &OwnerScope,
    member: Option<&StaffMember>,
    form: &StaffForm,
    status: StatusCode,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let services = catalog::list(&state.db, scope.id(), false)
        .await?
        .into_iter()
        .map(|s| ServiceOption {
            checked: form.services.iter().any(|c| c.trim().eq_ignore_ascii_case(&s.code)),
            code: s.code,
            name: s.name,
            active: s.active,
        })
        .collect();
    let page = FormPage {
        chrome: Chrome::app(scope, state).await?,
        member: member.map(|m| MemberDetail {
            id: m.id.get(),
            has_login: m.user_id.is_some(),
            can_invite: m.user_id.is_none() && m.active && !m.email.is_empty(),
            photo: crate::pictures::staff_photo_path(
                &scope.tenant.slug,
                m.id.get(),
                m.photo_version,
            ),
        }),
        form,
        services,
        errors,
    };
    Ok((status, state.templates.page("app/staff/form.html", &page)).into_response())
}

/// Re-renders the form after a refusal: 409 for the staff limit, 422 for field errors.
async fn refused(
    state: &AppState,
    scope: &OwnerScope,
    member: Option<&StaffMember>,
    form: &StaffForm,
    refusal: Refusal,
) -> Result<Response, Error> {
    let status = match refusal {
        Refusal::StaffLimit(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    render_form(state, scope, member, form, status, &refusal.into_fields()).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn new(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
) -> Result<Response, Error> {
    let members = staff::list(&state.db, scope.id()).await?;
    let form = StaffForm {
        active: true,
        display_order: input::next_order(members.iter().map(|m| m.display_order)).to_string(),
        ..StaffForm::default()
    };
    render_form(&state, &scope, None, &form, StatusCode::OK, &FieldErrors::new()).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn create(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let form = StaffForm::from_pairs(pairs);
    let plan = scope.plan(&state);
    let draft = form.draft();
    let prepared = input::prepare_staff(&state.db, &scope.tenant, plan, &draft, Base::New);
    let fields = match prepared.await? {
        Ok(fields) => fields,
        Err(refusal) => return refused(&state, &scope, None, &form, refusal).await,
    };
    let id = staff::insert(
        &state.db,
        scope.id(),
        &fields,
        staff_limit(&state, &scope.tenant),
        state.clock.now_ts(),
    )
    .await?;
    let detail = format!("#{id} {}", fields.name);
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), "staff.created", detail)
        .await?;
    flash(&scope.viewer.session, "info", format!("{} was added.", fields.name)).await?;
    Ok(see_other(&format!("/app/{}/staff/{id}", scope.tenant.slug)))
}

/// The staff member `id` of this tenant; anything else (another tenant's, not a number) is 404.
pub(super) async fn load(
    state: &AppState,
    scope: &OwnerScope,
    id: &str,
) -> Result<StaffMember, Error> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    staff::get(&state.db, scope.id(), id).await?.ok_or(Error::NotFound)
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn show(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let member = load(&state, &scope, &id).await?;
    let form = StaffForm::from_member(&member);
    render_form(&state, &scope, Some(&member), &form, StatusCode::OK, &FieldErrors::new()).await
}

#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn update(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let member = load(&state, &scope, &id).await?;
    let form = StaffForm::from_pairs(pairs);
    let plan = scope.plan(&state);
    let base = Base::Replace(&member);
    let draft = form.draft();
    let prepared = input::prepare_staff(&state.db, &scope.tenant, plan, &draft, base);
    let fields = match prepared.await? {
        Ok(fields) => fields,
        Err(refusal) => return refused(&state, &scope, Some(&member), &form, refusal).await,
    };
    if !staff::update(
        &state.db,
        scope.id(),
        member.id,
        &fields,
        staff_limit(&state, &scope.tenant),
        state.clock.now_ts(),
    )
    .await?
    {
        return Err(Error::NotFound);
    }
    let detail = format!("#{} active={}", member.id, fields.active);
    state
        .audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), "staff.updated", detail)
        .await?;
    flash(&scope.viewer.session, "info", format!("{} was saved.", fields.name)).await?;
    Ok(see_other(&format!("/app/{}/staff/{}", scope.tenant.slug, member.id)))
}

/// Deletes a staff member who never had a booking; otherwise deactivates them.
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn delete(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let member = load(&state, &scope, &id).await?;
    let now = state.clock.now_ts();
    let deleted =
        staff::delete(&state.db, scope.id(), member.id, now).await?.ok_or(Error::NotFound)?;
    let (action, message) = if deleted {
        ("staff.deleted", format!("{} was deleted.", member.name))
    } else {
        (
            "staff.deactivated",
            format!("{} has bookings, so they were deactivated instead of deleted.", member.name),
        )
    };
    let detail = format!("#{} {}", member.id, member.name);
    state.audit(&scope.viewer, Some(scope.id()), Some(scope.user.id), action, detail).await?;
    flash(&scope.viewer.session, "info", message).await?;
    Ok(see_other(&format!("/app/{}/staff", scope.tenant.slug)))
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    direction: String,
}

/// Moves a staff member one place up or down; the order is then renumbered 0, 1, 2, …
/// (it also decides who stays bookable first after a downgrade).
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn reorder(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, Error> {
    let member = load(&state, &scope, &id).await?;
    let mut ids: Vec<StaffId> =
        staff::list(&state.db, scope.id()).await?.iter().map(|m| m.id).collect();
    let position = ids.iter().position(|&i| i == member.id).ok_or(Error::NotFound)?;
    let target = match form.direction.as_str() {
        "up" => position.checked_sub(1),
        "down" => Some(position + 1).filter(|&p| p < ids.len()),
        _ => return Err(field_error("direction", "Choose up or down.")),
    };
    if let Some(target) = target {
        ids.swap(position, target);
        staff::reorder(&state.db, scope.id(), &ids, state.clock.now_ts()).await?;
    }
    Ok(see_other(&format!("/app/{}/staff", scope.tenant.slug)))
}

/// Emails the staff member an invitation to log in (the team invitation). Accepting it links
/// the login to the staff member with that email (see `routes::accounts::invite`).
#[tracing::instrument(skip_all, fields(tenant = %scope.id()))]
pub async fn invite(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Error> {
    let member = load(&state, &scope, &id).await?;
    let back = format!("/app/{}/staff/{}", scope.tenant.slug, member.id);
    let problem = if member.user_id.is_some() {
        Some(format!("{} already has a login.", member.name))
    } else if member.email.is_empty() {
        Some(format!("Add an email address for {} first.", member.name))
    } else if !member.active {
        Some(format!("Activate {} before inviting them.", member.name))
    } else {
        None
    };
    if let Some(problem) = problem {
        flash(&scope.viewer.session, "error", problem).await?;
        return Ok(see_other(&back));
    }
    // Staff logins count against the plan like team invitations do (409 `staff_limit`).
    crate::auth::require_staff_room(&state, &scope.tenant).await?;
    state.limit_invitations(scope.id()).await?;
    let job = AccountEmail::StaffInvite {
        tenant_id: scope.id().get(),
        email: member.email.clone(),
        invited_by: scope.user.id.get(),
    };
    let detail = format!("#{} {}", member.id, member.email);
    let (tenant, actor) = (Some(scope.id()), Some(scope.user.id));
    state.audit_with_job(&scope.viewer, tenant, actor, "staff.invited", detail, &job).await?;
    flash(&scope.viewer.session, "info", format!("We emailed an invitation to {}.", member.email))
        .await?;
    Ok(see_other(&back))
}

/// Active staff the tenant's plan allows right now.
fn staff_limit(state: &AppState, tenant: &portico_store::tenants::Tenant) -> usize {
    portico_domain::plans::max_active_staff(tenant.effective_plan(state.clock.now()))
}
