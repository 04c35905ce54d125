//! How clients reach a business, and its brand colour: the values the owner sets, checked.
//!
//! Every field may be empty (a business need not publish a phone number); what is given must
//! be usable: an address that receives mail, a phone number, a web address that opens.

use crate::accounts::{Email, Invalid, parse_phone};

/// A business's published contact details. Empty strings are "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub email: String,
    pub phone: String,
    pub address: String,
    pub website: String,
}

impl Contact {
    /// Whether anything is given.
    pub fn is_empty(&self) -> bool {
        self.email.is_empty()
            && self.phone.is_empty()
            && self.address.is_empty()
            && self.website.is_empty()
    }
}

/// A contact email: empty, or a valid address (normalised as logins are).
pub fn parse_contact_email(input: &str) -> Result<String, Invalid> {
    match input.trim() {
        "" => Ok(String::new()),
        email => Email::parse(email).map(|e| e.as_str().to_owned()),
    }
}

/// A contact phone number: empty, or as [`parse_phone`] allows.
pub fn parse_contact_phone(input: &str) -> Result<String, Invalid> {
    parse_phone(input)
}

/// A postal address: up to 300 characters; line breaks are kept, blank lines dropped.
pub fn parse_address(input: &str) -> Result<String, Invalid> {
    let lines: Vec<&str> =
        input.trim().lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    let address = lines.join("\n");
    if address.chars().count() > 300 {
        return Err(Invalid("Use at most 300 characters."));
    }
    if address.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid("Remove the control characters."));
    }
    Ok(address)
}

/// A website: empty, or an `http(s)://` address with a host (`https://` is added to a bare
/// `example.com`), at most 200 characters.
pub fn parse_website(input: &str) -> Result<String, Invalid> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    const MESSAGE: &str = "Enter a web address such as https://example.com.";
    let with_scheme =
        if text.contains("://") { text.to_owned() } else { format!("https://{text}") };
    let (scheme, rest) = with_scheme.split_once("://").ok_or(Invalid(MESSAGE))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_ok = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c));
    if !matches!(scheme, "http" | "https")
        || !host_ok
        || with_scheme.len() > 200
        || with_scheme.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"'".contains(c))
    {
        return Err(Invalid(MESSAGE));
    }
    Ok(with_scheme)
}

/// A brand colour `#rrggbb` (lowercase), and the text colour that reads on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrandColor([u8; 3]);

impl BrandColor {
    /// `#rrggbb` or `rrggbb`, any case. A colour on which neither white nor near-black text
    /// reaches a 4.5:1 contrast (WCAG AA) cannot exist, so every valid colour is accepted.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let hex = input.trim().trim_start_matches('#');
        let valid = hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit());
        if !valid {
            return Err(Invalid("Use a colour like #2f6f5e."));
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| Invalid("?"));
        Ok(Self([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// `#rrggbb`.
    pub fn hex(self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// WCAG relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        let [r, g, b] = self.0;
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// The contrast ratio of this colour with white.
    pub fn contrast_with_white(self) -> f64 {
        1.05 / (self.luminance() + 0.05)
    }

    /// The text colour for buttons in this colour: white when it reads (4.5:1), else the
    /// house ink, whichever contrasts more.
    pub fn text_hex(self) -> &'static str {
        const INK: BrandColor = BrandColor([0x1d, 0x25, 0x21]);
        let on_white = self.contrast_with_white();
        let with_ink = (self.luminance() + 0.05) / (INK.luminance() + 0.05);
        if on_white >= 4.5 || on_white >= with_ink { "#ffffff" } else { "#1d2521" }
    }

    /// Whether text in this colour (links) reads on the white page (4.5:1, WCAG AA);
    /// otherwise pages use it for buttons and bars only and keep the house ink for text.
    pub fn readable_on_white(self) -> bool {
        self.contrast_with_white() >= 4.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites_get_a_scheme_and_must_have_a_host() {
        assert_eq!(parse_website("example.com").unwrap(), "https://example.com");
        assert_eq!(parse_website(" http://a.example/x?y=1 ").unwrap(), "http://a.example/x?y=1");
        assert_eq!(parse_website("").unwrap(), "");
        for bad in ["javascript:alert(1)", "ftp://x.example", "https://", "localhost", "a b.com"] {
            assert!(parse_website(bad).is_err(), "{bad}");
        }
        assert!(parse_website("https://x.example/\"onmouseover=").is_err());
    }

    #[test]
    fn addresses_keep_their_lines_within_limits() {
        assert_eq!(parse_address(" 1 High St \r\n\r\n Town ").unwrap(), "1 High St\nTown");
        assert!(parse_address(&"x".repeat(301)).is_err());
    }

    #[test]
    fn contact_email_is_optional_but_valid() {
        assert_eq!(parse_contact_email("").unwrap(), "");
        assert!(parse_contact_email("not an email").is_err());
        assert!(parse_contact_email("Hello@Paws.example").is_ok());
    }

    #[test]
    fn brand_colours_parse_and_choose_readable_text() {
        assert_eq!(BrandColor::parse("#2F6F5E").unwrap().hex(), "#2f6f5e");
        assert_eq!(BrandColor::parse("2f6f5e").unwrap().hex(), "#2f6f5e");
        for bad in ["", "#fff", "#12345g", "red", "#1234567"] {
            assert!(BrandColor::parse(bad).is_err(), "{bad}");
        }
        // Dark green: white text. Yellow: dark text. Both reach 4.5:1 with their text.
        assert_eq!(BrandColor::parse("#2f6f5e").unwrap().text_hex(), "#ffffff");
        assert_eq!(BrandColor::parse("#ffd400").unwrap().text_hex(), "#1d2521");
        assert!(!BrandColor::parse("#ffd400").unwrap().readable_on_white());
        assert!(BrandColor::parse("#000080").unwrap().readable_on_white());
    }
}
