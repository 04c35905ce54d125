//! Demo data for `portico demo`, seeded once on first start.

use chrono::Utc;
use portico_domain::accounts::{Email, Role};
use portico_store::clients::{self, ClientFields};
use portico_store::{Db, tenants};

use crate::operator::{CreateTenant, PlanArg, create_tenant, ensure_user};

pub const SLUG: &str = "happy-paws";
pub const OWNER: (&str, &str) = ("owner@happypaws.example", "walkies-owner-2026");
pub const STAFF: (&str, &str) = ("sam@happypaws.example", "walkies-staff-2026");
pub const CLIENT: (&str, &str) = ("jo@example.com", "walkies-client-2026");

/// Seeds the demo tenant unless it exists. Returns whether anything was created.
pub async fn seed(db: &Db) -> anyhow::Result<bool> {
    if tenants::by_slug(db, SLUG).await?.is_some() {
        return Ok(false);
    }
    let tenant = create_tenant(
        db,
        &CreateTenant::new(
            SLUG,
            "Happy Paws Dog Walking",
            "Europe/London",
            "GBP",
            OWNER.0,
            OWNER.1,
            "Alex Morgan",
            PlanArg::Pro,
        ),
    )
    .await?;
    let now = Utc::now().timestamp();

    let staff_email = Email::parse(STAFF.0)?;
    let staff = ensure_user(db, &staff_email, "Sam Lee", STAFF.1, true).await?;
    let client_email = Email::parse(CLIENT.0)?;
    let client_user = ensure_user(db, &client_email, "Jo Bloggs", CLIENT.1, true).await?;

    let mut tx = db.begin().await?;
    tenants::add_member(&mut tx, tenant, staff, Role::Staff, now).await?;
    let jo = ClientFields {
        name: "Jo Bloggs".into(),
        email: CLIENT.0.into(),
        phone: "+44 7700 900123".into(),
        address: "12 Elm Road, London".into(),
        notes: "Two spaniels, Biscuit and Pickle. Key under the mat.".into(),
        can_self_reschedule: true,
    };
    clients::insert(&mut tx, tenant, &jo, Some(client_user), now).await?;
    let priya = ClientFields {
        name: "Priya Shah".into(),
        email: "priya@example.com".into(),
        phone: "+44 7700 900456".into(),
        address: "3 Birch Close, London".into(),
        notes: "Greyhound, Luna. Mornings only.".into(),
        can_self_reschedule: false,
    };
    clients::insert(&mut tx, tenant, &priya, None, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// How to log in, printed at start-up.
pub fn banner(public_url: &url::Url) -> String {
    let base = public_url.as_str().trim_end_matches('/');
    format!(
        "\nPortico demo is running at {base}/\n\n\
         Log in at {base}/accounts/login as\n  \
         owner   {}  /  {}   (provider dashboard: {base}/app/{SLUG})\n  \
         staff   {}  /  {}\n  \
         client  {}  /  {}   (client portal: {base}/portal/{SLUG})\n\n\
         Emails are written to <data dir>/mail/ as .eml files. Stop with Ctrl-C.\n",
        OWNER.0, OWNER.1, STAFF.0, STAFF.1, CLIENT.0, CLIENT.1
    )
}
