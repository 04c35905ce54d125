//! Where money goes: a payment settles an invoice's balance (its installments oldest first)
//! and the excess becomes client credit; a booking is paid from credit first and only the
//! remainder is invoiced. Pure functions of amounts, so the order of payments cannot change
//! the end result (see the property tests).

use chrono::NaiveDate;

use crate::money::{Money, MoneyError};

/// How a payment was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Cash,
    BankTransfer,
    CardTerminal,
    Other,
    /// Paid online through the business's payment gateway (never recorded by hand).
    Online,
}

impl Method {
    /// The methods a provider records by hand.
    pub const ALL: [Self; 4] = [Self::Cash, Self::BankTransfer, Self::CardTerminal, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cash => "cash",
            Self::BankTransfer => "bank_transfer",
            Self::CardTerminal => "card_terminal",
            Self::Other => "other",
            Self::Online => "online",
        }
    }

    /// A method a provider may record by hand (`online` is not one).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// A stored method, `online` included.
    pub fn from_stored(text: &str) -> Option<Self> {
        Self::parse(text).or((text == "online").then_some(Self::Online))
    }
}

/// Where a payment is: received (recorded by the provider, or a confirmed declaration),
/// pending (declared by the client, not yet confirmed), or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Received,
    Pending,
    Rejected,
}

impl PaymentStatus {
    pub const ALL: [Self; 3] = [Self::Received, Self::Pending, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Pending => "pending",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Why a credit entry exists. Grants, overpayments and cancellations add; uses and refunds
/// take away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditKind {
    /// Given by the owner, with a reason.
    Grant,
    /// The part of a payment beyond the invoice's balance.
    Overpayment,
    /// A cancelled booking's paid amount, given back.
    Cancellation,
    /// Credit that paid for a booking.
    Use,
    /// Credit paid back out with a payment's refund.
    Refund,
}

impl CreditKind {
    pub const ALL: [Self; 5] =
        [Self::Grant, Self::Overpayment, Self::Cancellation, Self::Use, Self::Refund];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Overpayment => "overpayment",
            Self::Cancellation => "cancellation",
            Self::Use => "use",
            Self::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The largest single payment or grant, in minor units (far below overflow when summed).
pub const MAX_AMOUNT: i64 = 100_000_000_000;

/// A payment split between the invoice and credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub to_invoice: Money,
    pub to_credit: Money,
}

/// Applies `amount` to an invoice whose balance is `balance`: up to the balance goes to the
/// invoice, the excess to credit. A balance of zero or less (paid, or no invoice) takes
/// nothing.
pub fn apply(amount: Money, balance: Money) -> Result<Applied, MoneyError> {
    let room = Money::new(balance.minor.max(0), balance.currency);
    let to_invoice = Money::new(amount.minor.min(room.minor).max(0), amount.currency);
    let to_credit = amount.checked_sub(to_invoice)?;
    room.checked_add(to_invoice)?; // the currencies agree
    Ok(Applied { to_invoice, to_credit })
}

/// How much of each installment is paid, when `paid` has been paid since the plan was made:
/// oldest first (the parts are in due-date order), each filled before the next.
pub fn installments_paid(parts: &[Money], paid: Money) -> Vec<Money> {
    let mut left = paid.minor.max(0);
    parts
        .iter()
        .map(|part| {
            let here = left.min(part.minor);
            left -= here;
            Money::new(here, part.currency)
        })
        .collect()
}

/// Whether an installment is overdue on the tenant's `today`: its due date passed and it is
/// not fully paid. Due on `today` is not yet overdue.
pub fn installment_overdue(due: NaiveDate, today: NaiveDate, part: Money, paid: Money) -> bool {
    due < today && paid.minor < part.minor
}

/// A booking's price paid from credit first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditFirst {
    /// Taken from the client's credit (a `use` entry).
    pub from_credit: Money,
    /// Left to invoice; zero means no invoice.
    pub to_invoice: Money,
}

