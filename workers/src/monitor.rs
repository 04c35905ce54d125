//! apalis wiring: one worker per queue on the configured storage, plus the outbox relay.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use apalis::layers::retry::HasherRng;
use apalis::layers::retry::backoff::{ExponentialBackoffMaker, MakeBackoff as _};
use apalis::prelude::*;
use portico_jobs::{CalendarWork, Job, Maintenance, OverdueScan, Queue, Relay, Reminders};
use tokio_util::sync::CancellationToken;

use crate::{Deps, JobError};

/// Knobs for a worker process.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Prefix of worker names; the process id and a random suffix are appended so a
    /// restarted process is never refused as a duplicate of its previous life.
    pub name: String,
    pub concurrency: usize,
    /// Jobs run at once per queue whose jobs send emails or texts ([`Job::SENDS_MESSAGES`]).
    pub message_concurrency: usize,
    /// Jobs fetched from a queue per poll.
    pub fetch_batch: usize,
    pub max_attempts: usize,
    pub poll_interval: Duration,
    pub relay_batch: u32,
    /// How often this process enqueues the `maintenance` job.
    pub maintenance_interval: Duration,
}

/// The longest a worker waits out a `Retry-After` before its retry.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// How often this process enqueues the reminder scan: reminders are set in whole minutes.
const REMINDER_SCAN_EVERY: Duration = Duration::from_secs(60);

/// How often this process enqueues the overdue scan: invoices fall overdue by the day, so a
/// notice goes out within a quarter of an hour of the tenant's midnight.
const OVERDUE_SCAN_EVERY: Duration = Duration::from_secs(15 * 60);

/// Ticks every period (the first one period after start) until shutdown.
struct Every {
    tick: tokio::time::Interval,
    shutdown: CancellationToken,
}

impl Every {
    fn new(period: Duration, shutdown: CancellationToken) -> Self {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self { tick, shutdown }
    }

    /// Waits for the next tick: false once the process shuts down.
    async fn next(&mut self) -> bool {
        tokio::select! {
            () = self.shutdown.cancelled() => false,
            _ = self.tick.tick() => true,
        }
    }
}

/// Enqueues `job` every `period` (the first one after one period) until shutdown. Several
/// worker processes may each do so: the scheduled jobs are idempotent.
async fn schedule<J: Job>(deps: Deps, job: J, period: Duration, shutdown: CancellationToken) {
    let mut every = Every::new(period, shutdown);
    while every.next().await {
        let result = async {
            let mut tx = deps.db.begin().await?;
            portico_jobs::enqueue(&mut tx, &job, deps.clock.now_ts()).await?;
            tx.commit().await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(error) = result {
            tracing::warn!(queue = J::QUEUE, error = %format!("{error:#}"), "could not schedule a job");
        }
    }
}

/// How long finished jobs stay in the queue storage (for looking into what ran), and how
/// often each worker process removes older ones ([`Queue::purge_finished`]).
const KEEP_FINISHED: Duration = Duration::from_secs(7 * 86_400);
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Removes finished jobs older than [`KEEP_FINISHED`] every [`PURGE_EVERY`] (the first time
/// one period after start) until shutdown. Several worker processes may each do so.
async fn purge_finished(queue: Queue, shutdown: CancellationToken) {
    let mut every = Every::new(PURGE_EVERY, shutdown);
    while every.next().await {
        match purge_older(&queue).await {
            Ok(removed) => tracing::info!(removed, "finished jobs purged"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not purge finished jobs");
            }
        }
    }
}

/// Removes the finished jobs older than [`KEEP_FINISHED`] by the wall clock (apalis's).
async fn purge_older(queue: &Queue) -> anyhow::Result<u64> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let cutoff = now.saturating_sub(KEEP_FINISHED).as_secs();
    queue.purge_finished(crate::QUEUES, cutoff).await
}

impl WorkerSettings {
    /// How many jobs of kind `J` a worker runs at once.
    pub fn concurrency_of<J: Job>(&self) -> usize {
        if J::SENDS_MESSAGES { self.message_concurrency } else { self.concurrency }
    }
}

/// Unique name of this process's workers and relay.
pub fn process_name(prefix: &str) -> String {
    let suffix: u32 = rand::random();
    format!("{prefix}-{}-{suffix:08x}", std::process::id())
}

/// Runs the relay and the workers until `shutdown` is cancelled, then lets in-flight jobs
/// finish. Returns an error if the workers stop on their own: a worker process whose workers
/// quietly ended must exit non-zero so it gets restarted.
pub async fn run(
    deps: Deps,
    queue: Queue,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let name = process_name(&settings.name);
    let relay = Relay::new(
        deps.db.clone(),
        queue.clone(),
        name.clone(),
        settings.relay_batch,
        settings.poll_interval,
    );
    let relay_task = tokio::spawn(relay.run(shutdown.clone()));

    let monitor = crate::register_all(Monitor::new(), &queue, &deps, &settings, &name)?;
    let scheduler = tokio::spawn(schedule(
        deps.clone(),
        Maintenance::default(),
        settings.maintenance_interval,
        shutdown.clone(),
    ));
    let reminder_scheduler = tokio::spawn(schedule(
        deps.clone(),
        Reminders::default(),
        REMINDER_SCAN_EVERY,
        shutdown.clone(),
    ));
    let overdue_scheduler = tokio::spawn(schedule(
        deps.clone(),
        OverdueScan::default(),
        OVERDUE_SCAN_EVERY,
        shutdown.clone(),
    ));
    let purger = tokio::spawn(purge_finished(queue.clone(), shutdown.clone()));
    // Busy times from Google, when it is configured.
    let calendar = deps.google.as_ref().map(|google| {
        let every = Duration::from_secs(google.settings().busy_refresh_secs);
        tokio::spawn(schedule(deps.clone(), CalendarWork::RefreshAll {}, every, shutdown.clone()))
    });
    tracing::info!(worker = %name, queue = queue.backend_name(), "workers started");

    let signal = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            Ok(())
        }
    };
    let result = monitor.run_with_signal(signal).await;
    let requested = shutdown.is_cancelled();
    shutdown.cancel();
    relay_task.await.context("outbox relay panicked")?;
    scheduler.await.context("scheduler panicked")?;
    reminder_scheduler.await.context("reminder scheduler panicked")?;
    overdue_scheduler.await.context("overdue scheduler panicked")?;
    purger.await.context("finished-job purge panicked")?;
    if let Some(calendar) = calendar {
        calendar.await.context("calendar scheduler panicked")?;
    }
    match (result, requested) {
        (Ok(()), true) => {
            tracing::info!(worker = %name, "workers stopped");
            Ok(())
        }
        (Ok(()), false) => anyhow::bail!("job workers stopped unexpectedly"),
        (Err(error), _) => Err(anyhow::anyhow!("job workers failed: {error}")),
    }
}

