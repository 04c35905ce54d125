//! Twilio's Programmable Messaging REST API: `POST {base}/2010-04-01/Accounts/{AccountSid}/
//! Messages.json` with a form body (`To`, `From`, `Body`) and HTTP Basic auth
//! (`AccountSid:AuthToken`). Success is `201` with the message resource (`sid`, `status`, …);
//! a failure is JSON `{"code", "message", "more_info", "status"}`.

use std::time::Duration;

use serde::Deserialize;

use super::{Sms, SmsAccount, SmsError, SmsTransport};

/// Sends through Twilio, with the business's account on each call.
#[derive(Debug, Clone)]
pub struct Twilio {
    http: reqwest::Client,
    base: String,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// Twilio's error body.
#[derive(Deserialize)]
struct Failure {
    code: Option<i64>,
    message: Option<String>,
}

impl Twilio {
    /// A client for the API at `base` (`https://api.twilio.com`, or a local fake).
    pub fn new(base: &str) -> Result<Self, SmsError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| SmsError::Permanent(format!("HTTP client: {e}")))?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned() })
    }
}

#[async_trait::async_trait]
impl SmsTransport for Twilio {
    fn needs_account(&self) -> bool {
        true
    }

    async fn send(&self, account: &SmsAccount, sms: &Sms) -> Result<String, SmsError> {
        // The SID goes into the path: only Twilio's own shape (AC + hex) is accepted.
        let sid = &account.account_sid;
        if !sid.starts_with("AC") || !sid[2..].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SmsError::Permanent("the Twilio Account SID is malformed".into()));
        }
        let url = format!("{}/2010-04-01/Accounts/{sid}/Messages.json", self.base);
        let form = [("To", sms.to.as_str()), ("From", account.from.as_str()), ("Body", &sms.body)];
        let response = self
            .http
            .post(&url)
            .basic_auth(sid, Some(&account.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| SmsError::Transient(format!("Twilio unreachable: {e}")))?;
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            let created: Created = serde_json::from_slice(&body)
                .map_err(|e| SmsError::Transient(format!("Twilio answered {status}: {e}")))?;
            return Ok(created.sid);
        }
        let failure = serde_json::from_slice::<Failure>(&body).ok();
        let code = failure.as_ref().and_then(|f| f.code).map_or(String::new(), |c| format!(" {c}"));
        let message = failure.and_then(|f| f.message).unwrap_or_default();
        let text = format!("Twilio answered {status}{code}: {message}");
        if status.is_server_error() || status.as_u16() == 429 {
            Err(SmsError::Transient(text))
        } else {
            Err(SmsError::Permanent(text))
        }
    }
}
