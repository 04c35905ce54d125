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

/// An account email whose link token is created by the worker at send time, so a plain token
/// never sits in the outbox or the queue — it exists only in the email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountEmail {
    /// "Reset your password" with a single-use link.
    PasswordReset { user_id: i64 },
    /// "Confirm your email address".
    VerifyEmail { user_id: i64 },
    /// "Join {tenant}'s team".
    StaffInvite { tenant_id: i64, email: String, invited_by: i64 },
    /// "Your client portal at {tenant}".
    ClientInvite { tenant_id: i64, client_id: i64, email: String },
    /// Someone registered at a portal with an email that already has a login: tell the owner
    /// of the address instead of revealing it on the page.
    AlreadyRegistered { tenant_id: i64, user_id: i64 },
}

impl Job for AccountEmail {
    const QUEUE: &'static str = "account_email";
    const SENDS_MESSAGES: bool = true;
}

/// A booking was confirmed, cancelled or rescheduled: email the client or guest (a guest's
/// email carries a fresh manage link), the provider, and the staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingNotice {
    pub tenant_id: i64,
    pub booking_id: i64,
    /// `confirmed`, `cancelled` or `rescheduled`.
    pub event: String,
    /// The `booking_events` row this notice is about: the key of the delivery ledger, so a
    /// retried job never sends a recipient the same notice twice. (Absent in jobs queued
    /// before the ledger existed.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
}

impl Job for BookingNotice {
    const QUEUE: &'static str = "booking_notice";
    const SENDS_MESSAGES: bool = true;
}

/// Periodic upkeep: purge expired holds, sessions and rate-limit windows; book recurring-series
/// occurrences up to the rolling horizon. Idempotent; every worker process schedules it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintenance {}

impl Job for Maintenance {
    const QUEUE: &'static str = "maintenance";
}

/// Guest → account linking. Queued in the transaction that verifies a login's email address
/// (email confirmation, invitation acceptance, password reset) or makes a verified login a
/// client (portal join): the worker links that address's guest bookings to the login's client
/// record in every tenant where the login is a client, and tells the client what was linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkGuest {
    /// Link the login's guest bookings; does nothing while the address is unverified.
    Link { user_id: i64 },
    /// Email the client what was just linked at one tenant. Queued by `Link` in the
    /// transaction that linked it, so the email goes out if and only if something was linked.
    Notify {
        tenant_id: i64,
        user_id: i64,
        /// The bookings that came into the login's portal.
        booking_ids: Vec<i64>,
        /// The provider's existing client record (with its history) became the login's.
        #[serde(default)]
        record_linked: bool,
    },
}

impl Job for LinkGuest {
    const QUEUE: &'static str = "link_guest";
    const SENDS_MESSAGES: bool = true;
}

/// The reminder scan: claims every reminder now due and queues its [`Reminder`]. Every
/// worker process schedules it each minute; the claim makes concurrent scans harmless.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {}

impl Job for Reminders {
    const QUEUE: &'static str = "reminders";
}

/// Sends one booking's reminder for the start it was claimed at, if the booking still starts
/// then, is confirmed, has not started, and its client still wants reminders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub tenant_id: i64,
    pub booking_id: i64,
    pub starts_at: i64,
}

impl Job for Reminder {
    const QUEUE: &'static str = "reminder";
    const SENDS_MESSAGES: bool = true;
}

/// Google Calendar (PRO): make every connected calendar that should hold the booking match its
/// current state (insert, patch or delete the event with the booking's deterministic id), and
/// remove it from calendars that should not. Chosen for every booking event by `jobs_for`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSync {
    pub tenant_id: i64,
    pub booking_id: i64,
}

impl Job for CalendarSync {
    const QUEUE: &'static str = "calendar_sync";
}

/// Google Calendar work beyond one booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CalendarWork {
    /// After connecting (or changing the target calendar, or turning sync back on): sync the
    /// person's upcoming bookings, with progress on the calendar page, then fetch busy times.
    Backfill { tenant_id: i64, connection_id: i64 },
    /// Fetch the connection's busy times, and (at most hourly) repair drift over the next 60
    /// days: events deleted or changed at Google, changes made while sync was paused.
    Refresh { tenant_id: i64, connection_id: i64 },
    /// Scheduled every `google.busy_refresh_secs` by each worker process: queue a `Refresh`
    /// for every connected calendar.
    RefreshAll {},
}

impl Job for CalendarWork {
    const QUEUE: &'static str = "calendar_work";
}

/// The overdue scan: claims the next notice of every invoice that reached a new overdue stage
/// and queues its [`OverdueNotice`]. Every worker process schedules it; the claim makes
/// concurrent scans harmless.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueScan {}

impl Job for OverdueScan {
    const QUEUE: &'static str = "overdue_scan";
}

/// Sends one invoice's overdue notice of `stage`, if the invoice is still overdue with a
/// balance and its client still wants invoice emails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueNotice {
    pub tenant_id: i64,
    pub invoice_id: i64,
    pub stage: u32,
}

impl Job for OverdueNotice {
    const QUEUE: &'static str = "overdue_notice";
    const SENDS_MESSAGES: bool = true;
}

/// Emails the client an issued invoice (amount, due date, the portal link), once per invoice
/// (the `invoice_notices` ledger), if it is still open and the client still wants invoice
/// emails at send time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceIssued {
    pub tenant_id: i64,
    pub invoice_id: i64,
}

impl Job for InvoiceIssued {
    const QUEUE: &'static str = "invoice_issued";
    const SENDS_MESSAGES: bool = true;
}

/// A pre-paid booking's payment came after its place was taken and was refunded at the
/// gateway: tell the client (queued in the transaction that notes the refund, once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepayRefunded {
    pub tenant_id: i64,
    pub checkout_id: i64,
}

impl Job for PrepayRefunded {
    const QUEUE: &'static str = "prepay_refunded";
    const SENDS_MESSAGES: bool = true;
}
