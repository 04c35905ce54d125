//! Demo data for `portico demo`, seeded once on first start.

use chrono::{Duration, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::accounts::{Email, Role};
use portico_domain::contact::Contact;
use portico_domain::schedule::{LocalMinutes, local_instant};
use portico_domain::{ClientId, TenantId};
use portico_store::blocks::{self, BlockFields, CapacityFields};
use portico_store::bookings::{Party, Slot};
use portico_store::catalog::{self, Mode, Service, ServiceFields};
use portico_store::clients::{self, ClientFields};
use portico_store::hours::{self, HourRange};
use portico_store::staff::{self, StaffFields};
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
    // How clients reach the business: on its pages and in its emails.
    let contact = Contact {
        email: "hello@happypaws.example".into(),
        phone: "+44 20 7946 0123".into(),
        address: "12 Park Lane\nLondon W1K 1AA".into(),
        website: "https://happypaws.example".into(),
    };
    tenants::update_branding(db, tenant, &contact, None, now).await?;

    let staff_email = Email::parse(STAFF.0)?;
    let staff = ensure_user(db, &staff_email, "Sam Lee", STAFF.1, true).await?;
    let client_email = Email::parse(CLIENT.0)?;
    let client_user = ensure_user(db, &client_email, "Jo Bloggs", CLIENT.1, true).await?;

    let mut tx = portico_store::versions::begin(db, tenant).await?;
    tenants::add_member(&mut tx, tenant, staff, Role::Staff, now).await?;
    let jo = ClientFields {
        name: "Jo Bloggs".into(),
        email: CLIENT.0.into(),
        phone: "+44 7700 900123".into(),
        address: "12 Elm Road, London".into(),
        notes: "Two spaniels, Biscuit and Pickle. Key under the mat.".into(),
        can_self_reschedule: true,
    };
    let jo = clients::insert(&mut tx, tenant, &jo, Some(client_user), now).await?;
    let priya = ClientFields {
        name: "Priya Shah".into(),
        email: "priya@example.com".into(),
        phone: "+44 7700 900456".into(),
        address: "3 Birch Close, London".into(),
        notes: "Greyhound, Luna. Mornings only.".into(),
        can_self_reschedule: false,
    };
    let priya = clients::insert(&mut tx, tenant, &priya, None, now).await?;
    tx.commit().await?;
    seed_schedule(db, tenant, jo).await?;
    crate::demo_billing::seed(db, tenant, jo, priya).await?;
    // Online payments through the built-in simulated checkout (TEST MODE, never in
    // production; the demo always runs with production off): a newcomer pays an invoice in
    // the browser with no Stripe account.
    let ctx = portico_core::Context::system(chrono::Utc::now());
    portico_core::online::set_gateway(db, tenant, "test", &ctx).await?;
    Ok(true)
}

fn service(
    code: &str,
    name: &str,
    description: &str,
    minutes: u32,
    price: i64,
    mode: Mode,
    order: i64,
) -> ServiceFields {
    ServiceFields {
        code: code.into(),
        name: name.into(),
        description: description.into(),
        duration_minutes: minutes,
        buffer_before_minutes: 0,
        buffer_after_minutes: if mode == Mode::Slot { 15 } else { 0 },
        price_minor: price,
        currency: "GBP".into(),
        mode,
        active: true,
        display_order: order,
        location_kind: portico_store::catalog::LocationKind::Business,
        meeting_url: String::new(),
        // Grooming is paid when booking (the demo takes payments through the test gateway).
        prepay: code == "groom",
    }
}

