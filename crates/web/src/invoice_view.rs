//! One invoice as people see it: the amounts (total, paid, balance, overdue), its status in
//! words with an icon, the view the pages render, and the PDF document. The provider pages,
//! the portal and the API's PDF download all go through here, so they show the same numbers.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate};
use portico_domain::billing::{self, Method, PaymentStatus};
use portico_domain::invoice::{InvoiceStatus, Totals};
use portico_domain::{BookingId, InvoiceId, Money};
use portico_pdf::{InvoiceDocument, InvoiceLine, Party, Table, Total};
use portico_store::clients::Client;
use portico_store::invoices::Invoice;
use portico_store::payments::{self, Payment};
use portico_store::tenants::Tenant;
use serde::Serialize;

use crate::{AppState, Error};

/// What is owed on an invoice.
#[derive(Debug, Clone, Copy)]
pub struct Amounts {
    pub totals: Totals,
    /// The payments applied to it, less refunds taken back off it.
    pub paid: Money,
    pub balance: Money,
    pub overdue: bool,
}

impl Amounts {
    /// `today` is the tenant's date, for the derived overdue.
    pub fn of(invoice: &Invoice, today: NaiveDate) -> Result<Self, Error> {
        let money = |e| Error::Internal(anyhow::Error::new(e));
        let totals = invoice.totals().map_err(money)?;
        let paid = invoice.paid;
        let balance = match invoice.status {
            // Nothing is owed on a void invoice.
            InvoiceStatus::Void => Money::zero(invoice.currency),
            _ => invoice.balance().map_err(money)?,
        };
        // The store's rule: with a plan its dates decide, without it the due date.
        let overdue = invoice.overdue(today).map_err(money)?;
        Ok(Self { totals, paid, balance, overdue })
    }
}

/// The status shown to people: overdue is derived from an open invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shown {
    Draft,
    Open,
    Overdue,
    Paid,
    Void,
}

impl Shown {
    pub fn of(status: InvoiceStatus, overdue: bool) -> Self {
        match status {
            InvoiceStatus::Draft => Self::Draft,
            InvoiceStatus::Open if overdue => Self::Overdue,
            InvoiceStatus::Open => Self::Open,
            InvoiceStatus::Paid => Self::Paid,
            InvoiceStatus::Void => Self::Void,
        }
    }

    /// The word beside the icon (never colour or icon alone).
    pub fn word(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Open => "Unpaid",
            Self::Overdue => "Overdue",
            Self::Paid => "Paid",
            Self::Void => "Void",
        }
    }

    /// A text icon that needs no image or font.
    pub fn icon(self) -> &'static str {
        match self {
            Self::Draft => "✎",
            Self::Open => "○",
            Self::Overdue => "!",
            Self::Paid => "✓",
            Self::Void => "✕",
        }
    }
}

/// The tenant's date now.
pub fn today(state: &AppState, tenant: &Tenant) -> NaiveDate {
    state.clock.now().with_timezone(&tenant.timezone).date_naive()
}

/// An epoch-seconds instant as the tenant's local date.
fn local_date(tenant: &Tenant, ts: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp(ts, 0).map(|t| t.with_timezone(&tenant.timezone).date_naive())
}

/// One line as the pages show it.
#[derive(Debug, Serialize)]
pub struct LineView {
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    /// "20%" or empty.
    pub tax: String,
    pub subtotal: i64,
    pub booking_id: Option<BookingId>,
}

/// One part of the installment plan as the pages show it.
#[derive(Debug, Serialize)]
pub struct InstallmentView {
    pub due_date: NaiveDate,
    pub amount: i64,
    pub paid: i64,
    pub overdue: bool,
}

/// The invoice's plan, oldest first, with what is paid of each part on the tenant's `today`.
pub fn installments(invoice: &Invoice, today: NaiveDate) -> Vec<InstallmentView> {
    invoice
        .installments
        .iter()
        .zip(invoice.installments_paid())
        .map(|(part, paid)| InstallmentView {
            due_date: part.due_date,
            amount: part.amount.minor,
            paid: paid.minor,
            overdue: invoice.status == InvoiceStatus::Open
                && billing::installment_overdue(part.due_date, today, part.amount, paid),
        })
        .collect()
}

