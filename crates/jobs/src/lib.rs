//! Background jobs: typed payloads, the transactional outbox they are written to, the queue
//! facade (apalis on SQLite or Redis) and the relay that moves outbox rows into the queue.
//!
//! Web code only ever calls [`enqueue`] inside its own transaction; it never talks to Redis.

pub mod payloads;
mod queue;
mod relay;

use serde::Serialize;
use serde::de::DeserializeOwned;

use portico_store::outbox::NewJob;
use portico_store::versions::ScheduleTx;
use portico_store::{Tx, outbox};

pub use payloads::{
    AccountEmail, BookingNotice, CalendarSync, CalendarWork, InvoiceIssued, LinkGuest, Maintenance,
    OverdueNotice, OverdueScan, Ping, PrepayRefunded, Reminder, Reminders,
};
pub use queue::Queue;
pub use relay::Relay;

/// A kind of background job: a payload with a stable queue name.
///
/// The queue name is part of the stored data, so it must never change once jobs of the kind
/// exist (moving or renaming the Rust type is fine).
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    const QUEUE: &'static str;
    /// Whether the job sends emails or texts: most of its time is spent waiting on the mail
    /// or SMS provider, not on the CPU, so a worker runs more of them at once
    /// (`queue.message_concurrency` instead of `queue.concurrency`).
    const SENDS_MESSAGES: bool = false;
}

/// Writes `job` to the outbox inside the caller's transaction: it is queued if and only if
/// the transaction commits. There is no other way to enqueue: every job belongs to a change.
pub async fn enqueue<J: Job>(tx: &mut Tx, job: &J, now: i64) -> anyhow::Result<()> {
    enqueue_all(tx, &[outgoing(job)?], now).await
}

/// A job of any kind, serialized for the outbox — what a workflow's event → jobs function
/// returns.
pub fn outgoing<J: Job>(job: &J) -> anyhow::Result<NewJob> {
    Ok(NewJob { queue: J::QUEUE, payload: serde_json::to_string(job)? })
}

/// Hands several jobs to the caller's schedule transaction, which writes them to the outbox
/// when it commits ([`ScheduleTx::jobs_at_commit`]): queued if and only if it commits, like
/// [`enqueue_all`], without a round trip of their own.
pub fn enqueue_at_commit(tx: &mut ScheduleTx, jobs: &[NewJob], now: i64) {
    tx.jobs_at_commit(jobs, now);
}

/// Writes several jobs to the outbox inside the caller's transaction.
pub async fn enqueue_all(tx: &mut Tx, jobs: &[NewJob], now: i64) -> anyhow::Result<()> {
    outbox::insert_many(tx, jobs, now).await
}
