//! A business's FAQ: question and answer pairs in the owner's order, shown on its help page.

use portico_domain::TenantId;
use serde::Serialize;
use sqlx::FromRow;

use crate::Db;

/// Most entries a business keeps.
pub const MAX_ENTRIES: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct Entry {
    pub question: String,
    pub answer: String,
}

/// The entries in order.
pub async fn list(db: &Db, tenant: TenantId) -> anyhow::Result<Vec<Entry>> {
    Ok(sqlx::query_as(
        "select question, answer from faq_entries where tenant_id = $1 order by position, id",
    )
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?)
}

/// Replaces every entry with `entries`, in their order, in one transaction.
pub async fn replace(db: &Db, tenant: TenantId, entries: &[Entry], now: i64) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("delete from faq_entries where tenant_id = $1")
        .bind(tenant.get())
        .execute(&mut *tx)
        .await?;
    for (position, entry) in (0_i64..).zip(entries) {
        sqlx::query(
            "insert into faq_entries (tenant_id, position, question, answer, created_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.get())
        .bind(position)
        .bind(&entry.question)
        .bind(&entry.answer)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
