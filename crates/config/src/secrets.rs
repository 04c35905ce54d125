//! Session and token-sealing keys: parsed from configuration, or on the embedded default
//! generated once into `<data_dir>/secrets.toml` (owner-only permissions).
//!
//! The token key seals secrets at rest (OAuth tokens, payment keys: `portico_store::sealed`).
//! Rotation: set a new `token_key` with a new `token_key_id`, list the previous key under
//! `old_token_keys` as `"ID:HEX"`, run `portico secrets rotate-token-key`, then drop the old
//! key from the configuration.

use std::fmt;
use std::io::Write;
use std::path::Path;

use rand::RngCore;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::ConfigError;

const SESSION_KEY_LEN: usize = 64;
const TOKEN_KEY_LEN: usize = 32;
const SECRETS_FILE: &str = "secrets.toml";

/// Secret key material. `Debug` never prints the bytes.
#[derive(Clone)]
pub struct Keys {
    /// Signs session cookies.
    pub session: [u8; SESSION_KEY_LEN],
    /// Seals OAuth tokens at rest (XChaCha20-Poly1305).
    pub token: [u8; TOKEN_KEY_LEN],
    /// Stored with each sealed token so keys can be rotated.
    pub token_key_id: u32,
    /// Earlier token keys by id: still opened, never used to seal. Kept until
    /// `portico secrets rotate-token-key` has re-sealed everything under the current key.
    pub old_token_keys: Vec<(u32, [u8; TOKEN_KEY_LEN])>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let old_ids: Vec<u32> = self.old_token_keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("Keys")
            .field("token_key_id", &self.token_key_id)
            .field("old_token_key_ids", &old_ids)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Generated {
    session_key: String,
    token_key: String,
}

/// Earlier token keys as written: `"ID:HEX"` entries, as a list or one comma-separated string
/// (the convenient form for `PORTICO_SECRETS__OLD_TOKEN_KEYS`).
#[derive(Debug, Clone, Default)]
pub(crate) struct OldKeys(Vec<String>);

impl<'de> Deserialize<'de> for OldKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;

        impl<'de> Visitor<'de> for ListVisitor {
            type Value = OldKeys;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of \"ID:HEX\" keys")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(OldKeys(
                    text.split([',', ' '])
                        .filter(|entry| !entry.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = seq.next_element::<String>()? {
                    entries.push(entry);
                }
                Ok(OldKeys(entries))
            }
        }

        deserializer.deserialize_any(ListVisitor)
    }
}

/// The `[secrets]` settings as written.
pub(crate) struct RawKeys<'a> {
    pub session_hex: &'a str,
    pub token_hex: &'a str,
    pub token_key_id: u32,
    pub old_token_keys: OldKeys,
}

pub(crate) fn resolve(
    raw: &RawKeys<'_>,
    production: bool,
    data_dir: &Path,
    notices: &mut Vec<String>,
) -> Result<Keys, ConfigError> {
    let RawKeys { session_hex, token_hex, token_key_id, .. } = *raw;
    if token_key_id == 0 {
        return Err(ConfigError::new("secrets.token_key_id", "must be greater than zero"));
    }
    if token_hex.is_empty() && token_key_id != 1 {
        // The generated key is always key 1; another id would mislabel it and make every
        // value sealed under it unreadable.
        return Err(ConfigError::new(
            "secrets.token_key_id",
            "set secrets.token_key too when changing the key id (the generated key is key 1)",
        ));
    }
    let (session_hex, token_hex) = if session_hex.is_empty() || token_hex.is_empty() {
        if production {
            let key = if session_hex.is_empty() { "session_key" } else { "token_key" };
            return Err(ConfigError::new(
                format!("secrets.{key}"),
                "required in production (generate one with `openssl rand -hex`)",
            ));
        }
        let generated = load_or_generate(data_dir, notices)?;
        (
            if session_hex.is_empty() { generated.session_key } else { session_hex.to_owned() },
            if token_hex.is_empty() { generated.token_key } else { token_hex.to_owned() },
        )
    } else {
        (session_hex.to_owned(), token_hex.to_owned())
    };
    Ok(Keys {
        session: parse_key("secrets.session_key", &session_hex)?,
        token: parse_key("secrets.token_key", &token_hex)?,
        token_key_id,
        old_token_keys: parse_old_keys(&raw.old_token_keys.0, token_key_id)?,
    })
}

