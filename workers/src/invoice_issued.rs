//! "Your invoice": when an invoice is issued, its workflow claims the invoice's notice and
//! queues an [`InvoiceIssued`] in the same transaction. [`send`] decides at send time: the
//! invoice must still be open and the client must still want invoice emails; a retried job
//! sends nothing twice (the `invoice_notices` ledger).

use portico_domain::invoice::InvoiceStatus;
use portico_jobs::InvoiceIssued;
use portico_store::notify::issued;
use portico_store::{invoices, tenants};
use serde_json::json;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(invoice = job.invoice_id))]
pub async fn send(deps: &Deps, job: InvoiceIssued) -> Result<(), JobError> {
    let Some(tenant) = tenants::by_id(&deps.db, job.tenant_id).await? else { return Ok(()) };
    let tenant_id = tenant.id;
    if issued::settled(&deps.db, tenant_id, job.invoice_id).await? {
        return Ok(());
    }
    let now = deps.clock.now();
    let settle = || issued::settle(&deps.db, tenant_id, job.invoice_id, now.timestamp());
    // Voided (or paid) before the email went out: nothing to ask for.
    let invoice = invoices::get(&deps.db, tenant_id, job.invoice_id).await?;
    let Some(invoice) = invoice.filter(|i| i.status == InvoiceStatus::Open) else {
        settle().await?;
        return Ok(());
    };
    let Some(to) = crate::notify::invoice_recipient(deps, &tenant, &invoice).await? else {
        settle().await?;
        return Ok(());
    };
    let totals = invoice.totals().map_err(|e| JobError::Permanent(e.into()))?;
    let balance = invoice.balance().map_err(|e| JobError::Permanent(e.into()))?;
    let money = |m: portico_domain::Money| format!("{} {}", m.currency, m.amount());
    let context = json!({
        "name": to.client.name,
        "tenant": tenant.name,
        "number": invoice.number,
        "total": money(totals.total),
        "amount_due": money(balance),
        "due_date": crate::overdue::long_date(invoice.due_date),
        "link": to.link,
        "unsubscribe": to.unsubscribe,
    });
    let mut mail =
        deps.render_business_email("invoice_issued", &to.client.email, &tenant, &context)?;
    crate::notify::one_click(&mut mail, &to.unsubscribe);
    deps.mailer.send(&mail).await?;
    settle().await?;
    Ok(())
}
