//! Portico configuration: `config/default.toml` (compiled in), an optional file, `PORTICO_*`
//! environment variables (nested with `__`), `DATABASE_URL` / `REDIS_URL`, and command-line
//! overrides, resolved into one validated [`Config`].
//!
//! Every failure is a [`ConfigError`] that names the offending key, so start-up can print one
//! clear line and exit with code 2.

mod proxies;
mod secrets;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Deserialize;
use url::Url;

pub use proxies::{IpNetwork, TrustedProxies};
pub use secrets::Keys;

/// The documented defaults, compiled into the binary.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// A configuration problem, always tied to the key that caused it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: `{key}`: {message}")]
pub struct ConfigError {
    /// Dotted key, e.g. `http.request_timeout_secs`.
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { key: key.into(), message: message.into() }
    }

    fn from_figment(err: figment::Error) -> Self {
        use figment::error::Kind;
        let mut path = err.path.clone();
        let message = match &err.kind {
            Kind::UnknownField(name, _) => {
                push_unless_last(&mut path, name);
                "unknown setting".to_owned()
            }
            Kind::MissingField(name) => {
                push_unless_last(&mut path, name);
                "missing setting".to_owned()
            }
            other => other.to_string(),
        };
        let key = if path.is_empty() { "(root)".to_owned() } else { path.join(".") };
        let origin = err.metadata.as_ref().map(|m| m.name.to_string());
        let message = match origin {
            Some(origin) => format!("{message} (from {origin})"),
            None => message,
        };
        Self { key, message }
    }
}

fn push_unless_last(path: &mut Vec<String>, name: &str) {
    if path.last().map(String::as_str) != Some(name) {
        path.push(name.to_owned());
    }
}

/// Output format of logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings exactly as written in the layers, before resolution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    production: bool,
    bind: SocketAddr,
    data_dir: PathBuf,
    public_url: String,
    database_url: String,
    redis_url: String,
    log_format: LogFormat,
    http: HttpSettings,
    database: DatabaseSettings,
    runtime: RuntimeSettings,
    queue: QueueSettings,
    secrets: RawSecrets,
    mail: MailSettings,
    google: GoogleSettings,
    payments: PaymentSettings,
    sms: SmsSettings,
    meetings: MeetingSettings,
    sessions: SessionSettings,
    accounts: AccountSettings,
    billing: BillingSettings,
    rate_limits: RateLimitSettings,
}

/// How text messages leave (PRO): written to files (the embedded default) or sent through
/// Twilio with each business's own account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// `log` (files under `<data_dir>/sms/`) or `twilio`.
    pub transport: SmsTransportKind,
    /// Twilio's REST base, without a trailing slash (a local fake in tests).
    pub twilio_api_base: String,
}

/// Online bookings: where a new meeting room is made for a booking whose service has no room
/// of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingSettings {
    /// The meeting service's base URL, without a trailing slash; each booking's room is
    /// `{base_url}/Portico-<random>` (Jitsi Meet and its self-hosted servers make a room when
    /// its link is first opened).
    pub base_url: String,
}

/// The SMS transport chosen by `sms.transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsTransportKind {
    Log,
    Twilio,
}

/// Google Calendar sync: the OAuth client and Google's endpoints (the real ones by default,
/// a local fake in tests).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleSettings {
    pub client_id: String,
    pub client_secret: String,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    /// The Calendar v3 base, without a trailing slash.
    pub api_base: String,
    pub busy_refresh_secs: u64,
}

impl GoogleSettings {
    /// Whether the operator configured an OAuth client: without one nobody can connect.
    pub fn is_configured(&self) -> bool {
        !self.client_id.is_empty()
    }
}

