//! The `tenant_secrets` table: sealed values by tenant, kind and subject, and key rotation.

use anyhow::Context as _;
use portico_domain::{TenantId, UserId};
use sqlx::FromRow;
use zeroize::{Zeroize as _, Zeroizing};

use super::keyring::{Keyring, OpenError, Sealed};
use crate::{Db, Tx};

/// What a sealed secret is. Stored by name, so only add variants (never rename one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// A tenant's Stripe secret API key (`sk_…`).
    StripeSecretKey,
    /// A tenant's Stripe webhook signing secret (`whsec_…`).
    StripeWebhookSecret,
    /// A person's Google OAuth refresh token.
    GoogleRefreshToken,
    /// The cached short-lived Google access token of a calendar connection.
    GoogleAccessToken,
    /// A tenant's Twilio Account SID (`AC…`), for SMS.
    TwilioAccountSid,
    /// A tenant's Twilio auth token.
    TwilioAuthToken,
}

impl SecretKind {
    /// Every kind, e.g. for listings.
    pub const ALL: [Self; 6] = [
        Self::StripeSecretKey,
        Self::StripeWebhookSecret,
        Self::GoogleRefreshToken,
        Self::GoogleAccessToken,
        Self::TwilioAccountSid,
        Self::TwilioAuthToken,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StripeSecretKey => "stripe_secret_key",
            Self::StripeWebhookSecret => "stripe_webhook_secret",
            Self::GoogleRefreshToken => "google_refresh_token",
            Self::GoogleAccessToken => "google_access_token",
            Self::TwilioAccountSid => "twilio_account_sid",
            Self::TwilioAuthToken => "twilio_auth_token",
        }
    }
}

/// Which secret of a tenant: its kind, and whose it is when a tenant holds several of one kind
/// (`subject` is a user id for per-person secrets, 0 for tenant-wide ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    pub kind: SecretKind,
    pub subject: i64,
}

impl Slot {
    /// The tenant's one secret of this kind (Stripe keys).
    pub fn tenant(kind: SecretKind) -> Self {
        Self { kind, subject: 0 }
    }

    /// A person's secret of this kind within the tenant.
    pub fn person(kind: SecretKind, user: UserId) -> Self {
        Self { kind, subject: user.get() }
    }

    /// A secret of one integration row (a Google calendar connection's tokens): the
    /// integration's id is the subject, so it is part of the associated data and a token
    /// copied to another connection does not open.
    pub fn integration(kind: SecretKind, id: i64) -> Self {
        Self { kind, subject: id }
    }
}

/// The associated data binding a ciphertext to its row: moved anywhere else, it does not open.
fn aad(tenant: i64, row: i64, kind: &str, subject: i64) -> Vec<u8> {
    format!("tenant_secrets:{tenant}:{row}:{kind}:{subject}").into_bytes()
}

fn key_id(stored: i64) -> u32 {
    // Ids come from `u32` configuration; anything else cannot match a configured key.
    u32::try_from(stored).unwrap_or(u32::MAX)
}

/// Seals `plaintext` under the current key and stores it in `slot`, replacing any earlier value.
/// Call it in a write transaction ([`Db::begin_write`]).
pub async fn put(
    tx: &mut Tx,
    ring: &Keyring,
    tenant: TenantId,
    slot: Slot,
    plaintext: &str,
    now: i64,
) -> anyhow::Result<()> {
    // The row id is part of the associated data, so the row must exist before sealing: an
    // empty placeholder for a new slot, filled in below in the same transaction.
    sqlx::query(
        "insert into tenant_secrets (tenant_id, kind, subject, key_id, sealed, created_at, \
         updated_at) values ($1, $2, $3, 0, $4, $5, $5) \
         on conflict (tenant_id, kind, subject) do nothing",
    )
    .bind(tenant.get())
    .bind(slot.kind.as_str())
    .bind(slot.subject)
    .bind(Vec::<u8>::new())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let row: i64 = sqlx::query_scalar(
        "select id from tenant_secrets where tenant_id = $1 and kind = $2 and subject = $3",
    )
    .bind(tenant.get())
    .bind(slot.kind.as_str())
    .bind(slot.subject)
    .fetch_one(&mut **tx)
    .await?;
    let sealed =
        ring.seal(plaintext.as_bytes(), &aad(tenant.get(), row, slot.kind.as_str(), slot.subject));
    sqlx::query(
        "update tenant_secrets set key_id = $1, sealed = $2, updated_at = $3 \
         where tenant_id = $4 and id = $5",
    )
    .bind(i64::from(sealed.key_id))
    .bind(sealed.bytes)
    .bind(now)
    .bind(tenant.get())
    .bind(row)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct Row {
    id: i64,
    tenant_id: i64,
    kind: String,
    subject: i64,
    key_id: i64,
    sealed: Vec<u8>,
}

impl Row {
    fn open(self, ring: &Keyring) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let aad = aad(self.tenant_id, self.id, &self.kind, self.subject);
        ring.open(&Sealed { key_id: key_id(self.key_id), bytes: self.sealed }, &aad)
    }
}

