//! Money: an amount in minor units (cents, pence, yen, fils) of one ISO 4217 currency.
//!
//! Amounts are whole numbers of the currency's minor unit, so sums are exact. The few
//! operations that must divide (tax, splitting) say how they round:
//! - [`Money::tax_bp`] rounds **half away from zero** to the minor unit (12.5 → 13, −12.5 →
//!   −13), the usual commercial rule, so the tax is never more than half a minor unit off.
//! - [`Money::split`] gives every part the truncated share and the last part the remainder, so
//!   the parts always sum to the whole.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// What went wrong with an amount or a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency (use an ISO 4217 code such as EUR)")]
    UnknownCurrency,
    #[error("cannot combine {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is too large")]
    Overflow,
    #[error("enter an amount such as 12.50")]
    Malformed,
    #[error("{0} has at most {1} decimal places")]
    TooPrecise(Currency, u8),
    #[error("the amount cannot be negative")]
    Negative,
    #[error("cannot split into zero parts")]
    NoParts,
}

/// An ISO 4217 currency Portico knows, with its minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// Known currencies and the decimal places of their minor unit (ISO 4217).
const KNOWN: &[(&str, u8)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

impl Currency {
    /// A known ISO 4217 code, exactly as written (three uppercase letters).
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        KNOWN
            .iter()
            .find(|(known, _)| *known == code)
            .map(|&(code, exponent)| Self { code, exponent })
            .ok_or(MoneyError::UnknownCurrency)
    }

    /// The ISO 4217 code, e.g. `EUR`.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Decimal places of the minor unit: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn exponent(self) -> u8 {
        self.exponent
    }

    /// Minor units in one major unit (100 for EUR).
    fn scale(self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Self, MoneyError> {
        Self::parse(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

/// An amount of one currency, in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

/// One hundredth of a percent: 2000 bp = 20 %.
const BP_PER_WHOLE: i128 = 10_000;

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    fn same_currency(self, other: Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// The sum; amounts of different currencies never add.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// The difference; amounts of different currencies never subtract.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// `quantity` times the amount (e.g. a line of an invoice).
    pub fn times(self, quantity: i64) -> Result<Self, MoneyError> {
        let minor = self.minor.checked_mul(quantity).ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// The tax at `rate_bp` basis points (2000 = 20 %), rounded half away from zero to the
    /// minor unit.
    pub fn tax_bp(self, rate_bp: u32) -> Result<Self, MoneyError> {
        let exact = i128::from(self.minor) * i128::from(rate_bp);
        let whole = exact / BP_PER_WHOLE;
        let rest = exact % BP_PER_WHOLE;
        // `rest` has the sign of `exact`; half or more of a unit rounds away from zero.
        let rounded = if rest.abs() * 2 >= BP_PER_WHOLE { whole + exact.signum() } else { whole };
        let minor = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// `parts` amounts that sum exactly to this one: each gets the share rounded toward zero,
    /// the last also the remainder.
    pub fn split(self, parts: usize) -> Result<Vec<Self>, MoneyError> {
        let n = i64::try_from(parts).map_err(|_| MoneyError::Overflow)?;
        if n == 0 {
            return Err(MoneyError::NoParts);
        }
        let share = self.minor / n;
        let mut out = vec![Self::new(share, self.currency); parts];
        if let Some(last) = out.last_mut() {
            last.minor += self.minor % n;
        }
        Ok(out)
    }

    /// Reads a non-negative decimal amount with at most the currency's decimal places:
    /// `25`, `25.5` and `25.50` are EUR 25.50; `25.505` is refused for EUR, `25.5` for JPY.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let text = text.trim();
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (units, fraction) = match text.split_once('.') {
            Some((units, fraction)) if !fraction.is_empty() => (units, fraction),
            Some(_) => return Err(MoneyError::Malformed),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty() || !digits(units) || !digits(fraction) {
            return Err(MoneyError::Malformed);
        }
        let exponent = usize::from(currency.exponent);
        if fraction.len() > exponent {
            return Err(MoneyError::TooPrecise(currency, currency.exponent));
        }
        let units: i64 = units.parse().map_err(|_| MoneyError::Overflow)?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<exponent$}").parse().map_err(|_| MoneyError::Malformed)?
        };
        let minor = units
            .checked_mul(currency.scale())
            .and_then(|m| m.checked_add(fraction))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, currency))
    }

    /// The amount without the currency, with exactly the currency's decimal places
    /// (`25.50`, `1200` for JPY, `-0.05`); [`Money::parse`] reads it back.
    pub fn amount(self) -> String {
        let scale = self.currency.scale().unsigned_abs();
        let magnitude = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        let (units, fraction) = (magnitude / scale, magnitude % scale);
        match self.currency.exponent {
            0 => format!("{sign}{units}"),
            places => format!("{sign}{units}.{fraction:0width$}", width = usize::from(places)),
        }
    }
}

impl fmt::Display for Money {
    /// `25.50 EUR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn currencies_are_known_uppercase_codes_with_their_exponent() {
        assert!(KNOWN.len() >= 30);
        assert_eq!((cur("JPY").exponent(), cur("KRW").exponent()), (0, 0));
        for code in ["BHD", "KWD", "JOD", "OMR", "TND"] {
            assert_eq!(cur(code).exponent(), 3, "{code}");
        }
        assert_eq!((eur().exponent(), cur("USD").exponent()), (2, 2));
        for bad in ["eur", "EU", "EURO", "XXX", "", " EUR"] {
            assert_eq!(Currency::parse(bad), Err(MoneyError::UnknownCurrency), "{bad:?}");
        }
        // Everything a tenant can choose is a known currency.
        for code in crate::accounts::CURRENCIES {
            assert!(Currency::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn parsing_follows_the_currency_exponent() {
        let m = |minor| Money::new(minor, eur());
        assert_eq!(Money::parse("25", eur()), Ok(m(2500)));
        assert_eq!(Money::parse("25.5", eur()), Ok(m(2550)));
        assert_eq!(Money::parse(" 25.50 ", eur()), Ok(m(2550)));
        assert_eq!(Money::parse("0.07", eur()), Ok(m(7)));
        assert_eq!(Money::parse("25.505", eur()), Err(MoneyError::TooPrecise(eur(), 2)));
        assert_eq!(Money::parse("-1", eur()), Err(MoneyError::Negative));
        for bad in ["", ".5", "25.", "2 5", "1e3", "+3", "12,50", "abc"] {
            assert_eq!(Money::parse(bad, eur()), Err(MoneyError::Malformed), "{bad:?}");
        }
        assert_eq!(Money::parse("99999999999999999999", eur()), Err(MoneyError::Overflow));
        assert_eq!(Money::parse("1200", cur("JPY")), Ok(Money::new(1200, cur("JPY"))));
        assert!(Money::parse("12.5", cur("JPY")).is_err());
        assert_eq!(Money::parse("1.5", cur("KWD")), Ok(Money::new(1500, cur("KWD"))));
        assert_eq!(Money::parse("1.505", cur("KWD")), Ok(Money::new(1505, cur("KWD"))));
    }

    #[test]
    fn formatting_shows_the_currency_places() {
        assert_eq!(Money::new(2550, eur()).to_string(), "25.50 EUR");
        assert_eq!(Money::new(7, eur()).amount(), "0.07");
        assert_eq!(Money::new(-5, eur()).amount(), "-0.05");
        assert_eq!(Money::new(1200, cur("JPY")).amount(), "1200");
        assert_eq!(Money::new(1505, cur("BHD")).amount(), "1.505");
        assert_eq!(Money::new(i64::MIN, eur()).amount(), "-92233720368547758.08");
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies_and_overflow() {
        let a = Money::new(1000, eur());
        let b = Money::new(250, eur());
        assert_eq!(a.checked_add(b), Ok(Money::new(1250, eur())));
        assert_eq!(a.checked_sub(b), Ok(Money::new(750, eur())));
        assert_eq!(b.checked_sub(a), Ok(Money::new(-750, eur())));
        let usd = Money::new(1, cur("USD"));
        assert_eq!(a.checked_add(usd), Err(MoneyError::CurrencyMismatch(eur(), cur("USD"))));
        assert!(a.checked_sub(usd).is_err());
        assert_eq!(Money::new(i64::MAX, eur()).checked_add(b), Err(MoneyError::Overflow));
        assert_eq!(a.times(3), Ok(Money::new(3000, eur())));
        assert_eq!(Money::new(i64::MAX, eur()).times(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn tax_rounds_half_away_from_zero() {
        let tax = |minor, bp| Money::new(minor, eur()).tax_bp(bp).unwrap().minor;
        assert_eq!(tax(1000, 2000), 200); // 20 % of 10.00
        assert_eq!(tax(1, 5000), 1); // 0.005 → 0.01
        assert_eq!(tax(-1, 5000), -1);
        assert_eq!(tax(1, 4999), 0);
        assert_eq!(tax(199, 700), 14); // 13.93 → 14
        assert_eq!(tax(250, 2100), 53); // 52.5 → 53
        assert_eq!(tax(0, 2000), 0);
        assert_eq!(Money::new(i64::MAX, eur()).tax_bp(20_000), Err(MoneyError::Overflow));
    }

    #[test]
    fn split_gives_the_remainder_to_the_last_part() {
        let parts = Money::new(1000, eur()).split(3).unwrap();
        assert_eq!(parts.iter().map(|m| m.minor).collect::<Vec<_>>(), [333, 333, 334]);
        let parts = Money::new(-1000, eur()).split(3).unwrap();
        assert_eq!(parts.iter().map(|m| m.minor).collect::<Vec<_>>(), [-333, -333, -334]);
        assert_eq!(Money::new(5, eur()).split(0), Err(MoneyError::NoParts));
    }

    proptest! {
        #[test]
        fn split_parts_sum_exactly(minor in any::<i64>(), parts in 1usize..50) {
            let money = Money::new(minor, eur());
            let split = money.split(parts).unwrap();
            prop_assert_eq!(split.len(), parts);
            let sum: i128 = split.iter().map(|m| i128::from(m.minor)).sum();
            prop_assert_eq!(sum, i128::from(minor));
            // No part is more than the parts' count away from a fair share.
            let share = i128::from(minor / i64::try_from(parts).unwrap());
            for part in &split {
                prop_assert!((i128::from(part.minor) - share).abs() < i128::try_from(parts).unwrap());
            }
        }

        #[test]
        fn tax_is_within_half_a_minor_unit(minor in -(1_i64 << 50)..(1_i64 << 50), bp in 0u32..100_000) {
            let tax = Money::new(minor, eur()).tax_bp(bp).unwrap();
            // tax × 10 000 versus the exact product: never off by more than half a unit.
            let error = i128::from(tax.minor) * BP_PER_WHOLE - i128::from(minor) * i128::from(bp);
            prop_assert!(error.abs() * 2 <= BP_PER_WHOLE, "{} {} → {}", minor, bp, tax.minor);
        }

        #[test]
        fn amounts_read_back_what_they_print(minor in 0_i64..i64::MAX, code in 0usize..KNOWN.len()) {
            let currency = cur(KNOWN[code].0);
            let money = Money::new(minor, currency);
            prop_assert_eq!(Money::parse(&money.amount(), currency), Ok(money));
        }
    }
}
