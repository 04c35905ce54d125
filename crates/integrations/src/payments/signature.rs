//! Stripe's webhook signatures: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, each `v1`
//! an HMAC-SHA256 of `"{t}.{raw body}"` under the endpoint's signing secret. While a secret is
//! being rolled Stripe sends one `v1` per active secret, so *any* matching `v1` is enough.

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// How old (or how far in the future) a signature's timestamp may be.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `v1` value of `body` signed at `timestamp` (for tests and fakes).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, &timestamp.to_string(), body).finalize().into_bytes())
}

/// Checks `header` against the raw `body` before anything is parsed: the timestamp within
/// [`TOLERANCE_SECS`] of `now`, and at least one `v1` matching (compared in constant time).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let (Some(timestamp), false) = (timestamp, signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    let at: i64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    if (now - at).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let matches = signatures.iter().any(|candidate| {
        hex::decode(candidate)
            .is_ok_and(|bytes| mac(secret, timestamp, body).verify_slice(&bytes).is_ok())
    });
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    #[test]
    fn any_of_several_v1_values_may_match() {
        let good = sign("whsec_a", 1000, BODY);
        let other = sign("whsec_old", 1000, BODY);
        let header = format!("t=1000,v1={other},v1={good},v0=abc");
        assert_eq!(verify(Some(&header), BODY, "whsec_a", 1100), Ok(()));
        assert_eq!(verify(Some(&header), BODY, "whsec_old", 1100), Ok(()));
        assert_eq!(verify(Some(&header), BODY, "whsec_b", 1100), Err(SignatureError::Mismatch));
    }

    #[test]
    fn refuses_stale_altered_and_malformed() {
        let header = format!("t=1000,v1={}", sign("whsec_a", 1000, BODY));
        assert_eq!(verify(Some(&header), BODY, "whsec_a", 1301), Err(SignatureError::Stale));
        assert_eq!(verify(Some(&header), BODY, "whsec_a", 699), Err(SignatureError::Stale));
        assert_eq!(verify(Some(&header), BODY, "whsec_a", 1300), Ok(()));
        let altered = br#"{"id":"evt_1","type":"checkout.session.completeD"}"#;
        assert_eq!(verify(Some(&header), altered, "whsec_a", 1000), Err(SignatureError::Mismatch));
        assert_eq!(verify(None, BODY, "whsec_a", 1000), Err(SignatureError::Missing));
        assert_eq!(verify(Some("t=1000"), BODY, "whsec_a", 1000), Err(SignatureError::Malformed));
        assert_eq!(verify(Some("v1=ab"), BODY, "whsec_a", 1000), Err(SignatureError::Malformed));
        let zzz = "t=1000,v1=zzz";
        assert_eq!(verify(Some(zzz), BODY, "whsec_a", 1000), Err(SignatureError::Mismatch));
    }
}
