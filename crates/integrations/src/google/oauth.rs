//! OAuth 2.0 for installed-style web apps with PKCE (RFC 7636, S256): the authorization URL,
//! the code exchange, refresh and revocation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use url::Url;

use super::error::{GoogleError, retry_after};
use super::{Google, SCOPES};

/// 32 random bytes, base64url: for `state` values (256 bits).
pub fn random_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A PKCE pair: the verifier stays on the server, the challenge goes to Google.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier (43 characters of base64url from 32 random bytes) and its S256
    /// challenge.
    pub fn new() -> Self {
        Self::from_verifier(random_state())
    }

    pub fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self { verifier, challenge }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// A token endpoint answer. `refresh_token` comes with the first exchange (with
/// `access_type=offline` and `prompt=consent`), not with refreshes.
#[derive(Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    /// Seconds from now.
    #[serde(default)]
    pub expires_in: i64,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in", &self.expires_in)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

impl Google {
    /// Where to send the person to grant access: offline access (a refresh token), consent
    /// every time (so Google sends a refresh token again after a disconnect), PKCE S256.
    pub fn authorize_url(
        &self,
        redirect_uri: &str,
        state: &str,
        pkce: &Pkce,
    ) -> Result<Url, GoogleError> {
        let mut url = Url::parse(&self.settings.auth_url).map_err(|e| GoogleError::Refused {
            status: 0,
            message: format!("google.auth_url: {e}"),
        })?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", SCOPES)
            .append_pair("access_type", "offline")
            .append_pair("prompt", "consent")
            .append_pair("include_granted_scopes", "true")
            .append_pair("state", state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }

    /// Exchanges an authorization code (with the PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Tokens, GoogleError> {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", &self.settings.client_id),
            ("client_secret", &self.settings.client_secret),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// A fresh access token for a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, GoogleError> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &self.settings.client_id),
            ("client_secret", &self.settings.client_secret),
        ])
        .await
    }

    /// Revokes a token (and with a refresh token, the whole grant). A token Google no longer
    /// knows is already revoked: that is success too.
    pub async fn revoke(&self, token: &str) -> Result<(), GoogleError> {
        let response = self
            .http
            .post(&self.settings.revoke_url)
            .form(&[("token", token)])
            .send()
            .await
            .map_err(GoogleError::Network)?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(());
        }
        let wait = retry_after(&response);
        let body = response.text().await.map_err(GoogleError::Network)?;
        match GoogleError::from_token_endpoint(status, wait, &body) {
            GoogleError::InvalidGrant(_) => Ok(()),
            GoogleError::Refused { message, .. } if message.starts_with("invalid_token") => Ok(()),
            other => Err(other),
        }
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<Tokens, GoogleError> {
        let response = self
            .http
            .post(&self.settings.token_url)
            .form(form)
            .send()
            .await
            .map_err(GoogleError::Network)?;
        let status = response.status().as_u16();
        let wait = retry_after(&response);
        let body = response.text().await.map_err(GoogleError::Network)?;
        if !(200..300).contains(&status) {
            return Err(GoogleError::from_token_endpoint(status, wait, &body));
        }
        serde_json::from_str(&body).map_err(|e| GoogleError::Refused {
            status,
            message: format!("unreadable token answer: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_the_rfc_7636_s256_of_the_verifier() {
        // RFC 7636, appendix B.
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let fresh = Pkce::new();
        assert_eq!(fresh.verifier.len(), 43);
        assert_ne!(fresh.verifier, Pkce::new().verifier);
    }
}
