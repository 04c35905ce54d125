//! Online payments: the gateway a business takes them through, the checkout sessions started
//! for invoices (each fulfilled at most once: its status moves from open to paid in the
//! fulfilling transaction), the webhook events seen and the refunds made at the gateway.
//! Every query is scoped by the tenant id, except [`checkout_by_session`], which finds the
//! tenant of a gateway's session for the payer's return.

use portico_domain::{
    BookingId, CheckoutId, ClientId, Currency, Instant, InvoiceId, Money, PaymentId, TenantId,
};
use sqlx::{Any, FromRow};

use crate::stored::{Stored, StoredAt, StoredOpt};
use crate::{Db, StoreError, Tx};

/// The gateway's name (`offline`, `test`, `stripe`); `None` when never set (offline).
pub async fn gateway(db: &Db, tenant: TenantId) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("select gateway from payment_gateways where tenant_id = $1")
        .bind(tenant.get())
        .fetch_optional(db.pool())
        .await?)
}

pub async fn set_gateway(
    tx: &mut Tx,
    tenant: TenantId,
    gateway: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into payment_gateways (tenant_id, gateway, updated_at) values ($1, $2, $3) \
         on conflict (tenant_id) do update set gateway = excluded.gateway, \
         updated_at = excluded.updated_at",
    )
    .bind(tenant.get())
    .bind(gateway)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Where a checkout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutStatus {
    Open,
    Paid,
    Expired,
    /// Paid, but not the amount or currency asked for: not fulfilled, shown to the owner.
    Mismatch,
    /// A pre-paid booking's payment came after its place was taken: given back at the
    /// gateway, no booking made.
    Refunded,
}

impl CheckoutStatus {
    pub const ALL: [Self; 5] =
        [Self::Open, Self::Paid, Self::Expired, Self::Mismatch, Self::Refunded];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Expired => "expired",
            Self::Mismatch => "mismatch",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A checkout session started for an invoice, or for a hold of a pre-paid booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub id: CheckoutId,
    pub tenant_id: TenantId,
    pub gateway: String,
    pub session_id: String,
    pub idempotency_key: String,
    /// The invoice it pays (`None` for a pre-paid booking).
    pub invoice_id: Option<InvoiceId>,
    pub client_id: ClientId,
    /// What Portico asked for.
    pub amount: Money,
    pub url: String,
    pub status: CheckoutStatus,
    pub payment_intent: String,
    pub payment_id: Option<PaymentId>,
    /// What the gateway reported paid, when it differed (a mismatch).
    pub paid_minor: Option<i64>,
    pub paid_currency: String,
    pub created_at: Instant,
    pub updated_at: Instant,
    /// For a pre-paid booking: what to book (JSON, see `portico_core::prepay`).
    pub booking_request: Option<String>,
    /// The booking a pre-paid checkout made.
    pub booking_id: Option<BookingId>,
}

#[derive(FromRow)]
struct Row {
    #[sqlx(try_from = "Stored")]
    id: CheckoutId,
    #[sqlx(try_from = "Stored")]
    tenant_id: TenantId,
    gateway: String,
    session_id: String,
    idempotency_key: String,
    #[sqlx(try_from = "StoredOpt")]
    invoice_id: Option<InvoiceId>,
    #[sqlx(try_from = "Stored")]
    client_id: ClientId,
    amount_minor: i64,
    currency: String,
    url: String,
    status: String,
    payment_intent: String,
    #[sqlx(try_from = "StoredOpt")]
    payment_id: Option<PaymentId>,
    paid_minor: Option<i64>,
    paid_currency: String,
    #[sqlx(try_from = "StoredAt")]
    created_at: Instant,
    #[sqlx(try_from = "StoredAt")]
    updated_at: Instant,
    booking_request: Option<String>,
    #[sqlx(try_from = "StoredOpt")]
    booking_id: Option<BookingId>,
}

const COLUMNS: &str = "id, tenant_id, gateway, session_id, idempotency_key, invoice_id, \
    client_id, amount_minor, currency, url, status, payment_intent, payment_id, paid_minor, \
    paid_currency, created_at, updated_at, booking_request, booking_id";

