//! Moves outbox rows into the queue. Any number of relays may run (one per worker process):
//! rows are leased, pushed, then deleted. A relay that dies after pushing but before deleting
//! causes one duplicate delivery once the lease passes — delivery is at-least-once and every
//! job is idempotent.

use std::time::Duration;

use portico_store::{Db, outbox};
use tokio_util::sync::CancellationToken;

use crate::Queue;

/// How long a claimed row is reserved for the relay that claimed it.
const LEASE_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct Relay {
    db: Db,
    queue: Queue,
    owner: String,
    batch: u32,
    interval: Duration,
}

impl Relay {
    /// `owner` must be unique per process (it identifies this relay's leases).
    pub fn new(db: Db, queue: Queue, owner: String, batch: u32, interval: Duration) -> Self {
        Self { db, queue, owner, batch, interval }
    }

    /// Moves one batch; returns how many rows were handed over. The rows of each queue go in
    /// one push (one Redis script call or SQLite transaction for the lot, not one per row),
    /// in the order of their ids.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let now = chrono::Utc::now().timestamp();
        let rows = outbox::claim(&self.db, &self.owner, now, now + LEASE_SECS, self.batch).await?;
        let mut queues: Vec<(&str, Vec<&outbox::OutboxRow>)> = Vec::new();
        for row in &rows {
            match queues.iter_mut().find(|(queue, _)| *queue == row.queue) {
                Some((_, rows)) => rows.push(row),
                None => queues.push((&row.queue, vec![row])),
            }
        }
        let mut pushed = Vec::with_capacity(rows.len());
        let mut failure = None;
        for (queue, rows) in queues {
            // A failed push leaves its rows (and those of the queues after it) leased; they are
            // retried when the lease passes. What was pushed is deleted below either way.
            let payloads: Vec<&str> = rows.iter().map(|row| row.payload.as_str()).collect();
            if let Err(error) = self.queue.push_json_many(queue, &payloads).await {
                failure = Some(error);
                break;
            }
            pushed.extend(rows.iter().map(|row| row.id));
        }
        // One delete for the batch: on SQLite each write waits its turn at the single writer,
        // so one statement per row made the relay slower than the bookings that fill it.
        outbox::delete_many(&self.db, &pushed).await?;
        match failure {
            Some(error) => Err(error),
            None => Ok(pushed.len()),
        }
    }

    /// Runs until `shutdown` is cancelled, draining full batches back to back and otherwise
    /// polling every `interval`. Errors are logged and retried; they never stop the relay.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(owner = %self.owner, queue = self.queue.backend_name(), "outbox relay started");
        loop {
            let wait = match self.run_once().await {
                Ok(moved) if moved as u32 >= self.batch => Duration::ZERO,
                Ok(_) => self.interval,
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "outbox relay round failed");
                    self.interval * 4
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!(owner = %self.owner, "outbox relay stopped");
    }
}
