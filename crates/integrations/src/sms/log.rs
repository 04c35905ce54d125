//! An [`SmsTransport`] that writes each message as a text file, for development and demos.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Sms, SmsAccount, SmsError, SmsTransport};

/// Numbers the files this process writes, so two in the same microsecond get distinct names.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Writes every message to `<dir>/<UTC timestamp>-<pid>-<counter>.txt` (`From:`, `To:`, a
/// blank line and the body), whole or not at all (written under a hidden name, then renamed).
#[derive(Debug)]
pub struct LogTransport {
    dir: PathBuf,
}

impl LogTransport {
    /// A transport writing into `dir` (created if missing).
    pub fn new(dir: PathBuf) -> Result<Self, SmsError> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            SmsError::Permanent(format!("cannot create SMS directory {}: {e}", dir.display()))
        })?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait::async_trait]
impl SmsTransport for LogTransport {
    fn needs_account(&self) -> bool {
        false
    }

    async fn send(&self, account: &SmsAccount, sms: &Sms) -> Result<String, SmsError> {
        let timestamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let name = format!("{timestamp}-{}-{sequence:06}", std::process::id());
        let path = self.dir.join(format!("{name}.txt"));
        let temp = self.dir.join(format!(".{name}.tmp"));
        let text = format!("From: {}\nTo: {}\n\n{}\n", account.from, sms.to, sms.body);
        let written = async {
            tokio::fs::create_dir_all(&self.dir).await?;
            tokio::fs::write(&temp, text.as_bytes()).await?;
            tokio::fs::rename(&temp, &path).await
        };
        if let Err(e) = written.await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(SmsError::Transient(format!("cannot write {}: {e}", path.display())));
        }
        tracing::info!(path = %path.display(), "SMS written to file");
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_message_is_one_file() {
        let dir = std::env::temp_dir().join(format!("portico-sms-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let log = LogTransport::new(dir.clone()).unwrap();
        let account = SmsAccount {
            account_sid: String::new(),
            auth_token: String::new(),
            from: "Paws".into(),
        };
        let sms = Sms { to: "+447700900123".into(), body: "See you at 10:00.".into() };
        log.send(&account, &sms).await.unwrap();
        log.send(&account, &sms).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 2);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert_eq!(text, "From: Paws\nTo: +447700900123\n\nSee you at 10:00.\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
