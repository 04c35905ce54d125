//! A [`Mailer`] that writes each message as an `.eml` file, for development and demos.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use lettre::message::Mailbox;

use super::{Email, MailError, Mailer, build_message, parse_from};

/// Numbers the files this process writes, so two in the same microsecond get distinct names.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Writes every message, fully formatted, to `<dir>/<UTC timestamp>-<pid>-<counter>.eml`.
/// Names sort in the order the messages were written. A file appears whole or not at all: it
/// is written under a hidden temporary name in the same directory and then renamed.
#[derive(Debug)]
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    /// A mailer writing into `dir` (created if missing) with `from` as the sender.
    pub fn new(dir: PathBuf, from: &str) -> Result<Self, MailError> {
        let from = parse_from(from)?;
        std::fs::create_dir_all(&dir).map_err(|e| {
            MailError::Permanent(format!("cannot create mail directory {}: {e}", dir.display()))
        })?;
        Ok(Self { dir, from })
    }

    /// The directory the messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn next_file_name() -> String {
        let timestamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        format!("{timestamp}-{}-{sequence:06}.eml", std::process::id())
    }
}

#[async_trait::async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build_message(&self.from, email)?;
        let name = Self::next_file_name();
        let path = self.dir.join(&name);
        // Hidden and without the `.eml` suffix, so nobody picks up a half-written file.
        let temp = self.dir.join(format!(".{name}.tmp"));

        let written = write_then_rename(&self.dir, &temp, &path, message.formatted()).await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(MailError::Transient(format!("cannot write {}: {e}", path.display())));
        }
        tracing::info!(path = %path.display(), "mail written to file");
        Ok(())
    }
}