/// Splits `price` between the client's credit `balance` (which never goes below zero) and an
/// invoice.
pub fn credit_first(price: Money, balance: Money) -> Result<CreditFirst, MoneyError> {
    let from_credit = Money::new(price.minor.min(balance.minor.max(0)).max(0), price.currency);
    balance.checked_sub(from_credit)?;
    Ok(CreditFirst { from_credit, to_invoice: price.checked_sub(from_credit)? })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::money::Currency;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::parse("EUR").unwrap())
    }

    #[test]
    fn words_read_back() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        for k in CreditKind::ALL {
            assert_eq!(CreditKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Method::parse("card"), None);
    }

    #[test]
    fn a_payment_fills_the_balance_and_the_rest_is_credit() {
        assert_eq!(
            apply(eur(500), eur(2000)),
            Ok(Applied { to_invoice: eur(500), to_credit: eur(0) })
        );
        assert_eq!(
            apply(eur(2500), eur(2000)),
            Ok(Applied { to_invoice: eur(2000), to_credit: eur(500) })
        );
        assert_eq!(
            apply(eur(700), eur(0)),
            Ok(Applied { to_invoice: eur(0), to_credit: eur(700) })
        );
        assert_eq!(
            apply(eur(700), eur(-5)),
            Ok(Applied { to_invoice: eur(0), to_credit: eur(700) })
        );
        let usd = Money::new(1, Currency::parse("USD").unwrap());
        assert!(apply(eur(1), usd).is_err());
    }

    #[test]
    fn installments_are_settled_oldest_first() {
        let parts = [eur(333), eur(333), eur(334)];
        let paid =
            |p| installments_paid(&parts, eur(p)).iter().map(|m| m.minor).collect::<Vec<_>>();
        assert_eq!(paid(0), [0, 0, 0]);
        assert_eq!(paid(400), [333, 67, 0]);
        assert_eq!(paid(1000), [333, 333, 334]);
        assert_eq!(paid(5000), [333, 333, 334]);
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert!(installment_overdue(day(1), day(2), eur(333), eur(332)));
        assert!(!installment_overdue(day(2), day(2), eur(333), eur(0)), "due today");
        assert!(!installment_overdue(day(1), day(2), eur(333), eur(333)));
    }

    #[test]
    fn credit_pays_first() {
        // Credit 30.00, a 25.00 booking: no invoice, 5.00 left; then 25.00 more: 5 + 20.
        assert_eq!(
            credit_first(eur(2500), eur(3000)),
            Ok(CreditFirst { from_credit: eur(2500), to_invoice: eur(0) })
        );
        assert_eq!(
            credit_first(eur(2500), eur(500)),
            Ok(CreditFirst { from_credit: eur(500), to_invoice: eur(2000) })
        );
        assert_eq!(
            credit_first(eur(2500), eur(0)),
            Ok(CreditFirst { from_credit: eur(0), to_invoice: eur(2500) })
        );
    }

    /// The end state of an invoice after payments in the given order: paid per installment,
    /// total applied and total credit.
    fn settle(total: i64, parts: &[Money], payments: &[i64]) -> (Vec<i64>, i64, i64) {
        let (mut paid, mut credit) = (0, 0);
        for &p in payments {
            let applied = apply(eur(p), eur(total - paid)).unwrap();
            paid += applied.to_invoice.minor;
            credit += applied.to_credit.minor;
        }
        let each = installments_paid(parts, eur(paid)).iter().map(|m| m.minor).collect();
        (each, paid, credit)
    }

    proptest! {
        #[test]
        fn any_order_of_payments_ends_in_the_same_balances(
            total in 1_i64..1_000_000,
            count in 2usize..=12,
            payments in proptest::collection::vec(1_i64..400_000, 1..12),
            seed in any::<u64>(),
        ) {
            let parts = crate::invoice::split_equal(eur(total), count.min(usize::try_from(total).unwrap_or(count)).max(2));
            prop_assume!(parts.is_ok());
            let parts = parts.unwrap();
            let mut shuffled = payments.clone();
            // A deterministic shuffle from the seed.
            let mut state = seed;
            for i in (1..shuffled.len()).rev() {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let j = usize::try_from(state >> 33).unwrap() % (i + 1);
                shuffled.swap(i, j);
            }
            let a = settle(total, &parts, &payments);
            let b = settle(total, &parts, &shuffled);
            prop_assert_eq!(&a, &b);
            // Nothing is lost: what came in is what was applied plus credit.
            let sum: i64 = payments.iter().sum();
            prop_assert_eq!(a.1 + a.2, sum);
            prop_assert_eq!(a.1, sum.min(total));
            prop_assert_eq!(a.0.iter().sum::<i64>(), a.1);
        }

        #[test]
        fn credit_first_never_overdraws_or_loses_a_unit(price in 0_i64..1_000_000, balance in 0_i64..1_000_000) {
            let split = credit_first(eur(price), eur(balance)).unwrap();
            prop_assert_eq!(split.from_credit.minor + split.to_invoice.minor, price);
            prop_assert!(split.from_credit.minor <= balance);
            prop_assert!(split.to_invoice.minor >= 0 && split.from_credit.minor >= 0);
            prop_assert!(split.to_invoice.minor == 0 || split.from_credit.minor == balance);
        }
    }
}
