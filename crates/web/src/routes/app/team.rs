//! The team (PRO): staff logins and invitations.

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use portico_domain::accounts::Email;
use portico_domain::plans::max_active_staff;
use portico_jobs::AccountEmail;
use portico_store::tenants;
use serde::{Deserialize, Serialize};

use crate::auth::{OwnerScope, RequirePlan, StaffGate, require_staff_room};
use crate::chrome::{Chrome, flash};
use crate::error::field_error;
use crate::forms::see_other;
use crate::{AppState, Error};

#[derive(Serialize)]
struct Member {
    name: String,
    email: String,
    role: String,
}

#[derive(Serialize)]
struct TeamPage {
    chrome: Chrome,
    members: Vec<Member>,
    limit: usize,
}

pub async fn index(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
) -> Result<Response, Error> {
    let members = tenants::members(&state.db, scope.id())
        .await?
        .into_iter()
        .map(|m| Member { name: m.name, email: m.email, role: m.role })
        .collect();
    let page = TeamPage {
        chrome: Chrome::app(&scope, &state).await?,
        members,
        limit: max_active_staff(scope.plan(&state)),
    };
    Ok(state.templates.page("app/team.html", &page))
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
}

pub async fn invite(
    State(state): State<AppState>,
    scope: OwnerScope,
    _: RequirePlan<StaffGate>,
    Form(form): Form<InviteForm>,
) -> Result<Response, Error> {
    let email = Email::parse(&form.email).map_err(|e| field_error("email", e.to_string()))?;
    require_staff_room(&state, &scope.tenant).await?;
    state.limit_invitations(scope.id()).await?;
    let job = AccountEmail::StaffInvite {
        tenant_id: scope.id().get(),
        email: email.to_string(),
        invited_by: scope.user.id.get(),
    };
    state
        .audit_with_job(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "staff.invited",
            email.to_string(),
            &job,
        )
        .await?;
    flash(&scope.viewer.session, "info", format!("We emailed an invitation to {email}.")).await?;
    Ok(see_other(&format!("/app/{}/team", scope.tenant.slug)))
}
