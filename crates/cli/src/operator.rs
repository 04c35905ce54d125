//! Operator commands: tenants, plans, users and API tokens, straight on the database.

use anyhow::{Context as _, bail};
use chrono::{Months, Utc};
use clap::{Args, Subcommand, ValueEnum};
use portico_domain::accounts::{self, Email, Role, Slug};
use portico_domain::password::check_password;
use portico_domain::plans::Plan;
use portico_domain::{TenantId, UserId};
use portico_store::sealed::Keyring;
use portico_store::tenants::NewTenant;
use portico_store::{Db, audit, tenants, tokens, users};

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant with its owner login.
    Create(CreateTenant),
    /// List tenants with their plans.
    List,
    /// Change a tenant's plan: `set-plan SLUG pro --months 12` or `set-plan SLUG free`.
    SetPlan {
        slug: String,
        plan: PlanArg,
        /// PRO for this many months from now (without it, PRO does not expire).
        #[arg(long)]
        months: Option<u32>,
    },
    /// Store a tenant's Stripe keys (sealed) and switch it to Stripe for online payments:
    /// `set-stripe SLUG --secret-key sk_… --webhook-secret whsec_…` (either one, or both).
    SetStripe {
        slug: String,
        #[arg(long)]
        secret_key: Option<String>,
        #[arg(long)]
        webhook_secret: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanArg {
    Free,
    Pro,
}

#[derive(Debug, Args)]
pub struct CreateTenant {
    #[arg(long)]
    slug: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    timezone: String,
    #[arg(long)]
    currency: String,
    #[arg(long)]
    owner_email: String,
    /// Ignored when the owner's login already exists.
    #[arg(long)]
    owner_password: String,
    #[arg(long)]
    owner_name: Option<String>,
    #[arg(long, value_enum, default_value = "free")]
    plan: PlanArg,
    /// With `--plan pro`: PRO for this many months.
    #[arg(long)]
    months: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a login (no tenant): e.g. someone to invite later.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        password: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a provider API token for a tenant and print it once.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "operator")]
        name: String,
    },
}

fn plan_of(arg: PlanArg) -> Plan {
    match arg {
        PlanArg::Free => Plan::Free,
        PlanArg::Pro => Plan::Pro,
    }
}

fn until(months: Option<u32>) -> anyhow::Result<Option<chrono::DateTime<Utc>>> {
    months
        .map(|m| Utc::now().checked_add_months(Months::new(m)).context("--months is too large"))
        .transpose()
}

async fn operator_audit(
    db: &Db,
    tenant: Option<TenantId>,
    action: &str,
    detail: String,
) -> anyhow::Result<()> {
    let entry = audit::Entry { tenant, actor: None, action, detail, ip: "operator-cli" };
    audit::record(db, &entry, Utc::now().timestamp()).await
}

/// Creates (or reuses) a login; the password must pass the policy when it is new.
pub async fn ensure_user(
    db: &Db,
    email: &Email,
    name: &str,
    password: &str,
    verified: bool,
) -> anyhow::Result<UserId> {
    if let Some(user) = users::by_email(db, email).await? {
        return Ok(user.id);
    }
    check_password(password, &[email.as_str(), name])
        .map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let hash = portico_web::passwords::hash(password).await?;
    let now = Utc::now().timestamp();
    let mut tx = db.begin().await?;
    let id = users::insert(&mut tx, email, name, Some(&hash), verified.then_some(now), now)
        .await?
        .context("the email was taken meanwhile")?;
    tx.commit().await?;
    Ok(id)
}

impl CreateTenant {
    #[expect(clippy::too_many_arguments, reason = "mirrors the command's flags")]
    pub fn new(
        slug: &str,
        name: &str,
        timezone: &str,
        currency: &str,
        owner_email: &str,
        owner_password: &str,
        owner_name: &str,
        plan: PlanArg,
    ) -> Self {
        Self {
            slug: slug.into(),
            name: name.into(),
            timezone: timezone.into(),
            currency: currency.into(),
            owner_email: owner_email.into(),
            owner_password: owner_password.into(),
            owner_name: Some(owner_name.into()),
            plan,
            months: None,
        }
    }
}

