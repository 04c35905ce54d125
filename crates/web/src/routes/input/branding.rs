//! The business's contact details and brand colour, from the settings page or the API.

use portico_domain::contact::{
    BrandColor, Contact, parse_address, parse_contact_email, parse_contact_phone, parse_website,
};

use portico_domain::accounts::Invalid;

use crate::forms::Check;

/// What was sent; a field left out is `None` and keeps its value.
#[derive(Debug, Default)]
pub struct BrandingDraft {
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub website: Option<String>,
    /// `""` = back to Portico's colours.
    pub brand_color: Option<String>,
}

/// The details to store, or `None` with the problems recorded in `check`.
pub fn validate_branding(
    check: &mut Check,
    draft: &BrandingDraft,
    current: &Contact,
    current_color: Option<BrandColor>,
) -> Option<(Contact, Option<BrandColor>)> {
    let mut field = |name: &str,
                     value: &Option<String>,
                     kept: &str,
                     parse: fn(&str) -> Result<String, Invalid>| {
        match value {
            None => Some(kept.to_owned()),
            Some(text) => check.field(name, parse(text)),
        }
    };
    let email = field("contact_email", &draft.contact_email, &current.email, parse_contact_email);
    let phone = field("contact_phone", &draft.contact_phone, &current.phone, parse_contact_phone);
    let address = field("address", &draft.address, &current.address, parse_address);
    let website = field("website", &draft.website, &current.website, parse_website);
    let color = match draft.brand_color.as_deref().map(str::trim) {
        None => Some(current_color),
        Some("") => Some(None),
        Some(text) => check.field("brand_color", BrandColor::parse(text)).map(Some),
    };
    Some((Contact { email: email?, phone: phone?, address: address?, website: website? }, color?))
}