impl Row {
    fn decode(self) -> Result<Checkout, StoreError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|_| StoreError::corrupt("online_checkouts.currency", &self.currency))?;
        Ok(Checkout {
            id: self.id,
            tenant_id: self.tenant_id,
            gateway: self.gateway,
            session_id: self.session_id,
            idempotency_key: self.idempotency_key,
            invoice_id: self.invoice_id,
            client_id: self.client_id,
            amount: Money::new(self.amount_minor, currency),
            url: self.url,
            status: CheckoutStatus::parse(&self.status)
                .ok_or_else(|| StoreError::corrupt("online_checkouts.status", &self.status))?,
            payment_intent: self.payment_intent,
            payment_id: self.payment_id,
            paid_minor: self.paid_minor,
            paid_currency: self.paid_currency,
            created_at: self.created_at,
            updated_at: self.updated_at,
            booking_request: self.booking_request,
            booking_id: self.booking_id,
        })
    }
}

async fn one(
    executor: impl sqlx::Executor<'_, Database = Any>,
    condition: &str,
    binds: (&str, &str, i64),
) -> Result<Option<Checkout>, StoreError> {
    let row = sqlx::query_as::<Any, Row>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from online_checkouts where {condition}"
    )))
    .bind(binds.0)
    .bind(binds.1)
    .bind(binds.2)
    .fetch_optional(executor)
    .await?;
    row.map(Row::decode).transpose()
}

/// The tenant's checkout whose `column` (an id column of `online_checkouts`) is `value`.
async fn by_column(
    db: &Db,
    tenant: TenantId,
    column: &'static str,
    value: i64,
) -> Result<Option<Checkout>, StoreError> {
    let row = sqlx::query_as::<Any, Row>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from online_checkouts where tenant_id = $1 and {column} = $2"
    )))
    .bind(tenant.get())
    .bind(value)
    .fetch_optional(db.pool())
    .await?;
    row.map(Row::decode).transpose()
}

/// A session just created at the gateway.
#[derive(Debug, Clone)]
pub struct NewCheckout<'a> {
    pub gateway: &'a str,
    pub session_id: &'a str,
    pub idempotency_key: &'a str,
    /// The invoice it pays, or `None` with a `booking_request`.
    pub invoice_id: Option<InvoiceId>,
    pub client_id: ClientId,
    pub amount: Money,
    pub url: &'a str,
    pub booking_request: Option<&'a str>,
}

/// Stores a session; the same session stored again (a retried request that the gateway
/// answered with the same session) keeps the first row. `true` when this call stored it.
pub async fn insert(
    tx: &mut Tx,
    tenant: TenantId,
    new: &NewCheckout<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "insert into online_checkouts (tenant_id, gateway, session_id, idempotency_key, \
         invoice_id, client_id, amount_minor, currency, url, status, created_at, updated_at, \
         booking_request) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10, $11) \
         on conflict (gateway, session_id) do nothing",
    )
    .bind(tenant.get())
    .bind(new.gateway)
    .bind(new.session_id)
    .bind(new.idempotency_key)
    .bind(new.invoice_id.map(InvoiceId::get))
    .bind(new.client_id.get())
    .bind(new.amount.minor)
    .bind(new.amount.currency.code())
    .bind(new.url)
    .bind(now)
    .bind(new.booking_request)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The session of `gateway` with this id, at whichever tenant started it.
pub async fn checkout_by_session(
    db: &Db,
    gateway: &str,
    session: &str,
) -> Result<Option<Checkout>, StoreError> {
    one(db.pool(), "gateway = $1 and session_id = $2 and $3 = 0", (gateway, session, 0)).await
}

/// The tenant's session of `gateway` with this id.
pub async fn checkout_of_tenant(
    db: &Db,
    tenant: TenantId,
    gateway: &str,
    session: &str,
) -> Result<Option<Checkout>, StoreError> {
    one(
        db.pool(),
        "gateway = $1 and session_id = $2 and tenant_id = $3",
        (gateway, session, tenant.get()),
    )
    .await
}

