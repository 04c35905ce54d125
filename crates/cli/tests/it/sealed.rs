//! Secrets sealed at rest (`portico_store::sealed`): round trip, nothing in plain text in the
//! raw database, tampered or moved ciphertexts refused, and `portico secrets rotate-token-key`.

use portico_config::Keys;
use portico_domain::TenantId;
use portico_domain::plans::Plan;
use portico_store::sealed::{self, Keyring, OpenError, SecretKind, Slot};
use portico_store::{Backend as DbBackend, Db};
use portico_testkit::{TestApp, matrix};
use rand::Rng as _;

use crate::binary::{portico, run};

fn ring(keys: &Keys) -> Keyring {
    Keyring::new((keys.token_key_id, keys.token), &keys.old_token_keys)
}

/// A distinctive secret that nothing else in the database could contain by chance.
fn secret(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::rng().random::<u128>())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn put(db: &Db, ring: &Keyring, tenant: TenantId, slot: Slot, value: &str) {
    let mut tx = db.begin_write().await.unwrap();
    sealed::put(&mut tx, ring, tenant, slot, value, 1_700_000_000).await.unwrap();
    tx.commit().await.unwrap();
}

/// The stored `(key_id, sealed)` of a slot, read raw.
async fn raw(db: &Db, tenant: TenantId, slot: Slot) -> (i64, Vec<u8>) {
    sqlx::query_as(
        "select key_id, sealed from tenant_secrets where tenant_id = $1 and kind = $2 \
         and subject = $3",
    )
    .bind(tenant.get())
    .bind(slot.kind.as_str())
    .bind(slot.subject)
    .fetch_one(db.pool())
    .await
    .unwrap()
}

async fn overwrite(db: &Db, tenant: TenantId, slot: Slot, (key_id, bytes): (i64, Vec<u8>)) {
    let done = sqlx::query(
        "update tenant_secrets set key_id = $1, sealed = $2 where tenant_id = $3 and kind = $4 \
         and subject = $5",
    )
    .bind(key_id)
    .bind(bytes)
    .bind(tenant.get())
    .bind(slot.kind.as_str())
    .bind(slot.subject)
    .execute(db.pool())
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

/// Everything the database holds, as bytes: the SQLite files (with the write-ahead log), or
/// every row of every table of the PostgreSQL schema rendered as text (bytea as hex).
pub(crate) async fn raw_database(app: &TestApp) -> Vec<u8> {
    match app.db().backend() {
        DbBackend::Sqlite => {
            let mut bytes = Vec::new();
            let file = app.config().data_dir.join("portico.db");
            for suffix in ["", "-wal"] {
                let path = format!("{}{suffix}", file.display());
                if let Ok(content) = std::fs::read(&path) {
                    bytes.extend(content);
                }
            }
            assert!(bytes.len() > 4096, "the database file was found");
            bytes
        }
        DbBackend::Postgres => {
            let tables: Vec<String> = sqlx::query_scalar(
                "select table_name::text from information_schema.tables \
                 where table_schema = current_schema()",
            )
            .fetch_all(app.db().pool())
            .await
            .unwrap();
            assert!(tables.iter().any(|t| t == "tenant_secrets"), "{tables:?}");
            let mut dump = String::new();
            for table in tables {
                let rows: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "select string_agg(t::text, ' ') from \"{table}\" t"
                )))
                .fetch_one(app.db().pool())
                .await
                .unwrap();
                dump.push_str(&rows.unwrap_or_default());
            }
            dump.into_bytes()
        }
    }
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[tokio::test]
async fn secrets_round_trip_and_never_reach_the_database_in_plain_text() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let ring = ring(&app.config().keys);
        let (a, b) =
            (app.seed_tenant("alpha", Plan::Pro).await, app.seed_tenant("beta", Plan::Pro).await);
        let stripe = Slot::tenant(SecretKind::StripeSecretKey);
        let webhook = Slot::tenant(SecretKind::StripeWebhookSecret);
        let google = Slot::person(SecretKind::GoogleRefreshToken, a.owner);
        let values = [
            (a.id, stripe, secret("sk_live_")),
            (a.id, webhook, secret("whsec_")),
            (a.id, google, secret("1//refresh-")),
            (b.id, stripe, secret("sk_live_")),
        ];
        for (tenant, slot, value) in &values {
            put(app.db(), &ring, *tenant, *slot, value).await;
        }
        // Replacing a value keeps one row and the newest value.
        let replaced = secret("sk_live_");
        put(app.db(), &ring, a.id, stripe, &replaced).await;
        let got = sealed::get(app.db(), &ring, a.id, stripe).await.unwrap().unwrap();
        assert_eq!(got.as_str(), replaced);
        for (tenant, slot, value) in &values[1..] {
            let got = sealed::get(app.db(), &ring, *tenant, *slot).await.unwrap().unwrap();
            assert_eq!(got.as_str(), value.as_str());
        }
        assert_eq!(app.count("select count(*) from tenant_secrets").await, 4);
        // Nothing stored for another person, kind or tenant.
        let other = Slot::person(SecretKind::GoogleRefreshToken, b.owner);
        assert!(sealed::get(app.db(), &ring, a.id, other).await.unwrap().is_none());
        assert!(sealed::get(app.db(), &ring, b.id, webhook).await.unwrap().is_none());
        assert!(sealed::exists(app.db(), a.id, webhook).await.unwrap());
        assert!(!sealed::exists(app.db(), b.id, webhook).await.unwrap());

        let dump = raw_database(&app).await;
        for value in values.iter().map(|(_, _, v)| v).chain([&replaced]) {
            assert!(!contains(&dump, value.as_bytes()), "{value} is in the database");
            let hexed = hex(value.as_bytes());
            assert!(!contains(&dump, hexed.as_bytes()), "{value} is in the database as hex");
        }
        // The dump does hold the sealed bytes, so the search would have seen a plain value.
        let (_, stored) = raw(app.db(), b.id, stripe).await;
        let probe = match backend {
            portico_testkit::Backend::Sqlite => stored[..16].to_vec(),
            portico_testkit::Backend::Postgres => hex(&stored[..16]).into_bytes(),
        };
        assert!(contains(&dump, &probe), "the dump covers tenant_secrets");

        let mut tx = app.db().begin_write().await.unwrap();
        assert!(sealed::delete(&mut tx, a.id, webhook).await.unwrap());
        assert!(!sealed::delete(&mut tx, a.id, webhook).await.unwrap());
        tx.commit().await.unwrap();
        assert!(sealed::get(app.db(), &ring, a.id, webhook).await.unwrap().is_none());
        assert!(sealed::exists(app.db(), b.id, stripe).await.unwrap(), "other tenant untouched");
    })
    .await;
}