fn parse_old_keys(
    entries: &[String],
    current_id: u32,
) -> Result<Vec<(u32, [u8; TOKEN_KEY_LEN])>, ConfigError> {
    const KEY: &str = "secrets.old_token_keys";
    let mut keys: Vec<(u32, [u8; TOKEN_KEY_LEN])> = Vec::new();
    for entry in entries {
        let (id, hex_value) = entry
            .split_once(':')
            .ok_or_else(|| ConfigError::new(KEY, "write each key as \"ID:HEX\""))?;
        let id: u32 =
            id.trim().parse().ok().filter(|id| *id > 0).ok_or_else(|| {
                ConfigError::new(KEY, "a key id must be a number greater than zero")
            })?;
        if id == current_id || keys.iter().any(|(seen, _)| *seen == id) {
            return Err(ConfigError::new(KEY, format!("key id {id} is given twice")));
        }
        keys.push((id, parse_key(KEY, hex_value)?));
    }
    Ok(keys)
}

fn parse_key<const N: usize>(key: &str, hex_value: &str) -> Result<[u8; N], ConfigError> {
    let bytes =
        hex::decode(hex_value.trim()).map_err(|_| ConfigError::new(key, "must be hexadecimal"))?;
    bytes
        .try_into()
        .map_err(|_| ConfigError::new(key, format!("must be {N} bytes ({} hex characters)", N * 2)))
}

fn load_or_generate(data_dir: &Path, notices: &mut Vec<String>) -> Result<Generated, ConfigError> {
    let path = data_dir.join(SECRETS_FILE);
    let io_err = |e: std::io::Error| {
        ConfigError::new("data_dir", format!("cannot use {}: {e}", path.display()))
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            return toml_secrets(&text).ok_or_else(|| {
                ConfigError::new("data_dir", format!("{} is corrupt", path.display()))
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(e)),
    }
    std::fs::create_dir_all(data_dir).map_err(io_err)?;
    let generated = Generated {
        session_key: random_hex(SESSION_KEY_LEN),
        token_key: random_hex(TOKEN_KEY_LEN),
    };
    let body = format!(
        "# Generated by Portico for the embedded default. Keep private; back it up with the data.\n\
         session_key = \"{}\"\ntoken_key = \"{}\"\n",
        generated.session_key, generated.token_key
    );
    write_private(&path, body.as_bytes()).map_err(io_err)?;
    notices.push(format!(
        "generated session and token keys in {} for the embedded default; \
         set PORTICO_SECRETS__SESSION_KEY and PORTICO_SECRETS__TOKEN_KEY in production",
        path.display()
    ));
    Ok(generated)
}

fn toml_secrets(text: &str) -> Option<Generated> {
    use figment::providers::Format as _;
    figment::Figment::from(figment::providers::Toml::string(text)).extract().ok()
}

fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Writes a new file readable by its owner only. Fails if it already exists, so two processes
/// starting at once cannot overwrite each other's keys.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve(&raw("", "", 1, &[]), false, dir.path(), &mut Vec::new()).unwrap();
        let second = resolve(&raw("", "", 1, &[]), false, dir.path(), &mut Vec::new()).unwrap();
        assert_eq!(first.session, second.session);
        assert_eq!(first.token, second.token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(dir.path().join(SECRETS_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn wrong_length_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let token = "00".repeat(32);
        let err =
            resolve(&raw("abcd", &token, 1, &[]), true, dir.path(), &mut Vec::new()).unwrap_err();
        assert_eq!(err.key, "secrets.session_key");
        let session = "11".repeat(64);
        let keys =
            resolve(&raw(&session, &token, 1, &[]), true, dir.path(), &mut Vec::new()).unwrap();
        let debug = format!("{keys:?}");
        assert!(debug.contains("token_key_id"), "{debug}");
        assert!(!debug.contains("17, 17"), "no key bytes in Debug: {debug}");
    }

    #[test]
    fn old_token_keys_are_parsed_by_id_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (session, token) = ("11".repeat(64), "22".repeat(32));
        let old = format!("1:{}", "33".repeat(32));
        let keys =
            resolve(&raw(&session, &token, 2, &[&old]), true, dir.path(), &mut Vec::new()).unwrap();
        assert_eq!(keys.token_key_id, 2);
        assert_eq!(keys.old_token_keys, vec![(1, [0x33; 32])]);
        for bad in [format!("2:{}", "33".repeat(32)), "1:abcd".to_owned(), "no-id".to_owned()] {
            let err =
                resolve(&raw(&session, &token, 2, &[&bad]), true, dir.path(), &mut Vec::new())
                    .unwrap_err();
            assert_eq!(err.key, "secrets.old_token_keys", "{bad}");
        }
        // The generated key is key 1: another id without a configured key is refused.
        let err = resolve(&raw("", "", 2, &[]), false, dir.path(), &mut Vec::new()).unwrap_err();
        assert_eq!(err.key, "secrets.token_key_id");
    }

    fn raw<'a>(session: &'a str, token: &'a str, id: u32, old: &[&str]) -> RawKeys<'a> {
        let old = OldKeys(old.iter().map(|s| (*s).to_owned()).collect());
        RawKeys { session_hex: session, token_hex: token, token_key_id: id, old_token_keys: old }
    }
}
