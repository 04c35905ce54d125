//! Phone numbers in E.164 form (`+` country code and number, at most 15 digits): the only
//! form an SMS provider accepts, so it is the only form a client's number is stored in.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::accounts::Invalid;

/// A phone number in E.164 form, e.g. `+447700900123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl E164 {
    /// Parses a number as people type it: `+44 (0)7700 900-123` is `+447700900123`. Spaces,
    /// `-`, `.` and brackets are separators; the national trunk `(0)` is dropped; the number
    /// must start with `+` and a country code and have 8 to 15 digits.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        const BAD: Invalid =
            Invalid("Enter the number with its country code, e.g. +44 7700 900123.");
        let typed = input.trim().replace("(0)", "");
        let Some(rest) = typed.strip_prefix('+') else { return Err(BAD) };
        let mut digits = String::with_capacity(15);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(BAD),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(BAD);
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for E164 {
    type Error = Invalid;

    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<E164> for String {
    fn from(value: E164) -> Self {
        value.0
    }
}

/// A client's phone number from a form or API body: empty (no number), or a number that is
/// valid E.164 once its separators are dropped. It is kept as typed (trimmed), the way the
/// client wrote it; messages use [`E164::parse`] of it.
pub fn parse_client_phone(input: &str) -> Result<String, Invalid> {
    let typed = input.trim();
    if !typed.is_empty() {
        E164::parse(typed)?;
    }
    Ok(typed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_numbers_become_e164() {
        for (typed, want) in [
            ("+447700900123", "+447700900123"),
            (" +44 7700 900123 ", "+447700900123"),
            ("+44 (0)7700 900-123", "+447700900123"),
            ("+1 (415) 555.0100", "+14155550100"),
            ("+49 30 12345678", "+493012345678"),
        ] {
            assert_eq!(E164::parse(typed).unwrap().as_str(), want, "{typed:?}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for typed in [
            "",
            "07700 900123",   // national form: no country code
            "+0 7700 900123", // country codes never start with 0
            "+44 7700 9001234567890",
            "+44 77",
            "+44 7700 900123 ext 4",
            "++447700900123",
            "call me",
        ] {
            assert!(E164::parse(typed).is_err(), "{typed:?}");
        }
    }

    #[test]
    fn a_client_phone_may_be_empty_and_is_kept_as_typed() {
        assert_eq!(parse_client_phone("  ").unwrap(), "");
        assert_eq!(parse_client_phone(" +44 7700 900123").unwrap(), "+44 7700 900123");
        assert!(parse_client_phone("01632 960000").is_err());
    }
}
