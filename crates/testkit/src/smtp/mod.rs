//! A real, minimal SMTP server on `127.0.0.1:0` that keeps every message it receives, for tests
//! that send mail through the app's SMTP mailer and then read it like a person would.
//!
//! It speaks enough of RFC 5321 for ordinary clients (lettre included): EHLO/HELO, MAIL, RCPT,
//! DATA with dot-unstuffing, RSET, NOOP, VRFY and QUIT, with the usual sequencing errors. It
//! advertises 8BITMIME, SMTPUTF8 and PIPELINING, and neither STARTTLS nor AUTH, so clients
//! must be configured for plain `smtp://` without credentials.
//!
//! [`protocol`] speaks SMTP on one connection; [`mail`] reads a received message (subject,
//! bodies, headers, links) like a person would.

mod mail;
mod protocol;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use protocol::{bare_address, serve};

/// A message as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without angle brackets; empty for a bounce (`<>`).
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets, in order.
    pub rcpt_to: Vec<String>,
    /// The message after DATA: headers and body, dot-unstuffed, with CRLF line endings, as it
    /// would be handed to a mailbox (bytes that are not UTF-8 are replaced).
    pub raw: String,
}

/// The SMTP server. Stops accepting and drops its open connections when dropped.
#[derive(Debug)]
pub struct SmtpListener {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: JoinHandle<()>,
}

#[derive(Debug, Default)]
struct Shared {
    inbox: Mutex<Inbox>,
    /// Woken whenever a message is stored.
    arrived: Notify,
    /// A reply code for the next `RCPT TO`, set by [`SmtpListener::set_reject_next`].
    reject_next: Mutex<Option<u16>>,
    /// Verdicts for the coming `RCPT TO`s in order (`None` = accept), set by
    /// [`SmtpListener::set_reject_after`].
    plan: Mutex<std::collections::VecDeque<Option<u16>>>,
}

#[derive(Debug, Default)]
struct Inbox {
    messages: Vec<ReceivedMail>,
    /// (index in `messages`, lowercase recipient) pairs `wait_for_message_to` has returned.
    handed_out: HashSet<(usize, String)>,
}

impl Shared {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        // A panicking test thread cannot leave the inbox half-updated: recover it.
        self.inbox.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn store(&self, mail: ReceivedMail) -> usize {
        let number = {
            let mut inbox = self.inbox();
            inbox.messages.push(mail);
            inbox.messages.len()
        };
        self.arrived.notify_waiters();
        number
    }

    fn take_reject(&self) -> Option<u16> {
        let next = self.reject_next.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        next.or_else(|| {
            self.plan.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop_front().flatten()
        })
    }
}

impl SmtpListener {
    /// Binds `127.0.0.1:0` and starts serving.
    pub async fn start() -> Self {
        let listener =
            TcpListener::bind("127.0.0.1:0").await.expect("cannot bind the SMTP test listener");
        let addr = listener.local_addr().expect("the SMTP test listener has no address");
        let shared = Arc::new(Shared::default());
        let accept_loop = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Self { addr, shared, accept_loop }
    }

    /// The URL to configure the app's mailer with: `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.inbox().messages.clone()
    }

    /// Waits for the next message with `to` (an address, compared ignoring case) among its
    /// envelope recipients, and returns it. A message is returned once per recipient: two calls
    /// for the same address return two different messages, in the order they arrived. Panics,
    /// listing what did arrive, if none comes within `timeout`.
    pub async fn wait_for_message_to(&self, to: &str, timeout: Duration) -> ReceivedMail {
        let deadline = tokio::time::Instant::now() + timeout;
        let to = bare_address(to);
        loop {
            // Register interest before looking, so a message stored in between still wakes us.
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();

            if let Some(mail) = self.take_next_to(to) {
                return mail;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let received: Vec<String> = self
                    .messages()
                    .iter()
                    .map(|mail| format!("to {:?}: {:?}", mail.rcpt_to, mail.subject_or_empty()))
                    .collect();
                panic!(
                    "no new mail to {to} within {timeout:?}; received so far: {received:#?} \
                     (messages already returned by wait_for_message_to are not returned again)"
                );
            }
        }
    }

    /// Makes the next `RCPT TO` (on any connection) fail with `code`, e.g. 550 for a permanent
    /// or 451 for a temporary refusal. Later ones are accepted again.
    pub fn set_reject_next(&self, code: u16) {
        assert!((400..600).contains(&code), "a refusal code is 4xx or 5xx, not {code}");
        *self.shared.reject_next.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some(code);
    }

    /// Accepts the next `accepted` recipients, then refuses one with `code` — a sender that
    /// dies part-way through a batch. Later ones are accepted again.
    pub fn set_reject_after(&self, accepted: usize, code: u16) {
        assert!((400..600).contains(&code), "a refusal code is 4xx or 5xx, not {code}");
        let mut plan = self.shared.plan.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        plan.clear();
        plan.extend(std::iter::repeat_n(None, accepted));
        plan.push_back(Some(code));
    }

    fn take_next_to(&self, to: &str) -> Option<ReceivedMail> {
        let mut inbox = self.shared.inbox();
        let to = to.to_lowercase();
        let index = (0..inbox.messages.len()).find(|&index| {
            inbox.messages[index].rcpt_to.iter().any(|rcpt| rcpt.to_lowercase() == to)
                && !inbox.handed_out.contains(&(index, to.clone()))
        })?;
        inbox.handed_out.insert((index, to));
        Some(inbox.messages[index].clone())
    }
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        // Dropping the loop drops its JoinSet, which aborts every open session.
        self.accept_loop.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    sessions.spawn(session(stream, Arc::clone(&shared)));
                }
                Err(e) => tracing::warn!(error = %e, "SMTP test listener: accept failed"),
            },
            // Reap finished sessions so the set does not grow for the life of the test.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    if let Err(e) = serve(stream, &shared).await {
        tracing::debug!(error = %e, "SMTP test listener: session ended with an error");
    }
}
