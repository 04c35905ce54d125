//! Validated values for accounts and tenants.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value was refused, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);

/// A normalized (trimmed, lowercase) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let email = input.trim().to_lowercase();
        const BAD: Invalid = Invalid("Enter a valid email address.");
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BAD);
        }
        let (local, domain) = email.split_once('@').ok_or(BAD)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(BAD);
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant's booking slug: the `{tenant}` in every URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Path segments that would be confusing or clash with our own pages.
const RESERVED_SLUGS: &[&str] = &[
    "admin", "api", "app", "accounts", "book", "help", "login", "logout", "new", "portal",
    "platform", "portico", "settings", "signup", "staff", "static", "support", "www",
];

impl Slug {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let slug = input.trim().to_lowercase();
        if slug.len() < 3 || slug.len() > 40 {
            return Err(Invalid("Use 3 to 40 characters."));
        }
        if !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(Invalid("Use lowercase letters, digits and dashes only."));
        }
        if slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
            return Err(Invalid("Dashes go between words."));
        }
        if RESERVED_SLUGS.contains(&slug.as_str()) {
            return Err(Invalid("That name is reserved; choose another."));
        }
        Ok(Self(slug))
    }

    /// A slug suggested from a business name ("Happy Paws Dog-Walking!" → "happy-paws-dog-walking").
    pub fn suggest(name: &str) -> String {
        let mut slug = String::new();
        for c in name.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        slug.chars().take(40).collect::<String>().trim_end_matches('-').to_owned()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's or business's display name: trimmed, 1–100 characters, no control characters.
pub fn parse_name(input: &str) -> Result<String, Invalid> {
    let name = input.trim();
    if name.is_empty() {
        return Err(Invalid("This field is required."));
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Invalid("Use at most 100 characters, without control characters."));
    }
    Ok(name.to_owned())
}

/// A phone number as people type it: digits, spaces and `+ - ( ) .`, at most 40 characters.
/// Empty is allowed (use [`parse_required_phone`] where one is needed).
pub fn parse_phone(input: &str) -> Result<String, Invalid> {
    let phone = input.trim();
    if phone.len() > 40 || !phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        return Err(Invalid("Use digits, spaces and + - ( ) only."));
    }
    Ok(phone.to_owned())
}

/// Like [`parse_phone`], but a number must be given.
pub fn parse_required_phone(input: &str) -> Result<String, Invalid> {
    match parse_phone(input)? {
        phone if phone.is_empty() => {
            Err(Invalid("Enter a phone number (digits, spaces and + - ( ) only)."))
        }
        phone => Ok(phone),
    }
}

/// An IANA time zone name such as `Europe/London`, as picked from the searchable list or
/// typed: any letter case, and a city alone (`paris`, `new york`) when only one zone has it.
pub fn parse_timezone(input: &str) -> Result<chrono_tz::Tz, Invalid> {
    let wanted = input.trim().replace(' ', "_");
    let invalid = Invalid("Choose a time zone from the list (type a city to search).");
    if let Ok(tz) = wanted.parse() {
        return Ok(tz);
    }
    if wanted.is_empty() {
        return Err(invalid);
    }
    let zones = chrono_tz::TZ_VARIANTS.iter();
    if let Some(tz) = zones.clone().find(|tz| tz.name().eq_ignore_ascii_case(&wanted)) {
        return Ok(*tz);
    }
    let mut cities = zones.filter(|tz| {
        tz.name().rsplit('/').next().is_some_and(|city| city.eq_ignore_ascii_case(&wanted))
            && tz.name().contains('/')
    });
    match (cities.next(), cities.next()) {
        (Some(tz), None) => Ok(*tz),
        _ => Err(invalid),
    }
}

/// Every time zone name, for the searchable list.
pub fn timezone_names() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

/// ISO 4217 codes Portico can bill in.
pub const CURRENCIES: &[&str] = &[
    "AUD", "BRL", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "HKD", "INR", "JPY", "MXN", "NOK",
    "NZD", "PLN", "SEK", "SGD", "USD", "ZAR",
];

pub fn parse_currency(input: &str) -> Result<&'static str, Invalid> {
    let code = input.trim().to_uppercase();
    CURRENCIES
        .iter()
        .copied()
        .find(|c| *c == code)
        .ok_or(Invalid("Choose a currency from the list."))
}

/// How a user belongs to a tenant's team. Clients are not members: they have client records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Staff,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Owner => "owner",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "staff" => Some(Self::Staff),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(Email::parse("  Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in
            ["", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "ann@ex..com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_are_validated_and_suggested() {
        assert_eq!(Slug::suggest("Happy Paws Dog-Walking!"), "happy-paws-dog-walking");
        assert_eq!(Slug::parse("happy-paws").unwrap().as_str(), "happy-paws");
        for bad in ["ab", "Happy Paws", "-paws", "paws-", "pa--ws", "api", "app"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_timezones_and_currencies() {
        assert_eq!(parse_name("  Ann  ").unwrap(), "Ann");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(101)).is_err());
        assert_eq!(parse_timezone("Europe/London").unwrap(), chrono_tz::Europe::London);
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert_eq!(parse_timezone(" europe/paris ").unwrap(), chrono_tz::Europe::Paris);
        assert_eq!(parse_timezone("paris").unwrap(), chrono_tz::Europe::Paris);
        assert_eq!(parse_timezone("New York").unwrap(), chrono_tz::America::New_York);
        assert!(parse_timezone("").is_err());
        assert!(parse_timezone("Olympus").is_err());
        assert_eq!(parse_currency("gbp").unwrap(), "GBP");
        assert_eq!(parse_phone(" +44 (0)7700 900-123 ").unwrap(), "+44 (0)7700 900-123");
        assert_eq!(parse_phone("").unwrap(), "");
        assert!(parse_phone("call me").is_err());
        assert!(parse_required_phone(" ").is_err());
        assert!(parse_currency("XXX").is_err());
    }
}
