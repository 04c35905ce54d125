//! Numbers and amounts as typed in forms.

use crate::forms::Check;

/// A whole number typed in a form: `None` when left empty.
pub fn whole_from_text(check: &mut Check, field: &str, text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    check.field(field, text.parse::<i64>().map_err(|_| "Enter a whole number."))
}

/// An amount typed in a form ("12.50", "12") as minor units: `None` when left empty.
pub fn minor_from_text(check: &mut Check, field: &str, text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (units, cents) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !units.is_empty()
        && units.len() <= 12
        && cents.len() <= 2
        && units.chars().chain(cents.chars()).all(|c| c.is_ascii_digit());
    if !well_formed {
        check.fail(field, "Enter an amount such as 12.50.");
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    let minor = units * 100 + cents;
    Some(if negative { -minor } else { minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_forms_become_minor_units() {
        let mut check = Check::default();
        assert_eq!(minor_from_text(&mut check, "p", "12.5"), Some(1250));
        assert_eq!(minor_from_text(&mut check, "p", "12"), Some(1200));
        assert_eq!(minor_from_text(&mut check, "p", "0.07"), Some(7));
        assert_eq!(minor_from_text(&mut check, "p", "-1"), Some(-100));
        assert_eq!(minor_from_text(&mut check, "p", ""), None);
        assert!(check.is_ok());
        assert_eq!(minor_from_text(&mut check, "p", "12.345"), None);
        assert!(!check.is_ok());
    }
}