/// The checkout that brought in payment `payment`, if it came in online.
pub async fn checkout_of_payment(
    db: &Db,
    tenant: TenantId,
    payment: i64,
) -> Result<Option<Checkout>, StoreError> {
    by_column(db, tenant, "payment_id", payment).await
}

/// The tenant's paid checkout of a gateway payment intent.
pub async fn checkout_of_intent(
    db: &Db,
    tenant: TenantId,
    gateway: &str,
    intent: &str,
) -> Result<Option<Checkout>, StoreError> {
    one(
        db.pool(),
        "gateway = $1 and payment_intent = $2 and tenant_id = $3 and payment_id is not null",
        (gateway, intent, tenant.get()),
    )
    .await
}

/// The newest open checkout of the invoice for exactly `amount`, started after `since`.
pub async fn open_for(
    db: &Db,
    tenant: TenantId,
    gateway: &str,
    invoice: InvoiceId,
    amount: Money,
    since: i64,
) -> Result<Option<Checkout>, StoreError> {
    let row = sqlx::query_as::<Any, Row>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from online_checkouts where tenant_id = $1 and gateway = $2 \
         and invoice_id = $3 and amount_minor = $4 and currency = $5 and status = 'open' \
         and created_at > $6 order by id desc limit 1"
    )))
    .bind(tenant.get())
    .bind(gateway)
    .bind(invoice.get())
    .bind(amount.minor)
    .bind(amount.currency.code())
    .bind(since)
    .fetch_optional(db.pool())
    .await?;
    row.map(Row::decode).transpose()
}

/// How many checkouts the invoice had for `amount` (the attempt number of the next one).
pub async fn attempts(
    db: &Db,
    tenant: TenantId,
    invoice: InvoiceId,
    amount: Money,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "select count(*) from online_checkouts where tenant_id = $1 and invoice_id = $2 \
         and amount_minor = $3 and currency = $4",
    )
    .bind(tenant.get())
    .bind(invoice.get())
    .bind(amount.minor)
    .bind(amount.currency.code())
    .fetch_one(db.pool())
    .await?)
}

/// The tenant's checkouts, newest first.
pub async fn list(db: &Db, tenant: TenantId) -> Result<Vec<Checkout>, StoreError> {
    let rows = sqlx::query_as::<Any, Row>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from online_checkouts where tenant_id = $1 order by id desc"
    )))
    .bind(tenant.get())
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(Row::decode).collect()
}

/// The checkout's status read on `tx`.
pub async fn status_in(
    tx: &mut Tx,
    tenant: TenantId,
    id: i64,
) -> Result<Option<CheckoutStatus>, StoreError> {
    let status: Option<String> =
        sqlx::query_scalar("select status from online_checkouts where tenant_id = $1 and id = $2")
            .bind(tenant.get())
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    status
        .map(|s| {
            CheckoutStatus::parse(&s)
                .ok_or_else(|| StoreError::corrupt("online_checkouts.status", s))
        })
        .transpose()
}

