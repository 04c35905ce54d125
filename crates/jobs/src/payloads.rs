//! Job payloads. One struct per job kind; the worker for each lives in `workers/`.

use serde::{Deserialize, Serialize};

use crate::Job;

/// Proves the whole path: outbox → relay → queue → worker. The worker records the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    pub token: String,
}

impl Job for Ping {
    const QUEUE: &'static str = "ping";
}
