//! Group commit for single-row writes that many jobs make at the same moment (a notice's
//! delivery record, a guest's manage link).
//!
//! The worker runs many jobs at once, and each such write would otherwise be a commit of its
//! own (on SQLite a turn at the one writer connection the bookings need too). Each caller
//! queues its row, then takes its turn to write: whoever's turn comes writes every row queued
//! so far in one statement and tells each caller its own row's outcome. A caller still returns
//! only once its own row is stored, as with a statement of its own.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use crate::Db;

/// A kind of row written in groups.
pub trait Rows: Send + Sync + Sized + 'static {
    /// What each caller learns of its own row (e.g. whether it was inserted).
    type Outcome: Clone + Send + 'static;
    /// Rows per statement at most (keeps the bind parameters under both backends' limit).
    const BATCH: usize;
    /// Writes `rows` in one statement; one outcome per row, in their order.
    fn write(
        db: &Db,
        rows: &[Self],
    ) -> impl Future<Output = anyhow::Result<Vec<Self::Outcome>>> + Send;
}

type Waiting<R> = (R, oneshot::Sender<Result<<R as Rows>::Outcome, String>>);

/// The rows of one kind waiting to be written, shared by a [`Db`]'s clones.
pub struct GroupCommit<R: Rows> {
    queued: Mutex<Vec<Waiting<R>>>,
    /// Held by whoever is writing a batch.
    turn: tokio::sync::Mutex<()>,
    /// Statements written so far.
    statements: AtomicU64,
}

impl<R: Rows> Default for GroupCommit<R> {
    fn default() -> Self {
        Self {
            queued: Mutex::default(),
            turn: tokio::sync::Mutex::default(),
            statements: AtomicU64::default(),
        }
    }
}

impl<R: Rows> fmt::Debug for GroupCommit<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupCommit").field("statements", &self.statements()).finish()
    }
}

impl<R: Rows> GroupCommit<R> {
    /// How many statements have been written so far (each holds one or more rows).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Writes `row` (with whatever else is queued) and returns its outcome once committed.
    pub(crate) async fn write(&self, db: &Db, row: R) -> anyhow::Result<R::Outcome> {
        let mut outcomes = self.write_all(db, vec![row]).await?;
        outcomes.pop().ok_or_else(|| anyhow::anyhow!("the group write lost a row's outcome"))
    }

    /// Writes `rows` (with whatever else is queued) and returns their outcomes, in their
    /// order, once every one is committed.
    pub(crate) async fn write_all(&self, db: &Db, rows: Vec<R>) -> anyhow::Result<Vec<R::Outcome>> {
        let outcomes: Vec<_> = {
            let mut queue = self.queue();
            rows.into_iter()
                .map(|row| {
                    let (done, outcome) = oneshot::channel();
                    queue.push((row, done));
                    outcome
                })
                .collect()
        };
        {
            let _turn = self.turn.lock().await;
            // Empty when the writer before us took our rows too (and has told us already).
            let mut batch = std::mem::take(&mut *self.queue());
            while !batch.is_empty() {
                let rest = batch.split_off(batch.len().min(R::BATCH));
                let (rows, waiting): (Vec<R>, Vec<_>) = batch.into_iter().unzip();
                self.statements.fetch_add(1, Ordering::Relaxed);
                let written = R::write(db, &rows).await.map_err(|e| format!("{e:#}"));
                for (i, done) in waiting.into_iter().enumerate() {
                    let outcome = match &written {
                        Ok(outcomes) => outcomes
                            .get(i)
                            .cloned()
                            .ok_or_else(|| "the group write lost a row's outcome".to_owned()),
                        Err(e) => Err(e.clone()),
                    };
                    // A caller that went away has nothing to hear.
                    let _ = done.send(outcome);
                }
                batch = rest;
            }
        }
        let mut written = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            written.push(match outcome.await {
                Ok(result) => result.map_err(anyhow::Error::msg)?,
                // The writer holding the row was dropped mid-write: stored or not, unknown,
                // so the caller fails (and a retried job looks again).
                Err(_) => anyhow::bail!("the group write holding this row was abandoned"),
            });
        }
        Ok(written)
    }

    fn queue(&self) -> MutexGuard<'_, Vec<Waiting<R>>> {
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `($1, $2, …), ($k+1, …)…`: the placeholders of `rows` rows of `columns` values each.
pub(crate) fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let values: Vec<String> =
                (1..=columns).map(|c| format!("${}", row * columns + c)).collect();
            format!("({})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
