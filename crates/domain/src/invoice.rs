//! Invoices: lines and their totals, the status machine, the derived overdue state and
//! installment splits. Pure: the caller passes the tenant's `today`.
//!
//! All arithmetic is in integer minor units through [`Money`]. Tax is computed **per line**
//! ([`Money::tax_bp`], half away from zero) and the invoice's tax is the sum of its lines'
//! taxes, so the invoice total is always exactly the sum of the line totals.

use chrono::NaiveDate;

use crate::BookingId;
use crate::money::{Currency, Money, MoneyError};

/// Where an invoice is in its life. Partially paid and overdue are derived, not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    /// Being written; no number yet; lines may change.
    Draft,
    /// Issued with a number; read-only.
    Open,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Open, Self::Paid, Self::Void];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    /// Exactly one of the stored words.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What can happen to an invoice's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Draft → open (a number is assigned).
    Issue,
    /// Draft or open → void.
    Void,
    /// Open → paid (when the balance reaches zero).
    Settle,
    /// Paid → open (a refund or a cancellation took money back off it).
    Reopen,
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("only a draft can be issued; this invoice is {0}")]
    NotDraft(&'static str),
    #[error("an invoice needs at least one line before it is issued")]
    NoLines,
    #[error("a {0} invoice cannot be voided")]
    CannotVoid(&'static str),
    #[error("only an open invoice can be paid; this invoice is {0}")]
    NotOpen(&'static str),
    #[error("only a paid invoice can be reopened; this invoice is {0}")]
    NotPaid(&'static str),
    /// Voiding would strand the money paid on it: refund it first.
    #[error("an invoice with payments on it cannot be voided; refund them first")]
    HasPayments,
}

/// The status after `action`, or why not. `lines` is the invoice's number of lines.
pub fn transition(
    from: InvoiceStatus,
    action: Action,
    lines: usize,
) -> Result<InvoiceStatus, TransitionError> {
    use InvoiceStatus::{Draft, Open, Paid, Void};
    match (action, from) {
        (Action::Issue, Draft) if lines == 0 => Err(TransitionError::NoLines),
        (Action::Issue, Draft) => Ok(Open),
        (Action::Issue, other) => Err(TransitionError::NotDraft(other.as_str())),
        (Action::Void, Draft | Open) => Ok(Void),
        (Action::Void, other) => Err(TransitionError::CannotVoid(other.as_str())),
        (Action::Settle, Open) => Ok(Paid),
        (Action::Settle, other) => Err(TransitionError::NotOpen(other.as_str())),
        (Action::Reopen, Paid) => Ok(Open),
        (Action::Reopen, other) => Err(TransitionError::NotPaid(other.as_str())),
    }
}

/// The largest tax rate a line may carry: 100 % (10 000 basis points).
pub const MAX_TAX_BP: u32 = 10_000;
/// The largest quantity of one line.
pub const MAX_QUANTITY: i64 = 100_000;
/// The largest unit price in minor units (ten million major units at two decimals), so no
/// invoice of sensible size can overflow.
pub const MAX_UNIT_PRICE: i64 = 1_000_000_000;
/// The longest line description, in characters.
pub const MAX_DESCRIPTION: usize = 500;

/// One line of an invoice. A stored line names its booking by a [`BookingId`]; a line to
/// store (`Line<i64>`, from a form or a request) by the number given, which the store checks
/// against the tenant's bookings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<B = BookingId> {
    pub description: String,
    pub quantity: i64,
    pub unit_price: Money,
    /// Tax in basis points (2000 = 20 %), or none.
    pub tax_rate_bp: Option<u32>,
    /// The booking the line bills, if any.
    pub booking_id: Option<B>,
}

/// A line's or an invoice's amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
}

impl<B> Line<B> {
    /// Quantity × unit price, its tax (rounded per [`Money::tax_bp`]) and their sum.
    pub fn totals(&self) -> Result<Totals, MoneyError> {
        let subtotal = self.unit_price.times(self.quantity)?;
        let tax = match self.tax_rate_bp {
            Some(rate) => subtotal.tax_bp(rate)?,
            None => Money::zero(subtotal.currency),
        };
        Ok(Totals { subtotal, tax, total: subtotal.checked_add(tax)? })
    }
}

/// The invoice's subtotal, tax and total: each the sum of its lines' (a line of another
/// currency is refused).
pub fn totals<B>(currency: Currency, lines: &[Line<B>]) -> Result<Totals, MoneyError> {
    let zero = Money::zero(currency);
    lines.iter().try_fold(Totals { subtotal: zero, tax: zero, total: zero }, |sum, line| {
        let line = line.totals()?;
        Ok(Totals {
            subtotal: sum.subtotal.checked_add(line.subtotal)?,
            tax: sum.tax.checked_add(line.tax)?,
            total: sum.total.checked_add(line.total)?,
        })
    })
}

/// Whether an invoice is overdue on the tenant's `today`: open, its due date passed, and
/// something left to pay. Due on `today` is not yet overdue.
pub fn is_overdue(status: InvoiceStatus, due: NaiveDate, today: NaiveDate, balance: Money) -> bool {
    status == InvoiceStatus::Open && due < today && balance.minor > 0
}

/// The overdue-notice stage an invoice has reached `days_late` days after the date it fell
/// overdue from (1 on the first overdue day): stage 0 as soon as it is late, then stage `k`
/// once it is `intervals[k - 1]` days late (`intervals` ascending, e.g. `[7, 14]`). `None`
/// while it is not late. Each stage is one notice, so the stages are what the ledger counts.
pub fn overdue_stage(days_late: i64, intervals: &[u32]) -> Option<u32> {
    if days_late < 1 {
        return None;
    }
    let passed = intervals.iter().take_while(|&&d| i64::from(d) <= days_late).count();
    Some(u32::try_from(passed).unwrap_or(u32::MAX))
}

/// The invoice number for the `n`th issued invoice: the prefix and at least four digits.
pub fn number(prefix: &str, n: i64) -> String {
    format!("{prefix}{n:04}")
}

/// The checks of one line's input, as messages for its fields.
pub fn check_description(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Describe the line.");
    }
    if text.chars().count() > MAX_DESCRIPTION || text.chars().any(char::is_control) {
        return Err("Use at most 500 characters on one line.");
    }
    Ok(text.to_owned())
}

