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

/// An amount typed in a form ("12.50", "12") as minor units of `currency`, read with that
/// currency's decimal places (`Money::parse`): `None` when left empty.
pub fn minor_from_text(check: &mut Check, field: &str, text: &str, currency: &str) -> Option<i64> {
    use portico_domain::money::{Currency, Money, MoneyError};
    if text.trim().is_empty() {
        return None;
    }
    const NEGATIVE: &str =
        "Use a price from 0 to 100,000.00 (10,000,000 in minor units such as cents).";
    let currency = currency.trim().to_uppercase();
    let Ok(currency) = Currency::parse(&currency) else {
        // The decimal places depend on the currency; an unknown one is refused on its own
        // field (so nothing is saved), an empty one here.
        if text.trim().starts_with('-') {
            check.fail(field, NEGATIVE);
        } else if currency.is_empty() {
            check.fail(field, "Choose a currency for the price.");
        }
        return None;
    };
    let message = match Money::parse(text, currency) {
        Ok(money) => return Some(money.minor),
        Err(MoneyError::Negative) => NEGATIVE.to_owned(),
        Err(MoneyError::TooPrecise(currency, 0)) => format!("{currency} prices are whole numbers."),
        Err(MoneyError::TooPrecise(currency, places)) => {
            format!("{currency} prices have at most {places} decimal places.")
        }
        Err(_) => "Enter an amount such as 12.50.".to_owned(),
    };
    check.fail(field, message);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_forms_become_minor_units() {
        let mut check = Check::default();
        assert_eq!(minor_from_text(&mut check, "p", "12.5", "EUR"), Some(1250));
        assert_eq!(minor_from_text(&mut check, "p", "12", "EUR"), Some(1200));
        assert_eq!(minor_from_text(&mut check, "p", "0.07", "EUR"), Some(7));
        assert_eq!(minor_from_text(&mut check, "p", "1200", "JPY"), Some(1200));
        assert_eq!(minor_from_text(&mut check, "p", "", "EUR"), None);
        assert!(check.is_ok());
        for (text, currency, message) in [
            ("12.345", "EUR", "EUR prices have at most 2 decimal places."),
            ("12.5", "JPY", "JPY prices are whole numbers."),
            (
                "-1",
                "EUR",
                "Use a price from 0 to 100,000.00 (10,000,000 in minor units such as cents).",
            ),
            (
                "-1",
                "XXX",
                "Use a price from 0 to 100,000.00 (10,000,000 in minor units such as cents).",
            ),
            ("12,50", "EUR", "Enter an amount such as 12.50."),
            ("12", "", "Choose a currency for the price."),
        ] {
            let mut check = Check::default();
            assert_eq!(minor_from_text(&mut check, "p", text, currency), None);
            assert_eq!(check.errors["p"], message, "{text} {currency}");
        }
        // An unknown currency is the currency field's error; the price cannot be judged.
        let mut check = Check::default();
        assert_eq!(minor_from_text(&mut check, "p", "12", "XXX"), None);
        assert!(check.is_ok());
    }
}
