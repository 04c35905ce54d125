//! The schedule version check of concurrent requests for one tenant, shared.
//!
//! Every request that serves a tenant's schedule from memory first reads the tenant's
//! version ([`versions::by_slug`]). Under load most of those reads, for a busy tenant, run side
//! by side and answer the same number. Here requests for the same slug that arrive while a
//! check is in flight wait for it to end and then share **one** new check, which starts after
//! every one of them arrived: each still gets a version read after its own arrival, so a write
//! committed before a request came in is always seen — exactly as fresh as a read of its own.
//! (Joining the check already in flight would not be: it may have read before that commit.)
//!
//! With no check in flight a request checks at once, so a quiet tenant waits for nothing. A
//! check that fails, or whose request is dropped, hands its waiters nothing; they read on
//! their own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use crate::versions::{self, Seen};
use crate::{Db, StoreError};

/// What a shared check answers: `None` until it ends.
type Answer = Option<Option<Seen>>;

/// The checks in flight and waiting, per slug.
#[derive(Default)]
pub(crate) struct VersionChecks {
    slugs: Mutex<HashMap<String, Slug>>,
    /// Version reads run (for tests and diagnostics).
    reads: AtomicU64,
}

#[derive(Default)]
struct Slug {
    /// The check in flight.
    running: Option<watch::Receiver<Answer>>,
    /// The check that starts when the running one ends; requests arriving now join it.
    next: Option<watch::Receiver<Answer>>,
}

/// Which of a slug's two places a check holds.
#[derive(Clone, Copy)]
enum Place {
    Next,
    Running,
}

impl Slug {
    fn place(&mut self, place: Place) -> &mut Option<watch::Receiver<Answer>> {
        match place {
            Place::Next => &mut self.next,
            Place::Running => &mut self.running,
        }
    }
}

impl VersionChecks {
    fn slugs(&self) -> MutexGuard<'_, HashMap<String, Slug>> {
        // Nothing panics while holding the lock; a poisoned map is still a valid map.
        self.slugs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many version reads ran so far.
    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// The tenant with this slug and its version, read after this call began.
    pub(crate) async fn by_slug(&self, db: &Db, slug: &str) -> Result<Option<Seen>, StoreError> {
        self.shared(slug, || {
            self.reads.fetch_add(1, Ordering::Relaxed);
            versions::by_slug(db, slug)
        })
        .await
    }

    /// `read`'s answer for `slug`, from a read that began after this call did: its own, or
    /// one shared with the other calls that arrived while the previous read was in flight.
    async fn shared<F, R, E>(&self, slug: &str, read: F) -> Result<Option<Seen>, E>
    where
        F: Fn() -> R,
        R: Future<Output = Result<Option<Seen>, E>>,
    {
        let (sender, receiver) = watch::channel(None);
        let joined = {
            let mut slugs = self.slugs();
            if !slugs.contains_key(slug) {
                slugs.insert(slug.to_owned(), Slug::default());
            }
            let entry = slugs.get_mut(slug).expect("inserted above");
            match (&entry.next, &entry.running) {
                (Some(next), _) => Err(next.clone()),
                (None, None) => {
                    entry.running = Some(receiver.clone());
                    Ok((None, Place::Running))
                }
                (None, Some(running)) => {
                    let running = running.clone();
                    entry.next = Some(receiver.clone());
                    Ok((Some(running), Place::Next))
                }
            }
        };
        let (running, place) = match joined {
            Ok(lead) => lead,
            Err(mut next) => {
                // Copied out: the borrow of the channel must not live across an `await`.
                let answer = next.wait_for(Option::is_some).await.ok().and_then(|a| *a);
                return match answer {
                    Some(seen) => Ok(seen),
                    None => read().await,
                };
            }
        };
        // This call leads a read: at once if none is in flight, else the next one, which
        // starts when the one in flight ends.
        let mut held = Held { checks: self, slug, receiver, place };
        if let Some(mut running) = running {
            // Ends with an answer, or with nothing if that read failed or was dropped.
            let _ = running.wait_for(Option::is_some).await;
            held.promote();
        }
        let answer = read().await;
        if let Ok(seen) = &answer {
            sender.send_replace(Some(*seen));
        }
        drop(held);
        answer
    }
}

/// A leader's place in its slug's entry, given up when the leader ends or is dropped.
struct Held<'a> {
    checks: &'a VersionChecks,
    slug: &'a str,
    receiver: watch::Receiver<Answer>,
    place: Place,
}

