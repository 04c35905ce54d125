//! The background workers: one job handler per file, each a plain `run(deps, job)` that
//! tests call directly; the apalis wiring in [`monitor`] stays thin.
//!
//! Every handler is idempotent: delivery is at-least-once.

pub mod account_email;
pub mod booking_notice;
pub mod calendar;
pub mod invoice_issued;
pub mod link_guest;
pub mod maintenance;
pub mod monitor;
pub mod notify;
pub mod overdue;
pub mod ping;
pub mod prepay_refunded;
pub mod reminders;
pub mod sms;

use std::sync::Arc;

use portico_config::{AccountSettings, BillingSettings, Config, Keys};
use portico_domain::Clock;
use portico_integrations::google::Google;
use portico_integrations::mail::{Email, MailError, Mailer};
use portico_integrations::sms::{SmsError, SmsTransport};
use portico_store::Db;
use portico_store::sealed::Keyring;

pub use monitor::{WorkerSettings, run};

/// What handlers need from the outside world.
#[derive(Debug, Clone)]
pub struct Deps {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<dyn Mailer>,
    /// Texts (PRO): Twilio, or files under `<data_dir>/sms/`.
    pub sms: Arc<dyn SmsTransport>,
    /// Email templates (`templates/email/<name>/{subject.txt, body.txt, body.html}`).
    pub templates: Arc<tera::Tera>,
    /// Base of every link in an email.
    pub public_url: url::Url,
    pub accounts: AccountSettings,
    /// Signs unsubscribe links (the web verifies them with the same key).
    pub keys: Keys,
    /// Google Calendar, when the operator configured an OAuth client.
    pub google: Option<Google>,
    /// Opens and seals the stored Google tokens.
    pub keyring: Arc<Keyring>,
    /// When overdue notices follow the first one (`billing.overdue_notice_days`).
    pub billing: BillingSettings,
    /// Where Portico's own bookings (series occurrences) make new meeting rooms
    /// (`meetings.base_url`).
    pub meeting_base: String,
}

impl Deps {
    /// Assembles the dependencies from configuration.
    pub fn new(config: &Config, db: Db, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let mailer = portico_integrations::mail::mailer(
            &config.mail.smtp_url,
            &config.mail.from,
            config.mail_dir(),
        )
        .map_err(|e| anyhow::anyhow!("mail transport: {e}"))?;
        let sms = portico_integrations::sms::transport(&config.sms, config.sms_dir())
            .map_err(|e| anyhow::anyhow!("SMS transport: {e}"))?;
        Ok(Self {
            db,
            clock,
            mailer,
            sms,
            templates: portico_assets::tera()?,
            public_url: config.public_url.clone(),
            accounts: config.accounts.clone(),
            keys: config.keys.clone(),
            google: if config.google.is_configured() {
                Some(Google::new(&config.google).map_err(|e| anyhow::anyhow!("google: {e}"))?)
            } else {
                None
            },
            keyring: Arc::new(Keyring::new(
                (config.keys.token_key_id, config.keys.token),
                &config.keys.old_token_keys,
            )),
            billing: config.billing.clone(),
            meeting_base: config.meetings.base_url.clone(),
        })
    }

    /// An absolute URL for a path of ours.
    pub fn absolute(&self, path: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    /// Renders `templates/email/<name>/` into an email to `to`.
    pub fn render_email(
        &self,
        name: &str,
        to: &str,
        context: &serde_json::Value,
    ) -> Result<Email, JobError> {
        let context = tera::Context::from_serialize(context)
            .map_err(|e| JobError::Permanent(anyhow::anyhow!("email context: {e}")))?;
        let render = |part: &str| {
            self.templates.render(&format!("email/{name}/{part}"), &context).map_err(|e| {
                JobError::Permanent(anyhow::anyhow!("rendering email/{name}/{part}: {e:?}"))
            })
        };
        Ok(Email {
            to: to.to_owned(),
            subject: render("subject.txt")?.trim().to_owned(),
            text: render("body.txt")?,
            html: Some(render("body.html")?),
            ..Email::default()
        })
    }

    /// Renders an email a business sends one of its clients: from the business's name, replies
    /// to its contact address, and `business` (name and contact details) in the context for the
    /// templates' signature (`email/_business.*`).
    pub fn render_business_email(
        &self,
        name: &str,
        to: &str,
        tenant: &portico_store::tenants::Tenant,
        context: &serde_json::Value,
    ) -> Result<Email, JobError> {
        let contact = &tenant.contact;
        let mut context = context.clone();
        context["business"] = serde_json::json!({
            "name": tenant.name,
            "email": contact.email,
            "phone": contact.phone,
            "address": contact.address.lines().collect::<Vec<_>>(),
            "website": contact.website,
            // Mail clients fetch it from Portico: an absolute link.
            "logo": tenant
                .logo_version
                .map(|v| self.absolute(&format!("/book/{}/logo?v={v}", tenant.slug))),
        });
        let email = self.render_email(name, to, &context)?;
        Ok(Email {
            sender_name: Some(tenant.name.clone()),
            reply_to: (!contact.email.is_empty()).then(|| contact.email.clone()),
            ..email
        })
    }
}

/// How a job attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth retrying later (network blip, lock timeout, 5xx).
    #[error("transient: {0:#}")]
    Transient(anyhow::Error),
    /// Worth retrying, but not before this long: the outside service said so (`Retry-After`).
    #[error("transient, retry after {0:?}: {1:#}")]
    RetryAfter(std::time::Duration, anyhow::Error),
    /// Retrying cannot help (bad request, revoked grant): stop now and surface it.
    #[error("permanent: {0:#}")]
    Permanent(anyhow::Error),
}