/// A payment method in words.
pub fn method_word(method: Method) -> &'static str {
    match method {
        Method::Cash => "Cash",
        Method::BankTransfer => "Bank transfer",
        Method::CardTerminal => "Card terminal",
        Method::Other => "Other",
        Method::Online => "Paid online",
    }
}

/// A payment's state in words: a declared transfer waits for the owner.
pub fn payment_word(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Received => "Received",
        PaymentStatus::Pending => "Pending confirmation",
        PaymentStatus::Rejected => "Rejected",
    }
}

/// One payment in an invoice's history.
#[derive(Debug, Serialize)]
pub struct PaymentView {
    pub id: i64,
    pub received_on: NaiveDate,
    pub method: &'static str,
    pub reference: String,
    pub status: &'static str,
    pub word: &'static str,
    /// The whole payment.
    pub amount: i64,
    /// What of it went to this invoice (net of refunds).
    pub applied: i64,
    pub refunded: i64,
    pub reason: String,
}

/// The payments that name `invoice` or were applied to it, oldest first.
pub async fn history(
    state: &AppState,
    tenant: &Tenant,
    invoice: &Invoice,
) -> Result<Vec<Payment>, Error> {
    let mut list = payments::list(&state.db, tenant.id, Some(invoice.client_id.get())).await?;
    list.retain(|p| {
        p.invoice_id == Some(invoice.id) || p.applied.iter().any(|a| a.0 == invoice.id)
    });
    list.reverse();
    Ok(list)
}

/// The history of `invoice` as the pages show it.
pub fn payment_views(payments: &[Payment], invoice: InvoiceId) -> Vec<PaymentView> {
    payments
        .iter()
        .map(|p| PaymentView {
            id: p.id.get(),
            received_on: p.received_on,
            method: method_word(p.method),
            reference: p.reference.clone(),
            status: p.status.as_str(),
            word: payment_word(p.status),
            amount: p.amount.minor,
            applied: p.applied.iter().filter(|a| a.0 == invoice).map(|a| a.1).sum(),
            refunded: p.refunded.minor,
            reason: p.decision_reason.clone(),
        })
        .collect()
}

/// An invoice as the pages show it; amounts are minor units for the `money` filter.
#[derive(Debug, Serialize)]
pub struct InvoiceView {
    pub id: i64,
    pub number: Option<String>,
    pub status: &'static str,
    pub shown: Shown,
    pub word: &'static str,
    pub icon: &'static str,
    pub client_id: i64,
    pub currency: &'static str,
    pub due_date: NaiveDate,
    pub issued_on: Option<NaiveDate>,
    pub voided_on: Option<NaiveDate>,
    pub void_reason: Option<String>,
    pub notes: String,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub paid: i64,
    pub balance: i64,
    pub lines: Vec<LineView>,
    pub installments: Vec<InstallmentView>,
}

/// A tax rate in basis points as a percentage ("20%", "7.5%").
pub fn rate(bp: u32) -> String {
    let whole = bp / 100;
    match bp % 100 {
        0 => format!("{whole}%"),
        part if part % 10 == 0 => format!("{whole}.{}%", part / 10),
        part => format!("{whole}.{part:02}%"),
    }
}

