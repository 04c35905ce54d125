//! The source of "now". Rules that depend on time take a [`Clock`] so tests can move time
//! instead of sleeping.

use std::fmt::Debug;

use chrono::{DateTime, Utc};

/// Tells the current instant.
pub trait Clock: Send + Sync + Debug + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Seconds since the Unix epoch, the unit instants are stored in.
    fn now_ts(&self) -> i64 {
        self.now().timestamp()
    }
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