/// Online payments: where Stripe's API is (the real one by default, a local fake in tests).
/// Each business's own keys are sealed in the database, not configured here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// Without a trailing slash.
    pub stripe_api_base: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub client_idle_minutes: u64,
    pub staff_idle_minutes: u64,
    pub absolute_hours: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    pub reset_link_minutes: u64,
    pub invite_link_hours: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingSettings {
    /// Days after an invoice fell overdue when the client is reminded again, ascending (the
    /// first notice goes when it falls overdue).
    pub overdue_notice_days: Vec<u32>,
    /// The platform's own Stripe account, for businesses paying for PRO themselves: its
    /// secret key (empty: the upgrade page says how the operator upgrades a business).
    pub stripe_secret_key: String,
    /// The signing secret of the platform webhook endpoint (`/webhooks/stripe/platform`).
    pub stripe_webhook_secret: String,
    /// The recurring Stripe price of PRO (`price_…`).
    pub pro_price_id: String,
}

impl BillingSettings {
    /// Whether businesses can subscribe to PRO themselves: the platform's secret key and PRO
    /// price are configured.
    pub fn self_serve(&self) -> bool {
        !self.stripe_secret_key.is_empty() && !self.pro_price_id.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub window_secs: u64,
    pub login_per_account: u32,
    pub login_per_ip: u32,
    pub reset_per_account: u32,
    pub reset_per_ip: u32,
    pub register_per_ip: u32,
    pub booking_per_ip: u32,
    pub availability_per_ip: u32,
    /// Provider API calls per bearer token per window (instead of the per-IP guest limits).
    pub api_per_token: u32,
    /// Invitations a business's dashboard emails to other people (clients, staff) per window.
    pub invitations_per_tenant: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    pub shutdown_grace_secs: u64,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies, load balancers).
    pub trusted_proxies: TrustedProxies,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Pool size per process on PostgreSQL.
    pub max_connections: u32,
    /// Read connections per process on SQLite (writes have one connection of their own).
    pub sqlite_readers: u32,
    pub acquire_timeout_secs: u64,
    /// Seconds a connection may stay unused before it is closed; 0 keeps them open.
    pub idle_timeout_secs: u64,
}

impl DatabaseSettings {
    /// How long an unused connection stays open (`None`: until the process stops).
    pub fn idle_timeout(&self) -> Option<Duration> {
        (self.idle_timeout_secs > 0).then(|| Duration::from_secs(self.idle_timeout_secs))
    }
}

/// The async runtime's threads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSettings {
    /// Threads running requests and jobs; 0 means one per CPU core.
    pub worker_threads: usize,
    /// Most threads for blocking work at once (password hashing, mail and SMS files).
    pub max_blocking_threads: usize,
    /// Seconds an unused blocking thread lives before it exits.
    pub blocking_keep_alive_secs: u64,
    /// Most malloc arenas of `serve`, `worker` and `demo` (glibc's `MALLOC_ARENA_MAX`); 0 keeps
    /// glibc's default of eight per core.
    pub malloc_arenas: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    pub namespace: String,
    pub poll_interval_ms: u64,
    pub relay_batch: u32,
    pub concurrency: usize,
    /// Jobs that send emails or texts run at once per queue (they mostly wait on the provider).
    pub message_concurrency: usize,
    pub fetch_batch: usize,
    pub max_attempts: usize,
    pub maintenance_secs: u64,
}

impl QueueSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecrets {
    session_key: String,
    token_key: String,
    token_key_id: u32,
    old_token_keys: secrets::OldKeys,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub from: String,
    pub smtp_url: String,
}

/// Where the application data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseTarget {
    /// A URL sqlx understands.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}?mode=rwc", path.display()),
            Self::Postgres(url) => url.clone(),
        }
    }
}

/// Where jobs are queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueTarget {
    /// The embedded queue: apalis on its own SQLite file.
    Sqlite(PathBuf),
    Redis(String),
}

