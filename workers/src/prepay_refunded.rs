//! "Your payment was refunded": a pre-paid booking's payment came in after its hold expired
//! and the place was taken meanwhile, so no booking was made and the money went back at the
//! gateway. Queued once, in the transaction that noted the gateway's refund.

use portico_core::prepay::{BookingRequest, RequestParty};
use portico_jobs::PrepayRefunded;
use portico_store::{catalog, clients, online, tenants};
use serde_json::json;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(checkout = job.checkout_id))]
pub async fn send(deps: &Deps, job: PrepayRefunded) -> Result<(), JobError> {
    let Some(tenant) = tenants::by_id(&deps.db, job.tenant_id).await? else { return Ok(()) };
    let tenant_id = tenant.id;
    let Some(checkout) = online::checkout(&deps.db, tenant_id, job.checkout_id).await? else {
        return Ok(());
    };
    let request = BookingRequest::of(&checkout).map_err(|e| JobError::Permanent(e.into()))?;
    let (name, email) = match &request.party {
        RequestParty::Guest { name, email, .. } => (name.clone(), email.clone()),
        RequestParty::Client { client_id, .. } => {
            let client = clients::get(&deps.db, tenant_id, *client_id).await?;
            let Some(client) = client else { return Ok(()) };
            (client.name, client.email)
        }
    };
    if email.is_empty() {
        return Ok(());
    }
    let service = catalog::by_id(&deps.db, tenant_id, request.service_id).await?;
    let when = chrono::DateTime::from_timestamp(request.start, 0)
        .unwrap_or_default()
        .with_timezone(&tenant.timezone)
        .format("%A %-d %B %Y, %H:%M")
        .to_string();
    let context = json!({
        "name": name,
        "tenant": tenant.name,
        "service": service.map(|s| s.name).unwrap_or_default(),
        "when": when,
        "amount": format!("{} {}", checkout.amount.currency, checkout.amount.amount()),
    });
    let mail = deps.render_business_email("prepay_refunded", &email, &tenant, &context)?;
    deps.mailer.send(&mail).await?;
    Ok(())
}
