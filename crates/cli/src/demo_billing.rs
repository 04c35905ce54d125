//! The demo's money: invoices in every state (draft, open, paid, void, and an overdue one),
//! an installment plan part paid, a client with credit and a pending bank-transfer
//! declaration. All made through the core workflows, like an owner and a client would, so the
//! numbers, balances, ledgers and audit log agree.

use std::fmt::Debug;

use chrono::{Days, NaiveDate, Utc};
use portico_core::Context;
use portico_core::invoices::PlanRequest;
use portico_core::payments::NewReceived;
use portico_domain::billing::Method;
use portico_domain::invoice::Line;
use portico_domain::{ClientId, Currency, Money, TenantId};
use portico_store::invoices::{Invoice, NewInvoice};
use portico_store::{Db, StoreError, tenants};

/// A workflow's answer as an error if the store failed or the domain refused: the demo's
/// inputs are fixed, so a refusal is a bug.
fn done<T, R: Debug>(outcome: Result<Result<T, R>, StoreError>) -> anyhow::Result<T> {
    outcome?.map_err(|refusal| anyhow::anyhow!("demo billing refused: {refusal:?}"))
}

/// Seeds Jo's and Priya's invoices, payments and credit.
pub async fn seed(db: &Db, tenant: TenantId, jo: ClientId, priya: ClientId) -> anyhow::Result<()> {
    let tenant_row = tenants::by_id(db, tenant.get())
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenant vanished"))?;
    let gbp = Currency::parse(&tenant_row.currency)?;
    let ctx = Context::system(Utc::now());
    let today = ctx.now.with_timezone(&tenant_row.timezone).date_naive();
    let day = |offset: i64| -> anyhow::Result<NaiveDate> {
        let days = Days::new(offset.unsigned_abs());
        let date =
            if offset < 0 { today.checked_sub_days(days) } else { today.checked_add_days(days) };
        date.ok_or_else(|| anyhow::anyhow!("date out of range"))
    };
    let line = |description: &str, quantity: i64, price: i64| Line {
        description: description.into(),
        quantity,
        unit_price: Money::new(price, gbp),
        tax_rate_bp: None,
        booking_id: None,
    };
    let draft = async |client, due, notes: &str, lines| -> anyhow::Result<Invoice> {
        let new = NewInvoice { client, currency: gbp, due_date: due, notes: notes.into(), lines };
        done(portico_core::invoices::create(db, tenant, &new, &ctx).await)
    };
    let issued = async |client, due, notes: &str, lines| -> anyhow::Result<Invoice> {
        let invoice = draft(client, due, notes, lines).await?;
        done(portico_core::invoices::issue(db, tenant, invoice.id.get(), &ctx).await)
    };
    let pay = async |client, invoice: &Invoice, minor, method, on, reference: &str| {
        let new = NewReceived {
            client,
            invoice: Some(invoice.id.get()),
            amount: Money::new(minor, gbp),
            method,
            received_on: on,
            reference: reference.into(),
        };
        done(portico_core::payments::record(db, tenant, &new, &ctx).await)
    };

    // Paid: last month's walks, settled by bank transfer.
    let walks = vec![line("Group walk", 8, 1500)];
    let paid = issued(jo.get(), day(-20)?, "November walks", walks).await?;
    pay(jo.get(), &paid, 12_000, Method::BankTransfer, day(-22)?, "JO BLOGGS NOV").await?;

    // Void: entered twice by mistake.
    let twice = issued(jo.get(), day(7)?, "", vec![line("Grooming", 1, 4500)]).await?;
    done(portico_core::invoices::void(db, tenant, twice.id.get(), "Entered twice", &ctx).await)?;

    // Open, with a bank transfer Jo declared in the portal waiting for the owner.
    let groom =
        issued(jo.get(), day(14)?, "Biscuit and Pickle", vec![line("Grooming", 2, 4500)]).await?;
    let amount = Money::new(9_000, gbp);
    let declared = portico_core::payments::declare_transfer(
        db,
        &tenant_row,
        jo,
        groom.id.get(),
        amount,
        "BLOGGS GROOM",
        &ctx,
    );
    done(declared.await)?;

    // An installment plan for the day-care block booking, the first of three parts paid.
    let care = issued(jo.get(), day(25)?, "Ten days of day care", vec![line("Day care", 10, 3500)])
        .await?;
    let parts = vec![(day(-5)?, 11_667), (day(25)?, 11_667), (day(55)?, 11_666)];
    done(
        portico_core::invoices::plan(db, tenant, care.id.get(), &PlanRequest::Parts(parts), &ctx)
            .await,
    )?;
    pay(jo.get(), &care, 11_667, Method::CardTerminal, day(-6)?, "").await?;

    // A draft the owner is still writing.
    draft(jo.get(), day(30)?, "December walks so far", vec![line("Group walk", 3, 1500)]).await?;

    // Overdue: Priya's solo walks, due ten days ago and unpaid.
    issued(priya.get(), day(-10)?, "", vec![line("Solo walk", 4, 2200)]).await?;
    // And credit: a walk cut short by a storm.
    let credit = Money::new(1_500, gbp);
    let granted =
        portico_core::credit::grant(db, tenant, priya, credit, "Walk cut short by a storm", &ctx);
    granted.await?.ok_or_else(|| anyhow::anyhow!("demo client vanished"))?;
    Ok(())
}
