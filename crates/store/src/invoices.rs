//! A tenant's invoices and their lines. Every query is scoped by the tenant id.
//!
//! Numbers are assigned on issue, gapless and unique per tenant: the issuing transaction
//! takes the tenant's `invoice_counters` row with `update … returning`, which serializes
//! concurrent issuers (PostgreSQL's row lock, SQLite's write lock from `begin_write`), and a
//! refused or failed issue rolls the counter back with everything else.

use std::collections::HashMap;

use chrono::NaiveDate;
use portico_domain::billing;
use portico_domain::invoice::{self, Action, InvoiceStatus, Line, Totals, TransitionError};
use portico_domain::{
    BookingId, ClientId, Currency, Instant, InvoiceId, Money, MoneyError, PaymentId, TenantId,
};
use sqlx::{Any, FromRow};

use crate::stored::{Stored, StoredAt, StoredAtOpt, StoredOpt};
use crate::{Db, StoreError, Tx};

/// An invoice with its lines, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: InvoiceId,
    pub client_id: ClientId,
    /// Assigned on issue (`INV-0001`).
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub currency: Currency,
    pub due_date: NaiveDate,
    pub notes: String,
    pub issued_at: Option<Instant>,
    pub voided_at: Option<Instant>,
    pub void_reason: Option<String>,
    pub created_at: Instant,
    pub updated_at: Instant,
    /// In their position order.
    pub lines: Vec<Line>,
    /// The sum of the payments applied to it (less refunds taken back off it).
    pub paid: Money,
    /// The installment plan, in due-date order; empty when there is none.
    pub installments: Vec<Installment>,
}

/// One part of an installment plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    pub due_date: NaiveDate,
    pub amount: Money,
    /// What the invoice had been paid when the plan was made; only later payments settle
    /// the parts.
    pub paid_before: Money,
}

impl Invoice {
    /// Subtotal, tax and total of the lines.
    pub fn totals(&self) -> Result<Totals, MoneyError> {
        invoice::totals(self.currency, &self.lines)
    }

    /// What is left to pay: the total less what is paid.
    pub fn balance(&self) -> Result<Money, MoneyError> {
        self.totals()?.total.checked_sub(self.paid)
    }

    /// How much of each installment is paid (oldest first), in plan order.
    pub fn installments_paid(&self) -> Vec<Money> {
        let Some(first) = self.installments.first() else { return Vec::new() };
        let since = Money::new(self.paid.minor - first.paid_before.minor, self.currency);
        let parts: Vec<Money> = self.installments.iter().map(|i| i.amount).collect();
        billing::installments_paid(&parts, since)
    }

    /// Whether the invoice is overdue on the tenant's `today`. With a plan, the plan's dates
    /// decide (an overdue installment makes the invoice overdue); without, the due date.
    pub fn overdue(&self, today: NaiveDate) -> Result<bool, MoneyError> {
        let balance = self.balance()?;
        if self.installments.is_empty() {
            return Ok(invoice::is_overdue(self.status, self.due_date, today, balance));
        }
        let late = self.installments.iter().zip(self.installments_paid()).any(|(part, paid)| {
            billing::installment_overdue(part.due_date, today, part.amount, paid)
        });
        Ok(self.status == InvoiceStatus::Open && balance.minor > 0 && late)
    }

    /// The date the invoice is overdue from on the tenant's `today` (the due date, or with a
    /// plan the due date of its oldest late installment); `None` when it is not overdue.
    pub fn overdue_since(&self, today: NaiveDate) -> Result<Option<NaiveDate>, MoneyError> {
        if !self.overdue(today)? {
            return Ok(None);
        }
        if self.installments.is_empty() {
            return Ok(Some(self.due_date));
        }
        Ok(self
            .installments
            .iter()
            .zip(self.installments_paid())
            .filter(|(part, paid)| {
                billing::installment_overdue(part.due_date, today, part.amount, *paid)
            })
            .map(|(part, _)| part.due_date)
            .min())
    }
}

/// A new draft.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    /// The client's number as given (a form or a request body): refused
    /// ([`CreateRefusal::UnknownClient`]) unless it is the tenant's.
    pub client: i64,
    pub currency: Currency,
    pub due_date: NaiveDate,
    pub notes: String,
    pub lines: Vec<Line<i64>>,
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
    #[sqlx(try_from = "Stored")]
    id: InvoiceId,
    #[sqlx(try_from = "Stored")]
    client_id: ClientId,
    number: Option<String>,
    status: String,
    currency: String,
    due_date: String,
    notes: String,
    #[sqlx(try_from = "StoredAtOpt")]
    issued_at: Option<Instant>,
    #[sqlx(try_from = "StoredAtOpt")]
    voided_at: Option<Instant>,
    void_reason: Option<String>,
    #[sqlx(try_from = "StoredAt")]
    created_at: Instant,
    #[sqlx(try_from = "StoredAt")]
    updated_at: Instant,
}

