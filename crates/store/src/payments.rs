//! Payments: money a client paid (recorded by the provider or declared by the client), what
//! it went to (`payment_allocations`, and credit entries naming it), and its refunds. Rows are
//! never deleted. Every query is scoped by the tenant id; writes take the caller's
//! transaction, whose locks (invoice, then client) the core workflow takes.

use chrono::NaiveDate;
use portico_domain::billing::{Method, PaymentStatus};
use portico_domain::{
    ClientId, Currency, Instant, InvoiceId, Money, PaymentId, RefundId, TenantId,
};
use sqlx::{Any, FromRow};

use crate::stored::{Stored, StoredAt, StoredOpt};
use crate::{Db, StoreError, Tx};

/// A payment with where it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub client_id: ClientId,
    pub invoice_id: Option<InvoiceId>,
    pub amount: Money,
    pub method: Method,
    pub received_on: NaiveDate,
    pub reference: String,
    pub status: PaymentStatus,
    pub refunded: Money,
    /// Why it was rejected, when it was.
    pub decision_reason: String,
    pub created_at: Instant,
    /// Net amounts on invoices (invoice id, minor units), less what refunds took back.
    pub applied: Vec<(InvoiceId, i64)>,
    /// Net credit it left.
    pub credit: Money,
}

/// A payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub client: ClientId,
    pub invoice: Option<InvoiceId>,
    pub amount: Money,
    pub method: Method,
    pub received_on: NaiveDate,
    pub reference: String,
    pub status: PaymentStatus,
}

#[derive(Debug, FromRow)]
struct PaymentRow {
    #[sqlx(try_from = "Stored")]
    id: PaymentId,
    #[sqlx(try_from = "Stored")]
    client_id: ClientId,
    #[sqlx(try_from = "StoredOpt")]
    invoice_id: Option<InvoiceId>,
    amount_minor: i64,
    currency: String,
    method: String,
    received_on: String,
    reference: String,
    status: String,
    refunded_minor: i64,
    decision_reason: String,
    #[sqlx(try_from = "StoredAt")]
    created_at: Instant,
}

const COLUMNS: &str = "id, client_id, invoice_id, amount_minor, currency, method, received_on, \
                       reference, status, refunded_minor, decision_reason, created_at";

impl PaymentRow {
    fn decode(self, applied: Vec<(InvoiceId, i64)>, credit: i64) -> Result<Payment, StoreError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|_| StoreError::corrupt("payments.currency", &self.currency))?;
        Ok(Payment {
            id: self.id,
            client_id: self.client_id,
            invoice_id: self.invoice_id,
            amount: Money::new(self.amount_minor, currency),
            method: Method::from_stored(&self.method)
                .ok_or_else(|| StoreError::corrupt("payments.method", &self.method))?,
            received_on: NaiveDate::parse_from_str(&self.received_on, "%Y-%m-%d")
                .map_err(|_| StoreError::corrupt("payments.received_on", &self.received_on))?,
            reference: self.reference,
            status: PaymentStatus::parse(&self.status)
                .ok_or_else(|| StoreError::corrupt("payments.status", &self.status))?,
            refunded: Money::new(self.refunded_minor, currency),
            decision_reason: self.decision_reason,
            created_at: self.created_at,
            applied,
            credit: Money::new(credit, currency),
        })
    }
}

/// Inserts the payment row (nothing applied yet) in the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    tenant: TenantId,
    new: &NewPayment,
    now: i64,
) -> Result<PaymentId, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "insert into payments (tenant_id, client_id, invoice_id, amount_minor, currency, method, \
         received_on, reference, status, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) returning id",
    )
    .bind(tenant.get())
    .bind(new.client.get())
    .bind(new.invoice.map(InvoiceId::get))
    .bind(new.amount.minor)
    .bind(new.amount.currency.code())
    .bind(new.method.as_str())
    .bind(new.received_on.format("%Y-%m-%d").to_string())
    .bind(&new.reference)
    .bind(new.status.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(PaymentId::from_store(id))
}

/// The payment, read on `tx`.
pub async fn get_in(tx: &mut Tx, tenant: TenantId, id: i64) -> Result<Option<Payment>, StoreError> {
    let row = sqlx::query_as::<Any, PaymentRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from payments where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let applied = applied(tx, tenant, "payment_id = $2", id).await?;
    let credit = crate::credit::of_payment(tx, tenant, id).await?;
    row.decode(applied.into_iter().map(|(_, i, a)| (InvoiceId::from_store(i), a)).collect(), credit)
        .map(Some)
}

pub async fn get(db: &Db, tenant: TenantId, id: i64) -> Result<Option<Payment>, StoreError> {
    let mut tx = db.begin().await?;
    let payment = get_in(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(payment)
}

/// (payment, invoice, net amount) of the payments matching `condition` (`$2` = `arg`), the
/// invoices a refund emptied left out.
async fn applied(
    tx: &mut Tx,
    tenant: TenantId,
    condition: &str,
    arg: i64,
) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select payment_id, invoice_id, cast(sum(amount_minor) as bigint) from payment_allocations \
         where tenant_id = $1 and {condition} group by payment_id, invoice_id \
         order by payment_id, invoice_id"
    )))
    .bind(tenant.get())
    .bind(arg)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().filter(|r| r.2 != 0).collect())
}

