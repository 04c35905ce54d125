//! Outgoing mail. The app talks to a [`Mailer`]; [`mailer`] picks the implementation from
//! configuration: an SMTP relay ([`SmtpMailer`]) in production, or `.eml` files in a directory
//! ([`FileMailer`]) when no relay is configured, so development needs no mail server.

mod file;
mod smtp;

use std::path::PathBuf;
use std::sync::Arc;

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as AttachmentPart, Mailbox, MultiPart, SinglePart};

pub use file::FileMailer;
pub use smtp::SmtpMailer;

/// One message to one recipient, as rendered from a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    /// The recipient: `someone@example.com` or `Some One <someone@example.com>`.
    pub to: String,
    /// The subject line; line breaks in it are folded into spaces.
    pub subject: String,
    /// The plain-text body, always sent.
    pub text: String,
    /// An HTML alternative to [`Email::text`]; with it the message is `multipart/alternative`.
    pub html: Option<String>,
    /// The sender's display name instead of the configured one (the business's name on what
    /// a business sends its clients); the address stays the configured sender's.
    pub sender_name: Option<String>,
    /// Where replies go (the business's contact address); an invalid one is left out.
    pub reply_to: Option<String>,
    /// Extra header fields, e.g. `List-Unsubscribe`. Names must be printable ASCII without
    /// `:`; line breaks in values are folded into spaces so a value cannot add headers.
    pub headers: Vec<(String, String)>,
    /// Files sent along (e.g. a booking's `.ics`); with any, the message is
    /// `multipart/mixed` around the body.
    pub attachments: Vec<Attachment>,
}

/// A file attached to an [`Email`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// A MIME type with its parameters, e.g. `text/calendar; charset=utf-8; method=REQUEST`.
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Why a message could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// May succeed if tried again later: the server was unreachable, timed out or answered 4xx.
    #[error("mail delivery failed temporarily: {0}")]
    Transient(String),
    /// Will fail again: a malformed address, bad configuration, or a 5xx answer.
    #[error("mail delivery failed permanently: {0}")]
    Permanent(String),
}

impl MailError {
    /// Whether retrying the same message later could succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Sends [`Email`]s. Object-safe, so the app holds an `Arc<dyn Mailer>`.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug + 'static {
    /// Hands `email` over for delivery, returning once it has been accepted.
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}

/// The mailer for the configuration: [`SmtpMailer`] for a non-empty `smtp_url` (e.g.
/// `smtps://user:pass@smtp.example.com`), otherwise a [`FileMailer`] writing into `mail_dir`.
/// `from` is the sender, e.g. `Portico <no-reply@example.com>`. An SMTP mailer must be created
/// inside a Tokio runtime.
pub fn mailer(smtp_url: &str, from: &str, mail_dir: PathBuf) -> Result<Arc<dyn Mailer>, MailError> {
    let smtp_url = smtp_url.trim();
    if smtp_url.is_empty() {
        Ok(Arc::new(FileMailer::new(mail_dir, from)?))
    } else {
        Ok(Arc::new(SmtpMailer::new(smtp_url, from)?))
    }
}

/// Parses the configured sender address.
fn parse_from(from: &str) -> Result<Mailbox, MailError> {
    from.parse().map_err(|e| MailError::Permanent(format!("invalid sender address {from:?}: {e}")))
}

