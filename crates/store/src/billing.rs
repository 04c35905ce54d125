//! A tenant's billing settings, the record of each booking billed (at most once: the unique
//! key on the booking), and the client a guest's booking is billed to.

use portico_domain::{BookingId, ClientId, InvoiceId, TenantId};

use crate::{Db, StoreError, Tx};

/// When bookings are billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillWhen {
    None,
    Confirmed,
    Completed,
}

impl BillWhen {
    pub const ALL: [Self; 3] = [Self::None, Self::Confirmed, Self::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Confirmed => "confirmed",
            Self::Completed => "completed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == text)
    }
}

/// What a cancelled booking's paid amount becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelPaid {
    /// Client credit.
    Credit,
    /// Nothing automatic: the owner refunds by hand.
    Manual,
}

impl CancelPaid {
    pub const ALL: [Self; 2] = [Self::Credit, Self::Manual];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The tenant's billing settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub bill_when: BillWhen,
    pub invoice_prefix: String,
    pub payment_terms_days: u32,
    pub cancel_paid: CancelPaid,
}

/// The prefix of a tenant that never set one (`invoice_counters.prefix`'s default).
pub const DEFAULT_PREFIX: &str = "INV-";

/// The settings, read on `tx` (defaults when never saved).
pub async fn settings_in(tx: &mut Tx, tenant: TenantId) -> Result<Settings, StoreError> {
    read(&mut **tx, tenant).await
}

/// The settings as committed now, in one read outside any transaction.
pub async fn settings(db: &Db, tenant: TenantId) -> Result<Settings, StoreError> {
    read(db.pool(), tenant).await
}

async fn read<'e>(
    on: impl sqlx::Executor<'e, Database = sqlx::Any>,
    tenant: TenantId,
) -> Result<Settings, StoreError> {
    type Row = (Option<String>, Option<i64>, Option<String>, Option<String>);
    // One round trip: the settings (absent until first saved) and the invoice prefix.
    let (bill_when, terms, cancel_paid, prefix): Row = sqlx::query_as(
        "select b.bill_when, b.payment_terms_days, b.cancel_paid, \
         (select prefix from invoice_counters where tenant_id = $1) \
         from (select 1 as one) x left join billing_settings b on b.tenant_id = $1",
    )
    .bind(tenant.get())
    .fetch_one(on)
    .await?;
    let row = bill_when.zip(terms).zip(cancel_paid).map(|((b, t), c)| (b, t, c));
    let (bill_when, terms, cancel_paid) =
        row.unwrap_or_else(|| ("none".into(), 14, "credit".into()));
    Ok(Settings {
        bill_when: BillWhen::parse(&bill_when)
            .ok_or_else(|| StoreError::corrupt("billing_settings.bill_when", &bill_when))?,
        invoice_prefix: prefix.unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
        payment_terms_days: u32::try_from(terms)
            .map_err(|_| StoreError::corrupt("billing_settings.payment_terms_days", terms))?,
        cancel_paid: CancelPaid::parse(&cancel_paid)
            .ok_or_else(|| StoreError::corrupt("billing_settings.cancel_paid", &cancel_paid))?,
    })
}

/// Saves the settings in the caller's transaction (the prefix applies to invoices issued
/// from now on).
pub async fn save(tx: &mut Tx, tenant: TenantId, s: &Settings, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "insert into billing_settings (tenant_id, bill_when, payment_terms_days, cancel_paid, \
         updated_at) values ($1, $2, $3, $4, $5) on conflict (tenant_id) do update set \
         bill_when = excluded.bill_when, payment_terms_days = excluded.payment_terms_days, \
         cancel_paid = excluded.cancel_paid, updated_at = excluded.updated_at",
    )
    .bind(tenant.get())
    .bind(s.bill_when.as_str())
    .bind(i64::from(s.payment_terms_days))
    .bind(s.cancel_paid.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "insert into invoice_counters (tenant_id, prefix) values ($1, $2) \
         on conflict (tenant_id) do update set prefix = excluded.prefix",
    )
    .bind(tenant.get())
    .bind(&s.invoice_prefix)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A booking billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    pub client: ClientId,
    pub amount_minor: i64,
    /// Paid from credit.
    pub credit_minor: i64,
    /// The invoice of the rest, if any.
    pub invoice: Option<InvoiceId>,
    pub cancelled: bool,
}

/// Records that the booking is billed; `false` when it already was (billing is at most once).
pub async fn record_charge(
    tx: &mut Tx,
    tenant: TenantId,
    booking: BookingId,
    charge: &Charge,
    now: i64,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "insert into booking_charges (tenant_id, booking_id, client_id, amount_minor, \
         credit_minor, invoice_id, created_at) values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (tenant_id, booking_id) do nothing",
    )
    .bind(tenant.get())
    .bind(booking.get())
    .bind(charge.client.get())
    .bind(charge.amount_minor)
    .bind(charge.credit_minor)
    .bind(charge.invoice.map(InvoiceId::get))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A `booking_charges` row: client, amount, credit, invoice, cancelled at.
type ChargeRow = (i64, i64, i64, Option<i64>, Option<i64>);

/// Whether the booking has been billed, on `tx`.
pub async fn charge_of(
    tx: &mut Tx,
    tenant: TenantId,
    booking: BookingId,
) -> Result<Option<Charge>, StoreError> {
    let row: Option<ChargeRow> = sqlx::query_as(
        "select client_id, amount_minor, credit_minor, invoice_id, cancelled_at \
         from booking_charges where tenant_id = $1 and booking_id = $2",
    )
    .bind(tenant.get())
    .bind(booking.get())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(client, amount_minor, credit_minor, invoice, cancelled)| Charge {
        client: ClientId::from_store(client),
        amount_minor,
        credit_minor,
        invoice: invoice.map(InvoiceId::from_store),
        cancelled: cancelled.is_some(),
    }))
}

/// Marks the booking's charge as undone by its cancellation; `false` when it already was.
pub async fn cancel_charge(
    tx: &mut Tx,
    tenant: TenantId,
    booking: BookingId,
    now: i64,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "update booking_charges set cancelled_at = $1 where tenant_id = $2 and booking_id = $3 \
         and cancelled_at is null",
    )
    .bind(now)
    .bind(tenant.get())
    .bind(booking.get())
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The tenant's client with this email (the oldest, if several), or a new one without a
/// login: every payer is a client.
pub async fn client_for_guest(
    tx: &mut Tx,
    tenant: TenantId,
    name: &str,
    email: &str,
    phone: &str,
    now: i64,
) -> Result<ClientId, StoreError> {
    let email = email.trim().to_lowercase();
    let found: Option<i64> = sqlx::query_scalar(
        "select id from clients where tenant_id = $1 and lower(email) = $2 order by id limit 1",
    )
    .bind(tenant.get())
    .bind(&email)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = found {
        return Ok(ClientId::from_store(id));
    }
    let fields = crate::clients::ClientFields {
        name: name.to_owned(),
        email,
        phone: phone.to_owned(),
        ..Default::default()
    };
    Ok(crate::clients::insert(tx, tenant, &fields, None, now).await?)
}