const COLUMNS: &str = "id, tenant_id, kind, subject, key_id, sealed";

/// The plain value in `slot`, or `None` when nothing is stored. A stored value that does not
/// open is an error carrying an [`OpenError`] (downcast it), never `None`.
pub async fn get(
    db: &Db,
    ring: &Keyring,
    tenant: TenantId,
    slot: Slot,
) -> anyhow::Result<Option<Zeroizing<String>>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from tenant_secrets where tenant_id = $1 and kind = $2 and subject = $3"
    )))
    .bind(tenant.get())
    .bind(slot.kind.as_str())
    .bind(slot.subject)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (id, kind) = (row.id, slot.kind.as_str());
    let mut bytes = row
        .open(ring)
        .with_context(|| format!("opening sealed {kind} #{id} of tenant {tenant}"))?;
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Some(Zeroizing::new(text))),
        Err(error) => {
            error.into_bytes().zeroize();
            anyhow::bail!("sealed {kind} #{id} of tenant {tenant} is not UTF-8")
        }
    }
}

/// Whether `slot` holds a value, without opening it (settings pages show "set", not the value).
pub async fn exists(db: &Db, tenant: TenantId, slot: Slot) -> anyhow::Result<bool> {
    let count: i64 = sqlx::query_scalar(
        "select count(*) from tenant_secrets where tenant_id = $1 and kind = $2 and subject = $3",
    )
    .bind(tenant.get())
    .bind(slot.kind.as_str())
    .bind(slot.subject)
    .fetch_one(db.pool())
    .await?;
    Ok(count > 0)
}

/// Removes the value in `slot`. Returns whether there was one.
pub async fn delete(tx: &mut Tx, tenant: TenantId, slot: Slot) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "delete from tenant_secrets where tenant_id = $1 and kind = $2 and subject = $3",
    )
    .bind(tenant.get())
    .bind(slot.kind.as_str())
    .bind(slot.subject)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// What a rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Values re-sealed under the current key.
    pub resealed: u64,
    /// Values left as they were because they do not open: `(tenant, row id, why)`.
    pub failed: Vec<(TenantId, i64, OpenError)>,
}

/// Rows read per round of [`rotate`].
const BATCH: i64 = 200;

/// Re-seals every value not yet under the current key, across all tenants. Idempotent: a
/// second run finds nothing to do. Values that do not open are left untouched and reported.
/// A value changed by someone else meanwhile is skipped (it was just sealed afresh).
pub async fn rotate(db: &Db, ring: &Keyring, now: i64) -> anyhow::Result<Rotation> {
    let current = i64::from(ring.current_id());
    let mut report = Rotation::default();
    let mut after = 0_i64;
    loop {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select {COLUMNS} from tenant_secrets where key_id <> $1 and id > $2 \
             order by id limit $3"
        )))
        .bind(current)
        .bind(after)
        .bind(BATCH)
        .fetch_all(db.pool())
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in rows {
            let (id, tenant, old) = (row.id, row.tenant_id, row.sealed.clone());
            let aad = aad(tenant, id, &row.kind, row.subject);
            let old_key = row.key_id;
            let plain = match row.open(ring) {
                Ok(plain) => plain,
                Err(error) => {
                    report.failed.push((TenantId::from_store(tenant), id, error));
                    continue;
                }
            };
            let sealed = ring.seal(&plain, &aad);
            // Only if the row still holds what was opened: a concurrent `put` wins.
            let done = sqlx::query(
                "update tenant_secrets set key_id = $1, sealed = $2, updated_at = $3 \
                 where id = $4 and key_id = $5 and sealed = $6",
            )
            .bind(i64::from(sealed.key_id))
            .bind(sealed.bytes)
            .bind(now)
            .bind(id)
            .bind(old_key)
            .bind(old)
            .execute(db.writes())
            .await?;
            report.resealed += done.rows_affected();
        }
    }
    Ok(report)
}
