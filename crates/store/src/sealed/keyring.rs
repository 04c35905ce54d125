//! The keys and the AEAD itself: sealing and opening bytes, with no database involved.

use std::fmt;

use chacha20poly1305::aead::{Aead as _, Generate as _, KeyInit as _, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// Length of a token key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the random nonce stored in front of every ciphertext.
pub const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag at the end of every ciphertext.
const TAG_LEN: usize = 16;

/// A sealed value as stored: the id of the key that sealed it and `nonce || ciphertext`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: u32,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The key that sealed it is not configured (any more).
    #[error("sealed under key id {0}, which is not configured (secrets.old_token_keys)")]
    UnknownKey(u32),
    /// Tampered with, truncated, moved to another row, or sealed under a different key with
    /// the same id.
    #[error("sealed value does not open: altered, moved to another row, or a different key")]
    Inauthentic,
}

/// The current token key plus earlier ones still accepted for opening. `Debug` shows ids only.
#[derive(Clone)]
pub struct Keyring {
    current: u32,
    /// Every configured key, the current one included.
    ciphers: Vec<(u32, XChaCha20Poly1305)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<u32> = self.ciphers.iter().map(|(id, _)| *id).collect();
        f.debug_struct("Keyring").field("current", &self.current).field("ids", &ids).finish()
    }
}

impl Keyring {
    /// A keyring sealing under `current` and opening under it or any of `old`. The
    /// configuration refuses duplicate ids; here a duplicate of the current id is ignored.
    pub fn new(current: (u32, [u8; KEY_LEN]), old: &[(u32, [u8; KEY_LEN])]) -> Self {
        let cipher = |key: &[u8; KEY_LEN]| XChaCha20Poly1305::new(&Key::from(*key));
        let mut ciphers = vec![(current.0, cipher(&current.1))];
        for (id, key) in old {
            if ciphers.iter().all(|(seen, _)| seen != id) {
                ciphers.push((*id, cipher(key)));
            }
        }
        Self { current: current.0, ciphers }
    }

    /// The id new seals are stored with.
    pub fn current_id(&self) -> u32 {
        self.current
    }

    /// Whether a value sealed under `key_id` can be opened.
    pub fn has_key(&self, key_id: u32) -> bool {
        self.ciphers.iter().any(|(id, _)| *id == key_id)
    }

    /// Seals `plaintext` under the current key with a fresh random nonce, bound to `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Sealed {
        let nonce = XNonce::generate();
        let ciphertext = self.ciphers[0]
            .1
            .encrypt(&nonce, Payload { msg: plaintext, aad })
            // Only fails for inputs beyond 256 GiB, which no secret is.
            .expect("XChaCha20-Poly1305 seals any realistic input");
        let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Sealed { key_id: self.current, bytes }
    }

    /// Opens a value sealed by [`seal`](Self::seal) with the same `aad`.
    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let (_, cipher) = self
            .ciphers
            .iter()
            .find(|(id, _)| *id == sealed.key_id)
            .ok_or(OpenError::UnknownKey(sealed.key_id))?;
        if sealed.bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(OpenError::Inauthentic);
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| OpenError::Inauthentic)?;
        cipher
            .decrypt(&nonce, Payload { msg: ciphertext, aad })
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Inauthentic)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn ring() -> Keyring {
        Keyring::new((1, [7; KEY_LEN]), &[])
    }

    #[test]
    fn round_trip_with_the_same_associated_data() {
        let ring = ring();
        let sealed = ring.seal(b"sk_live_secret", b"row:1");
        assert_eq!(sealed.key_id, 1);
        assert_eq!(sealed.bytes.len(), NONCE_LEN + b"sk_live_secret".len() + TAG_LEN);
        assert!(!sealed.bytes.windows(14).any(|w| w == b"sk_live_secret"));
        assert_eq!(ring.open(&sealed, b"row:1").unwrap().as_slice(), b"sk_live_secret");
    }

    #[test]
    fn other_associated_data_tampering_or_truncation_do_not_open() {
        let ring = ring();
        let sealed = ring.seal(b"refresh-token", b"row:1");
        assert_eq!(ring.open(&sealed, b"row:2"), Err(OpenError::Inauthentic));
        for index in [0, NONCE_LEN, sealed.bytes.len() - 1] {
            let mut tampered = sealed.clone();
            tampered.bytes[index] ^= 1;
            assert_eq!(ring.open(&tampered, b"row:1"), Err(OpenError::Inauthentic), "{index}");
        }
        let mut short = sealed.clone();
        short.bytes.truncate(NONCE_LEN + TAG_LEN - 1);
        assert_eq!(ring.open(&short, b"row:1"), Err(OpenError::Inauthentic));
    }

    #[test]
    fn another_key_under_the_same_id_or_an_unknown_id_does_not_open() {
        let sealed = ring().seal(b"secret", b"aad");
        let impostor = Keyring::new((1, [8; KEY_LEN]), &[]);
        assert_eq!(impostor.open(&sealed, b"aad"), Err(OpenError::Inauthentic));
        let rotated = Keyring::new((2, [9; KEY_LEN]), &[]);
        assert_eq!(rotated.open(&sealed, b"aad"), Err(OpenError::UnknownKey(1)));
    }

    #[test]
    fn old_keys_open_but_never_seal() {
        let old = ring().seal(b"secret", b"aad");
        let rotated = Keyring::new((2, [9; KEY_LEN]), &[(1, [7; KEY_LEN])]);
        assert!(rotated.has_key(1) && rotated.has_key(2) && !rotated.has_key(3));
        assert_eq!(rotated.open(&old, b"aad").unwrap().as_slice(), b"secret");
        let new = rotated.seal(b"secret", b"aad");
        assert_eq!(new.key_id, 2);
        assert_eq!(ring().open(&new, b"aad"), Err(OpenError::UnknownKey(2)));
    }

    #[test]
    fn a_hundred_thousand_seals_have_unique_nonces() {
        let ring = ring();
        let mut nonces = HashSet::with_capacity(100_000);
        for _ in 0..100_000 {
            let sealed = ring.seal(b"same plaintext", b"same row");
            let nonce: [u8; NONCE_LEN] = sealed.bytes[..NONCE_LEN].try_into().unwrap();
            assert!(nonces.insert(nonce), "a nonce repeated");
        }
        assert_eq!(nonces.len(), 100_000);
    }

    #[test]
    fn debug_never_shows_key_or_ciphertext_bytes() {
        let ring = Keyring::new((3, [0xAB; KEY_LEN]), &[(1, [0xCD; KEY_LEN])]);
        let text = format!("{ring:?} {:?}", ring.seal(b"secret", b""));
        assert!(text.contains("current: 3") && text.contains("ids: [3, 1]"), "{text}");
        assert!(!text.contains("171") && !text.contains("205"), "{text}");
    }
}
