//! Portico's pure rules: no I/O, no database, no clock of its own. Everything here is
//! deterministic and unit-testable; time is passed in through [`Clock`].

pub mod clock;

pub use clock::{Clock, SystemClock};