fn open_error(error: &anyhow::Error) -> OpenError {
    error.downcast_ref::<OpenError>().cloned().unwrap_or_else(|| panic!("{error:#}"))
}

#[tokio::test]
async fn tampered_or_moved_ciphertexts_do_not_open() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let ring = ring(&app.config().keys);
        let (a, b) =
            (app.seed_tenant("alpha", Plan::Pro).await, app.seed_tenant("beta", Plan::Pro).await);
        let stripe = Slot::tenant(SecretKind::StripeSecretKey);
        let webhook = Slot::tenant(SecretKind::StripeWebhookSecret);
        let google = |user| Slot::person(SecretKind::GoogleRefreshToken, user);
        let staff = app.seed_user("staff@alpha.example", "Staff").await;
        put(app.db(), &ring, a.id, stripe, "sk_live_alpha").await;
        put(app.db(), &ring, a.id, webhook, "whsec_alpha").await;
        put(app.db(), &ring, a.id, google(a.owner), "refresh-owner").await;
        put(app.db(), &ring, a.id, google(staff), "refresh-staff").await;
        put(app.db(), &ring, b.id, stripe, "sk_live_beta").await;

        // One flipped bit, anywhere, and the value is refused (not read as absent).
        let original = raw(app.db(), a.id, stripe).await;
        for index in [0, 30, original.1.len() - 1] {
            let mut tampered = original.clone();
            tampered.1[index] ^= 0x01;
            overwrite(app.db(), a.id, stripe, tampered).await;
            let error = sealed::get(app.db(), &ring, a.id, stripe).await.unwrap_err();
            assert_eq!(open_error(&error), OpenError::Inauthentic, "byte {index}");
        }
        overwrite(app.db(), a.id, stripe, original.clone()).await;
        assert_eq!(
            sealed::get(app.db(), &ring, a.id, stripe).await.unwrap().unwrap().as_str(),
            "sk_live_alpha"
        );

        // Alpha's key copied over beta's row: beta's read fails instead of using alpha's key.
        overwrite(app.db(), b.id, stripe, original.clone()).await;
        let error = sealed::get(app.db(), &ring, b.id, stripe).await.unwrap_err();
        assert_eq!(open_error(&error), OpenError::Inauthentic);
        // Moved to another kind of the same tenant, or another person's token: refused too.
        overwrite(app.db(), a.id, webhook, original).await;
        assert!(sealed::get(app.db(), &ring, a.id, webhook).await.is_err());
        let owners = raw(app.db(), a.id, google(a.owner)).await;
        overwrite(app.db(), a.id, google(staff), owners).await;
        assert!(sealed::get(app.db(), &ring, a.id, google(staff)).await.is_err());
        assert_eq!(
            sealed::get(app.db(), &ring, a.id, google(a.owner)).await.unwrap().unwrap().as_str(),
            "refresh-owner"
        );

        // A row deleted and created again gets a new id, so an old ciphertext of the slot
        // does not open in it either.
        let before = raw(app.db(), a.id, google(a.owner)).await;
        let mut tx = app.db().begin_write().await.unwrap();
        sealed::delete(&mut tx, a.id, google(a.owner)).await.unwrap();
        tx.commit().await.unwrap();
        put(app.db(), &ring, a.id, google(a.owner), "refresh-new").await;
        overwrite(app.db(), a.id, google(a.owner), before).await;
        assert!(sealed::get(app.db(), &ring, a.id, google(a.owner)).await.is_err());
    })
    .await;
}

