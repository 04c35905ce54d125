//! A [`Mailer`] that hands messages to an SMTP relay.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Email, MailError, Mailer, build_message, parse_from};

/// How long to wait for the relay to connect or answer a command.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Sends through an SMTP relay, keeping a small pool of open connections.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The relay's URL without its password, for logs and `Debug`.
    server: String,
}

impl SmtpMailer {
    /// A mailer for the relay at `smtp_url` with `from` as the sender.
    ///
    /// `smtp://host:port` is plain SMTP, `smtp://host:port?tls=required` upgrades with STARTTLS
    /// and `smtps://host:port` is TLS from the start; credentials come from the URL's user
    /// info (percent-encoded) and are used with AUTH. Must be called inside a Tokio runtime,
    /// which the connection pool uses for its housekeeping.
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailError> {
        let from = parse_from(from)?;
        let server = redact(smtp_url)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(MailError::Permanent(
                "SmtpMailer::new must be called inside a Tokio runtime".to_owned(),
            ));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailError::Permanent(format!("invalid SMTP URL {server}: {e}")))?
            .timeout(Some(TIMEOUT))
            .build();
        Ok(Self { transport, from, server })
    }
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build_message(&self.from, email)?;
        match self.transport.send(message).await {
            Ok(response) => {
                tracing::debug!(server = %self.server, code = %response.code(), "mail accepted");
                Ok(())
            }
            // A 5xx answer: the relay refuses this message and would refuse it again.
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            // 4xx, refused connections, timeouts, TLS trouble: worth another try later.
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }
}

/// `smtp_url` with any password replaced, or a permanent error if it is not a URL at all.
fn redact(smtp_url: &str) -> Result<String, MailError> {
    let mut url = reqwest::Url::parse(smtp_url)
        .map_err(|e| MailError::Permanent(format!("invalid SMTP URL: {e}")))?;
    if url.password().is_some() {
        // Cannot fail: a URL that has a password can have it replaced.
        let _ = url.set_password(Some("redacted"));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email {
            to: "ada@example.com".to_owned(),
            subject: "Hello".to_owned(),
            text: "Hi Ada".to_owned(),
            html: None,
            ..Email::default()
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_transient() {
        // Bind then drop a listener: the port is free and nothing accepts on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mailer =
            SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "no-reply@localhost").unwrap();

        let err = mailer.send(&email()).await.unwrap_err();

        assert!(matches!(err, MailError::Transient(_)), "{err:?}");
        assert!(err.is_transient());
    }

    #[tokio::test]
    async fn an_invalid_recipient_is_permanent_without_connecting() {
        let mailer = SmtpMailer::new("smtp://127.0.0.1:9", "no-reply@localhost").unwrap();
        let mut email = email();
        email.to = "ada@".to_owned();

        let err = mailer.send(&email).await.unwrap_err();

        assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
    }

    #[tokio::test]
    async fn bad_configuration_is_permanent() {
        for url in ["not a url", "http://smtp.example.com", "smtp://smtp.example.com?tls=maybe"] {
            let err = SmtpMailer::new(url, "no-reply@localhost").unwrap_err();
            assert!(matches!(err, MailError::Permanent(_)), "{url}: {err:?}");
        }
        let err = SmtpMailer::new("smtp://127.0.0.1:25", "nobody").unwrap_err();
        assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
    }

    #[tokio::test]
    async fn debug_output_hides_the_password() {
        let mailer =
            SmtpMailer::new("smtps://user:s3cr%40t@smtp.example.com:465", "no-reply@localhost")
                .unwrap();
        let debug = format!("{mailer:?}");
        assert!(debug.contains("smtps://user:redacted@smtp.example.com:465"), "{debug}");
        assert!(!debug.contains("s3cr"), "{debug}");
    }

    #[test]
    fn outside_a_runtime_is_an_error_not_a_panic() {
        let err = SmtpMailer::new("smtp://127.0.0.1:25", "no-reply@localhost").unwrap_err();
        assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
    }
}