/// Adds a worker for job kind `J` on whichever storage the queue uses.
pub(crate) fn register<J, F, Fut>(
    monitor: Monitor,
    queue: &Queue,
    deps: &Deps,
    settings: &WorkerSettings,
    process: &str,
    handler: F,
) -> anyhow::Result<Monitor>
where
    J: Job + Clone,
    F: Fn(Deps, J) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    let name = format!("{}-{process}", J::QUEUE);
    let concurrency = settings.concurrency_of::<J>();
    let retries = settings.max_attempts.saturating_sub(1);
    let interval = settings.poll_interval;
    let deps = deps.clone();
    // Transient failures back off exponentially with jitter; permanent ones are logged and
    // acknowledged at once (the handler has already recorded them where users see them).
    let service = move |job: J| {
        let deps = deps.clone();
        let handler = handler.clone();
        async move {
            match handler(deps, job).await {
                Ok(()) => Ok(()),
                Err(JobError::Permanent(error)) => {
                    tracing::error!(queue = J::QUEUE, error = %format!("{error:#}"), "job failed permanently");
                    Ok(())
                }
                Err(JobError::Transient(error)) => {
                    tracing::warn!(queue = J::QUEUE, error = %format!("{error:#}"), "job failed, will retry");
                    Err::<(), BoxDynError>(error.into())
                }
                // The service said when to come back: wait that long before handing the
                // failure to the backoff, so the retry is never earlier than asked.
                Err(JobError::RetryAfter(after, error)) => {
                    tracing::warn!(queue = J::QUEUE, error = %format!("{error:#}"), ?after, "job failed, will retry after the wait asked for");
                    tokio::time::sleep(after.min(MAX_RETRY_AFTER)).await;
                    Err::<(), BoxDynError>(error.into())
                }
            }
        }
    };
    let backoff = || {
        ExponentialBackoffMaker::new(
            Duration::from_millis(500),
            Duration::from_secs(300),
            0.5,
            HasherRng::default(),
        )
        .expect("valid backoff bounds")
        .make_backoff()
    };

    if let Some(storage) = queue.sqlite_storage::<J>(settings.fetch_batch) {
        let storage = storage.poll_with_interval(interval);
        Ok(monitor.register(move |_restarts| {
            WorkerBuilder::new(name.clone())
                .backend(storage.clone())
                .concurrency(concurrency)
                .retry(RetryPolicy::retries(retries).with_backoff(backoff()))
                .enable_tracing()
                .build(service.clone())
        }))
    } else if let Some(storage) = queue.redis_storage::<J>(settings.fetch_batch) {
        let storage = storage.poll_with_interval(interval);
        Ok(monitor.register(move |_restarts| {
            WorkerBuilder::new(name.clone())
                .backend(storage.clone())
                .concurrency(concurrency)
                .retry(RetryPolicy::retries(retries).with_backoff(backoff()))
                .enable_tracing()
                .build(service.clone())
        }))
    } else {
        anyhow::bail!("queue storage has no backend for {}", J::QUEUE)
    }
}