impl From<MailError> for JobError {
    fn from(error: MailError) -> Self {
        let text = anyhow::anyhow!(error.to_string());
        if error.is_transient() { Self::Transient(text) } else { Self::Permanent(text) }
    }
}

impl From<SmsError> for JobError {
    fn from(error: SmsError) -> Self {
        let text = anyhow::anyhow!(error.to_string());
        if error.is_transient() { Self::Transient(text) } else { Self::Permanent(text) }
    }
}

impl From<portico_store::StoreError> for JobError {
    /// A corrupt stored value stays corrupt however often the job runs.
    fn from(error: portico_store::StoreError) -> Self {
        match error {
            corrupt @ portico_store::StoreError::Corrupt { .. } => Self::Permanent(corrupt.into()),
            other => Self::Transient(other.into()),
        }
    }
}

impl From<anyhow::Error> for JobError {
    fn from(error: anyhow::Error) -> Self {
        Self::Transient(error)
    }
}

/// The one registration of every job kind: its payload type (with its queue name, in
/// `portico_jobs`) and its handler. [`dispatch`] (tests, draining) and the apalis workers
/// ([`monitor::run`]) are both generated from this list, so adding a kind is one line here.
macro_rules! job_kinds {
    ($($job:ty => $handler:path),* $(,)?) => {
        /// The queue name of every job kind.
        pub const QUEUES: &[&str] = &[$(<$job as portico_jobs::Job>::QUEUE),*];

        /// Runs the job stored as `payload` on `queue` right now, in this task. Tests use it
        /// to drain the outbox synchronously; the apalis workers call the same handlers.
        pub async fn dispatch(deps: &Deps, queue: &str, payload: &str) -> Result<(), JobError> {
            use portico_jobs::Job as _;
            let decode =
                |e: serde_json::Error| JobError::Permanent(anyhow::anyhow!("bad payload: {e}"));
            match queue {
                $(<$job>::QUEUE => {
                    $handler(deps, serde_json::from_str::<$job>(payload).map_err(decode)?).await
                })*
                other => Err(JobError::Permanent(anyhow::anyhow!("no handler for queue `{other}`"))),
            }
        }

        /// Adds a worker for every job kind to `monitor`.
        pub(crate) fn register_all(
            monitor: apalis::prelude::Monitor,
            queue: &portico_jobs::Queue,
            deps: &Deps,
            settings: &WorkerSettings,
            process: &str,
        ) -> anyhow::Result<apalis::prelude::Monitor> {
            $(let monitor = monitor::register::<$job, _, _>(
                monitor,
                queue,
                deps,
                settings,
                process,
                |d, j| async move { $handler(&d, j).await },
            )?;)*
            Ok(monitor)
        }
    };
}

job_kinds! {
    portico_jobs::Ping => ping::run,
    portico_jobs::AccountEmail => account_email::run,
    portico_jobs::BookingNotice => booking_notice::run,
    portico_jobs::LinkGuest => link_guest::run,
    portico_jobs::CalendarSync => calendar::sync::run,
    portico_jobs::CalendarWork => calendar::work::run,
    portico_jobs::Maintenance => maintenance::run,
    portico_jobs::Reminders => reminders::scan,
    portico_jobs::Reminder => reminders::send,
    portico_jobs::OverdueScan => overdue::scan,
    portico_jobs::OverdueNotice => overdue::send,
    portico_jobs::InvoiceIssued => invoice_issued::send,
    portico_jobs::PrepayRefunded => prepay_refunded::send,
}
