//! A tenant's invoices and their lines. Every query is scoped by the tenant id.
//!
//! Numbers are assigned on issue, gapless and unique per tenant: the issuing transaction
//! takes the tenant's `invoice_counters` row with `update … returning`, which serializes
//! concurrent issuers (PostgreSQL's row lock, SQLite's write lock from `begin_write`), and a
//! refused or failed issue rolls the counter back with everything else.

use std::collections::HashMap;

use chrono::NaiveDate;
use portico_domain::invoice::{self, Action, InvoiceStatus, Line, Totals, TransitionError};
use portico_domain::{ClientId, Currency, Money, MoneyError, TenantId};
use sqlx::{Any, FromRow};

use crate::{Db, StoreError, Tx};

/// An invoice with its lines, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: i64,
    pub client_id: ClientId,
    /// Assigned on issue (`INV-0001`).
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub currency: Currency,
    pub due_date: NaiveDate,
    pub notes: String,
    pub issued_at: Option<i64>,
    pub voided_at: Option<i64>,
    pub void_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// In their position order.
    pub lines: Vec<Line>,
}

impl Invoice {
    /// Subtotal, tax and total of the lines.
    pub fn totals(&self) -> Result<Totals, MoneyError> {
        invoice::totals(self.currency, &self.lines)
    }
}

/// A new draft.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub client: ClientId,
    pub currency: Currency,
    pub due_date: NaiveDate,
    pub notes: String,
    pub lines: Vec<Line>,
}

/// Why a draft was not created: an id that is not the tenant's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateRefusal {
    UnknownClient,
    /// The line (by index) names a booking the tenant does not have.
    UnknownBooking(usize),
}

#[derive(Debug, FromRow)]
struct InvoiceRow {
    id: i64,
    client_id: i64,
    number: Option<String>,
    status: String,
    currency: String,
    due_date: String,
    notes: String,
    issued_at: Option<i64>,
    voided_at: Option<i64>,
    void_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, FromRow)]
struct LineRow {
    invoice_id: i64,
    description: String,
    quantity: i64,
    unit_price_minor: i64,
    tax_rate_bp: Option<i64>,
    booking_id: Option<i64>,
}

const COLUMNS: &str = "id, client_id, number, status, currency, due_date, notes, issued_at, \
                       voided_at, void_reason, created_at, updated_at";

/// The stored form of a due date.
const DATE: &str = "%Y-%m-%d";

