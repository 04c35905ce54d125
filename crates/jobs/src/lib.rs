//! Background jobs: typed payloads, the transactional outbox they are written to, the queue
//! facade (apalis on SQLite or Redis) and the relay that moves outbox rows into the queue.
//!
//! Web code only ever calls [`enqueue`] inside its own transaction; it never talks to Redis.

pub mod payloads;
mod queue;
mod relay;

use serde::Serialize;
use serde::de::DeserializeOwned;

use portico_store::{Tx, outbox};

pub use payloads::{AccountEmail, BookingNotice, Maintenance, Ping};
pub use queue::Queue;
pub use relay::Relay;

/// A kind of background job: a payload with a stable queue name.
///
/// The queue name is part of the stored data, so it must never change once jobs of the kind
/// exist (moving or renaming the Rust type is fine).
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    const QUEUE: &'static str;
}

/// Writes `job` to the outbox inside the caller's transaction: it is queued if and only if
/// the transaction commits.
pub async fn enqueue<J: Job>(tx: &mut Tx, job: &J, now: i64) -> anyhow::Result<()> {
    let payload = serde_json::to_string(job)?;
    outbox::insert(tx, J::QUEUE, &payload, now).await?;
    Ok(())
}