/// The tenant's payments, of one client or all, newest first.
pub async fn list(
    db: &Db,
    tenant: TenantId,
    client: Option<i64>,
) -> Result<Vec<Payment>, StoreError> {
    let client = client.unwrap_or(0);
    let mut tx = db.begin().await?;
    let rows = sqlx::query_as::<Any, PaymentRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from payments where tenant_id = $1 and ($2 = 0 or client_id = $2) \
         order by id desc"
    )))
    .bind(tenant.get())
    .bind(client)
    .fetch_all(&mut *tx)
    .await?;
    let applied = applied(
        &mut tx,
        tenant,
        "payment_id in (select id from payments where tenant_id = $1 and ($2 = 0 or client_id = $2))",
        client,
    )
    .await?;
    let credits: Vec<(i64, i64)> = sqlx::query_as(
        "select payment_id, cast(sum(amount_minor) as bigint) from credit_entries where tenant_id = $1 \
         and payment_id is not null and ($2 = 0 or client_id = $2) group by payment_id",
    )
    .bind(tenant.get())
    .bind(client)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let credits: std::collections::HashMap<i64, i64> = credits.into_iter().collect();
    rows.into_iter()
        .map(|row| {
            let mine = applied
                .iter()
                .filter(|a| a.0 == row.id.get())
                .map(|a| (InvoiceId::from_store(a.1), a.2))
                .collect();
            let credit = credits.get(&row.id.get()).copied().unwrap_or(0);
            row.decode(mine, credit)
        })
        .collect()
}

/// Raises the refunded amount by `amount` unless that would pass the payment's amount;
/// `false` when it would (or the payment is not received).
pub async fn add_refund(
    tx: &mut Tx,
    tenant: TenantId,
    id: PaymentId,
    amount: Money,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "update payments set refunded_minor = refunded_minor + $1, updated_at = $2 \
         where tenant_id = $3 and id = $4 and status = 'received' \
         and refunded_minor + $1 <= amount_minor",
    )
    .bind(amount.minor)
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "insert into payment_refunds (tenant_id, payment_id, amount_minor, reason, created_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.get())
    .bind(id.get())
    .bind(amount.minor)
    .bind(reason)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Decides a pending declaration: received or rejected (with the reason). `false` when it
/// is no longer pending.
pub async fn decide(
    tx: &mut Tx,
    tenant: TenantId,
    id: PaymentId,
    to: PaymentStatus,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "update payments set status = $1, decision_reason = $2, updated_at = $3 \
         where tenant_id = $4 and id = $5 and status = 'pending'",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The invoice a payment names (fixed when it is recorded), for taking locks in order before
/// the payment itself is read under them.
pub async fn invoice_of(
    db: &Db,
    tenant: TenantId,
    id: i64,
) -> Result<Option<(ClientId, Option<InvoiceId>)>, StoreError> {
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "select client_id, invoice_id from payments where tenant_id = $1 and id = $2",
    )
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(c, i)| (ClientId::from_store(c), i.map(InvoiceId::from_store))))
}

/// One refund of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub amount: Money,
    pub reason: String,
    pub created_at: Instant,
}

#[derive(FromRow)]
struct RefundRow {
    #[sqlx(try_from = "Stored")]
    id: RefundId,
    #[sqlx(try_from = "Stored")]
    payment_id: PaymentId,
    amount_minor: i64,
    currency: String,
    reason: String,
    #[sqlx(try_from = "StoredAt")]
    created_at: Instant,
}

/// The refunds of the tenant's payments — of one client (`client`) or one payment
/// (`payment`), or all — oldest first.
pub async fn refunds(
    db: &Db,
    tenant: TenantId,
    client: Option<ClientId>,
    payment: Option<PaymentId>,
) -> Result<Vec<Refund>, StoreError> {
    let rows = sqlx::query_as::<Any, RefundRow>(
        "select r.id, r.payment_id, r.amount_minor, p.currency, r.reason, r.created_at \
         from payment_refunds r join payments p on p.tenant_id = r.tenant_id and p.id = r.payment_id \
         where r.tenant_id = $1 and ($2 = 0 or p.client_id = $2) and ($3 = 0 or r.payment_id = $3) \
         order by r.id",
    )
    .bind(tenant.get())
    .bind(client.map_or(0, |c| c.get()))
    .bind(payment.map_or(0, PaymentId::get))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            let currency = Currency::parse(&r.currency)
                .map_err(|_| StoreError::corrupt("payments.currency", &r.currency))?;
            Ok(Refund {
                id: r.id,
                payment_id: r.payment_id,
                amount: Money::new(r.amount_minor, currency),
                reason: r.reason,
                created_at: r.created_at,
            })
        })
        .collect()
}
