//! Secrets sealed at rest: values Portico must be able to read back but must never store in
//! plain text — Stripe secret keys and webhook signing secrets (payments), Google refresh and
//! access tokens (calendar).
//!
//! Each value is sealed with XChaCha20-Poly1305 under the configured token key
//! (`secrets.token_key`, id `secrets.token_key_id`): a fresh random 24-byte nonce per seal,
//! stored as `nonce || ciphertext` in `tenant_secrets.sealed` with the key id beside it, and
//! the row's identity (`tenant_secrets:{tenant}:{row id}:{kind}:{subject}`) as associated data,
//! so a ciphertext copied to another row, tenant, kind or person does not open.
//!
//! # How the payments and calendar work use it
//!
//! Build one [`Keyring`] at start-up from the configuration and keep it in the app state:
//! `Keyring::new((keys.token_key_id, keys.token), &keys.old_token_keys)`. Then:
//!
//! - payments: `put(&mut tx, &ring, tenant, Slot::tenant(SecretKind::StripeSecretKey), key, now)`
//!   when the owner saves the settings (same for [`SecretKind::StripeWebhookSecret`]);
//!   `get(&db, &ring, tenant, slot)` when calling Stripe or verifying a webhook. The settings
//!   page only ever shows [`exists`], never the value.
//! - calendar: the tokens of one person's connection,
//!   `Slot::integration(SecretKind::GoogleRefreshToken, connection_id)` (and
//!   [`SecretKind::GoogleAccessToken`] for the cached access token); disconnect calls
//!   [`delete`].
//!
//! A value that is present but does not open (tampered, moved, or sealed under a key no longer
//! configured) is an [`OpenError`], never `None`: treat it as "reconnect / re-enter the key",
//! not as absent. Operators rotate keys with `portico secrets rotate-token-key` ([`rotate`]).

mod keyring;
mod table;

pub use keyring::{KEY_LEN, Keyring, NONCE_LEN, OpenError, Sealed};
pub use table::{Rotation, SecretKind, Slot, delete, exists, get, put, rotate};