impl Held<'_> {
    /// From the next check to the running one: requests arriving from now on wait for it to
    /// end, and then share the check after it.
    fn promote(&mut self) {
        let mut slugs = self.checks.slugs();
        let entry = slugs.entry(self.slug.to_owned()).or_default();
        self.release(entry);
        entry.running = Some(self.receiver.clone());
        self.place = Place::Running;
    }

    fn release(&self, entry: &mut Slug) {
        let held = entry.place(self.place);
        if held.as_ref().is_some_and(|r| r.same_channel(&self.receiver)) {
            *held = None;
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut slugs = self.checks.slugs();
        if let Some(entry) = slugs.get_mut(self.slug) {
            self.release(entry);
            if entry.running.is_none() && entry.next.is_none() {
                slugs.remove(self.slug);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The sharing rule with reads the test holds open: which read answers which call.

    use std::pin::pin;
    use std::sync::atomic::AtomicI64;
    use std::task::{Context, Waker};

    use portico_domain::TenantId;

    use super::*;

    /// Reads that note the version when they begin, then wait for the gate.
    struct Reads {
        version: AtomicI64,
        begun: AtomicU64,
        gate: watch::Sender<bool>,
    }

    impl Reads {
        fn new() -> Self {
            Self {
                version: AtomicI64::new(1),
                begun: AtomicU64::new(0),
                gate: watch::channel(false).0,
            }
        }

        async fn read(&self) -> Result<Option<Seen>, ()> {
            self.begun.fetch_add(1, Ordering::SeqCst);
            let version = self.version.load(Ordering::SeqCst);
            let mut gate = self.gate.subscribe();
            let open = gate.wait_for(|open| *open).await.is_ok();
            let seen = Seen { tenant: TenantId::from_store(7), base: 1, version };
            if open && version > 0 { Ok(Some(seen)) } else { Err(()) }
        }
    }

    fn pending<F: Future>(future: std::pin::Pin<&mut F>) -> bool {
        future.poll(&mut Context::from_waker(Waker::noop())).is_pending()
    }

    fn version(answer: Result<Option<Seen>, ()>) -> i64 {
        answer.expect("an answer").expect("a tenant").version
    }

    #[tokio::test]
    async fn calls_arriving_during_a_read_share_the_next_one_and_see_what_committed_before() {
        let (checks, reads) = (VersionChecks::default(), Reads::new());
        let mut first = pin!(checks.shared("paws", || reads.read()));
        assert!(pending(first.as_mut()));
        assert_eq!(reads.begun.load(Ordering::SeqCst), 1, "a quiet slug reads at once");

        // A write commits while the first read is in flight; two calls arrive after it.
        reads.version.store(2, Ordering::SeqCst);
        let mut second = pin!(checks.shared("paws", || reads.read()));
        let mut third = pin!(checks.shared("paws", || reads.read()));
        assert!(pending(second.as_mut()) && pending(third.as_mut()));
        assert_eq!(reads.begun.load(Ordering::SeqCst), 1, "they wait for the read in flight");
        // Another slug is not held up.
        let mut other = pin!(checks.shared("cats", || reads.read()));
        assert!(pending(other.as_mut()));
        assert_eq!(reads.begun.load(Ordering::SeqCst), 2);

        reads.gate.send_replace(true);
        let (first, second, third, _) = tokio::join!(first, second, third, other);
        assert_eq!(version(first), 1);
        assert_eq!(version(second), 2, "not the answer of a read that began before the call");
        assert_eq!(version(third), 2);
        assert_eq!(reads.begun.load(Ordering::SeqCst), 3, "the second and third shared one");
        assert!(checks.slugs().is_empty(), "nothing is kept once the reads end");
    }

    #[tokio::test]
    async fn a_failed_or_dropped_read_leaves_its_waiters_to_read_on_their_own() {
        let (checks, reads) = (VersionChecks::default(), Reads::new());
        let mut first = pin!(checks.shared("paws", || reads.read()));
        assert!(pending(first.as_mut()));
        {
            // The leader of the next read is dropped while it waits; its follower goes on.
            let mut leader = Box::pin(checks.shared("paws", || reads.read()));
            assert!(pending(leader.as_mut()));
            let mut follower = pin!(checks.shared("paws", || reads.read()));
            assert!(pending(follower.as_mut()));
            drop(leader);
            assert!(pending(follower.as_mut()), "reads on its own, held by the gate");
            assert_eq!(reads.begun.load(Ordering::SeqCst), 2);
        }
        // Reads that begin now fail (version 0): the next read's waiter reads itself.
        reads.version.store(0, Ordering::SeqCst);
        let mut second = pin!(checks.shared("paws", || reads.read()));
        let mut third = pin!(checks.shared("paws", || reads.read()));
        assert!(pending(second.as_mut()) && pending(third.as_mut()));
        reads.gate.send_replace(true);
        let (first, second, third) = tokio::join!(first, second, third);
        assert_eq!(version(first), 1, "began before the failure");
        assert!(second.is_err() && third.is_err());
        assert_eq!(reads.begun.load(Ordering::SeqCst), 4, "the third read after the second failed");
        assert!(checks.slugs().is_empty());
    }
}
