//! argon2id password hashing (m = 19 MiB, t = 2, p = 1), off the async threads.

use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes the whole password (never truncated) into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// A hash to verify against when the account does not exist, so unknown and existing
/// emails take the same time.
static DUMMY: LazyLock<String> = LazyLock::new(|| {
    argon2().hash_password(b"portico-timing-equaliser").expect("hash").to_string()
});

/// Checks `password` against `hash` (or against a dummy when there is no hash).
pub async fn verify(password: &str, hash: Option<&str>) -> bool {
    let password = password.to_owned();
    let hash = hash.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match hash {
            Some(hash) => (hash, true),
            None => (DUMMY.clone(), false),
        };
        real && argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok()
    })
    .await
    .unwrap_or(false)
}
