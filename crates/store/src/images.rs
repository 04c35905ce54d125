//! Uploaded pictures (already checked and re-encoded by the web layer), kept in the database so
//! every web process serves the same: the business's logo and staff photos.

use portico_domain::TenantId;

use crate::{Db, Tx, versions};

/// Which picture of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// The business's logo.
    Logo,
    /// A staff member's photo (their id).
    Staff(i64),
}

impl Picture {
    fn key(self) -> (&'static str, i64) {
        match self {
            Self::Logo => ("logo", 0),
            Self::Staff(id) => ("staff", id),
        }
    }
}

/// A stored picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub content_type: String,
    pub data: Vec<u8>,
    /// When it was stored; pages link `?v=` this, so a new picture is fetched at once.
    pub updated_at: i64,
}

/// The row that records when the picture was stored (`logo_version`, `photo_version`), set
/// to `at`; false if the staff member is not the tenant's.
async fn mark(tx: &mut Tx, tenant: TenantId, picture: Picture, at: i64) -> anyhow::Result<bool> {
    let done = match picture {
        Picture::Logo => {
            sqlx::query("update tenants set logo_version = $1 where id = $2")
                .bind(at)
                .bind(tenant.get())
                .execute(&mut **tx)
                .await?
        }
        Picture::Staff(id) => {
            sqlx::query(
                "update staff_members set photo_version = $1 where id = $2 and tenant_id = $3",
            )
            .bind(at)
            .bind(id)
            .bind(tenant.get())
            .execute(&mut **tx)
            .await?
        }
    };
    Ok(done.rows_affected() > 0)
}

/// Stores (or replaces) the picture; false (nothing stored) if the staff member is not the
/// tenant's.
pub async fn put(
    db: &Db,
    tenant: TenantId,
    picture: Picture,
    content_type: &str,
    data: &[u8],
    now: i64,
) -> anyhow::Result<bool> {
    let (kind, item) = picture.key();
    let mut tx = versions::begin(db, tenant).await?;
    if !mark(&mut tx, tenant, picture, now).await? {
        return Ok(false);
    }
    sqlx::query(
        "insert into tenant_images (tenant_id, kind, item_id, content_type, data, updated_at) \
         values ($1, $2, $3, $4, $5, $6) on conflict (tenant_id, kind, item_id) do update set \
         content_type = excluded.content_type, data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(tenant.get())
    .bind(kind)
    .bind(item)
    .bind(content_type)
    .bind(data)
    .bind(now)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn get(db: &Db, tenant: TenantId, picture: Picture) -> anyhow::Result<Option<Image>> {
    let (kind, item) = picture.key();
    let row: Option<(String, Vec<u8>, i64)> = sqlx::query_as(
        "select content_type, data, updated_at from tenant_images \
         where tenant_id = $1 and kind = $2 and item_id = $3",
    )
    .bind(tenant.get())
    .bind(kind)
    .bind(item)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(content_type, data, updated_at)| Image { content_type, data, updated_at }))
}

/// Removes the picture; whether there was one.
pub async fn delete(db: &Db, tenant: TenantId, picture: Picture) -> anyhow::Result<bool> {
    let (kind, item) = picture.key();
    let mut tx = versions::begin(db, tenant).await?;
    mark(&mut tx, tenant, picture, 0).await?;
    let done = sqlx::query(
        "delete from tenant_images where tenant_id = $1 and kind = $2 and item_id = $3",
    )
    .bind(tenant.get())
    .bind(kind)
    .bind(item)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}