pub fn check_quantity(quantity: i64) -> Result<i64, &'static str> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err("Enter a whole quantity from 1 to 100,000.")
    }
}

pub fn check_unit_price(minor: i64) -> Result<i64, &'static str> {
    if (0..=MAX_UNIT_PRICE).contains(&minor) {
        Ok(minor)
    } else {
        Err("Enter a price in minor units from 0 to 1,000,000,000.")
    }
}

pub fn check_tax_rate(bp: i64) -> Result<u32, &'static str> {
    u32::try_from(bp)
        .ok()
        .filter(|bp| *bp <= MAX_TAX_BP)
        .ok_or("Enter a tax rate in basis points from 0 to 10,000 (2000 = 20 %).")
}

/// Why an installment plan is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstallmentError {
    #[error("there is nothing left to split")]
    NothingDue,
    #[error("split into 2 to 24 parts")]
    Count,
    #[error("every part must be more than zero")]
    NonPositivePart,
    #[error("the parts add up to {parts}, not to the balance of {balance}")]
    Sum { parts: i64, balance: i64 },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// The most installments of one plan.
pub const MAX_INSTALLMENTS: usize = 24;

/// `count` equal parts of `balance`, the last absorbing the remainder ([`Money::split`]).
pub fn split_equal(balance: Money, count: usize) -> Result<Vec<Money>, InstallmentError> {
    if balance.minor <= 0 {
        return Err(InstallmentError::NothingDue);
    }
    if !(2..=MAX_INSTALLMENTS).contains(&count) {
        return Err(InstallmentError::Count);
    }
    let parts = balance.split(count)?;
    if parts.iter().any(|p| p.minor <= 0) {
        // More parts than minor units: some would be zero.
        return Err(InstallmentError::NonPositivePart);
    }
    Ok(parts)
}

