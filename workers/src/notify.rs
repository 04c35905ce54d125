//! What every message job shares: the one-click unsubscribe of optional kinds (a signed link
//! in the body, and the `List-Unsubscribe` / `List-Unsubscribe-Post` headers of RFC 8058).

use portico_integrations::mail::Email;
use portico_store::clients::{self, Client};
use portico_store::invoices::Invoice;
use portico_store::notify::unsubscribe::{Recipient, Unsubscribe};
use portico_store::notify::{self, Kind};
use portico_store::tenants::Tenant;

use crate::{Deps, JobError};

impl Deps {
    /// The signed unsubscribe link for `what`; it works without a login.
    pub fn unsubscribe_link(&self, what: &Unsubscribe) -> String {
        self.absolute(&format!("/unsubscribe/{}", what.sign(&self.keys.session)))
    }
}

/// Adds the one-click unsubscribe headers for `link` to `email`.
pub fn one_click(email: &mut Email, link: &str) {
    email.headers.push(("List-Unsubscribe".to_owned(), format!("<{link}>")));
    email
        .headers
        .push(("List-Unsubscribe-Post".to_owned(), "List-Unsubscribe=One-Click".to_owned()));
}

/// Who an invoice email goes to: the invoice's client, with the link to it in the portal when
/// they can log in there, and the unsubscribe link of the `invoices` kind.
pub struct InvoiceRecipient {
    pub client: Client,
    pub link: Option<String>,
    pub unsubscribe: String,
}

/// The recipient of an email about `invoice`, or `None` when there is nobody to send it to:
/// the client is gone, has no address, or turned invoice emails off (checked at send time).
pub async fn invoice_recipient(
    deps: &Deps,
    tenant: &Tenant,
    invoice: &Invoice,
) -> Result<Option<InvoiceRecipient>, JobError> {
    let Some(client) = clients::get(&deps.db, tenant.id, invoice.client_id.get()).await? else {
        return Ok(None);
    };
    if client.email.is_empty()
        || !notify::prefs::client(&deps.db, tenant.id, client.id).await?.email.invoices
    {
        return Ok(None);
    }
    let portal = tenant.portal_enabled && client.user_id.is_some() && !client.login_disabled();
    let link =
        portal.then(|| deps.absolute(&format!("/portal/{}/invoices/{}", tenant.slug, invoice.id)));
    let unsubscribe = deps.unsubscribe_link(&Unsubscribe {
        tenant: tenant.id,
        recipient: Recipient::Client(client.id),
        kind: Kind::Invoices,
    });
    Ok(Some(InvoiceRecipient { client, link, unsubscribe }))
}