/// Moves an unfulfilled checkout (open, or expired — a late completion still took the money)
/// to `to`, noting the payment intent and what was paid. `false` when it was already
/// fulfilled or flagged: the caller changes nothing.
pub async fn settle(
    tx: &mut Tx,
    tenant: TenantId,
    id: CheckoutId,
    to: CheckoutStatus,
    intent: &str,
    paid: Money,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update online_checkouts set status = $1, payment_intent = $2, paid_minor = $3, \
         paid_currency = $4, updated_at = $5 \
         where tenant_id = $6 and id = $7 and status in ('open', 'expired')",
    )
    .bind(to.as_str())
    .bind(intent)
    .bind(paid.minor)
    .bind(paid.currency.code())
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Names the payment a fulfilled checkout brought in.
pub async fn set_payment(
    tx: &mut Tx,
    tenant: TenantId,
    id: CheckoutId,
    payment: PaymentId,
) -> Result<(), StoreError> {
    sqlx::query("update online_checkouts set payment_id = $1 where tenant_id = $2 and id = $3")
        .bind(payment.get())
        .bind(tenant.get())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An open checkout expired unpaid; `false` when it was not open.
pub async fn expire(
    db: &Db,
    tenant: TenantId,
    id: CheckoutId,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update online_checkouts set status = 'expired', updated_at = $1 \
         where tenant_id = $2 and id = $3 and status = 'open'",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .execute(db.writes())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the event was already handled.
pub async fn event_seen(
    db: &Db,
    tenant: TenantId,
    gateway: &str,
    event: &str,
) -> Result<bool, StoreError> {
    let count: i64 = sqlx::query_scalar(
        "select count(*) from gateway_events where tenant_id = $1 and gateway = $2 \
         and event_id = $3",
    )
    .bind(tenant.get())
    .bind(gateway)
    .bind(event)
    .fetch_one(db.pool())
    .await?;
    Ok(count > 0)
}

/// Notes a handled event (a concurrent delivery of the same event notes it once).
pub async fn note_event(
    db: &Db,
    tenant: TenantId,
    gateway: &str,
    event: &str,
    kind: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into gateway_events (tenant_id, gateway, event_id, event_type, created_at) \
         values ($1, $2, $3, $4, $5) on conflict (tenant_id, gateway, event_id) do nothing",
    )
    .bind(tenant.get())
    .bind(gateway)
    .bind(event)
    .bind(kind)
    .bind(now)
    .execute(db.writes())
    .await?;
    Ok(())
}

/// Notes a refund made at the gateway; `false` when it was already noted (and reflected).
pub async fn note_refund(
    tx: &mut Tx,
    tenant: TenantId,
    checkout: CheckoutId,
    refund: &str,
    amount: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "insert into gateway_refunds (tenant_id, checkout_id, refund_id, amount_minor, \
         created_at) values ($1, $2, $3, $4, $5) on conflict (tenant_id, refund_id) do nothing",
    )
    .bind(tenant.get())
    .bind(checkout.get())
    .bind(refund)
    .bind(amount)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest checkout started with this idempotency key (a pre-paid booking's hold), if any.
pub async fn by_key(db: &Db, tenant: TenantId, key: &str) -> Result<Option<Checkout>, StoreError> {
    let row = sqlx::query_as::<Any, Row>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from online_checkouts where tenant_id = $1 and idempotency_key = $2 \
         order by id desc limit 1"
    )))
    .bind(tenant.get())
    .bind(key)
    .fetch_optional(db.pool())
    .await?;
    row.map(Row::decode).transpose()
}

/// The paid checkout that made booking `booking` (a pre-paid booking).
pub async fn checkout_of_booking(
    db: &Db,
    tenant: TenantId,
    booking: BookingId,
) -> Result<Option<Checkout>, StoreError> {
    by_column(db, tenant, "booking_id", booking.get()).await
}

/// Names the booking a pre-paid checkout made.
pub async fn set_booking(
    tx: &mut Tx,
    tenant: TenantId,
    id: CheckoutId,
    booking: BookingId,
) -> Result<(), StoreError> {
    sqlx::query("update online_checkouts set booking_id = $1 where tenant_id = $2 and id = $3")
        .bind(booking.get())
        .bind(tenant.get())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A pre-paid checkout's open or expired hold was released (once, by the expiry).
pub async fn expire_in(
    tx: &mut Tx,
    tenant: TenantId,
    id: CheckoutId,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update online_checkouts set status = 'expired', updated_at = $1 \
         where tenant_id = $2 and id = $3 and status = 'open'",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the gateway gave back (some of) the checkout's money.
pub async fn refunded_at_gateway(
    db: &Db,
    tenant: TenantId,
    checkout: CheckoutId,
) -> Result<bool, StoreError> {
    let count: i64 = sqlx::query_scalar(
        "select count(*) from gateway_refunds where tenant_id = $1 and checkout_id = $2",
    )
    .bind(tenant.get())
    .bind(checkout.get())
    .fetch_one(db.pool())
    .await?;
    Ok(count > 0)
}

/// The tenant's checkout with this id.
pub async fn checkout(db: &Db, tenant: TenantId, id: i64) -> Result<Option<Checkout>, StoreError> {
    by_column(db, tenant, "id", id).await
}