impl InvoiceRow {
    /// Every stored value must decode; a bad one names its column.
    fn decode(self, lines: Vec<LineRow>) -> Result<Invoice, StoreError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|_| StoreError::corrupt("invoices.currency", &self.currency))?;
        let lines = lines
            .into_iter()
            .map(|l| {
                let tax_rate_bp = l
                    .tax_rate_bp
                    .map(|bp| {
                        u32::try_from(bp)
                            .map_err(|_| StoreError::corrupt("invoice_lines.tax_rate_bp", bp))
                    })
                    .transpose()?;
                Ok(Line {
                    description: l.description,
                    quantity: l.quantity,
                    unit_price: Money::new(l.unit_price_minor, currency),
                    tax_rate_bp,
                    booking_id: l.booking_id,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Invoice {
            id: self.id,
            client_id: ClientId(self.client_id),
            status: InvoiceStatus::parse(&self.status)
                .ok_or_else(|| StoreError::corrupt("invoices.status", &self.status))?,
            currency,
            due_date: NaiveDate::parse_from_str(&self.due_date, DATE)
                .map_err(|_| StoreError::corrupt("invoices.due_date", &self.due_date))?,
            number: self.number,
            notes: self.notes,
            issued_at: self.issued_at,
            voided_at: self.voided_at,
            void_reason: self.void_reason,
            created_at: self.created_at,
            updated_at: self.updated_at,
            lines,
        })
    }
}

/// Creates a draft with its lines in the caller's transaction; the client and every line's
/// booking must be the tenant's.
pub async fn create(
    tx: &mut Tx,
    tenant: TenantId,
    new: &NewInvoice,
    now: i64,
) -> Result<Result<Invoice, CreateRefusal>, StoreError> {
    if let Some(refusal) = check_references(tx, tenant, new).await? {
        return Ok(Err(refusal));
    }
    let id: i64 = sqlx::query_scalar(
        "insert into invoices (tenant_id, client_id, status, currency, due_date, notes, \
         created_at, updated_at) values ($1, $2, 'draft', $3, $4, $5, $6, $6) returning id",
    )
    .bind(tenant.0)
    .bind(new.client.0)
    .bind(new.currency.code())
    .bind(new.due_date.format(DATE).to_string())
    .bind(&new.notes)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    insert_lines(tx, tenant, id, &new.lines).await?;
    let invoice = fetch(tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
    Ok(Ok(invoice))
}

/// Why `new` names something the tenant does not have, if it does.
async fn check_references(
    tx: &mut Tx,
    tenant: TenantId,
    new: &NewInvoice,
) -> Result<Option<CreateRefusal>, StoreError> {
    let client: Option<i64> =
        sqlx::query_scalar("select id from clients where tenant_id = $1 and id = $2")
            .bind(tenant.0)
            .bind(new.client.0)
            .fetch_optional(&mut **tx)
            .await?;
    if client.is_none() {
        return Ok(Some(CreateRefusal::UnknownClient));
    }
    for (index, line) in new.lines.iter().enumerate() {
        let Some(booking) = line.booking_id else { continue };
        let found: Option<i64> =
            sqlx::query_scalar("select id from bookings where tenant_id = $1 and id = $2")
                .bind(tenant.0)
                .bind(booking)
                .fetch_optional(&mut **tx)
                .await?;
        if found.is_none() {
            return Ok(Some(CreateRefusal::UnknownBooking(index)));
        }
    }
    Ok(None)
}

async fn insert_lines(tx: &mut Tx, tenant: TenantId, id: i64, lines: &[Line]) -> sqlx::Result<()> {
    for (position, line) in (1_i64..).zip(lines) {
        sqlx::query(
            "insert into invoice_lines (tenant_id, invoice_id, position, description, quantity, \
             unit_price_minor, tax_rate_bp, booking_id) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant.0)
        .bind(id)
        .bind(position)
        .bind(&line.description)
        .bind(line.quantity)
        .bind(line.unit_price.minor)
        .bind(line.tax_rate_bp.map(i64::from))
        .bind(line.booking_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The invoice with its lines, read on `tx`.
async fn fetch(tx: &mut Tx, tenant: TenantId, id: i64) -> Result<Option<Invoice>, StoreError> {
    let row = sqlx::query_as::<Any, InvoiceRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from invoices where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let lines = sqlx::query_as::<Any, LineRow>(
        "select invoice_id, description, quantity, unit_price_minor, tax_rate_bp, booking_id \
         from invoice_lines where tenant_id = $1 and invoice_id = $2 order by position",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    row.decode(lines).map(Some)
}

/// The invoice with its lines.
pub async fn get(db: &Db, tenant: TenantId, id: i64) -> Result<Option<Invoice>, StoreError> {
    let mut tx = db.begin().await?;
    let invoice = fetch(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(invoice)
}

/// Which invoices [`list`] returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub client: Option<ClientId>,
    pub status: Option<StatusFilter>,
}

/// A stored status, or the derived overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Is(InvoiceStatus),
    /// Open, past due on `today` (the tenant's date), with a balance.
    Overdue {
        today: NaiveDate,
    },
}

/// The tenant's invoices matching `filter`, newest first, with their lines.
pub async fn list(db: &Db, tenant: TenantId, filter: &Filter) -> Result<Vec<Invoice>, StoreError> {
    // Overdue is narrowed in SQL to open invoices past due, then decided by the domain rule.
    let (status, before) = match filter.status {
        None => (String::new(), String::new()),
        Some(StatusFilter::Is(status)) => (status.as_str().to_owned(), String::new()),
        Some(StatusFilter::Overdue { today }) => {
            ("open".to_owned(), today.format(DATE).to_string())
        }
    };
    let client = filter.client.map_or(0, |c| c.0);
    let condition = "tenant_id = $1 and ($2 = 0 or client_id = $2) and ($3 = '' or status = $3) \
                     and ($4 = '' or due_date < $4)";
    let mut tx = db.begin().await?;
    let rows = sqlx::query_as::<Any, InvoiceRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from invoices where {condition} order by id desc"
    )))
    .bind(tenant.0)
    .bind(client)
    .bind(&status)
    .bind(&before)
    .fetch_all(&mut *tx)
    .await?;
    let lines = sqlx::query_as::<Any, LineRow>(sqlx::AssertSqlSafe(format!(
        "select invoice_id, description, quantity, unit_price_minor, tax_rate_bp, booking_id \
         from invoice_lines where tenant_id = $1 and invoice_id in \
         (select id from invoices where {condition}) order by invoice_id, position"
    )))
    .bind(tenant.0)
    .bind(client)
    .bind(&status)
    .bind(&before)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut by_invoice: HashMap<i64, Vec<LineRow>> = HashMap::new();
    for line in lines {
        by_invoice.entry(line.invoice_id).or_default().push(line);
    }
    let mut invoices = Vec::with_capacity(rows.len());
    for row in rows {
        let lines = by_invoice.remove(&row.id).unwrap_or_default();
        let invoice = row.decode(lines)?;
        if let Some(StatusFilter::Overdue { today }) = filter.status {
            let balance = invoice.totals().map_err(anyhow::Error::from)?.total;
            if !invoice::is_overdue(invoice.status, invoice.due_date, today, balance) {
                continue;
            }
        }
        invoices.push(invoice);
    }
    Ok(invoices)
}

/// The status and line count of the invoice, read on `tx`; `NotFound` if not the tenant's.
async fn state(
    tx: &mut Tx,
    tenant: TenantId,
    id: i64,
) -> Result<(InvoiceStatus, usize), StoreError> {
    let status: Option<String> =
        sqlx::query_scalar("select status from invoices where tenant_id = $1 and id = $2")
            .bind(tenant.0)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let status = status.ok_or(StoreError::NotFound)?;
    let status = InvoiceStatus::parse(&status)
        .ok_or_else(|| StoreError::corrupt("invoices.status", &status))?;
    let lines: i64 = sqlx::query_scalar(
        "select count(*) from invoice_lines where tenant_id = $1 and invoice_id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok((status, usize::try_from(lines).unwrap_or(0)))
}

/// Why `action` is refused now, after a concurrent change got there first (read again in the
/// same transaction: the conditional update waited for that change's commit).
async fn refusal_now(
    tx: &mut Tx,
    tenant: TenantId,
    id: i64,
    action: Action,
) -> Result<TransitionError, StoreError> {
    let (status, lines) = state(tx, tenant, id).await?;
    match invoice::transition(status, action, lines) {
        Err(refusal) => Ok(refusal),
        // The conditional update found no row in the state just read: not a refusal but a
        // broken assumption.
        Ok(_) => Err(anyhow::anyhow!("invoice {id} changed under a {action:?}").into()),
    }
}

/// Issues a draft in the caller's write transaction: assigns the tenant's next number and makes
/// it open (read-only). On a refusal the caller drops the transaction, which gives the number
/// back.
pub async fn issue(
    tx: &mut Tx,
    tenant: TenantId,
    id: i64,
    now: i64,
) -> Result<Result<Invoice, TransitionError>, StoreError> {
    let (status, lines) = state(tx, tenant, id).await?;
    let to = match invoice::transition(status, Action::Issue, lines) {
        Ok(to) => to,
        Err(refusal) => return Ok(Err(refusal)),
    };
    sqlx::query(
        "insert into invoice_counters (tenant_id) values ($1) on conflict (tenant_id) do nothing",
    )
    .bind(tenant.0)
    .execute(&mut **tx)
    .await?;
    // The row lock taken here is held until commit: the next issuer of the tenant waits.
    let (prefix, n): (String, i64) = sqlx::query_as(
        "update invoice_counters set next_number = next_number + 1 where tenant_id = $1 \
         returning prefix, next_number - 1",
    )
    .bind(tenant.0)
    .fetch_one(&mut **tx)
    .await?;
    // Still a draft? A concurrent issue of the same invoice (which we waited for on
    // PostgreSQL) already took it; rolling back gives our number back.
    let updated = sqlx::query(
        "update invoices set status = $1, number = $2, issued_at = $3, updated_at = $3 \
         where tenant_id = $4 and id = $5 and status = 'draft'",
    )
    .bind(to.as_str())
    .bind(invoice::number(&prefix, n))
    .bind(now)
    .bind(tenant.0)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(Err(refusal_now(tx, tenant, id, Action::Issue).await?));
    }
    let invoice = fetch(tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
    Ok(Ok(invoice))
}

/// Voids a draft or open invoice in the caller's write transaction, keeping the reason.
pub async fn void(
    tx: &mut Tx,
    tenant: TenantId,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<Result<Invoice, TransitionError>, StoreError> {
    let (status, lines) = state(tx, tenant, id).await?;
    let to = match invoice::transition(status, Action::Void, lines) {
        Ok(to) => to,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // Conditional on the status read: a concurrent change makes this touch nothing.
    let updated = sqlx::query(
        "update invoices set status = $1, voided_at = $2, void_reason = $3, updated_at = $2 \
         where tenant_id = $4 and id = $5 and status = $6",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(reason)
    .bind(tenant.0)
    .bind(id)
    .bind(status.as_str())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(Err(refusal_now(tx, tenant, id, Action::Void).await?));
    }
    let invoice = fetch(tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
    Ok(Ok(invoice))
}

/// Why a draft was not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditRefusal {
    /// The new client or a line's booking is not the tenant's.
    Reference(CreateRefusal),
    /// Only a draft can change; an issued invoice is read-only.
    NotDraft(&'static str),
}

/// Replaces a draft's client, due date, notes and lines in the caller's write transaction.
/// An issued (or void) invoice is refused: it is read-only.
pub async fn update_draft(
    tx: &mut Tx,
    tenant: TenantId,
    id: i64,
    new: &NewInvoice,
    now: i64,
) -> Result<Result<Invoice, EditRefusal>, StoreError> {
    if let Some(refusal) = check_references(tx, tenant, new).await? {
        return Ok(Err(EditRefusal::Reference(refusal)));
    }
    // Conditional on still being a draft: a concurrent issue makes this touch nothing.
    let updated = sqlx::query(
        "update invoices set client_id = $1, due_date = $2, notes = $3, updated_at = $4 \
         where tenant_id = $5 and id = $6 and status = 'draft'",
    )
    .bind(new.client.0)
    .bind(new.due_date.format(DATE).to_string())
    .bind(&new.notes)
    .bind(now)
    .bind(tenant.0)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        let (status, _) = state(tx, tenant, id).await?;
        return Ok(Err(EditRefusal::NotDraft(status.as_str())));
    }
    sqlx::query("delete from invoice_lines where tenant_id = $1 and invoice_id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    insert_lines(tx, tenant, id, &new.lines).await?;
    let invoice = fetch(tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
    Ok(Ok(invoice))
}

/// A confirmed or completed booking of a client that no invoice bills yet (a line on a void
/// invoice does not count).
#[derive(Debug, Clone, FromRow)]
pub struct Unbilled {
    pub id: i64,
    pub starts_at: i64,
    pub status: String,
    pub service: String,
    pub price_minor: i64,
    pub currency: String,
}

/// The client's unbilled bookings, oldest first.
pub async fn unbilled_bookings(
    db: &Db,
    tenant: TenantId,
    client: ClientId,
) -> Result<Vec<Unbilled>, StoreError> {
    let rows = sqlx::query_as::<Any, Unbilled>(
        "select b.id, b.starts_at, b.status, s.name as service, b.price_minor, b.currency \
         from bookings b join services s on s.id = b.service_id and s.tenant_id = b.tenant_id \
         where b.tenant_id = $1 and b.client_id = $2 and b.status in ('confirmed', 'completed') \
         and not exists (select 1 from invoice_lines l join invoices i \
             on i.tenant_id = l.tenant_id and i.id = l.invoice_id \
             where l.tenant_id = b.tenant_id and l.booking_id = b.id and i.status <> 'void') \
         order by b.starts_at, b.id",
    )
    .bind(tenant.0)
    .bind(client.0)
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}