/// Services, hours, a week of timetable blocks from today, and a few bookings.
async fn seed_schedule(db: &Db, tenant: TenantId, jo: ClientId) -> anyhow::Result<()> {
    let now = Utc::now();
    let ts = now.timestamp();
    let insert = async |fields: ServiceFields| -> anyhow::Result<Service> {
        catalog::insert(db, tenant, &fields, ts)
            .await?
            .ok_or_else(|| anyhow::anyhow!("service exists"))
    };
    let walk = insert(service(
        "walk",
        "Group walk",
        "An hour in the park with a small group.",
        60,
        1500,
        Mode::Block,
        1,
    ))
    .await?;
    let daycare = insert(service(
        "daycare",
        "Day care",
        "A full day of play and naps.",
        480,
        3500,
        Mode::Block,
        2,
    ))
    .await?;
    let solo = insert(service(
        "solo",
        "Solo walk",
        "One-to-one walk, 45 minutes.",
        45,
        2200,
        Mode::Slot,
        3,
    ))
    .await?;
    let groom =
        insert(service("groom", "Grooming", "Wash, brush and nail trim.", 90, 4500, Mode::Slot, 4))
            .await?;
    catalog::set_default(db, tenant, "walk", 60, "Standard walk").await?;
    catalog::set_default(db, tenant, "daycare", 480, "").await?;

    // The owner's hours (Monday to Saturday) and one staff member who walks and grooms.
    let weekdays = |start: i64, end: i64| -> Vec<HourRange> {
        (1..=6)
            .map(|weekday| HourRange { weekday, start_minute: start * 60, end_minute: end * 60 })
            .collect()
    };
    hours::replace_weekly(db, tenant, None, &weekdays(8, 18)).await?;
    let sam = staff::insert(
        db,
        tenant,
        &StaffFields {
            name: "Sam Lee".into(),
            email: STAFF.0.into(),
            bio: "Groomer and walker, great with nervous dogs.".into(),
            active: true,
            services: vec![solo.id, groom.id],
            ..StaffFields::default()
        },
        10,
        ts,
    )
    .await?;
    hours::replace_weekly(db, tenant, Some(sam.get()), &weekdays(9, 17)).await?;
    if let Some(user) = portico_store::users::by_email(db, &Email::parse(STAFF.0)?).await? {
        let mut tx = portico_store::versions::begin(db, tenant).await?;
        staff::link_user(&mut tx, tenant, sam, user.id, ts).await?;
        tx.commit().await?;
    }

    // A week of blocks: a morning run and an afternoon run with walk places, day care all day.
    let tenant_row = tenants::by_id(db, tenant.get())
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenant vanished"))?;
    let today = now.with_timezone(&tenant_row.timezone).date_naive();
    let block =
        |date, start: u16, end: u16, label: &str, capacities: Vec<CapacityFields>| BlockFields {
            date,
            start_minute: start * 60,
            end_minute: end * 60,
            label: label.into(),
            capacities,
        };
    let places = |service: &Service, capacity| CapacityFields {
        service_id: service.id.get(),
        capacity,
        allow_overlap: false,
    };
    let mut first_morning = None;
    for day in 0..7 {
        let date = today + Duration::days(day);
        let morning = blocks::insert(
            db,
            tenant,
            &block(date, 7, 10, "Morning Run", vec![places(&walk, 6)]),
            ts,
        )
        .await?;
        blocks::insert(
            db,
            tenant,
            &block(date, 13, 15, "Afternoon Run", vec![places(&walk, 4)]),
            ts,
        )
        .await?;
        blocks::insert(db, tenant, &block(date, 8, 17, "Day care", vec![places(&daycare, 8)]), ts)
            .await?;
        if day == 1 {
            first_morning = Some((date, morning));
        }
    }

    // Jo has a walk tomorrow morning and a solo walk the day after; a guest booked day care.
    let book = async |service: &Service, slot: Slot, party: Party| {
        let new = NewBooking {
            service,
            slot,
            party,
            notes: String::new(),
            hold_token: None,
            address: String::new(),
        };
        portico_core::bookings::create(db, &tenant_row, &new, &portico_core::Context::system(now))
            .await
    };
    if let Some((date, morning)) = first_morning {
        let start = local_instant(tenant_row.timezone, date, LocalMinutes::new(7 * 60)?);
        book(&walk, Slot { start, staff: None, block: Some(morning.get()) }, Party::Client(jo))
            .await?;
        let solo_start = local_instant(
            tenant_row.timezone,
            date + Duration::days(1),
            LocalMinutes::new(11 * 60)?,
        );
        // Ignore a weekend or closed day: the demo still has its blocks.
        let _ = book(
            &solo,
            Slot { start: solo_start, staff: Some(sam.get()), block: None },
            Party::Client(jo),
        )
        .await;
        let care = blocks::between(db, tenant, date, date, ts)
            .await?
            .into_iter()
            .find(|b| b.label == "Day care");
        if let Some(care) = care {
            let start = local_instant(tenant_row.timezone, date, LocalMinutes::new(8 * 60)?);
            let guest = Party::Guest {
                name: "Sam Guest".into(),
                email: "guest@example.com".into(),
                phone: "+44 7700 900789".into(),
            };
            book(&daycare, Slot { start, staff: None, block: Some(care.id.get()) }, guest).await?;
        }
    }
    Ok(())
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
         Public booking page: {base}/book/{SLUG}\n\
         Online payments use a simulated checkout (TEST MODE): pay an open invoice from the\n\
         client portal, no Stripe account needed.\n\n\
         Emails are written to <data dir>/mail/ as .eml files. Stop with Ctrl-C.\n",
        OWNER.0, OWNER.1, STAFF.0, STAFF.1, CLIENT.0, CLIENT.1
    )
}