/// The resolved, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub production: bool,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub public_url: Url,
    pub database: DatabaseTarget,
    pub queue_target: QueueTarget,
    pub log_format: LogFormat,
    pub http: HttpSettings,
    pub db_pool: DatabaseSettings,
    pub runtime: RuntimeSettings,
    pub queue: QueueSettings,
    pub mail: MailSettings,
    pub google: GoogleSettings,
    pub payments: PaymentSettings,
    pub sms: SmsSettings,
    pub meetings: MeetingSettings,
    pub sessions: SessionSettings,
    pub accounts: AccountSettings,
    pub billing: BillingSettings,
    pub rate_limits: RateLimitSettings,
    pub keys: Keys,
    /// Warnings found while loading (e.g. generated secrets), to log once logging is set up.
    pub notices: Vec<String>,
}

impl Config {
    /// True when the public URL is https: cookies become `Secure` with the `__Host-` prefix.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// Directory where outgoing mail is written when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// Directory where text messages are written by the `log` SMS transport.
    pub fn sms_dir(&self) -> PathBuf {
        self.data_dir.join("sms")
    }
}

/// Where to read configuration from, in addition to the compiled-in defaults.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// `--config FILE`.
    pub file: Option<PathBuf>,
    /// Read `PORTICO_*`, `DATABASE_URL` and `REDIS_URL` from the environment.
    pub env: bool,
    /// Highest-priority values (command-line flags), as dotted keys.
    pub overrides: Vec<(String, String)>,
}

impl Sources {
    /// Defaults + environment, as the binary uses them.
    pub fn from_env() -> Self {
        Self { env: true, ..Self::default() }
    }

    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self
    }

    pub fn set(mut self, key: &str, value: impl Into<String>) -> Self {
        self.overrides.push((key.to_owned(), value.into()));
        self
    }
}

/// Reads, validates and resolves the configuration. On the embedded default, missing secrets
/// are generated once under the data directory (with a warning); in production they must be
/// supplied.
pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
    let raw = read(sources)?;
    resolve(raw)
}

fn read(sources: &Sources) -> Result<Raw, ConfigError> {
    let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
    if let Some(file) = &sources.file {
        if !file.is_file() {
            return Err(ConfigError::new("--config", format!("no such file: {}", file.display())));
        }
        figment = figment.merge(Toml::file(file));
    }
    if sources.env {
        figment = figment.merge(Env::raw().only(&["DATABASE_URL", "REDIS_URL"])).merge(
            Env::prefixed("PORTICO_")
                // PORTICO_TEST_* configure the test suite, not the application.
                .filter(|key| !key.as_str().starts_with("test_"))
                .split("__"),
        );
    }
    for (key, value) in &sources.overrides {
        // Parse like an environment variable, so "true" and "3" become typed values.
        let value: figment::value::Value =
            value.parse().unwrap_or_else(|_| figment::value::Value::from(value.clone()));
        figment = figment.merge(Serialized::global(key, value));
    }
    figment.extract::<Raw>().map_err(ConfigError::from_figment)
}

