//! `portico bench seed`: scale data for the load benchmark — many tenants and a long booking
//! history — written in bulk (multi-row inserts, large transactions) on either backend.

use std::io::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, Subcommand};
use portico_domain::TenantId;
use portico_domain::accounts::{self, Slug};
use portico_domain::plans::Plan;
use portico_store::bulk::{self, PastBooking};
use portico_store::tenants::{NewTenant, Tenant};
use portico_store::{Db, catalog, staff, tenants, versions};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seed scale data: tenants with a service each, and finished bookings in the past.
    Seed(Seed),
}

#[derive(Debug, Args)]
pub struct Seed {
    /// Tenants to add (slugs `seed-00001`, …; FREE, UTC, GBP, one 30-minute service `walk`).
    #[arg(long, default_value_t = 0)]
    tenants: usize,
    /// Finished bookings to add to the history, all before now.
    #[arg(long, default_value_t = 0)]
    bookings: usize,
    /// Put the history in this tenant (its first slot service, its active staff in turn, or
    /// the owner); without it, spread over the tenants added now.
    #[arg(long, value_name = "SLUG")]
    into: Option<String>,
}

/// Tenants per transaction.
const TENANTS_PER_TX: usize = 1_000;
/// Bookings per transaction.
const BOOKINGS_PER_TX: usize = 20_000;
/// Length of a seeded booking, and the step between one person's bookings.
const SLOT_SECS: i64 = 30 * 60;

pub async fn run(db: &Db, command: BenchCommand) -> anyhow::Result<()> {
    let BenchCommand::Seed(seed) = command;
    let started = Instant::now();
    let added = add_tenants(db, seed.tenants).await?;
    if seed.bookings > 0 {
        let targets = match &seed.into {
            Some(slug) => {
                let tenant = tenants::by_slug(db, slug)
                    .await?
                    .with_context(|| format!("--into: no tenant `{slug}`"))?;
                vec![target_of(db, &tenant).await?]
            }
            None => {
                anyhow::ensure!(!added.is_empty(), "--bookings needs --tenants or --into");
                let mut targets = Vec::with_capacity(added.len());
                for id in &added {
                    let service = catalog::by_code(db, *id, "walk")
                        .await?
                        .context("a seeded tenant without its service")?;
                    targets.push(Target {
                        tenant: *id,
                        currency: service.currency,
                        service: service.id.get(),
                        people: vec![None],
                    });
                }
                targets
            }
        };
        add_history(db, &targets, seed.bookings).await?;
    }
    bulk::settle(db).await?;
    eprintln!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Where history goes: a tenant, its service, and the people taking turns.
struct Target {
    tenant: TenantId,
    currency: String,
    service: i64,
    people: Vec<Option<i64>>,
}

async fn target_of(db: &Db, tenant: &Tenant) -> anyhow::Result<Target> {
    let service = catalog::list(db, tenant.id, false)
        .await?
        .into_iter()
        .find(|s| s.mode == catalog::Mode::Slot)
        .context("--into: the tenant has no slot-mode service")?;
    let active: Vec<Option<i64>> = staff::list(db, tenant.id)
        .await?
        .iter()
        .filter(|s| s.active)
        .map(|s| Some(s.id.get()))
        .collect();
    let people = if active.is_empty() { vec![None] } else { active };
    Ok(Target {
        tenant: tenant.id,
        currency: tenant.currency.clone(),
        service: service.id.get(),
        people,
    })
}

/// One line that rewrites itself: `label: done/total (percent)`.
fn progress(label: &str, done: usize, total: usize) {
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    eprint!("\r{label}: {done}/{total} ({percent}%)");
    if done >= total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

async fn add_tenants(db: &Db, count: usize) -> anyhow::Result<Vec<TenantId>> {
    let now = Utc::now().timestamp();
    let utc = accounts::parse_timezone("UTC").map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = tenants::list(db).await?.len() + 1;
    let mut added = Vec::with_capacity(count);
    let mut done = 0;
    while done < count {
        let batch = TENANTS_PER_TX.min(count - done);
        let mut tx = db.begin_write().await?;
        let mut ids = Vec::with_capacity(batch);
        for n in first + done..first + done + batch {
            let slug = Slug::parse(&format!("seed-{n:05}")).map_err(|e| anyhow::anyhow!("{e}"))?;
            let new = NewTenant {
                slug: &slug,
                name: "Seeded business",
                timezone: utc,
                currency: "GBP",
                plan: Plan::Free,
                pro_until: None,
            };
            let id = tenants::insert(&mut tx, &new, now)
                .await?
                .with_context(|| format!("slug `{slug}` is taken"))?;
            ids.push(id);
        }
        bulk::walk_services(&mut tx, &ids, "GBP", now).await?;
        tx.commit().await?;
        added.extend(ids);
        done += batch;
        progress("tenants", done, count);
    }
    Ok(added)
}

async fn add_history(db: &Db, targets: &[Target], count: usize) -> anyhow::Result<()> {
    // Every booking ends before the start of the current hour: history, never availability.
    let now = Utc::now().timestamp();
    let end_of_history = now - now.rem_euclid(3600);
    let mut done = 0;
    while done < count {
        let batch = BOOKINGS_PER_TX.min(count - done);
        let rows: Vec<PastBooking> = (done..done + batch)
            .map(|k| {
                let target = &targets[k % targets.len()];
                let turn = k / targets.len();
                let person = target.people[turn % target.people.len()];
                let step = i64::try_from(turn / target.people.len()).unwrap_or(i64::MAX / 4);
                let starts_at = end_of_history - (step + 1) * SLOT_SECS;
                PastBooking {
                    tenant: target.tenant,
                    currency: &target.currency,
                    service: target.service,
                    staff: person,
                    starts_at,
                    ends_at: starts_at + SLOT_SECS,
                }
            })
            .collect();
        let mut tx = db.begin_write().await?;
        bulk::past_bookings(&mut tx, &rows).await?;
        tx.commit().await?;
        done += batch;
        progress("bookings", done, count);
    }
    let mut tx = db.begin_write().await?;
    for target in targets {
        versions::bump(&mut tx, target.tenant).await?;
    }
    tx.commit().await?;
    Ok(())
}