impl InvoiceView {
    pub fn new(tenant: &Tenant, invoice: &Invoice, today: NaiveDate) -> Result<Self, Error> {
        let amounts = Amounts::of(invoice, today)?;
        let shown = Shown::of(invoice.status, amounts.overdue);
        let lines = invoice
            .lines
            .iter()
            .map(|line| {
                let totals = line.totals().map_err(|e| Error::Internal(anyhow::Error::new(e)))?;
                Ok(LineView {
                    description: line.description.clone(),
                    quantity: line.quantity,
                    unit_price: line.unit_price.minor,
                    tax: line.tax_rate_bp.map(rate).unwrap_or_default(),
                    subtotal: totals.subtotal.minor,
                    booking_id: line.booking_id,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            id: invoice.id.get(),
            number: invoice.number.clone(),
            status: invoice.status.as_str(),
            shown,
            word: shown.word(),
            icon: shown.icon(),
            client_id: invoice.client_id.get(),
            currency: invoice.currency.code(),
            due_date: invoice.due_date,
            issued_on: invoice.issued_at.and_then(|ts| local_date(tenant, ts.unix())),
            voided_on: invoice.voided_at.and_then(|ts| local_date(tenant, ts.unix())),
            void_reason: invoice.void_reason.clone(),
            notes: invoice.notes.clone(),
            subtotal: amounts.totals.subtotal.minor,
            tax: amounts.totals.tax.minor,
            total: amounts.totals.total.minor,
            paid: amounts.paid.minor,
            balance: amounts.balance.minor,
            lines,
            installments: installments(invoice, today),
        })
    }
}

/// The business's contact details as the invoice prints them.
fn seller_details(tenant: &Tenant) -> Vec<String> {
    let contact = &tenant.contact;
    [&contact.address, &contact.phone, &contact.email, &contact.website]
        .into_iter()
        .filter(|d| !d.trim().is_empty())
        .cloned()
        .collect()
}

/// The invoice as a PDF: the business (logo and contact details), the client, the lines and
/// every amount.
pub fn pdf(
    tenant: &Tenant,
    client: &Client,
    invoice: &Invoice,
    payments: &[Payment],
    today: NaiveDate,
    logo: Option<portico_pdf::Image>,
) -> Result<Vec<u8>, Error> {
    let amounts = Amounts::of(invoice, today)?;
    let shown = Shown::of(invoice.status, amounts.overdue);
    let money = |m: Money| format!("{} {}", m.currency, m.amount());
    let mut facts = Vec::new();
    if let Some(issued) = invoice.issued_at.and_then(|ts| local_date(tenant, ts.unix())) {
        facts.push(("Issued".to_owned(), issued.to_string()));
    }
    facts.push(("Due".to_owned(), invoice.due_date.to_string()));
    facts.push(("Status".to_owned(), shown.word().to_owned()));
    let lines = invoice
        .lines
        .iter()
        .map(|line| {
            let totals = line.totals().map_err(|e| Error::Internal(anyhow::Error::new(e)))?;
            Ok(InvoiceLine {
                description: line.description.clone(),
                quantity: line.quantity.to_string(),
                unit_price: line.unit_price.amount(),
                tax: line.tax_rate_bp.map(rate).unwrap_or_default(),
                amount: totals.subtotal.amount(),
            })
        })
        .collect::<Result<_, Error>>()?;
    let total = |label: &str, amount: Money, strong: bool| Total {
        label: label.to_owned(),
        amount: money(amount),
        strong,
    };
    let mut remarks = Vec::new();
    if let Some(reason) = &invoice.void_reason {
        remarks.push(("Void".to_owned(), reason.clone()));
    }
    remarks.push(("Notes".to_owned(), invoice.notes.clone()));
    let details = [&client.email, &client.phone, &client.address]
        .into_iter()
        .filter(|d| !d.trim().is_empty())
        .cloned()
        .collect();
    let doc = InvoiceDocument {
        number: invoice.number.clone(),
        status: shown.word().to_owned(),
        seller: Party { name: tenant.name.clone(), details: seller_details(tenant) },
        bill_to: Party { name: client.name.clone(), details },
        facts,
        currency: invoice.currency.code().to_owned(),
        lines,
        totals: vec![
            total("Subtotal", amounts.totals.subtotal, false),
            total("Tax", amounts.totals.tax, false),
            total("Total", amounts.totals.total, true),
            total("Paid", amounts.paid, false),
            total("Balance due", amounts.balance, true),
        ],
        tables: tables(invoice, payments, today),
        remarks,
        logo,
    };
    Ok(portico_pdf::render(&doc))
}

/// The installment schedule and the payment history, when there are any.
fn tables(invoice: &Invoice, payments: &[Payment], today: NaiveDate) -> Vec<Table> {
    let currency = invoice.currency;
    let amount = |minor: i64| Money::new(minor, currency).amount();
    let mut tables = Vec::new();
    let plan = installments(invoice, today);
    if !plan.is_empty() {
        tables.push(Table {
            title: "Installment schedule".to_owned(),
            headings: ["Due", "Amount", "Paid", "State"].map(str::to_owned).to_vec(),
            rows: plan
                .iter()
                .map(|part| {
                    let state = if part.paid >= part.amount {
                        "Paid"
                    } else if part.overdue {
                        "Overdue"
                    } else {
                        "Open"
                    };
                    vec![
                        part.due_date.to_string(),
                        amount(part.amount),
                        amount(part.paid),
                        state.to_owned(),
                    ]
                })
                .collect(),
        });
    }
    let history = payment_views(payments, invoice.id);
    if !history.is_empty() {
        tables.push(Table {
            title: "Payment history".to_owned(),
            headings: ["Payment", "Status", "Amount", "Applied"].map(str::to_owned).to_vec(),
            rows: history
                .iter()
                .map(|p| {
                    let mut what = format!("{} {}", p.received_on, p.method);
                    if !p.reference.is_empty() {
                        what = format!("{what} · {}", p.reference);
                    }
                    let mut status = p.word.to_owned();
                    if p.refunded > 0 {
                        status = format!("{status}, {} refunded", amount(p.refunded));
                    }
                    vec![what, status, amount(p.amount), amount(p.applied)]
                })
                .collect(),
        });
    }
    tables
}

/// The file name of the download: the number, or `draft-<id>`.
pub fn file_name(invoice: &Invoice) -> String {
    let name = invoice.number.clone().unwrap_or_else(|| format!("draft-{}", invoice.id));
    // Only characters that are safe in a header and a file name.
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    format!("{safe}.pdf")
}

/// `application/pdf` as a download.
pub fn pdf_response(bytes: Vec<u8>, file_name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // An invoice is private: no shared cache keeps it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// How a billed booking stands: paid with credit, or its invoice's status, with the link to
/// the client's invoice page.
#[derive(Debug, Serialize)]
pub struct BookingPayment {
    pub shown: Shown,
    pub word: &'static str,
    pub icon: &'static str,
    pub currency: String,
    /// What credit paid of it.
    pub credit: i64,
    pub invoice_id: Option<i64>,
    pub number: Option<String>,
    /// The client's page of the invoice, when the portal is open.
    pub link: Option<String>,
}

/// The payment status of `booking` once it has been billed; `None` before (or never).
pub async fn booking_payment(
    state: &AppState,
    tenant: &Tenant,
    booking: BookingId,
) -> Result<Option<BookingPayment>, Error> {
    let mut tx = state.db.begin().await?;
    let charge = portico_store::billing::charge_of(&mut tx, tenant.id, booking).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    let Some(charge) = charge else { return prepaid(state, tenant, booking).await };
    let invoice = match charge.invoice {
        Some(id) => portico_store::invoices::get(&state.db, tenant.id, id.get()).await?,
        None => None,
    };
    let Some(invoice) = invoice else {
        // Credit paid for all of it.
        let shown = Shown::Paid;
        return Ok(Some(BookingPayment {
            shown,
            word: "Paid with credit",
            icon: shown.icon(),
            currency: tenant.currency.clone(),
            credit: charge.credit_minor,
            invoice_id: None,
            number: None,
            link: None,
        }));
    };
    let amounts = Amounts::of(&invoice, today(state, tenant))?;
    let shown = Shown::of(invoice.status, amounts.overdue);
    let visible = invoice.status != InvoiceStatus::Draft;
    Ok(Some(BookingPayment {
        shown,
        word: shown.word(),
        icon: shown.icon(),
        currency: invoice.currency.code().to_owned(),
        credit: charge.credit_minor,
        invoice_id: Some(invoice.id.get()),
        number: invoice.number.clone(),
        link: (visible && tenant.portal_enabled)
            .then(|| format!("/portal/{}/invoices/{}", tenant.slug, invoice.id)),
    }))
}

/// A pre-paid booking not billed (yet): paid online when it was booked.
async fn prepaid(
    state: &AppState,
    tenant: &Tenant,
    booking: BookingId,
) -> Result<Option<BookingPayment>, Error> {
    let checkout =
        portico_store::online::checkout_of_booking(&state.db, tenant.id, booking).await?;
    let paid = checkout
        .filter(|c| c.status == portico_store::online::CheckoutStatus::Paid)
        .map(|c| c.amount.currency.code().to_owned());
    Ok(paid.map(|currency| BookingPayment {
        shown: Shown::Paid,
        word: "Paid online",
        icon: Shown::Paid.icon(),
        currency,
        credit: 0,
        invoice_id: None,
        number: None,
        link: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_print_as_percentages() {
        assert_eq!(rate(2000), "20%");
        assert_eq!(rate(750), "7.5%");
        assert_eq!(rate(725), "7.25%");
        assert_eq!(rate(5), "0.05%");
        assert_eq!(rate(0), "0%");
    }
}