pub async fn create_tenant(db: &Db, args: &CreateTenant) -> anyhow::Result<TenantId> {
    let slug = Slug::parse(&args.slug).map_err(|e| anyhow::anyhow!("--slug: {e}"))?;
    let name = accounts::parse_name(&args.name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let timezone =
        accounts::parse_timezone(&args.timezone).map_err(|e| anyhow::anyhow!("--timezone: {e}"))?;
    let currency =
        accounts::parse_currency(&args.currency).map_err(|e| anyhow::anyhow!("--currency: {e}"))?;
    let email =
        Email::parse(&args.owner_email).map_err(|e| anyhow::anyhow!("--owner-email: {e}"))?;
    let owner_name = args.owner_name.clone().unwrap_or_else(|| name.clone());
    let owner = ensure_user(db, &email, &owner_name, &args.owner_password, true).await?;
    let plan = plan_of(args.plan);
    let pro_until = if plan == Plan::Pro { until(args.months)? } else { None };

    let now = Utc::now().timestamp();
    let mut tx = db.begin().await?;
    let new = NewTenant { slug: &slug, name: &name, timezone, currency, plan, pro_until };
    let Some(tenant) = tenants::insert(&mut tx, &new, now).await? else {
        bail!("--slug: `{slug}` is taken");
    };
    let mut tx = portico_store::versions::ScheduleTx::wrap(tx, tenant);
    tenants::add_member(&mut tx, tenant, owner, Role::Owner, now).await?;
    tx.commit().await?;
    operator_audit(
        db,
        Some(tenant),
        "tenant.created",
        format!("{name} ({slug}), owner {email}, plan {}", plan.as_str()),
    )
    .await?;
    Ok(tenant)
}

/// Seals a tenant's Stripe keys and switches it to the `stripe` gateway (audited; the keys
/// are never printed or logged).
async fn set_stripe(
    db: &Db,
    ring: &Keyring,
    slug: &str,
    secret_key: Option<&str>,
    webhook_secret: Option<&str>,
) -> anyhow::Result<()> {
    use portico_integrations::payments::{
        SECRET_KEY_PREFIXES, WEBHOOK_SECRET_PREFIXES, key_has_shape,
    };
    let tenant =
        tenants::by_slug(db, slug).await?.with_context(|| format!("no tenant `{slug}`"))?;
    if secret_key.is_none() && webhook_secret.is_none() {
        bail!("give --secret-key, --webhook-secret or both");
    }
    if secret_key.is_some_and(|k| !key_has_shape(k, SECRET_KEY_PREFIXES)) {
        bail!("--secret-key: a Stripe secret key starts with sk_ (or rk_)");
    }
    if webhook_secret.is_some_and(|k| !key_has_shape(k, WEBHOOK_SECRET_PREFIXES)) {
        bail!("--webhook-secret: a Stripe webhook signing secret starts with whsec_");
    }
    let keys = portico_core::online::StripeKeys { secret_key, webhook_secret };
    let mut ctx = portico_core::Context::system(Utc::now());
    ctx.ip = "operator-cli".to_owned();
    portico_core::online::set_stripe(db, ring, tenant.id, keys, &ctx).await?;
    Ok(())
}

pub async fn tenant(db: &Db, ring: &Keyring, command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create(args) => {
            let id = create_tenant(db, &args).await?;
            println!(
                "created tenant {} (id {id}); owner {} can log in",
                args.slug, args.owner_email
            );
        }
        TenantCommand::List => {
            let now = Utc::now();
            println!("{:<24} {:<32} {:<6} {:<20} timezone", "slug", "name", "plan", "pro until");
            for t in tenants::list(db).await? {
                let until =
                    t.pro_until.map(|u| u.format("%Y-%m-%d").to_string()).unwrap_or_default();
                println!(
                    "{:<24} {:<32} {:<6} {:<20} {}",
                    t.slug,
                    t.name,
                    t.effective_plan(now).as_str(),
                    until,
                    t.timezone.name()
                );
            }
        }
        TenantCommand::SetPlan { slug, plan, months } => {
            let tenant = tenants::by_slug(db, &slug)
                .await?
                .with_context(|| format!("no tenant `{slug}`"))?;
            let plan = plan_of(plan);
            let pro_until = if plan == Plan::Pro { until(months)? } else { None };
            tenants::set_plan(db, tenant.id, plan, pro_until, Utc::now().timestamp()).await?;
            let detail = format!(
                "{} → {}{}",
                tenant.plan.as_str(),
                plan.as_str(),
                pro_until.map(|u| format!(" until {}", u.format("%Y-%m-%d"))).unwrap_or_default()
            );
            operator_audit(db, Some(tenant.id), "tenant.plan_changed", detail.clone()).await?;
            println!("{slug}: {detail}");
        }
        TenantCommand::SetStripe { slug, secret_key, webhook_secret } => {
            set_stripe(db, ring, &slug, secret_key.as_deref(), webhook_secret.as_deref()).await?;
            println!("{slug}: Stripe keys stored (sealed); online payments go through Stripe");
        }
    }
    Ok(())
}

pub async fn user(db: &Db, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { email, name, password } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let name = accounts::parse_name(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            if users::by_email(db, &email).await?.is_some() {
                bail!("--email: a login with this email exists");
            }
            let id = ensure_user(db, &email, &name, &password, true).await?;
            operator_audit(db, None, "user.created", format!("#{id} {email}")).await?;
            println!("created user {email} (id {id})");
        }
    }
    Ok(())
}

pub async fn token(db: &Db, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { tenant, name } => {
            let t = tenants::by_slug(db, &tenant)
                .await?
                .with_context(|| format!("no tenant `{tenant}`"))?;
            let name = accounts::parse_name(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let (id, token) =
                tokens::create_api_token(db, t.id, &name, Utc::now().timestamp()).await?;
            operator_audit(db, Some(t.id), "api_token.created", format!("#{id} {name}")).await?;
            // The only time the token is shown: it is stored hashed.
            println!("{token}");
        }
    }
    Ok(())
}
