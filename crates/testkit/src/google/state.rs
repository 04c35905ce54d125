//! What the fake Google remembers.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde_json::Value;

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    /// The form or JSON body as text.
    pub body: String,
    /// When it arrived.
    pub at: std::time::Instant,
}

/// An event as stored, with Google's bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeEvent {
    pub id: String,
    pub calendar: String,
    pub etag: String,
    /// `confirmed` or `cancelled` (deleted events keep their id, as at Google).
    pub status: String,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub start: Value,
    pub end: Value,
    /// How many times it was written (insert = 1).
    pub sequence: u32,
}

#[derive(Debug, Clone)]
pub(super) struct Grant {
    pub challenge: String,
    pub redirect_uri: String,
    pub used: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Refresh {
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Access {
    pub valid: bool,
    /// The refresh token of the grant it was issued under.
    pub grant: String,
}

/// A busy interval of a calendar.
pub(super) type Busy = (DateTime<Utc>, DateTime<Utc>);

#[derive(Debug, Default)]
pub(super) struct FakeState {
    pub calls: Vec<Call>,
    pub codes: HashMap<String, Grant>,
    pub refresh: BTreeMap<String, Refresh>,
    pub access: HashMap<String, Access>,
    pub events: BTreeMap<(String, String), FakeEvent>,
    pub busy: HashMap<String, Vec<Busy>>,
    /// Planned failures: the status, and the `Retry-After` seconds to send with it.
    pub failures: VecDeque<(u16, Option<u64>)>,
    /// The next insert is stored but never answered.
    pub stall_insert: bool,
    pub counter: u64,
}

impl FakeState {
    pub fn next(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{:08}{:016x}", self.counter, rand::random::<u64>())
    }

    pub fn revoke_everything(&mut self) {
        self.refresh.values_mut().for_each(|r| r.revoked = true);
        self.access.values_mut().for_each(|a| a.valid = false);
    }
}
