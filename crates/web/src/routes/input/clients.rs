//! A client's record as the owner edits it, on the pages and over the API.

use portico_domain::accounts::{self, Email};
use portico_domain::phone::parse_client_phone;
use portico_store::clients::{Client, ClientFields};

use super::Base;
use crate::error::FieldErrors;
use crate::forms::Check;

/// What was sent: a field left out is `None` (on a `PATCH` it keeps its value).
#[derive(Debug, Clone, Default)]
pub struct ClientDraft {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub can_self_reschedule: Option<bool>,
}

/// The fields to store, or a message per invalid field.
pub fn prepare_client(
    draft: &ClientDraft,
    base: Base<'_, Client>,
) -> Result<ClientFields, FieldErrors> {
    let kept = base.kept();
    let pick = |sent: &Option<String>, current: fn(&Client) -> &String| -> String {
        match (sent, kept) {
            (Some(sent), _) => sent.clone(),
            (None, Some(client)) => current(client).clone(),
            (None, None) => String::new(),
        }
    };
    let (name, email) = (pick(&draft.name, |c| &c.name), pick(&draft.email, |c| &c.email));
    let (phone, address) = (pick(&draft.phone, |c| &c.phone), pick(&draft.address, |c| &c.address));
    let notes = pick(&draft.notes, |c| &c.notes);
    let can_self_reschedule = draft
        .can_self_reschedule
        .or_else(|| kept.map(|c| c.can_self_reschedule != 0))
        .unwrap_or(false);

    let mut check = Check::default();
    let name = check.field("name", accounts::parse_name(&name));
    let email = check.field("email", Email::parse(&email));
    // A number is checked when it is sent: a stored one from before E.164 stays until edited.
    let phone = if draft.phone.is_some() || kept.is_none() {
        check.field("phone", parse_client_phone(&phone)).unwrap_or_default()
    } else {
        phone
    };
    if address.chars().count() > 500 {
        check.fail("address", "Use at most 500 characters.");
    }
    if notes.chars().count() > 5000 {
        check.fail("notes", "Use at most 5,000 characters.");
    }
    match (name, email) {
        (Some(name), Some(email)) if check.is_ok() => Ok(ClientFields {
            name,
            email: email.to_string(),
            phone,
            address: address.trim().to_owned(),
            notes: notes.trim().to_owned(),
            can_self_reschedule,
        }),
        _ => Err(check.errors),
    }
}