/// Runs `portico secrets rotate-token-key` on the test app's database with extra settings.
fn rotate(app: &TestApp, settings: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = portico(&app.config().data_dir);
    command.env("DATABASE_URL", app.config().database.url());
    for (key, value) in settings {
        command.env(key, value);
    }
    let output = run(command.args(["secrets", "rotate-token-key"]));
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[tokio::test]
async fn rotate_token_key_reseals_everything_then_the_old_key_can_go() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let keys = &app.config().keys;
        assert_eq!(keys.token_key_id, 1, "the generated key is key 1");
        let old_ring = ring(keys);
        let (a, b) =
            (app.seed_tenant("alpha", Plan::Pro).await, app.seed_tenant("beta", Plan::Pro).await);
        let values = [
            (a.id, Slot::tenant(SecretKind::StripeSecretKey), secret("sk_live_")),
            (a.id, Slot::person(SecretKind::GoogleRefreshToken, a.owner), secret("1//")),
            (b.id, Slot::tenant(SecretKind::StripeWebhookSecret), secret("whsec_")),
        ];
        for (tenant, slot, value) in &values {
            put(app.db(), &old_ring, *tenant, *slot, value).await;
        }
        let before = raw(app.db(), a.id, values[0].1).await;

        let new_key: [u8; 32] = rand::rng().random();
        let new_hex = hex(&new_key);
        let old_entry = format!("1:{}", hex(&keys.token));
        let new_only = [
            ("PORTICO_SECRETS__TOKEN_KEY", new_hex.as_str()),
            ("PORTICO_SECRETS__TOKEN_KEY_ID", "2"),
        ];
        let with_old = [new_only[0], new_only[1], ("PORTICO_SECRETS__OLD_TOKEN_KEYS", &old_entry)];

        // Without the old key nothing can be re-sealed: it says so, fails, and changes nothing.
        let (ok, stdout, stderr) = rotate(&app, &new_only);
        assert!(!ok, "{stdout}");
        assert!(stdout.contains("re-sealed 0 secret(s)"), "{stdout}");
        assert!(stderr.contains("3 sealed secret(s) could not be opened"), "{stderr}");
        assert!(stderr.contains("key id 1"), "{stderr}");
        assert_eq!(app.count("select count(*) from tenant_secrets where key_id = 1").await, 3);

        let (ok, stdout, stderr) = rotate(&app, &with_old);
        assert!(ok, "{stderr}");
        assert!(stdout.contains("re-sealed 3 secret(s) under token key 2"), "{stdout}");
        assert_eq!(app.count("select count(*) from tenant_secrets where key_id = 2").await, 3);
        let after = raw(app.db(), a.id, values[0].1).await;
        assert_eq!(after.0, 2);
        assert_ne!(after.1[..24], before.1[..24], "re-sealed with a fresh nonce");

        // Idempotent: a second run has nothing left to do.
        let (ok, stdout, stderr) = rotate(&app, &with_old);
        assert!(ok && stdout.contains("re-sealed 0 secret(s)"), "{stdout}{stderr}");
        // The old key removed from the configuration: still fine, and every value opens with
        // the new key alone, while the old key alone no longer opens them.
        let (ok, stdout, stderr) = rotate(&app, &new_only);
        assert!(ok && stdout.contains("re-sealed 0 secret(s)"), "{stdout}{stderr}");
        let new_ring = Keyring::new((2, new_key), &[]);
        for (tenant, slot, value) in &values {
            let got = sealed::get(app.db(), &new_ring, *tenant, *slot).await.unwrap().unwrap();
            assert_eq!(got.as_str(), value.as_str());
            let error = sealed::get(app.db(), &old_ring, *tenant, *slot).await.unwrap_err();
            assert_eq!(open_error(&error), OpenError::UnknownKey(2));
        }
    })
    .await;
}
