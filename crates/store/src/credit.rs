//! Client credit: a ledger of entries per client whose sum, the balance, never goes below
//! zero. Every write takes the client row's lock ([`lock_client`]) in the caller's write
//! transaction and reads the balance again under it, so two uses cannot both spend the same
//! credit (PostgreSQL's row lock; SQLite's write lock from `begin_write`).

use portico_domain::billing::CreditKind;
use portico_domain::{
    BookingId, ClientId, CreditEntryId, Currency, Instant, InvoiceId, Money, PaymentId, TenantId,
};
use sqlx::{Any, FromRow};

use crate::stored::{Stored, StoredAt, StoredOpt};
use crate::{Db, StoreError, Tx};

/// One entry of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: CreditEntryId,
    /// Positive adds to the balance, negative takes from it.
    pub amount: Money,
    pub kind: CreditKind,
    pub payment_id: Option<PaymentId>,
    pub invoice_id: Option<InvoiceId>,
    pub booking_id: Option<BookingId>,
    pub reason: String,
    pub created_at: Instant,
}

#[derive(Debug, FromRow)]
struct EntryRow {
    #[sqlx(try_from = "Stored")]
    id: CreditEntryId,
    amount_minor: i64,
    currency: String,
    kind: String,
    #[sqlx(try_from = "StoredOpt")]
    payment_id: Option<PaymentId>,
    #[sqlx(try_from = "StoredOpt")]
    invoice_id: Option<InvoiceId>,
    #[sqlx(try_from = "StoredOpt")]
    booking_id: Option<BookingId>,
    reason: String,
    #[sqlx(try_from = "StoredAt")]
    created_at: Instant,
}

impl EntryRow {
    fn decode(self) -> Result<Entry, StoreError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|_| StoreError::corrupt("credit_entries.currency", &self.currency))?;
        Ok(Entry {
            id: self.id,
            amount: Money::new(self.amount_minor, currency),
            kind: CreditKind::parse(&self.kind)
                .ok_or_else(|| StoreError::corrupt("credit_entries.kind", &self.kind))?,
            payment_id: self.payment_id,
            invoice_id: self.invoice_id,
            booking_id: self.booking_id,
            reason: self.reason,
            created_at: self.created_at,
        })
    }
}

/// A new entry; its cause is one of the ids (or the reason, for a grant).
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub client: ClientId,
    pub amount: Money,
    pub kind: CreditKind,
    pub payment: Option<PaymentId>,
    pub invoice: Option<InvoiceId>,
    pub booking: Option<BookingId>,
    pub reason: &'a str,
}

/// Takes the client's row lock for the rest of `tx`; `false` when the client is not the
/// tenant's.
pub async fn lock_client(
    tx: &mut Tx,
    tenant: TenantId,
    client: ClientId,
) -> Result<bool, StoreError> {
    let locked =
        sqlx::query("update clients set updated_at = updated_at where tenant_id = $1 and id = $2")
            .bind(tenant.get())
            .bind(client.get())
            .execute(&mut **tx)
            .await?;
    Ok(locked.rows_affected() == 1)
}

/// The client's balance in `currency`, read on `tx`.
pub async fn balance_in(
    tx: &mut Tx,
    tenant: TenantId,
    client: ClientId,
    currency: Currency,
) -> Result<Money, StoreError> {
    let sum: i64 = sqlx::query_scalar(
        "select cast(coalesce(sum(amount_minor), 0) as bigint) from credit_entries \
         where tenant_id = $1 and client_id = $2 and currency = $3",
    )
    .bind(tenant.get())
    .bind(client.get())
    .bind(currency.code())
    .fetch_one(&mut **tx)
    .await?;
    Ok(Money::new(sum, currency))
}

/// Adds an entry in the caller's transaction, which must hold the client's lock
/// ([`lock_client`]). An entry that would make the balance negative is an error: the caller
/// checks the balance first and refuses with its own message.
pub async fn add(
    tx: &mut Tx,
    tenant: TenantId,
    new: &NewEntry<'_>,
    now: i64,
) -> Result<CreditEntryId, StoreError> {
    if new.amount.minor < 0 {
        let balance = balance_in(tx, tenant, new.client, new.amount.currency).await?;
        if balance.minor + new.amount.minor < 0 {
            return Err(anyhow::anyhow!(
                "credit of client {} would go negative ({} {})",
                new.client.get(),
                balance.minor,
                new.amount.minor
            )
            .into());
        }
    }
    let id: i64 = sqlx::query_scalar(
        "insert into credit_entries (tenant_id, client_id, amount_minor, currency, kind, \
         payment_id, invoice_id, booking_id, reason, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
    )
    .bind(tenant.get())
    .bind(new.client.get())
    .bind(new.amount.minor)
    .bind(new.amount.currency.code())
    .bind(new.kind.as_str())
    .bind(new.payment.map(PaymentId::get))
    .bind(new.invoice.map(InvoiceId::get))
    .bind(new.booking.map(BookingId::get))
    .bind(new.reason)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(CreditEntryId::from_store(id))
}

/// The client's entries, oldest first.
pub async fn entries(
    db: &Db,
    tenant: TenantId,
    client: ClientId,
) -> Result<Vec<Entry>, StoreError> {
    sqlx::query_as::<Any, EntryRow>(
        "select id, amount_minor, currency, kind, payment_id, invoice_id, booking_id, reason, \
         created_at from credit_entries where tenant_id = $1 and client_id = $2 order by id",
    )
    .bind(tenant.get())
    .bind(client.get())
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(EntryRow::decode)
    .collect()
}

/// The net credit a payment left (its overpayment less what its refunds took back), on `tx`.
pub async fn of_payment(tx: &mut Tx, tenant: TenantId, payment: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "select cast(coalesce(sum(amount_minor), 0) as bigint) from credit_entries \
         where tenant_id = $1 and payment_id = $2",
    )
    .bind(tenant.get())
    .bind(payment)
    .fetch_one(&mut **tx)
    .await?)
}