/// Builds the RFC 5322 message: From, To, Subject, Date, Message-ID, MIME-Version and a
/// `text/plain` body, or a `multipart/alternative` one when there is HTML.
fn build_message(from: &Mailbox, email: &Email) -> Result<Message, MailError> {
    let to: Mailbox = email.to.parse().map_err(|e| {
        MailError::Permanent(format!("invalid recipient address {:?}: {e}", email.to))
    })?;
    let subject = email.subject.replace(['\r', '\n'], " ");
    let from = match &email.sender_name {
        Some(name) => Mailbox::new(Some(name.replace(['\r', '\n'], " ")), from.email.clone()),
        None => from.clone(),
    };
    let mut builder = Message::builder().from(from).to(to);
    if let Some(reply_to) = email.reply_to.as_deref().and_then(|r| r.parse::<Mailbox>().ok()) {
        builder = builder.reply_to(reply_to);
    }
    let builder = builder
        .subject(subject)
        .date_now()
        // `None`: a random id at this host's name.
        .message_id(None);
    let built = match (&email.html, email.attachments.is_empty()) {
        (None, true) => builder.singlepart(SinglePart::plain(email.text.clone())),
        (Some(html), true) => {
            builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone()))
        }
        (html, false) => {
            let mut mixed = match html {
                None => MultiPart::mixed().singlepart(SinglePart::plain(email.text.clone())),
                Some(html) => MultiPart::mixed()
                    .multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
            };
            for file in &email.attachments {
                let content_type = ContentType::parse(&file.content_type).map_err(|e| {
                    MailError::Permanent(format!(
                        "bad attachment type {:?}: {e}",
                        file.content_type
                    ))
                })?;
                mixed = mixed.singlepart(
                    AttachmentPart::new(file.filename.clone())
                        .body(file.content.clone(), content_type),
                );
            }
            builder.multipart(mixed)
        }
    };
    let mut message =
        built.map_err(|e| MailError::Permanent(format!("cannot build the message: {e}")))?;
    for (name, value) in &email.headers {
        let name = HeaderName::new_from_ascii(name.clone())
            .map_err(|e| MailError::Permanent(format!("bad header name {name:?}: {e}")))?;
        let value = value.replace(['\r', '\n'], " ");
        message.headers_mut().insert_raw(HeaderValue::new(name, value));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A directory under the system temp dir, removed on drop.
    pub(super) struct ScratchDir(PathBuf);

    impl ScratchDir {
        pub(super) fn new(name: &str) -> Self {
            let path = std::env::temp_dir()
                .join(format!("portico-integrations-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub(super) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn from() -> Mailbox {
        parse_from("Portico <no-reply@localhost>").unwrap()
    }

    fn email(to: &str) -> Email {
        Email {
            to: to.to_owned(),
            subject: "Your booking".to_owned(),
            text: "See you soon.".to_owned(),
            ..Email::default()
        }
    }

    #[test]
    fn an_invalid_recipient_is_permanent() {
        for to in ["", "not an address", "a@b@c", "Someone <nobody>"] {
            let err = build_message(&from(), &email(to)).unwrap_err();
            assert!(matches!(err, MailError::Permanent(_)), "{to:?}: {err:?}");
        }
    }

    #[test]
    fn an_invalid_sender_is_permanent() {
        let err = parse_from("Portico no-reply").unwrap_err();
        assert!(matches!(err, MailError::Permanent(_)));
        assert!(!err.is_transient());
    }

    #[test]
    fn a_text_only_message_is_a_single_plain_part_with_the_required_headers() {
        let message = build_message(&from(), &email("Ada <ada@example.com>")).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        for header in [
            "From: Portico <no-reply@localhost>\r\n",
            "To: Ada <ada@example.com>\r\n",
            "Subject: Your booking\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
        ] {
            assert!(format!("{head}\r\n").contains(header), "missing {header:?} in\n{head}");
        }
        assert!(head.contains("\r\nDate: "), "{head}");
        assert!(head.contains("\r\nMessage-ID: <"), "{head}");
        assert!(!head.contains("multipart"), "{head}");
        assert_eq!(body, "See you soon.\r\n");
    }

    #[test]
    fn line_breaks_in_the_subject_cannot_add_headers() {
        let mut email = email("ada@example.com");
        email.subject = "Hello\r\nBcc: eve@example.com".to_owned();
        let raw = String::from_utf8(build_message(&from(), &email).unwrap().formatted()).unwrap();
        assert!(raw.contains("Subject: Hello  Bcc: eve@example.com\r\n"), "{raw}");
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
    }

    #[test]
    fn extra_headers_are_written_and_cannot_add_others() {
        let mut email = email("ada@example.com");
        email.headers = vec![
            ("List-Unsubscribe".to_owned(), "<https://x.test/u/1>".to_owned()),
            (
                "List-Unsubscribe-Post".to_owned(),
                "List-Unsubscribe=One-Click\r\nBcc: e@x".to_owned(),
            ),
        ];
        let raw = String::from_utf8(build_message(&from(), &email).unwrap().formatted()).unwrap();
        assert!(raw.contains("List-Unsubscribe: <https://x.test/u/1>\r\n"), "{raw}");
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click  Bcc: e@x\r\n"));
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        email.headers = vec![("Bad Name:".to_owned(), "x".to_owned())];
        assert!(matches!(build_message(&from(), &email), Err(MailError::Permanent(_))));
    }

    #[test]
    fn attachments_make_a_mixed_message_around_the_body() {
        let mut email = email("ada@example.com");
        email.html = Some("<p>See you soon.</p>".to_owned());
        email.attachments = vec![Attachment {
            filename: "booking.ics".to_owned(),
            content_type: "text/calendar; charset=utf-8; method=REQUEST".to_owned(),
            content: b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_vec(),
        }];
        let raw = String::from_utf8(build_message(&from(), &email).unwrap().formatted()).unwrap();
        assert!(raw.contains("Content-Type: multipart/mixed"), "{raw}");
        assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
        assert!(raw.contains("filename=\"booking.ics\""), "{raw}");
        assert!(raw.contains("text/calendar"), "{raw}");
    }

    #[tokio::test]
    async fn the_smtp_url_chooses_the_mailer() {
        let scratch = ScratchDir::new("choose");
        let dir = scratch.path().join("mail");
        let files = mailer("  ", "Portico <no-reply@localhost>", dir.clone()).unwrap();
        assert!(format!("{files:?}").starts_with("FileMailer"), "{files:?}");
        assert!(dir.is_dir());
        std::fs::remove_dir_all(&dir).unwrap();

        let smtp = mailer("smtp://127.0.0.1:2525", "no-reply@localhost", dir.clone()).unwrap();
        assert!(format!("{smtp:?}").starts_with("SmtpMailer"), "{smtp:?}");
        assert!(!dir.exists());
    }
}
