//! Notifications: what each client and team member wants to hear (checked by every message
//! job at send time), the tenant's reminder setting, the reminder and overdue-notice ledgers,
//! signed unsubscribe links and private calendar feeds.

pub mod feeds;
pub mod issued;
pub mod overdue;
pub mod prefs;
pub mod reminders;
pub mod sms;
pub mod unsubscribe;

pub use prefs::{Channel, ClientPrefs, Kind, MemberPrefs, Settings};
