//! Typed ids: an id of one kind cannot be passed where another is expected, and a typed id is
//! proof that its row was read from (or just written to) the database.
//!
//! Only the store constructs them ([`TenantId::from_store`] and friends): everything outside
//! it gets a typed id from a row the store returned, never from a number it parsed. A number
//! from a request path, a form or a job payload is a plain `i64` that a store lookup — scoped
//! by the tenant — turns into a row, or into "not found". `crates/store/tests/ids.rs` checks
//! the source tree for any other caller. Ids are serialised (JSON answers, templates) but
//! never deserialised, so no input can smuggle one in either.

use std::fmt;

use serde::Serialize;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// For the store only (see the module documentation): wraps an id read from, or
            /// just returned by, the database.
            #[doc(hidden)]
            pub const fn from_store(raw: i64) -> Self {
                Self(raw)
            }

            /// The number, for SQL parameters, URLs and job payloads.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    )*};
}

id_type! {
    /// A business using Portico.
    TenantId;
    /// A login (global: one per email address).
    UserId;
    /// A tenant's client record.
    ClientId;
    /// A provider API token.
    ApiTokenId;
    /// A booking of a tenant.
    BookingId;
    /// A service a tenant offers.
    ServiceId;
    /// A tenant's staff member.
    StaffId;
    /// A timetable block of a tenant.
    BlockId;
    /// A recurring series of a tenant.
    SeriesId;
    /// A time-off range of a tenant (the owner's or a staff member's).
    TimeOffId;
    /// A person's Google Calendar connection at a tenant.
    CalendarConnectionId;
}

// Money.
id_type! {
    /// An invoice of a tenant.
    InvoiceId;
    /// A payment a tenant's client made (or declared).
    PaymentId;
    /// One refund of a payment.
    RefundId;
    /// One entry of a client's credit ledger.
    CreditEntryId;
    /// An online checkout session started at a payment gateway.
    CheckoutId;
}
