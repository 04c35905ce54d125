//! Giving freed memory back once a burst of work is over.
//!
//! glibc keeps what the process freed in its arenas for reuse, and returns pages to the
//! system only from the top of a heap; after a burst the free space is scattered between live
//! allocations and stays resident. Measured after the load benchmark (SQLite, idle again):
//! 17.5 MB of heap with 10.0 MB in use (`malloc_stats`), and `malloc_trim(0)` took the
//! process from 41.2 to 37.5 MB. So `serve`, `worker` and `demo` watch their own CPU time and
//! call it in the quiet periods that follow a busy one: never during load (it locks each arena
//! while it walks it), and only for a minute after each burst — long enough to also return
//! what is freed late, when the burst's idle database connections close (after 30 s).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How often the process looks at its CPU time.
const PERIOD: Duration = Duration::from_secs(10);
/// A period is busy when the process used more than this share of one core in it.
const BUSY_SHARE: f64 = 0.05;
/// How many quiet periods after a busy one give memory back.
const RELEASES_PER_BURST: u32 = 6;

/// Decides, period by period, when to give memory back.
#[derive(Debug, Default)]
pub struct AfterBursts {
    /// Quiet periods left that give memory back, since the last busy one.
    releases_left: u32,
}

impl AfterBursts {
    /// Takes the CPU time used during the last `period`; true when the memory should be given
    /// back now: this period was quiet, and it is one of the first few quiet ones since a
    /// busy one.
    pub fn quiet_after_busy(&mut self, used: Duration, period: Duration) -> bool {
        if used.as_secs_f64() > period.as_secs_f64() * BUSY_SHARE {
            self.releases_left = RELEASES_PER_BURST;
            return false;
        }
        let release = self.releases_left > 0;
        self.releases_left = self.releases_left.saturating_sub(1);
        release
    }
}

/// The process's CPU time so far (user + system), from `/proc/self/stat`.
fn cpu_time() -> Option<Duration> {
    // Fields after the command name (which may hold spaces, so split after its `)`): utime and
    // stime are the 12th and 13th, in USER_HZ ticks, which Linux fixes at 100 for user space.
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// Runs until `shutdown`: every [`PERIOD`], gives freed memory back after a burst.
pub async fn release_after_bursts(shutdown: CancellationToken) {
    let Some(mut last) = cpu_time() else { return };
    let mut decide = AfterBursts::default();
    let mut ticks = tokio::time::interval(PERIOD);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let Some(now) = cpu_time() else { return };
        if decide.quiet_after_busy(now.saturating_sub(last), PERIOD) {
            let released = release_freed_memory();
            tracing::debug!(released, "gave freed memory back after a burst");
        }
        last = now;
    }
}

/// Asks glibc to return the free pages of every arena to the system; whether it did.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "glibc's malloc_trim has no safe binding")]
fn release_freed_memory() -> bool {
    // SAFETY: `malloc_trim` takes no pointers and touches only glibc's own free lists, under
    // the arena locks every other allocator call takes too.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other allocators (musl, macOS) give large blocks back themselves.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_memory() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUSY: Duration = Duration::from_secs(5);
    const QUIET: Duration = Duration::from_millis(20);

    #[test]
    fn memory_is_given_back_in_the_quiet_minute_after_each_burst() {
        let mut decide = AfterBursts::default();
        // Idle from the start: nothing to give back.
        assert!(!decide.quiet_after_busy(QUIET, PERIOD));
        // During a burst: never.
        assert!(!decide.quiet_after_busy(BUSY, PERIOD));
        assert!(!decide.quiet_after_busy(BUSY, PERIOD));
        // The first quiet periods after it (a minute's worth), then no more.
        for _ in 0..RELEASES_PER_BURST {
            assert!(decide.quiet_after_busy(QUIET, PERIOD));
        }
        assert!(!decide.quiet_after_busy(QUIET, PERIOD));
        assert!(!decide.quiet_after_busy(Duration::ZERO, PERIOD));
        // The next burst, even a short one in the middle of the quiet ones: again after it.
        assert!(!decide.quiet_after_busy(BUSY, PERIOD));
        assert!(decide.quiet_after_busy(QUIET, PERIOD));
        assert!(!decide.quiet_after_busy(BUSY, PERIOD));
        for _ in 0..RELEASES_PER_BURST {
            assert!(decide.quiet_after_busy(QUIET, PERIOD));
        }
        assert!(!decide.quiet_after_busy(QUIET, PERIOD));
    }

    #[test]
    fn the_process_reads_its_own_cpu_time_as_it_grows() {
        let before = cpu_time().expect("/proc/self/stat");
        // A test process has used seconds, not days (another field read by mistake would be
        // a size or a start time).
        assert!(before < Duration::from_secs(24 * 3600), "{before:?}");
        // Work until the clock (in 10 ms ticks) moves; it must, long before the deadline.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut x = 0u64;
        while cpu_time().unwrap() <= before {
            assert!(std::time::Instant::now() < deadline, "CPU time never moved from {before:?}");
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        assert!(cpu_time().unwrap() > before);
    }
}