/// Explicit parts, which must each be positive and sum exactly to `balance`.
pub fn split_explicit(balance: Money, parts: &[Money]) -> Result<Vec<Money>, InstallmentError> {
    if balance.minor <= 0 {
        return Err(InstallmentError::NothingDue);
    }
    if !(2..=MAX_INSTALLMENTS).contains(&parts.len()) {
        return Err(InstallmentError::Count);
    }
    let mut sum = Money::zero(balance.currency);
    for part in parts {
        if part.minor <= 0 {
            return Err(InstallmentError::NonPositivePart);
        }
        sum = sum.checked_add(*part)?;
    }
    if sum != balance {
        return Err(InstallmentError::Sum { parts: sum.minor, balance: balance.minor });
    }
    Ok(parts.to_vec())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn line(quantity: i64, unit: i64, tax: Option<u32>) -> Line {
        Line {
            description: "Walk".into(),
            quantity,
            unit_price: Money::new(unit, eur()),
            tax_rate_bp: tax,
            booking_id: None,
        }
    }

    #[test]
    fn statuses_read_back_and_refuse_anything_else() {
        for status in InvoiceStatus::ALL {
            assert_eq!(InvoiceStatus::parse(status.as_str()), Some(status));
        }
        for bad in ["", "Draft", "overdue", "open "] {
            assert_eq!(InvoiceStatus::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn transitions_follow_draft_open_paid_or_void() {
        use InvoiceStatus::{Draft, Open, Paid, Void};
        assert_eq!(transition(Draft, Action::Issue, 1), Ok(Open));
        assert_eq!(transition(Draft, Action::Issue, 0), Err(TransitionError::NoLines));
        assert_eq!(transition(Open, Action::Issue, 1), Err(TransitionError::NotDraft("open")));
        assert_eq!(transition(Draft, Action::Void, 0), Ok(Void));
        assert_eq!(transition(Open, Action::Void, 1), Ok(Void));
        assert_eq!(transition(Paid, Action::Void, 1), Err(TransitionError::CannotVoid("paid")));
        assert_eq!(transition(Void, Action::Void, 1), Err(TransitionError::CannotVoid("void")));
        assert_eq!(transition(Open, Action::Settle, 1), Ok(Paid));
        assert_eq!(transition(Draft, Action::Settle, 1), Err(TransitionError::NotOpen("draft")));
        // Only a refund or cancellation reopens a paid invoice; nothing leaves void.
        assert_eq!(transition(Paid, Action::Reopen, 1), Ok(Open));
        assert_eq!(transition(Open, Action::Reopen, 1), Err(TransitionError::NotPaid("open")));
        for action in [Action::Issue, Action::Void, Action::Settle] {
            assert!(transition(Paid, action, 1).is_err(), "{action:?}");
        }
        for action in [Action::Issue, Action::Void, Action::Settle, Action::Reopen] {
            assert!(transition(Void, action, 1).is_err(), "{action:?}");
        }
        assert_eq!(
            TransitionError::NotDraft("open").to_string(),
            "only a draft can be issued; this invoice is open"
        );
    }

    #[test]
    fn tax_is_per_line_and_totals_add_up() {
        // 3 × 1.99 = 5.97; 7 % of it is 0.4179 → 0.42.
        let a = line(3, 199, Some(700));
        assert_eq!(a.totals().unwrap().tax.minor, 42);
        // 2.50 at 21 % is 0.525 → 0.53 (half away from zero).
        let b = line(1, 250, Some(2100));
        let c = line(2, 1000, None);
        let t = totals(eur(), &[a, b, c]).unwrap();
        assert_eq!((t.subtotal.minor, t.tax.minor, t.total.minor), (2847, 95, 2942));
        let empty = totals::<BookingId>(eur(), &[]).unwrap();
        assert_eq!(empty.total, Money::zero(eur()));
        let mut usd = line(1, 100, None);
        usd.unit_price = Money::new(100, Currency::parse("USD").unwrap());
        assert!(matches!(totals(eur(), &[usd]), Err(MoneyError::CurrencyMismatch(..))));
    }

    #[test]
    fn overdue_stages_follow_the_intervals() {
        let intervals = [7, 14];
        let stages: Vec<_> = [0, 1, 6, 7, 13, 14, 40].map(|d| overdue_stage(d, &intervals)).into();
        assert_eq!(stages, [None, Some(0), Some(0), Some(1), Some(1), Some(2), Some(2)]);
        assert_eq!(overdue_stage(30, &[]), Some(0), "no intervals: only the first notice");
    }

    #[test]
    fn overdue_needs_open_past_due_and_a_balance() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let owed = Money::new(100, eur());
        assert!(is_overdue(InvoiceStatus::Open, day(1), day(2), owed));
        assert!(!is_overdue(InvoiceStatus::Open, day(2), day(2), owed), "due today");
        assert!(!is_overdue(InvoiceStatus::Open, day(1), day(2), Money::zero(eur())));
        for status in [InvoiceStatus::Draft, InvoiceStatus::Paid, InvoiceStatus::Void] {
            assert!(!is_overdue(status, day(1), day(2), owed), "{status:?}");
        }
    }

    #[test]
    fn numbers_and_line_checks() {
        assert_eq!(number("INV-", 1), "INV-0001");
        assert_eq!(number("A", 12345), "A12345");
        assert_eq!(check_description("  Walk  "), Ok("Walk".into()));
        assert!(check_description(" ").is_err());
        assert!(check_description(&"x".repeat(501)).is_err());
        assert!(check_quantity(0).is_err() && check_quantity(1).is_ok());
        assert!(check_unit_price(-1).is_err() && check_unit_price(0).is_ok());
        assert_eq!(check_tax_rate(2000), Ok(2000));
        assert!(check_tax_rate(-1).is_err() && check_tax_rate(10_001).is_err());
    }

    #[test]
    fn installments_split_equally_or_exactly() {
        let m = |minor| Money::new(minor, eur());
        let minors = |parts: Vec<Money>| parts.iter().map(|p| p.minor).collect::<Vec<_>>();
        assert_eq!(minors(split_equal(m(1000), 3).unwrap()), [333, 333, 334]);
        assert_eq!(split_equal(m(1000), 1), Err(InstallmentError::Count));
        assert_eq!(split_equal(m(1000), 25), Err(InstallmentError::Count));
        assert_eq!(split_equal(m(0), 2), Err(InstallmentError::NothingDue));
        assert_eq!(split_equal(m(3), 4), Err(InstallmentError::NonPositivePart));
        assert_eq!(minors(split_explicit(m(1000), &[m(600), m(400)]).unwrap()), [600, 400]);
        assert_eq!(
            split_explicit(m(1000), &[m(600), m(399)]),
            Err(InstallmentError::Sum { parts: 999, balance: 1000 })
        );
        assert_eq!(
            split_explicit(m(1000), &[m(1100), m(-100)]),
            Err(InstallmentError::NonPositivePart)
        );
    }

    fn any_line() -> impl Strategy<Value = Line> {
        (1..=MAX_QUANTITY, 0..=MAX_UNIT_PRICE, proptest::option::of(0..=MAX_TAX_BP))
            .prop_map(|(q, unit, tax)| line(q, unit, tax))
    }

    proptest! {
        #[test]
        fn totals_never_lose_a_minor_unit(lines in proptest::collection::vec(any_line(), 0..20)) {
            let t = totals(eur(), &lines).unwrap();
            let each: Vec<Totals> = lines.iter().map(|l| l.totals().unwrap()).collect();
            let sum = |f: fn(&Totals) -> i64| each.iter().map(f).sum::<i64>();
            prop_assert_eq!(t.total.minor, sum(|l| l.total.minor));
            prop_assert_eq!(t.subtotal.minor, sum(|l| l.subtotal.minor));
            prop_assert_eq!(t.tax.minor, sum(|l| l.tax.minor));
            prop_assert_eq!(t.total.minor, t.subtotal.minor + t.tax.minor);
            for (line, l) in lines.iter().zip(&each) {
                let exact = i128::from(l.subtotal.minor) * i128::from(line.tax_rate_bp.unwrap_or(0));
                prop_assert!((i128::from(l.tax.minor) * 10_000 - exact).abs() * 2 <= 10_000);
            }
        }

        #[test]
        fn equal_installments_sum_to_the_balance(minor in 24_i64..(1 << 50), count in 2usize..=24) {
            let parts = split_equal(Money::new(minor, eur()), count).unwrap();
            prop_assert_eq!(parts.len(), count);
            prop_assert_eq!(parts.iter().map(|p| p.minor).sum::<i64>(), minor);
            prop_assert!(parts.iter().all(|p| p.minor > 0));
        }

        #[test]
        fn explicit_installments_must_sum_exactly(
            parts in proptest::collection::vec(1_i64..1_000_000, 2..=24),
            off in -3_i64..=3,
        ) {
            let sum: i64 = parts.iter().sum();
            let balance = Money::new(sum + off, eur());
            let money: Vec<Money> = parts.iter().map(|&p| Money::new(p, eur())).collect();
            let result = split_explicit(balance, &money);
            if off == 0 {
                prop_assert_eq!(result.unwrap(), money);
            } else {
                prop_assert!(result.is_err());
            }
        }
    }
}
