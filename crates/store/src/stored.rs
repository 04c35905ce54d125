//! Row fields decoded straight into typed ids and [`Instant`]s.
//!
//! A row struct derives `FromRow` and marks each id column with the raw form it is read as:
//!
//! ```ignore
//! #[sqlx(try_from = "Stored")] pub id: ServiceId,
//! #[sqlx(try_from = "StoredOpt")] pub staff_id: Option<StaffId>,
//! #[sqlx(try_from = "StoredAt")] pub created_at: Instant,
//! ```
//!
//! `Stored` and `StoredOpt` can only come out of a database read (their field is private and
//! they have no constructor), so the `From` impls below do not let anyone outside the store
//! make a typed id from a number. An instant that is no date fails the read with an error
//! naming the column, never a silent 1970.

use portico_domain::Instant;

/// A non-null integer id column, as read.
#[doc(hidden)]
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub struct Stored(i64);

/// A nullable integer id column, as read.
#[doc(hidden)]
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub struct StoredOpt(Option<i64>);

/// A non-null instant column (seconds since the epoch), as read.
#[doc(hidden)]
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub struct StoredAt(i64);

/// A nullable instant column, as read.
#[doc(hidden)]
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub struct StoredAtOpt(Option<i64>);

macro_rules! from_stored {
    ($($id:ident),* $(,)?) => {$(
        impl From<Stored> for portico_domain::$id {
            fn from(raw: Stored) -> Self {
                Self::from_store(raw.0)
            }
        }

        impl From<StoredOpt> for Option<portico_domain::$id> {
            fn from(raw: StoredOpt) -> Self {
                raw.0.map(portico_domain::$id::from_store)
            }
        }
    )*};
}

from_stored!(TenantId, UserId, ClientId, ApiTokenId, BookingId, ServiceId, StaffId);
from_stored!(BlockId, SeriesId, TimeOffId, CalendarConnectionId);
from_stored!(InvoiceId, PaymentId, RefundId, CreditEntryId, CheckoutId);

/// A stored number of seconds that is no date chrono can represent.
#[derive(Debug)]
pub struct NotADate(i64);

impl std::fmt::Display for NotADate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not a date", self.0)
    }
}

impl std::error::Error for NotADate {}

impl TryFrom<StoredAt> for Instant {
    type Error = NotADate;

    fn try_from(raw: StoredAt) -> Result<Self, NotADate> {
        Instant::from_unix(raw.0).ok_or(NotADate(raw.0))
    }
}

impl TryFrom<StoredAtOpt> for Option<Instant> {
    type Error = NotADate;

    fn try_from(raw: StoredAtOpt) -> Result<Self, NotADate> {
        raw.0.map(|secs| Instant::from_unix(secs).ok_or(NotADate(secs))).transpose()
    }
}