fn resolve(raw: Raw) -> Result<Config, ConfigError> {
    let public_url = match raw.public_url.trim() {
        "" if raw.production => {
            return Err(ConfigError::new("public_url", "required in production"));
        }
        "" => Url::parse(&format!("http://{}", raw.bind)).map_err(|e| {
            ConfigError::new("bind", format!("cannot form a public URL from it: {e}"))
        })?,
        url => parse_public_url(url)?,
    };

    let database = match raw.database_url.trim() {
        "" => DatabaseTarget::Sqlite(raw.data_dir.join("portico.db")),
        url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            DatabaseTarget::Postgres(url.to_owned())
        }
        url if url.starts_with("sqlite:") => {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or_default();
            DatabaseTarget::Sqlite(PathBuf::from(path))
        }
        _ => {
            return Err(ConfigError::new(
                "database_url",
                "must start with postgres://, postgresql:// or sqlite://",
            ));
        }
    };

    let queue_target = match raw.redis_url.trim() {
        "" => QueueTarget::Sqlite(raw.data_dir.join("jobs.db")),
        url if url.starts_with("redis://") || url.starts_with("rediss://") => {
            QueueTarget::Redis(url.to_owned())
        }
        _ => return Err(ConfigError::new("redis_url", "must start with redis:// or rediss://")),
    };

    check_positive("http.request_timeout_secs", raw.http.request_timeout_secs)?;
    check_positive("http.body_limit_bytes", raw.http.body_limit_bytes as u64)?;
    check_positive("database.max_connections", u64::from(raw.database.max_connections))?;
    check_positive("database.sqlite_readers", u64::from(raw.database.sqlite_readers))?;
    check_positive("database.acquire_timeout_secs", raw.database.acquire_timeout_secs)?;
    check_positive("runtime.max_blocking_threads", raw.runtime.max_blocking_threads as u64)?;
    check_positive("queue.poll_interval_ms", raw.queue.poll_interval_ms)?;
    check_positive("queue.relay_batch", u64::from(raw.queue.relay_batch))?;
    check_positive("queue.concurrency", raw.queue.concurrency as u64)?;
    check_positive("queue.message_concurrency", raw.queue.message_concurrency as u64)?;
    check_positive("queue.fetch_batch", raw.queue.fetch_batch as u64)?;
    check_positive("queue.max_attempts", raw.queue.max_attempts as u64)?;
    check_positive("queue.maintenance_secs", raw.queue.maintenance_secs)?;
    check_positive("sessions.client_idle_minutes", raw.sessions.client_idle_minutes)?;
    check_positive("sessions.staff_idle_minutes", raw.sessions.staff_idle_minutes)?;
    check_positive("sessions.absolute_hours", raw.sessions.absolute_hours)?;
    check_positive("accounts.reset_link_minutes", raw.accounts.reset_link_minutes)?;
    check_positive("accounts.invite_link_hours", raw.accounts.invite_link_hours)?;
    check_positive("rate_limits.window_secs", raw.rate_limits.window_secs)?;
    let days = &raw.billing.overdue_notice_days;
    if days.first() == Some(&0) || days.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ConfigError::new(
            "billing.overdue_notice_days",
            "use ascending whole days after the due date, each at least 1",
        ));
    }
    for (key, value, prefixes) in [
        ("billing.stripe_secret_key", &raw.billing.stripe_secret_key, &["sk_", "rk_"][..]),
        ("billing.stripe_webhook_secret", &raw.billing.stripe_webhook_secret, &["whsec_"][..]),
        ("billing.pro_price_id", &raw.billing.pro_price_id, &["price_"][..]),
    ] {
        if !value.is_empty() && !prefixes.iter().any(|p| value.starts_with(p)) {
            let message = format!("must start with {}", prefixes.join(" or "));
            return Err(ConfigError::new(key, message));
        }
    }
    if raw.queue.namespace.is_empty()
        || !raw.queue.namespace.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        return Err(ConfigError::new("queue.namespace", "use letters, digits, '-' and '_' only"));
    }
    if !raw.mail.smtp_url.is_empty() {
        Url::parse(&raw.mail.smtp_url)
            .map_err(|e| ConfigError::new("mail.smtp_url", e.to_string()))?;
    }

    check_positive("google.busy_refresh_secs", raw.google.busy_refresh_secs)?;
    for (key, value) in [
        ("google.auth_url", &raw.google.auth_url),
        ("google.token_url", &raw.google.token_url),
        ("google.revoke_url", &raw.google.revoke_url),
        ("google.api_base", &raw.google.api_base),
    ] {
        let url = Url::parse(value).map_err(|e| ConfigError::new(key, e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::new(key, "must be an http:// or https:// URL"));
        }
    }
    let mut google = raw.google;
    google.api_base = google.api_base.trim_end_matches('/').to_owned();
    let key = "payments.stripe_api_base";
    let url = Url::parse(&raw.payments.stripe_api_base)
        .map_err(|e| ConfigError::new(key, e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(key, "must be an http:// or https:// URL"));
    }
    let mut payments = raw.payments;
    payments.stripe_api_base = payments.stripe_api_base.trim_end_matches('/').to_owned();
    let twilio = Url::parse(&raw.sms.twilio_api_base)
        .map_err(|e| ConfigError::new("sms.twilio_api_base", e.to_string()))?;
    if !matches!(twilio.scheme(), "http" | "https") {
        return Err(ConfigError::new("sms.twilio_api_base", "must be an http:// or https:// URL"));
    }
    let mut sms = raw.sms;
    sms.twilio_api_base = sms.twilio_api_base.trim_end_matches('/').to_owned();
    let key = "meetings.base_url";
    let meeting =
        Url::parse(&raw.meetings.base_url).map_err(|e| ConfigError::new(key, e.to_string()))?;
    if !matches!(meeting.scheme(), "http" | "https") || meeting.host().is_none() {
        return Err(ConfigError::new(key, "must be an http:// or https:// URL"));
    }
    let mut meetings = raw.meetings;
    meetings.base_url = meetings.base_url.trim_end_matches('/').to_owned();

    let mut notices = Vec::new();
    if matches!(database, DatabaseTarget::Postgres(_))
        && matches!(queue_target, QueueTarget::Sqlite(_))
    {
        notices.push(
            "no redis_url: rate-limit counters are kept in each web process's memory, so with \
             several web processes every limit applies per process"
                .to_owned(),
        );
    }
    let keys = secrets::resolve(
        &secrets::RawKeys {
            session_hex: &raw.secrets.session_key,
            token_hex: &raw.secrets.token_key,
            token_key_id: raw.secrets.token_key_id,
            old_token_keys: raw.secrets.old_token_keys.clone(),
        },
        raw.production,
        &raw.data_dir,
        &mut notices,
    )?;

    Ok(Config {
        production: raw.production,
        bind: raw.bind,
        data_dir: raw.data_dir,
        public_url,
        database,
        queue_target,
        log_format: raw.log_format,
        http: raw.http,
        db_pool: raw.database,
        runtime: raw.runtime,
        queue: raw.queue,
        mail: raw.mail,
        google,
        payments,
        sms,
        meetings,
        sessions: raw.sessions,
        accounts: raw.accounts,
        billing: raw.billing,
        rate_limits: raw.rate_limits,
        keys,
        notices,
    })
}