/// The whole write on one blocking thread: a message costs one hop to the blocking pool, not
/// one for each of the five file operations.
async fn write_then_rename(
    dir: &Path,
    temp: &Path,
    path: &Path,
    contents: Vec<u8>,
) -> std::io::Result<()> {
    let (dir, temp, path) = (dir.to_owned(), temp.to_owned(), path.to_owned());
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        // The directory may have been removed since start-up (a developer clearing old mail).
        std::fs::create_dir_all(&dir)?;
        let mut file = std::fs::File::options().write(true).create_new(true).open(&temp)?;
        file.write_all(&contents)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, &path)
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::tests::ScratchDir;

    fn email(html: Option<&str>) -> Email {
        Email {
            to: "Ada Lovelace <ada@example.com>".to_owned(),
            subject: "Your booking on Friday".to_owned(),
            text: "Confirm here: https://portico.test/confirm/abc\r\n".to_owned(),
            html: html.map(str::to_owned),
            ..Email::default()
        }
    }

    fn eml_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        files.sort();
        files
    }

    /// Splits a message or MIME part into unfolded `(name, value)` headers and the body.
    fn parse_part(raw: &str) -> (Vec<(String, String)>, &str) {
        let (head, body) = raw.split_once("\r\n\r\n").expect("no blank line after the headers");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                headers.last_mut().expect("folded first line").1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').expect("header without a colon");
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        (headers, body)
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
        let found = headers.iter().find(|(n, _)| n == name);
        &found.unwrap_or_else(|| panic!("no {name} header in {headers:?}")).1
    }

    #[tokio::test]
    async fn a_business_email_carries_its_name_and_reply_to() {
        let dir = ScratchDir::new("file-business");
        let mailer =
            FileMailer::new(dir.path().to_owned(), "Portico <no-reply@localhost>").unwrap();
        let business = Email {
            sender_name: Some("Happy Paws".to_owned()),
            reply_to: Some("hello@paws.example".to_owned()),
            ..email(None)
        };
        mailer.send(&business).await.unwrap();
        let broken = Email { reply_to: Some("not an address".to_owned()), ..email(None) };
        mailer.send(&broken).await.unwrap();

        let mut seen: Vec<(String, String)> = eml_files(dir.path())
            .iter()
            .map(|file| {
                let raw = std::fs::read_to_string(file).unwrap();
                let (headers, _) = parse_part(&raw);
                let reply_to = headers.iter().find(|(k, _)| k == "reply-to");
                (
                    header(&headers, "from").to_owned(),
                    reply_to.map(|(_, v)| v.clone()).unwrap_or_default(),
                )
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("\"Happy Paws\" <no-reply@localhost>".to_owned(), "hello@paws.example".to_owned()),
                ("Portico <no-reply@localhost>".to_owned(), String::new()),
            ]
        );
    }

    #[tokio::test]
    async fn writes_a_whole_message_with_both_parts() {
        let dir = ScratchDir::new("file-both-parts");
        let mail_dir = dir.path().join("not-yet-there");
        let mailer = FileMailer::new(mail_dir.clone(), "Portico <no-reply@localhost>").unwrap();
        let html = "<p>Confirm <a href=\"https://portico.test/confirm/abc\">here</a>.</p>";

        mailer.send(&email(Some(html))).await.unwrap();

        let files = eml_files(&mail_dir);
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(std::fs::read_dir(&mail_dir).unwrap().count(), 1, "temporary file left over");
        let raw = std::fs::read_to_string(&files[0]).unwrap();
        let (headers, body) = parse_part(&raw);
        assert_eq!(header(&headers, "from"), "Portico <no-reply@localhost>");
        assert_eq!(header(&headers, "to"), "\"Ada Lovelace\" <ada@example.com>");
        assert_eq!(header(&headers, "subject"), "Your booking on Friday");
        assert_eq!(header(&headers, "mime-version"), "1.0");
        assert!(header(&headers, "message-id").starts_with('<'));
        let date = header(&headers, "date");
        chrono::DateTime::parse_from_rfc2822(date).unwrap_or_else(|e| panic!("{date:?}: {e}"));

        let content_type = header(&headers, "content-type");
        assert!(content_type.starts_with("multipart/alternative;"), "{content_type}");
        let boundary = content_type.split("boundary=").nth(1).unwrap().trim_matches('"');
        let parts: Vec<&str> = body
            .split(&format!("--{boundary}"))
            .map(|part| part.trim_start_matches("\r\n"))
            .filter(|part| !part.trim().is_empty() && !part.starts_with("--"))
            .collect();
        assert_eq!(parts.len(), 2, "{body}");
        let (plain_headers, plain) = parse_part(parts[0]);
        assert_eq!(header(&plain_headers, "content-type"), "text/plain; charset=utf-8");
        assert!(plain.contains("Confirm here: https://portico.test/confirm/abc"), "{plain}");
        let (html_headers, html_body) = parse_part(parts[1]);
        assert_eq!(header(&html_headers, "content-type"), "text/html; charset=utf-8");
        assert!(html_body.contains(html), "{html_body}");
    }

    #[tokio::test]
    async fn each_message_gets_its_own_file_in_order() {
        let dir = ScratchDir::new("file-many");
        let mailer = FileMailer::new(dir.path().to_owned(), "no-reply@localhost").unwrap();
        for n in 0..5 {
            let mut email = email(None);
            email.subject = format!("Message {n}");
            mailer.send(&email).await.unwrap();
        }

        let files = eml_files(dir.path());
        assert_eq!(files.len(), 5);
        for (n, file) in files.iter().enumerate() {
            let raw = std::fs::read_to_string(file).unwrap();
            let (headers, _) = parse_part(&raw);
            assert_eq!(header(&headers, "subject"), format!("Message {n}"));
            assert!(header(&headers, "content-type").starts_with("text/plain"));
        }
    }

    #[tokio::test]
    async fn an_invalid_recipient_writes_nothing() {
        let dir = ScratchDir::new("file-invalid");
        let mailer = FileMailer::new(dir.path().to_owned(), "no-reply@localhost").unwrap();
        let mut email = email(None);
        email.to = "ada at example.com".to_owned();

        let err = mailer.send(&email).await.unwrap_err();

        assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
        assert!(eml_files(dir.path()).is_empty());
    }

    #[test]
    fn an_invalid_sender_is_refused_at_start_up() {
        let dir = ScratchDir::new("file-bad-sender");
        let err = FileMailer::new(dir.path().to_owned(), "Portico").unwrap_err();
        assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
    }
}
