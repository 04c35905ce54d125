//! `account_email`: password resets, email verification, invitations. The single-use link is
//! created here, at send time, so its plain token exists only in the email.

use chrono::Duration;
use portico_jobs::AccountEmail;
use portico_store::tokens::{self, NewLink, Purpose};
use portico_store::{clients, tenants, users};
use serde_json::json;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(kind = kind(&job)))]
pub async fn run(deps: &Deps, job: AccountEmail) -> Result<(), JobError> {
    let now = deps.clock.now_ts();
    let reset_ttl = Duration::minutes(deps.accounts.reset_link_minutes as i64);
    let invite_ttl = Duration::hours(deps.accounts.invite_link_hours as i64);

    // The business the email speaks for (its name as the sender, its contact details).
    let mut business = None;
    let (template, to, mut context, link_path) = match job {
        AccountEmail::PasswordReset { user_id } => {
            let Some(user) = users::by_id(&deps.db, user_id).await? else { return Ok(()) };
            let link = NewLink {
                purpose: Purpose::PasswordReset,
                email: &user.email,
                user: Some(user.id),
                tenant: None,
                client: None,
                expires_at: now + reset_ttl.num_seconds(),
            };
            let token = tokens::create_link(&deps.db, &link, now).await?;
            let context = json!({ "name": user.name, "valid_for": describe(reset_ttl) });
            ("password_reset", user.email, context, format!("/accounts/password/reset/{token}"))
        }
        AccountEmail::VerifyEmail { user_id } => {
            let Some(user) = users::by_id(&deps.db, user_id).await? else { return Ok(()) };
            if user.email_verified_at.is_some() {
                return Ok(());
            }
            let link = NewLink {
                purpose: Purpose::VerifyEmail,
                email: &user.email,
                user: Some(user.id),
                tenant: None,
                client: None,
                expires_at: now + invite_ttl.num_seconds(),
            };
            let token = tokens::create_link(&deps.db, &link, now).await?;
            let context = json!({ "name": user.name, "email": user.email, "valid_for": describe(invite_ttl) });
            ("verify_email", user.email, context, format!("/accounts/verify/{token}"))
        }
        AccountEmail::StaffInvite { tenant_id, email, invited_by } => {
            let Some(tenant) = tenants::by_id(&deps.db, tenant_id).await? else {
                return Ok(());
            };
            let inviter = users::by_id(&deps.db, invited_by).await?;
            let link = NewLink {
                purpose: Purpose::StaffInvite,
                email: &email,
                user: None,
                tenant: Some(tenant.id),
                client: None,
                expires_at: now + invite_ttl.num_seconds(),
            };
            let token = tokens::create_link(&deps.db, &link, now).await?;
            let context = json!({
                "tenant": tenant.name,
                "inviter": inviter.map_or_else(|| tenant.name.clone(), |u| u.name),
                "valid_for": describe(invite_ttl),
            });
            ("staff_invite", email, context, format!("/accounts/invite/{token}"))
        }
        AccountEmail::ClientInvite { tenant_id, client_id, email } => {
            let Some(tenant) = tenants::by_id(&deps.db, tenant_id).await? else { return Ok(()) };
            let Some(client) = clients::get(&deps.db, tenant.id, client_id).await? else {
                return Ok(());
            };
            let link = NewLink {
                purpose: Purpose::ClientInvite,
                email: &email,
                user: None,
                tenant: Some(tenant.id),
                client: Some(client.id),
                expires_at: now + invite_ttl.num_seconds(),
            };
            let token = tokens::create_link(&deps.db, &link, now).await?;
            let context = json!({ "name": client.name, "tenant": tenant.name, "valid_for": describe(invite_ttl) });
            business = Some(tenant);
            ("client_invite", email, context, format!("/accounts/invite/{token}"))
        }
        AccountEmail::AlreadyRegistered { tenant_id, user_id } => {
            let Some(tenant) = tenants::by_id(&deps.db, tenant_id).await? else {
                return Ok(());
            };
            let Some(user) = users::by_id(&deps.db, user_id).await? else { return Ok(()) };
            let reset_link = deps.absolute("/accounts/password/reset");
            let context =
                json!({ "name": user.name, "tenant": tenant.name, "reset_link": reset_link });
            let path = format!("/accounts/login?next=/portal/{}/register", tenant.slug);
            business = Some(tenant);
            ("already_registered", user.email, context, path)
        }
    };
    context["link"] = json!(deps.absolute(&link_path));
    let email = match &business {
        Some(tenant) => deps.render_business_email(template, &to, tenant, &context)?,
        None => deps.render_email(template, &to, &context)?,
    };
    Ok(deps.mailer.send(&email).await?)
}

fn kind(job: &AccountEmail) -> &'static str {
    match job {
        AccountEmail::PasswordReset { .. } => "password_reset",
        AccountEmail::VerifyEmail { .. } => "verify_email",
        AccountEmail::StaffInvite { .. } => "staff_invite",
        AccountEmail::ClientInvite { .. } => "client_invite",
        AccountEmail::AlreadyRegistered { .. } => "already_registered",
    }
}

/// "60 minutes", "7 days".
fn describe(ttl: Duration) -> String {
    if ttl.num_hours() >= 48 && ttl.num_hours() % 24 == 0 {
        format!("{} days", ttl.num_days())
    } else if ttl.num_minutes() >= 120 && ttl.num_minutes() % 60 == 0 {
        format!("{} hours", ttl.num_hours())
    } else {
        format!("{} minutes", ttl.num_minutes())
    }
}
