//! What every message job shares: the one-click unsubscribe of optional kinds (a signed link
//! in the body, and the `List-Unsubscribe` / `List-Unsubscribe-Post` headers of RFC 8058).

use portico_integrations::mail::Email;
use portico_store::notify::unsubscribe::Unsubscribe;

use crate::Deps;

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
