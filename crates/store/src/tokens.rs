//! Secret tokens: single-use links (password reset, email verification, invitations) and
//! provider API tokens. Only SHA-256 hashes are stored; the plain token exists only in the
//! email or on the screen it was shown on.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_domain::{ApiTokenId, ClientId, Instant, TenantId, UserId};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use sqlx::{Any, FromRow};

use crate::stored::{Stored, StoredAt, StoredAtOpt, StoredOpt};
use crate::{Db, Tx};

/// 256 random bits, URL-safe.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What a single-use link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    VerifyEmail,
    /// Join a tenant's team as staff.
    StaffInvite,
    /// Get a portal login linked to a client record.
    ClientInvite,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::VerifyEmail => "verify_email",
            Self::StaffInvite => "staff_invite",
            Self::ClientInvite => "client_invite",
        }
    }
}

/// A new single-use link.
#[derive(Debug, Clone)]
pub struct NewLink<'a> {
    pub purpose: Purpose,
    pub email: &'a str,
    pub user: Option<UserId>,
    pub tenant: Option<TenantId>,
    pub client: Option<ClientId>,
    pub expires_at: i64,
}

/// Creates a link and returns its plain token.
pub async fn create_link(db: &Db, link: &NewLink<'_>, now: i64) -> anyhow::Result<String> {
    let token = generate();
    sqlx::query(
        "insert into auth_tokens (token_hash, purpose, email, user_id, tenant_id, client_id, \
         expires_at, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(hash(&token))
    .bind(link.purpose.as_str())
    .bind(link.email)
    .bind(link.user.map(|u| u.get()))
    .bind(link.tenant.map(|t| t.get()))
    .bind(link.client.map(|c| c.get()))
    .bind(link.expires_at)
    .bind(now)
    .execute(db.writes())
    .await?;
    Ok(token)
}

/// A valid (unused, unexpired) link.
#[derive(Debug, Clone, FromRow)]
pub struct Link {
    pub id: i64,
    pub email: String,
    /// The login the link is for.
    #[sqlx(try_from = "StoredOpt")]
    pub user_id: Option<UserId>,
    /// The business the link belongs to.
    #[sqlx(try_from = "StoredOpt")]
    pub tenant_id: Option<TenantId>,
    /// The client record the link is for.
    #[sqlx(try_from = "StoredOpt")]
    pub client_id: Option<ClientId>,
}

/// Finds a valid link for `purpose` without using it (to show its form).
pub async fn peek(
    db: &Db,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> anyhow::Result<Option<Link>> {
    Ok(sqlx::query_as::<Any, Link>(
        "select id, email, user_id, tenant_id, client_id from auth_tokens \
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > $3",
    )
    .bind(hash(token))
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(db.pool())
    .await?)
}

/// Uses a link inside the caller's transaction. `None` if it is unknown, expired or already
/// used — exactly one caller can ever succeed.
pub async fn consume(
    tx: &mut Tx,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> anyhow::Result<Option<Link>> {
    let link = sqlx::query_as::<Any, Link>(
        "update auth_tokens set used_at = $1 \
         where token_hash = $2 and purpose = $3 and used_at is null and expires_at > $1 \
         returning id, email, user_id, tenant_id, client_id",
    )
    .bind(now)
    .bind(hash(token))
    .bind(purpose.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(link)
}

/// A provider API token as listed on the settings page (never the token itself).
#[derive(Debug, Clone, FromRow)]
pub struct ApiToken {
    #[sqlx(try_from = "Stored")]
    pub id: ApiTokenId,
    pub name: String,
    #[sqlx(try_from = "StoredAt")]
    pub created_at: Instant,
    #[sqlx(try_from = "StoredAtOpt")]
    pub last_used_at: Option<Instant>,
}

/// Creates an API token for the tenant and returns its id and plain value (shown once).
pub async fn create_api_token(
    db: &Db,
    tenant: TenantId,
    name: &str,
    now: i64,
) -> anyhow::Result<(ApiTokenId, String)> {
    let token = format!("ptk_{}", generate());
    let id: i64 = sqlx::query_scalar(
        "insert into api_tokens (tenant_id, name, token_hash, created_at) values ($1, $2, $3, $4) \
         returning id",
    )
    .bind(tenant.get())
    .bind(name)
    .bind(hash(&token))
    .bind(now)
    .fetch_one(db.writes())
    .await?;
    Ok((ApiTokenId::from_store(id), token))
}

pub async fn list_api_tokens(db: &Db, tenant: TenantId) -> anyhow::Result<Vec<ApiToken>> {
    Ok(sqlx::query_as::<Any, ApiToken>(
        "select id, name, created_at, last_used_at from api_tokens \
         where tenant_id = $1 and revoked_at is null order by id",
    )
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?)
}

pub async fn revoke_api_token(
    db: &Db,
    tenant: TenantId,
    id: i64,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "update api_tokens set revoked_at = $1 where id = $2 and tenant_id = $3 and revoked_at is null",
    )
    .bind(now)
    .bind(id)
    .bind(tenant.get())
    .execute(db.writes())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// How stale a token's "last used" time may get before a use records it again: one write per
/// token per minute at most, however busy the token is (reads stay reads).
const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// The tenant an API token belongs to, if it is valid. Records its use (to the minute).
pub async fn tenant_of_api_token(
    db: &Db,
    token: &str,
    now: i64,
) -> anyhow::Result<Option<TenantId>> {
    let token_hash = hash(token);
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "select tenant_id, last_used_at from api_tokens \
         where token_hash = $1 and revoked_at is null",
    )
    .bind(&token_hash)
    .fetch_optional(db.pool())
    .await?;
    let Some((tenant, last_used)) = row else { return Ok(None) };
    if last_used.is_none_or(|at| now - at >= LAST_USED_GRANULARITY_SECS) {
        sqlx::query(
            "update api_tokens set last_used_at = $1 where token_hash = $2 \
             and (last_used_at is null or last_used_at < $1)",
        )
        .bind(now)
        .bind(&token_hash)
        .execute(db.writes())
        .await?;
    }
    Ok(Some(TenantId::from_store(tenant)))
}