fn parse_public_url(url: &str) -> Result<Url, ConfigError> {
    let parsed = Url::parse(url).map_err(|e| ConfigError::new("public_url", e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ConfigError::new("public_url", "must be an http:// or https:// URL"));
    }
    Ok(parsed)
}

fn check_positive(key: &str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(ConfigError::new(key, "must be greater than zero"));
    }
    Ok(())
}

/// Creates `dir` (and parents) if needed.
pub fn ensure_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(dir: &Path) -> Sources {
        Sources::default().set("data_dir", dir.display().to_string())
    }

    #[test]
    fn defaults_resolve_to_the_embedded_backends() {
        let dir = tempfile::tempdir().unwrap();
        let config = load(&sources(dir.path())).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(config.database, DatabaseTarget::Sqlite(dir.path().join("portico.db")));
        assert_eq!(config.queue_target, QueueTarget::Sqlite(dir.path().join("jobs.db")));
        assert!(!config.is_https());
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(&sources(dir.path()).set("bind", "not-an-address")).unwrap_err();
        assert_eq!(err.key, "bind");
        let err = load(&sources(dir.path()).set("http.request_timeout_secs", "0")).unwrap_err();
        assert_eq!(err.key, "http.request_timeout_secs");
        let err = load(&sources(dir.path()).set("redis_url", "http://x")).unwrap_err();
        assert_eq!(err.key, "redis_url");
    }

    #[test]
    fn an_unknown_key_in_a_file_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portico.toml");
        std::fs::write(&file, "[http]\nrequest_timeout = 3\n").unwrap();
        let err = load(&sources(dir.path()).file(&file)).unwrap_err();
        assert_eq!(err.key, "http.request_timeout");
        assert!(err.to_string().contains("unknown setting"), "{err}");
    }

    #[test]
    fn trusted_proxies_are_parsed_and_checked_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let config = load(&sources(dir.path())).unwrap();
        assert!(config.http.trusted_proxies.is_empty(), "nobody is trusted by default");
        let config =
            load(&sources(dir.path()).set("http.trusted_proxies", "[10.0.0.0/8, \"::1\"]"))
                .unwrap();
        let trusted = &config.http.trusted_proxies;
        assert!(trusted.contains("10.1.2.3".parse().unwrap()));
        assert!(trusted.contains("::1".parse().unwrap()));
        assert!(!trusted.contains("11.0.0.1".parse().unwrap()));
        // The comma-separated form suits environment variables.
        let config =
            load(&sources(dir.path()).set("http.trusted_proxies", "127.0.0.1, 192.168.0.0/16"))
                .unwrap();
        assert!(config.http.trusted_proxies.contains("192.168.4.5".parse().unwrap()));
        assert!(config.http.trusted_proxies.contains("127.0.0.1".parse().unwrap()));
        let err =
            load(&sources(dir.path()).set("http.trusted_proxies", "10.0.0.0/33")).unwrap_err();
        assert_eq!(err.key, "http.trusted_proxies");
    }

    #[test]
    fn stripe_api_base_defaults_to_stripe_and_can_point_at_a_fake() {
        let dir = tempfile::tempdir().unwrap();
        let config = load(&sources(dir.path())).unwrap();
        assert_eq!(config.payments.stripe_api_base, "https://api.stripe.com");
        let fake = sources(dir.path()).set("payments.stripe_api_base", "http://127.0.0.1:9/");
        assert_eq!(load(&fake).unwrap().payments.stripe_api_base, "http://127.0.0.1:9");
        let bad = sources(dir.path()).set("payments.stripe_api_base", "ftp://x");
        assert_eq!(load(&bad).unwrap_err().key, "payments.stripe_api_base");
    }

    #[test]
    fn meeting_rooms_default_to_jitsi_meet_and_another_base_can_be_set() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(&sources(dir.path())).unwrap().meetings.base_url, "https://meet.jit.si");
        let own = sources(dir.path()).set("meetings.base_url", "https://meet.example.org/rooms/");
        assert_eq!(load(&own).unwrap().meetings.base_url, "https://meet.example.org/rooms");
        for bad in ["javascript:alert(1)", "meet.example.org", "ftp://meet.example.org"] {
            let err = load(&sources(dir.path()).set("meetings.base_url", bad)).unwrap_err();
            assert_eq!(err.key, "meetings.base_url", "{bad}");
        }
    }

    #[test]
    fn self_serve_pro_needs_the_platform_key_and_price_and_checks_their_shape() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!load(&sources(dir.path())).unwrap().billing.self_serve());
        let set = sources(dir.path())
            .set("billing.stripe_secret_key", "sk_test_platform")
            .set("billing.stripe_webhook_secret", "whsec_platform")
            .set("billing.pro_price_id", "price_pro");
        assert!(load(&set).unwrap().billing.self_serve());
        let bad = sources(dir.path()).set("billing.stripe_secret_key", "pk_live_oops");
        assert_eq!(load(&bad).unwrap_err().key, "billing.stripe_secret_key");
        let bad = sources(dir.path()).set("billing.pro_price_id", "prod_x");
        assert_eq!(load(&bad).unwrap_err().key, "billing.pro_price_id");
    }

    #[test]
    fn google_defaults_are_googles_endpoints_and_the_environment_form_overrides_them() {
        let dir = tempfile::tempdir().unwrap();
        let config = load(&sources(dir.path())).unwrap();
        assert!(!config.google.is_configured());
        assert_eq!(config.google.token_url, "https://oauth2.googleapis.com/token");
        assert_eq!(config.google.auth_url, "https://accounts.google.com/o/oauth2/v2/auth");
        assert_eq!(config.google.revoke_url, "https://oauth2.googleapis.com/revoke");
        assert_eq!(config.google.api_base, "https://www.googleapis.com/calendar/v3");
        assert_eq!(config.google.busy_refresh_secs, 300);
        let config = load(
            &sources(dir.path())
                .set("google.client_id", "abc.apps.googleusercontent.com")
                .set("google.api_base", "http://127.0.0.1:9/calendar/v3/"),
        )
        .unwrap();
        assert!(config.google.is_configured());
        assert_eq!(config.google.api_base, "http://127.0.0.1:9/calendar/v3");
        let err = load(&sources(dir.path()).set("google.token_url", "not a url")).unwrap_err();
        assert_eq!(err.key, "google.token_url");
        let err = load(&sources(dir.path()).set("google.busy_refresh_secs", "0")).unwrap_err();
        assert_eq!(err.key, "google.busy_refresh_secs");
    }

    #[test]
    fn backends_follow_the_urls() {
        let dir = tempfile::tempdir().unwrap();
        let config = load(
            &sources(dir.path())
                .set("database_url", "postgres://postgres@127.0.0.1/portico")
                .set("redis_url", "redis://127.0.0.1:6379"),
        )
        .unwrap();
        assert_eq!(
            config.database,
            DatabaseTarget::Postgres("postgres://postgres@127.0.0.1/portico".into())
        );
        assert_eq!(config.queue_target, QueueTarget::Redis("redis://127.0.0.1:6379".into()));
        assert!(!config.notices.iter().any(|n| n.contains("rate-limit")));
        let without_redis =
            load(&sources(dir.path()).set("database_url", "postgres://postgres@127.0.0.1/portico"))
                .unwrap();
        assert!(without_redis.notices.iter().any(|n| n.contains("rate-limit counters")));
    }

    #[test]
    fn production_requires_public_url_and_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let base = sources(dir.path()).set("production", "true");
        assert_eq!(load(&base).unwrap_err().key, "public_url");
        let with_url = base.set("public_url", "https://book.example.com");
        assert_eq!(load(&with_url).unwrap_err().key, "secrets.session_key");
        let with_session = with_url.set("secrets.session_key", "ab".repeat(64));
        assert_eq!(load(&with_session).unwrap_err().key, "secrets.token_key");
        let complete = with_session.set("secrets.token_key", "cd".repeat(32));
        let config = load(&complete).unwrap();
        assert!(config.is_https());
        assert!(!dir.path().join("secrets.toml").exists(), "production never generates secrets");
    }

    #[test]
    fn old_token_keys_come_as_a_list_or_one_comma_separated_string() {
        let dir = tempfile::tempdir().unwrap();
        let (one, three) = ("11".repeat(32), "33".repeat(32));
        let file = dir.path().join("portico.toml");
        std::fs::write(
            &file,
            format!(
                "[secrets]\ntoken_key = \"{}\"\ntoken_key_id = 2\n\
                 old_token_keys = [\"1:{one}\", \"3:{three}\"]\n",
                "22".repeat(32)
            ),
        )
        .unwrap();
        let config = load(&sources(dir.path()).file(&file)).unwrap();
        assert_eq!(config.keys.token_key_id, 2);
        assert_eq!(config.keys.old_token_keys, vec![(1, [0x11; 32]), (3, [0x33; 32])]);
        // The environment's form: one string, entries separated by commas.
        let config = load(
            &sources(dir.path())
                .file(&file)
                .set("secrets.old_token_keys", format!("1:{one},3:{three}")),
        )
        .unwrap();
        assert_eq!(config.keys.old_token_keys.len(), 2);
        let err = load(&sources(dir.path()).file(&file).set("secrets.old_token_keys", "2:00"))
            .unwrap_err();
        assert_eq!(err.key, "secrets.old_token_keys");
        // Nothing configured: the generated key is key 1 and there are no old keys.
        let config = load(&sources(dir.path())).unwrap();
        assert_eq!((config.keys.token_key_id, config.keys.old_token_keys.len()), (1, 0));
    }
}
