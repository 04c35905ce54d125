//! Clients for the outside world (mail, Google Calendar, payments, SMS), each behind a trait
//! with a configurable base URL so tests can point them at local fakes.

pub mod google;
pub mod mail;
pub mod payments;
pub mod sms;