#[derive(Debug, FromRow)]
struct InstallmentRow {
    invoice_id: i64,
    due_date: String,
    amount_minor: i64,
    paid_before_minor: i64,
}

/// What belongs to the invoices being read, by invoice id.
#[derive(Debug, Default)]
struct Parts {
    lines: HashMap<i64, Vec<LineRow>>,
    paid: HashMap<i64, i64>,
    installments: HashMap<i64, Vec<InstallmentRow>>,
}

#[derive(Debug, FromRow)]
struct LineRow {
    invoice_id: i64,
    description: String,
    quantity: i64,
    unit_price_minor: i64,
    tax_rate_bp: Option<i64>,
    #[sqlx(try_from = "StoredOpt")]
    booking_id: Option<BookingId>,
}

const COLUMNS: &str = "id, client_id, number, status, currency, due_date, notes, issued_at, \
                       voided_at, void_reason, created_at, updated_at";

/// The stored form of a due date.
const DATE: &str = "%Y-%m-%d";

impl InvoiceRow {
    /// Every stored value must decode; a bad one names its column.
    fn decode(self, parts: &mut Parts) -> Result<Invoice, StoreError> {
        let lines = parts.lines.remove(&self.id.get()).unwrap_or_default();
        let paid = parts.paid.remove(&self.id.get()).unwrap_or(0);
        let installments = parts.installments.remove(&self.id.get()).unwrap_or_default();
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
        let installments = installments
            .into_iter()
            .map(|i| {
                Ok(Installment {
                    due_date: NaiveDate::parse_from_str(&i.due_date, DATE)
                        .map_err(|_| StoreError::corrupt("installments.due_date", &i.due_date))?,
                    amount: Money::new(i.amount_minor, currency),
                    paid_before: Money::new(i.paid_before_minor, currency),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Invoice {
            id: self.id,
            client_id: self.client_id,
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
            paid: Money::new(paid, currency),
            installments,
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
    .bind(tenant.get())
    .bind(new.client)
    .bind(new.currency.code())
    .bind(new.due_date.format(DATE).to_string())
    .bind(&new.notes)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    insert_lines(tx, tenant, id, &new.lines).await?;
    let invoice = get_in(tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
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
            .bind(tenant.get())
            .bind(new.client)
            .fetch_optional(&mut **tx)
            .await?;
    if client.is_none() {
        return Ok(Some(CreateRefusal::UnknownClient));
    }
    for (index, line) in new.lines.iter().enumerate() {
        let Some(booking) = line.booking_id else { continue };
        let found: Option<i64> =
            sqlx::query_scalar("select id from bookings where tenant_id = $1 and id = $2")
                .bind(tenant.get())
                .bind(booking)
                .fetch_optional(&mut **tx)
                .await?;
        if found.is_none() {
            return Ok(Some(CreateRefusal::UnknownBooking(index)));
        }
    }
    Ok(None)
}

async fn insert_lines(
    tx: &mut Tx,
    tenant: TenantId,
    id: i64,
    lines: &[Line<i64>],
) -> sqlx::Result<()> {
    for (position, line) in (1_i64..).zip(lines) {
        sqlx::query(
            "insert into invoice_lines (tenant_id, invoice_id, position, description, quantity, \
             unit_price_minor, tax_rate_bp, booking_id) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant.get())
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

/// The invoice with its lines, payments and plan, read on `tx`.
pub async fn get_in(tx: &mut Tx, tenant: TenantId, id: i64) -> Result<Option<Invoice>, StoreError> {
    let row = sqlx::query_as::<Any, InvoiceRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from invoices where tenant_id = $1 and id = $2"
    )))
    .bind(tenant.get())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut parts = parts(tx, tenant, "id = $2 and $3 = ''", id, "").await?;
    row.decode(&mut parts).map(Some)
}

/// The lines, paid sums and installments of the tenant's invoices matching `condition` (on
/// `invoices`, with `$2` bound to `arg` and `$3` to `text`).
async fn parts(
    tx: &mut Tx,
    tenant: TenantId,
    condition: &str,
    arg: i64,
    text: &str,
) -> Result<Parts, StoreError> {
    let ids = format!("select id from invoices where tenant_id = $1 and {condition}");
    let lines = sqlx::query_as::<Any, LineRow>(sqlx::AssertSqlSafe(format!(
        "select invoice_id, description, quantity, unit_price_minor, tax_rate_bp, booking_id \
         from invoice_lines where tenant_id = $1 and invoice_id in ({ids}) \
         order by invoice_id, position"
    )))
    .bind(tenant.get())
    .bind(arg)
    .bind(text)
    .fetch_all(&mut **tx)
    .await?;
    let paid: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select invoice_id, cast(sum(amount_minor) as bigint) from payment_allocations \
         where tenant_id = $1 and invoice_id in ({ids}) group by invoice_id"
    )))
    .bind(tenant.get())
    .bind(arg)
    .bind(text)
    .fetch_all(&mut **tx)
    .await?;
    let installments = sqlx::query_as::<Any, InstallmentRow>(sqlx::AssertSqlSafe(format!(
        "select invoice_id, due_date, amount_minor, paid_before_minor from installments \
         where tenant_id = $1 and invoice_id in ({ids}) order by invoice_id, position"
    )))
    .bind(tenant.get())
    .bind(arg)
    .bind(text)
    .fetch_all(&mut **tx)
    .await?;
    let mut parts = Parts { paid: paid.into_iter().collect(), ..Parts::default() };
    for line in lines {
        parts.lines.entry(line.invoice_id).or_default().push(line);
    }
    for part in installments {
        parts.installments.entry(part.invoice_id).or_default().push(part);
    }
    Ok(parts)
}

/// The invoice with its lines.
pub async fn get(db: &Db, tenant: TenantId, id: i64) -> Result<Option<Invoice>, StoreError> {
    let mut tx = db.begin().await?;
    let invoice = get_in(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(invoice)
}

/// Which invoices [`list`] returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub client: Option<i64>,
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

/// The tenant's invoices matching `filter`, newest first, with their lines, payments and
/// plans.
pub async fn list(db: &Db, tenant: TenantId, filter: &Filter) -> Result<Vec<Invoice>, StoreError> {
    // Overdue is narrowed in SQL to open invoices, then decided by the domain rule (the due
    // date, or the installments' dates).
    let status = match filter.status {
        None => String::new(),
        Some(StatusFilter::Is(status)) => status.as_str().to_owned(),
        Some(StatusFilter::Overdue { .. }) => "open".to_owned(),
    };
    let client = filter.client.unwrap_or(0);
    let condition = "($2 = 0 or client_id = $2) and ($3 = '' or status = $3)";
    let mut tx = db.begin().await?;
    let rows = sqlx::query_as::<Any, InvoiceRow>(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from invoices where tenant_id = $1 and {condition} order by id desc"
    )))
    .bind(tenant.get())
    .bind(client)
    .bind(&status)
    .fetch_all(&mut *tx)
    .await?;
    let mut parts = parts(&mut tx, tenant, condition, client, &status).await?;
    tx.commit().await?;
    let mut invoices = Vec::with_capacity(rows.len());
    for row in rows {
        let invoice = row.decode(&mut parts)?;
        if let Some(StatusFilter::Overdue { today }) = filter.status
            && !invoice.overdue(today).map_err(anyhow::Error::from)?
        {
            continue;
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
            .bind(tenant.get())
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let status = status.ok_or(StoreError::NotFound)?;
    let status = InvoiceStatus::parse(&status)
        .ok_or_else(|| StoreError::corrupt("invoices.status", &status))?;
    let lines: i64 = sqlx::query_scalar(
        "select count(*) from invoice_lines where tenant_id = $1 and invoice_id = $2",
    )
    .bind(tenant.get())
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
    .bind(tenant.get())
    .execute(&mut **tx)
    .await?;
    // The row lock taken here is held until commit: the next issuer of the tenant waits.
    let (prefix, n): (String, i64) = sqlx::query_as(
        "update invoice_counters set next_number = next_number + 1 where tenant_id = $1 \
         returning prefix, next_number - 1",
    )
    .bind(tenant.get())
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
    .bind(tenant.get())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(Err(refusal_now(tx, tenant, id, Action::Issue).await?));
    }
    let invoice = get_in(tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
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
    // Under the lock payments take: money on a voided invoice would be stranded.
    lock(tx, tenant, id).await?;
    let (status, lines) = state(tx, tenant, id).await?;
    let to = match invoice::transition(status, Action::Void, lines) {
        Ok(to) => to,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let paid: i64 = sqlx::query_scalar(
        "select cast(coalesce(sum(amount_minor), 0) as bigint) from payment_allocations \
         where tenant_id = $1 and invoice_id = $2",
    )
    .bind(tenant.get())
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    if paid != 0 {
        return Ok(Err(TransitionError::HasPayments));
    }
    // Conditional on the status read: a concurrent change makes this touch nothing.
    let updated = sqlx::query(
        "update invoices set status = $1, voided_at = $2, void_reason = $3, updated_at = $2 \
         where tenant_id = $4 and id = $5 and status = $6",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(reason)
    .bind(tenant.get())
    .bind(id)
    .bind(status.as_str())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(Err(refusal_now(tx, tenant, id, Action::Void).await?));
    }
    let invoice = get_in(tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
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
    .bind(new.client)
    .bind(new.due_date.format(DATE).to_string())
    .bind(&new.notes)
    .bind(now)
    .bind(tenant.get())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        let (status, _) = state(tx, tenant, id).await?;
        return Ok(Err(EditRefusal::NotDraft(status.as_str())));
    }
    sqlx::query("delete from invoice_lines where tenant_id = $1 and invoice_id = $2")
        .bind(tenant.get())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    insert_lines(tx, tenant, id, &new.lines).await?;
    let invoice = get_in(tx, tenant, id).await?.ok_or(StoreError::NotFound)?;
    Ok(Ok(invoice))
}

/// A confirmed or completed booking of a client that no invoice bills yet (a line on a void
/// invoice does not count).
#[derive(Debug, Clone, FromRow)]
pub struct Unbilled {
    #[sqlx(try_from = "Stored")]
    pub id: BookingId,
    #[sqlx(try_from = "StoredAt")]
    pub starts_at: Instant,
    pub status: String,
    pub service: String,
    pub price_minor: i64,
    pub currency: String,
}

/// The client's unbilled bookings, oldest first.
pub async fn unbilled_bookings(
    db: &Db,
    tenant: TenantId,
    client: i64,
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
    .bind(tenant.get())
    .bind(client)
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

/// Takes the invoice's row lock for the rest of `tx` (PostgreSQL; SQLite's `begin_write`
/// already serializes writers): payments, refunds and plans of one invoice wait for each
/// other. `false` when the invoice is not the tenant's.
pub async fn lock(tx: &mut Tx, tenant: TenantId, id: i64) -> Result<bool, StoreError> {
    let locked =
        sqlx::query("update invoices set updated_at = updated_at where tenant_id = $1 and id = $2")
            .bind(tenant.get())
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(locked.rows_affected() == 1)
}

/// Settles (open → paid) or reopens (paid → open) a locked invoice whose status the caller
/// just read, in the caller's transaction.
pub async fn set_status(
    tx: &mut Tx,
    tenant: TenantId,
    id: InvoiceId,
    from: InvoiceStatus,
    action: Action,
    now: i64,
) -> Result<Result<InvoiceStatus, TransitionError>, StoreError> {
    let to = match invoice::transition(from, action, 1) {
        Ok(to) => to,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let updated = sqlx::query(
        "update invoices set status = $1, updated_at = $2 where tenant_id = $3 and id = $4 \
         and status = $5",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(tenant.get())
    .bind(id.get())
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(anyhow::anyhow!("invoice {id} changed under its lock").into());
    }
    Ok(Ok(to))
}

/// Why money moved on or off an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocationKind {
    Payment,
    Refund,
    Cancellation,
}

impl AllocationKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Refund => "refund",
            Self::Cancellation => "cancellation",
        }
    }
}

/// Records `amount` of `payment` applied to (positive) or taken back off (negative) the
/// invoice, in the caller's transaction.
pub async fn allocate(
    tx: &mut Tx,
    tenant: TenantId,
    payment: PaymentId,
    invoice: InvoiceId,
    amount: Money,
    kind: AllocationKind,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into payment_allocations (tenant_id, payment_id, invoice_id, amount_minor, kind, \
         created_at) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.get())
    .bind(payment.get())
    .bind(invoice.get())
    .bind(amount.minor)
    .bind(kind.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What each payment has on the invoice now (net of refunds), oldest payment first.
pub async fn allocations_of(
    tx: &mut Tx,
    tenant: TenantId,
    invoice: InvoiceId,
) -> Result<Vec<(PaymentId, i64)>, StoreError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "select payment_id, cast(sum(amount_minor) as bigint) from payment_allocations \
         where tenant_id = $1 and invoice_id = $2 group by payment_id order by payment_id",
    )
    .bind(tenant.get())
    .bind(invoice.get())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(payment, net)| (PaymentId::from_store(payment), net)).collect())
}

/// Replaces the invoice's plan with `parts` (due date, amount) in the caller's transaction;
/// `paid_before` is what the invoice is paid now.
pub async fn replace_installments(
    tx: &mut Tx,
    tenant: TenantId,
    id: InvoiceId,
    parts: &[(NaiveDate, Money)],
    paid_before: Money,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("delete from installments where tenant_id = $1 and invoice_id = $2")
        .bind(tenant.get())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    for (position, (due, amount)) in (1_i64..).zip(parts) {
        sqlx::query(
            "insert into installments (tenant_id, invoice_id, position, due_date, amount_minor, \
             paid_before_minor, created_at) values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant.get())
        .bind(id.get())
        .bind(position)
        .bind(due.format(DATE).to_string())
        .bind(amount.minor)
        .bind(paid_before.minor)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
