//! Portico's pure rules: no I/O, no database, no clock of its own. Everything here is
//! deterministic and unit-testable; time is passed in through [`Clock`].

pub mod accounts;
pub mod billing;
pub mod booking;
pub mod clock;
pub mod contact;
pub mod ids;
pub mod instant;
pub mod invoice;
pub mod money;
pub mod parse;
pub mod password;
pub mod phone;
pub mod plans;
pub mod policy;
pub mod recurrence;
pub mod schedule;

pub use clock::{Clock, SystemClock};
pub use ids::{ApiTokenId, BookingId, ClientId, ServiceId, StaffId, TenantId, UserId};
pub use ids::{BlockId, CalendarConnectionId, SeriesId, TimeOffId};
pub use ids::{CheckoutId, CreditEntryId, InvoiceId, PaymentId, RefundId};
pub use instant::Instant;
pub use money::{Currency, Money, MoneyError};
