//! What the message jobs share about texts (PRO): whether a business can send one now, from
//! which account, and to which number. A text goes out only when the business is on PRO, has
//! SMS turned on, has entered its provider account (when the transport needs one), and the
//! client opted in to texts of that kind and has a valid E.164 number.

use portico_domain::phone::E164;
use portico_domain::plans::{Feature, allows};
use portico_integrations::sms::{Sms, SmsAccount};
use portico_store::notify::{self, ClientPrefs, Kind};
use portico_store::sealed::{self, SecretKind, Slot};
use portico_store::{clients, tenants};

use crate::{Deps, JobError};

impl Deps {
    /// The account `tenant`'s texts go out from, or `None` when it sends none now.
    pub async fn sms_account(
        &self,
        tenant: &tenants::Tenant,
    ) -> Result<Option<SmsAccount>, JobError> {
        if !allows(tenant.effective_plan(self.clock.now()), Feature::SmsNotifications) {
            return Ok(None);
        }
        if !notify::prefs::settings(&self.db, tenant.id).await?.sms_enabled {
            return Ok(None);
        }
        let secret = |kind| sealed::get(&self.db, &self.keyring, tenant.id, Slot::tenant(kind));
        let sid = secret(SecretKind::TwilioAccountSid).await?;
        let token = secret(SecretKind::TwilioAuthToken).await?;
        let from = notify::sms::sender(&self.db, tenant.id).await?;
        match (sid, token) {
            (Some(sid), Some(token)) if !from.is_empty() => Ok(Some(SmsAccount {
                account_sid: sid.to_string(),
                auth_token: token.to_string(),
                from,
            })),
            _ if self.sms.needs_account() => {
                tracing::warn!(tenant = %tenant.id, "SMS is on but the Twilio account is not set");
                Ok(None)
            }
            _ => Ok(Some(SmsAccount {
                account_sid: String::new(),
                auth_token: String::new(),
                from: if from.is_empty() { tenant.name.clone() } else { from },
            })),
        }
    }
}

/// The client's number when they want texts of `kind` and it is a valid E.164 number.
pub fn recipient(client: &clients::Client, prefs: &ClientPrefs, kind: Kind) -> Option<E164> {
    if !prefs.sms.wants(kind) {
        return None;
    }
    E164::parse(&client.phone).ok()
}

/// A text on one line: `sentence`, then where the booking takes place and a link, when
/// there are, separated by " · " (no punctuation glued to a link).
pub fn one_line(sentence: &str, place: Option<String>, link: Option<String>) -> String {
    let rest: Vec<String> = [place, link].into_iter().flatten().collect();
    if rest.is_empty() {
        format!("{sentence}.")
    } else {
        format!("{sentence}. {}", rest.join(" · "))
    }
}

/// Sends one text; the caller records it in its ledger right after.
pub async fn send(
    deps: &Deps,
    account: &SmsAccount,
    to: &E164,
    body: String,
) -> Result<(), JobError> {
    let sms = Sms { to: to.to_string(), body };
    let id = deps.sms.send(account, &sms).await?;
    tracing::info!(message = %id, "SMS sent");
    Ok(())
}
