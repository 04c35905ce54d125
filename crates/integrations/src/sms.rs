//! Text messages (PRO). The app talks to an [`SmsTransport`]; [`transport`] picks the
//! implementation from configuration: Twilio's REST API ([`Twilio`]) with each business's own
//! account, or files in a directory ([`LogTransport`], the embedded default) so development
//! needs no provider.

mod log;
mod twilio;

use std::path::PathBuf;
use std::sync::Arc;

use portico_config::{SmsSettings, SmsTransportKind};

pub use log::LogTransport;
pub use twilio::Twilio;

/// One text message to one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    /// The recipient in E.164 form (`+447700900123`).
    pub to: String,
    pub body: String,
}

/// The business's provider account the message is sent from.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsAccount {
    pub account_sid: String,
    pub auth_token: String,
    /// The sender number (E.164) or alphanumeric sender id.
    pub from: String,
}

impl std::fmt::Debug for SmsAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token, not even in logs.
        f.debug_struct("SmsAccount")
            .field("account_sid", &self.account_sid)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Why a message could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// May succeed later: the provider was unreachable, rate-limited us or answered 5xx.
    #[error("SMS delivery failed temporarily: {0}")]
    Transient(String),
    /// Will fail again: bad credentials, an invalid number, a refused request (4xx).
    #[error("SMS delivery failed permanently: {0}")]
    Permanent(String),
}

impl SmsError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Sends [`Sms`]es. Object-safe, so the app holds an `Arc<dyn SmsTransport>`.
#[async_trait::async_trait]
pub trait SmsTransport: Send + Sync + std::fmt::Debug + 'static {
    /// Whether the business must have entered its provider account for messages to go out
    /// (the log transport needs none).
    fn needs_account(&self) -> bool;

    /// Hands `sms` over from `account`, returning the provider's message id once accepted.
    async fn send(&self, account: &SmsAccount, sms: &Sms) -> Result<String, SmsError>;
}

/// The transport for the configuration; `dir` is where the log transport writes.
pub fn transport(settings: &SmsSettings, dir: PathBuf) -> Result<Arc<dyn SmsTransport>, SmsError> {
    Ok(match settings.transport {
        SmsTransportKind::Log => Arc::new(LogTransport::new(dir)?),
        SmsTransportKind::Twilio => Arc::new(Twilio::new(&settings.twilio_api_base)?),
    })
}
