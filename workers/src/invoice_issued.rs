//! "Your invoice": when an invoice is issued, its workflow claims the invoice's notice and
//! queues an [`InvoiceIssued`] in the same transaction. [`send`] decides at send time: the
//! invoice must still be open; the client gets the email if they still want invoice emails,
//! and (PRO, texts on) a text if they want invoices by text. A retried job sends nothing
//! twice: the `invoice_notices` ledger records the email, then settles the notice after the
//! text.

use portico_domain::invoice::InvoiceStatus;
use portico_jobs::InvoiceIssued;
use portico_store::notify::{self, Kind, issued};
use portico_store::{clients, invoices, tenants};
use serde_json::json;

use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(invoice = job.invoice_id))]
pub async fn send(deps: &Deps, job: InvoiceIssued) -> Result<(), JobError> {
    let Some(tenant) = tenants::by_id(&deps.db, job.tenant_id).await? else { return Ok(()) };
    let tenant_id = tenant.id;
    // The job's number becomes the tenant's invoice (whose notice was claimed), or nothing.
    let Some(invoice) = invoices::get(&deps.db, tenant_id, job.invoice_id).await? else {
        return Ok(());
    };
    if issued::settled(&deps.db, tenant_id, invoice.id).await? {
        return Ok(());
    }
    let now = deps.clock.now();
    let invoice_id = invoice.id;
    let settle = || issued::settle(&deps.db, tenant_id, invoice_id, now.timestamp());
    // Voided (or paid) before the email went out: nothing to ask for.
    let Some(invoice) = Some(invoice).filter(|i| i.status == InvoiceStatus::Open) else {
        settle().await?;
        return Ok(());
    };
    let totals = invoice.totals().map_err(|e| JobError::Permanent(e.into()))?;
    let balance = invoice.balance().map_err(|e| JobError::Permanent(e.into()))?;
    let money = |m: portico_domain::Money| format!("{} {}", m.currency, m.amount());
    let due_date = crate::overdue::long_date(invoice.due_date);
    if let Some(to) = crate::notify::invoice_recipient(deps, &tenant, &invoice).await?
        && !issued::emailed(&deps.db, tenant_id, invoice.id).await?
    {
        let context = json!({
            "name": to.client.name,
            "tenant": tenant.name,
            "number": invoice.number,
            "total": money(totals.total),
            "amount_due": money(balance),
            "due_date": due_date,
            "link": to.link,
            "unsubscribe": to.unsubscribe,
        });
        let mut mail =
            deps.render_business_email("invoice_issued", &to.client.email, &tenant, &context)?;
        crate::notify::one_click(&mut mail, &to.unsubscribe);
        deps.mailer.send(&mail).await?;
        issued::mark_emailed(&deps.db, tenant_id, invoice.id, now.timestamp()).await?;
    }

    // A text (PRO, SMS on) to a client who wants invoices by text, after the email: a
    // provider refusing it fails the job, and the retry sends only the text.
    if let Some(client) = clients::get(&deps.db, tenant_id, invoice.client_id.get()).await? {
        let prefs = notify::prefs::client(&deps.db, tenant_id, client.id).await?;
        if let Some(phone) = crate::sms::recipient(&client, &prefs, Kind::Invoices)
            && let Some(account) = deps.sms_account(&tenant).await?
        {
            let sentence = format!(
                "{}: invoice {} for {}, due {}",
                tenant.name,
                invoice.number.as_deref().unwrap_or_default(),
                money(balance),
                due_date,
            );
            let portal =
                tenant.portal_enabled && client.user_id.is_some() && !client.login_disabled();
            let link = portal.then(|| {
                deps.absolute(&format!("/portal/{}/invoices/{}", tenant.slug, invoice.id))
            });
            let text = crate::sms::one_line(&sentence, None, link);
            crate::sms::send(deps, &account, &phone, text).await?;
        }
    }
    settle().await?;
    Ok(())
}
