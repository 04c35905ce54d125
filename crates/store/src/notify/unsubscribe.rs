//! One-click unsubscribe links: `{tenant}.{who}.{kind}.{signature}`, signed with HMAC-SHA256
//! under a key derived from the server's session key. The link works without a login and
//! only for the recipient and kind it names: changing any part breaks the signature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use portico_domain::{ClientId, TenantId, UserId};
use sha2::Sha256;

use super::Kind;

/// Separates these signatures from any other use of the same key.
const DOMAIN: &[u8] = b"portico/unsubscribe/v1\n";

/// Who an email went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Client(ClientId),
    /// A team member (owner or staff login), about their own notices.
    Member(UserId),
}

/// What an unsubscribe link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribe {
    pub tenant: TenantId,
    pub recipient: Recipient,
    pub kind: Kind,
}

impl Unsubscribe {
    fn payload(&self) -> String {
        let who = match self.recipient {
            Recipient::Client(id) => format!("c{}", id.get()),
            Recipient::Member(id) => format!("m{}", id.get()),
        };
        format!("{}.{who}.{}", self.tenant.get(), self.kind.as_str())
    }

    /// The signed token for a link.
    pub fn sign(&self, key: &[u8]) -> String {
        let payload = self.payload();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(mac(key, &payload).finalize().into_bytes()))
    }

    /// The link's meaning, if `token` is one we signed; `None` for anything else.
    pub fn verify(key: &[u8], token: &str) -> Option<Self> {
        let (payload, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        // Constant-time comparison.
        mac(key, payload).verify_slice(&signature).ok()?;
        let mut parts = payload.split('.');
        let tenant = TenantId::from_store(parts.next()?.parse().ok()?);
        let who = parts.next()?;
        let kind = Kind::parse(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        let recipient = match (who.get(..1)?, who.get(1..)?.parse().ok()?) {
            ("c", id) => Recipient::Client(ClientId::from_store(id)),
            ("m", id) => Recipient::Member(UserId::from_store(id)),
            _ => return None,
        };
        Some(Self { tenant, recipient, kind })
    }
}

fn mac(key: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(DOMAIN);
    mac.update(payload.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn link() -> Unsubscribe {
        Unsubscribe {
            tenant: TenantId::from_store(7),
            recipient: Recipient::Client(ClientId::from_store(42)),
            kind: Kind::Reminders,
        }
    }

    #[test]
    fn a_signed_link_verifies_to_what_it_names() {
        let token = link().sign(KEY);
        assert!(token.starts_with("7.c42.reminders."), "{token}");
        assert_eq!(Unsubscribe::verify(KEY, &token), Some(link()));
        let member = Unsubscribe { recipient: Recipient::Member(UserId::from_store(3)), ..link() };
        assert_eq!(Unsubscribe::verify(KEY, &member.sign(KEY)), Some(member));
    }

    #[test]
    fn a_changed_part_or_another_key_is_refused() {
        let token = link().sign(KEY);
        let signature = token.rsplit_once('.').unwrap().1;
        for forged in [
            format!("7.c43.reminders.{signature}"),
            format!("8.c42.reminders.{signature}"),
            format!("7.c42.invoices.{signature}"),
            format!("7.m42.reminders.{signature}"),
            format!("{token}x"),
            "7.c42.reminders".to_owned(),
            String::new(),
        ] {
            assert_eq!(Unsubscribe::verify(KEY, &forged), None, "{forged}");
        }
        assert_eq!(Unsubscribe::verify(b"another key", &token), None);
    }
}
