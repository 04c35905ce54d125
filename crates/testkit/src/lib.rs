//! Test support for Portico (dev-only): the backend matrix, a fresh database per test, a
//! [`TestApp`] served on `127.0.0.1:0`, a clock tests can move, and synchronous job draining.

mod api;
mod app;
mod backend;
mod browser;
mod clock;
mod fixtures;
pub mod google;
mod seed;
pub mod sms;
mod smtp;
pub mod stripe;
mod webdriver;

pub use app::{PgDatabase, TestApp, WorkerHandle};
pub use backend::{Backend, backends, matrix};
pub use backend::{postgres_admin_url, redis_url};
pub use browser::{Browser, extract_csrf, location};
pub use clock::ManualClock;
pub use google::FakeGoogle;
pub use seed::{PASSWORD, SeededTenant};
pub use sms::FakeTwilio;
pub use smtp::{ReceivedMail, SmtpListener};
pub use stripe::FakeStripe;
pub use webdriver::Chrome;

/// Polls `probe` until it returns `Some`, or panics after `timeout`. For waiting on another
/// process or task (a real worker, a server starting) — never a fixed sleep.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(25));
    loop {
        tick.tick().await;
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
    }
}
