//! "Your invoice": when an invoice is issued, its workflow claims the invoice's notice and
//! queues an [`InvoiceIssued`] in the same transaction. [`send`] decides at send time: the
//! invoice must still be open and the client must still want invoice emails; a retried job
//! sends nothing twice (the `invoice_notices` ledger).

use chrono::NaiveDate;
use portico_domain::TenantId;
use portico_domain::invoice::InvoiceStatus;
use portico_jobs::InvoiceIssued;
use portico_store::notify::issued;
use portico_store::notify::unsubscribe::{Recipient, Unsubscribe};
use portico_store::notify::{self, Kind};
use portico_store::{clients, invoices, tenants};
use serde_json::json;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(invoice = job.invoice_id))]
pub async fn send(deps: &Deps, job: InvoiceIssued) -> Result<(), JobError> {
    let tenant_id = TenantId(job.tenant_id);
    if issued::settled(&deps.db, tenant_id, job.invoice_id).await? {
        return Ok(());
    }
    let now = deps.clock.now();
    let settle = || issued::settle(&deps.db, tenant_id, job.invoice_id, now.timestamp());
    let Some(tenant) = tenants::by_id(&deps.db, tenant_id).await? else { return Ok(()) };
    // Voided (or paid) before the email went out: nothing to ask for.
    let invoice = invoices::get(&deps.db, tenant_id, job.invoice_id).await?;
    let Some(invoice) = invoice.filter(|i| i.status == InvoiceStatus::Open) else {
        settle().await?;
        return Ok(());
    };
    let Some(client) = clients::get(&deps.db, tenant_id, invoice.client_id).await? else {
        settle().await?;
        return Ok(());
    };
    // The client's choice at send time.
    if client.email.is_empty()
        || !notify::prefs::client(&deps.db, tenant_id, client.id()).await?.email.invoices
    {
        settle().await?;
        return Ok(());
    }
    let totals = invoice.totals().map_err(|e| JobError::Permanent(e.into()))?;
    let balance = invoice.balance().map_err(|e| JobError::Permanent(e.into()))?;
    let money = |m: portico_domain::Money| format!("{} {}", m.currency, m.amount());
    let portal = tenant.portal_enabled && client.user_id.is_some() && !client.login_disabled();
    let link =
        portal.then(|| deps.absolute(&format!("/portal/{}/invoices/{}", tenant.slug, invoice.id)));
    let unsubscribe = deps.unsubscribe_link(&Unsubscribe {
        tenant: tenant_id,
        recipient: Recipient::Client(client.id()),
        kind: Kind::Invoices,
    });
    let context = json!({
        "name": client.name,
        "tenant": tenant.name,
        "number": invoice.number,
        "total": money(totals.total),
        "amount_due": money(balance),
        "due_date": long_date(invoice.due_date),
        "link": link,
        "unsubscribe": unsubscribe,
    });
    let mut mail =
        deps.render_business_email("invoice_issued", &client.email, &tenant, &context)?;
    crate::notify::one_click(&mut mail, &unsubscribe);
    deps.mailer.send(&mail).await?;
    settle().await?;
    Ok(())
}

/// `Tue 1 Dec 2026`, as the other emails write dates.
fn long_date(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}
