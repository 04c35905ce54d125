//! The world every tenancy test starts from: two PRO tenants with one of each kind of id,
//! and a comparable snapshot of everything a request could change.

use std::fmt::Debug;

use chrono::{NaiveDate, TimeZone as _, Utc, Weekday};
use portico_domain::Clock as _;
use portico_domain::invoice::Line;
use portico_domain::plans::Plan;
use portico_domain::recurrence::{End, Rule};
use portico_domain::schedule::LocalMinutes;
use portico_domain::{ApiTokenId, ClientId, Currency, Money, TenantId, UserId};
use portico_store::catalog::Mode;
use portico_store::images::{self, Picture};
use portico_store::{audit, bookings, clients, hours, invoices, tenants, tokens};
use portico_testkit::{Browser, SeededTenant, TestApp, location};
use reqwest::StatusCode;

use super::Verb::Post;
use super::{Form, Id, api};

/// One tenant's data, as ids appear in paths and bodies.
#[derive(Debug, Clone)]
pub(super) struct Ids {
    pub(super) client: ClientId,
    pub(super) api_token: ApiTokenId,
    /// A slot service's code.
    pub(super) service: String,
    /// A block service's code and id.
    pub(super) class: String,
    pub(super) class_id: i64,
    pub(super) staff: i64,
    pub(super) block: i64,
    /// The client's booking of the slot service.
    pub(super) booking: i64,
    pub(super) time_off: i64,
    /// A series of the client.
    pub(super) series: i64,
    /// A guest's booking in the block, and the token of its manage link.
    pub(super) guest_booking: i64,
    pub(super) manage: String,
    /// A draft invoice of the client.
    pub(super) invoice: i64,
    /// A pending declared transfer of the client (for another, issued invoice).
    pub(super) payment: i64,
}

impl Ids {
    pub(super) fn get(&self, id: Id) -> String {
        match id {
            Id::None => String::new(),
            Id::Client => self.client.to_string(),
            Id::ApiToken => self.api_token.to_string(),
            Id::Service => self.service.clone(),
            Id::Staff => self.staff.to_string(),
            Id::Block => self.block.to_string(),
            Id::Booking => self.booking.to_string(),
            Id::TimeOff => self.time_off.to_string(),
            Id::Series => self.series.to_string(),
            Id::ManageToken => self.manage.clone(),
            Id::Invoice => self.invoice.to_string(),
            Id::Payment => self.payment.to_string(),
        }
    }

    /// `text` with the placeholders of [`Form`] replaced by these ids.
    pub(super) fn fill(&self, text: &str) -> String {
        let values = [
            self.client.to_string(),
            self.service.clone(),
            self.class.clone(),
            self.class_id.to_string(),
            self.staff.to_string(),
            self.block.to_string(),
        ];
        PLACEHOLDERS
            .iter()
            .zip(values)
            .fold(text.to_owned(), |text, (placeholder, value)| text.replace(placeholder, &value))
    }

    pub(super) fn form(&self, form: Form) -> Vec<(String, String)> {
        form.iter().map(|(name, value)| (self.fill(name), self.fill(value))).collect()
    }
}

/// The placeholders of [`Form`], in the order [`Ids::fill`] fills them in.
const PLACEHOLDERS: [&str; 6] =
    ["{client}", "{service}", "{class}", "{class_id}", "{staff}", "{block}"];

/// Whether a form or body names ids of the tenant it is sent to.
pub(super) fn has_placeholders(texts: &[&str]) -> bool {
    texts.iter().any(|text| PLACEHOLDERS.iter().any(|placeholder| text.contains(placeholder)))
}

/// Everything a request could change about one tenant, in a comparable form.
#[derive(Debug, PartialEq)]
pub(super) struct TenantState {
    tenant: String,
    clients: String,
    live_api_tokens: String,
    members: String,
    audit: String,
    auth_tokens: String,
    services: String,
    service_defaults: String,
    staff_members: String,
    staff_services: String,
    weekly_hours: String,
    time_off: String,
    timetable_blocks: String,
    block_capacities: String,
    bookings: String,
    booking_links: String,
    holds: String,
    booking_events: i64,
    series: String,
    invoices: String,
    invoice_lines: String,
    invoice_counter: String,
    notification_settings: String,
    calendar_settings: String,
    client_notification_prefs: String,
    member_notification_prefs: String,
    calendar_feeds: String,
    client_favourites: String,
    faq_entries: String,
    images: String,
    payments: String,
    payment_allocations: String,
    payment_refunds: String,
    credit_entries: String,
    installments: String,
    billing_settings: String,
    booking_charges: String,
    outbox: i64,
    users: i64,
    sessions: i64,
}

/// The tenant's rows `sql` selects (with the tenant id as `$1`), for comparing.
async fn rows<T>(app: &TestApp, tenant: TenantId, sql: &'static str) -> String
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Debug + Send + Unpin,
{
    let rows: Vec<T> = sqlx::query_as(sql)
        .bind(tenant.get())
        .fetch_all(app.db().pool())
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    format!("{rows:?}")
}

type Opt = Option<i64>;

pub(super) async fn state_of(app: &TestApp, tenant: TenantId) -> TenantState {
    let db = app.db();
    let t = tenant;
    TenantState {
        tenant: format!("{:?}", tenants::by_id(db, t.get()).await.unwrap()),
        clients: format!("{:?}", clients::search(db, t, "", 1000).await.unwrap()),
        live_api_tokens: format!("{:?}", tokens::list_api_tokens(db, t).await.unwrap()),
        members: format!("{:?}", tenants::members(db, t).await.unwrap()),
        audit: format!("{:?}", audit::for_tenant(db, t, 1000).await.unwrap()),
        auth_tokens: rows::<(i64, String, String, Opt, Option<String>, Opt)>(
            app,
            t,
            "select id, purpose, email, client_id, role, used_at from auth_tokens \
             where tenant_id = $1 order by id",
        )
        .await,
        services: rows::<(i64, String, String, i64, i64, i64, i64, String, String, i64, i64, i64)>(
            app,
            t,
            "select id, code, name, duration_minutes, buffer_before_minutes, \
             buffer_after_minutes, price_minor, currency, mode, active, display_order, updated_at \
             from services where tenant_id = $1 order by id",
        )
        .await,
        service_defaults: rows::<(String, i64, String)>(
            app,
            t,
            "select code, duration_minutes, notes from service_defaults where tenant_id = $1 \
             order by code",
        )
        .await,
        staff_members: rows::<(i64, String, String, String, String, Opt, i64, i64, i64, i64)>(
            app,
            t,
            "select id, name, email, phone, bio, user_id, active, display_order, updated_at, \
             photo_version from staff_members where tenant_id = $1 order by id",
        )
        .await,
        staff_services: rows::<(i64, i64)>(
            app,
            t,
            "select s.staff_id, s.service_id from staff_services s \
             join staff_members m on m.id = s.staff_id where m.tenant_id = $1 \
             order by s.staff_id, s.service_id",
        )
        .await,
        weekly_hours: rows::<(i64, Opt, i64, i64, i64)>(
            app,
            t,
            "select id, staff_id, weekday, start_minute, end_minute from weekly_hours \
             where tenant_id = $1 order by id",
        )
        .await,
        time_off: rows::<(i64, Opt, i64, i64, String)>(
            app,
            t,
            "select id, staff_id, starts_at, ends_at, reason from time_off where tenant_id = $1 \
             order by id",
        )
        .await,
        timetable_blocks: rows::<(i64, String, i64, i64, String, i64)>(
            app,
            t,
            "select id, local_date, start_minute, end_minute, label, updated_at \
             from timetable_blocks where tenant_id = $1 order by id",
        )
        .await,
        block_capacities: rows::<(i64, i64, i64, i64)>(
            app,
            t,
            "select c.block_id, c.service_id, c.capacity, c.allow_overlap from block_capacities c \
             join timetable_blocks b on b.id = c.block_id where b.tenant_id = $1 \
             order by c.block_id, c.service_id",
        )
        .await,
        bookings: rows::<(i64, String, i64, i64, Opt, Opt, Opt, Opt, String, i64)>(
            app,
            t,
            "select id, status, starts_at, ends_at, staff_id, block_id, client_id, series_id, \
             notes, updated_at from bookings where tenant_id = $1 order by id",
        )
        .await,
        booking_links: rows::<(i64, i64, i64)>(
            app,
            t,
            "select l.id, l.booking_id, l.expires_at from booking_links l \
             join bookings b on b.id = l.booking_id where b.tenant_id = $1 order by l.id",
        )
        .await,
        holds: rows::<(i64, i64, Opt, Opt, i64, i64, Opt)>(
            app,
            t,
            "select id, service_id, staff_id, block_id, starts_at, expires_at, consumed_at \
             from holds where tenant_id = $1 order by id",
        )
        .await,
        booking_events: app
            .count(&format!("select count(*) from booking_events where tenant_id = {t}"))
            .await,
        series: rows::<(i64, i64, i64, Opt, String, String, String, i64)>(
            app,
            t,
            "select id, client_id, service_id, staff_id, rrule, cancelled_from, \
             materialized_until, updated_at from series where tenant_id = $1 order by id",
        )
        .await,
        invoices: rows::<(i64, i64, Option<String>, String, String, String, Opt, Opt, i64)>(
            app,
            t,
            "select id, client_id, number, status, due_date, notes, issued_at, voided_at, \
             updated_at from invoices where tenant_id = $1 order by id",
        )
        .await,
        invoice_lines: rows::<(i64, i64, i64, String, i64, i64, Opt, Opt)>(
            app,
            t,
            "select id, invoice_id, position, description, quantity, unit_price_minor, \
             tax_rate_bp, booking_id from invoice_lines where tenant_id = $1 order by id",
        )
        .await,
        invoice_counter: rows::<(String, i64)>(
            app,
            t,
            "select prefix, next_number from invoice_counters where tenant_id = $1",
        )
        .await,
        notification_settings: rows::<(Opt, i64)>(
            app,
            t,
            "select reminder_minutes_before, sms_enabled from tenants where id = $1",
        )
        .await,
        calendar_settings: rows::<(i64,)>(
            app,
            t,
            "select calendar_contact_details from tenants where id = $1",
        )
        .await,
        client_notification_prefs: rows::<(i64, i64, i64, i64, i64, i64, i64)>(
            app,
            t,
            "select client_id, email_changes, email_reminders, email_invoices, sms_changes, \
             sms_reminders, sms_invoices from client_notification_prefs where tenant_id = $1 \
             order by client_id",
        )
        .await,
        member_notification_prefs: rows::<(i64, i64)>(
            app,
            t,
            "select user_id, email_changes from member_notification_prefs where tenant_id = $1 \
             order by user_id",
        )
        .await,
        calendar_feeds: rows::<(i64, Opt, Opt, String)>(
            app,
            t,
            "select id, user_id, client_id, token_hash from calendar_feeds where tenant_id = $1 \
             order by id",
        )
        .await,
        faq_entries: rows::<(i64, String, String)>(
            app,
            t,
            "select position, question, answer from faq_entries where tenant_id = $1 \
             order by position",
        )
        .await,
        images: rows::<(String, i64, String, i64)>(
            app,
            t,
            "select kind, item_id, content_type, updated_at from tenant_images \
             where tenant_id = $1 order by kind, item_id",
        )
        .await,
        client_favourites: rows::<(i64, String, i64)>(
            app,
            t,
            "select client_id, kind, item_id from client_favourites where tenant_id = $1 \
             order by client_id, kind, item_id",
        )
        .await,
        payments: rows::<(i64, i64, Opt, i64, String, String, i64, String, i64)>(
            app,
            t,
            "select id, client_id, invoice_id, amount_minor, method, status, refunded_minor, \
             decision_reason, updated_at from payments where tenant_id = $1 order by id",
        )
        .await,
        payment_allocations: rows::<(i64, i64, i64, i64, String)>(
            app,
            t,
            "select id, payment_id, invoice_id, amount_minor, kind from payment_allocations \
             where tenant_id = $1 order by id",
        )
        .await,
        payment_refunds: rows::<(i64, i64, i64, String)>(
            app,
            t,
            "select id, payment_id, amount_minor, reason from payment_refunds \
             where tenant_id = $1 order by id",
        )
        .await,
        credit_entries: rows::<(i64, i64, i64, String, Opt, Opt, Opt, String)>(
            app,
            t,
            "select id, client_id, amount_minor, kind, payment_id, invoice_id, booking_id, reason \
             from credit_entries where tenant_id = $1 order by id",
        )
        .await,
        installments: rows::<(i64, i64, i64, String, i64, i64)>(
            app,
            t,
            "select id, invoice_id, position, due_date, amount_minor, paid_before_minor \
             from installments where tenant_id = $1 order by id",
        )
        .await,
        billing_settings: rows::<(String, i64, String)>(
            app,
            t,
            "select bill_when, payment_terms_days, cancel_paid from billing_settings \
             where tenant_id = $1",
        )
        .await,
        booking_charges: rows::<(i64, i64, i64, i64, i64, Opt, Opt)>(
            app,
            t,
            "select id, booking_id, client_id, amount_minor, credit_minor, invoice_id, \
             cancelled_at from booking_charges where tenant_id = $1 order by id",
        )
        .await,
        outbox: app.count("select count(*) from outbox").await,
        users: app.count("select count(*) from users").await,
        sessions: app.count("select count(*) from sessions where user_id is not null").await,
    }
}

/// Two PRO tenants, each with a client with a portal login (B's with contact details), a
/// staff login, an API token, and one of each kind of [`Ids`].
pub(super) struct World {
    pub(super) a: SeededTenant,
    pub(super) b: SeededTenant,
    pub(super) a_ids: Ids,
    pub(super) b_ids: Ids,
    /// The API tokens' secrets.
    pub(super) a_token: String,
    pub(super) b_token: String,
    pub(super) b_client_user: UserId,
    /// A guest who booked on B's public pages and is now holding another place there.
    pub(super) b_guest: Browser,
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

/// Books the tenant's block service as a guest on its public pages (which leaves the booking
/// in the guest's session) and returns the guest's browser and the booking's id.
async fn book_as_guest(app: &TestApp, t: &SeededTenant, class: &str) -> (Browser, i64) {
    let path = format!("/api/v1/{}/availability?service={class}&date=2026-12-08", t.slug);
    let (status, body) = app.api_get(&path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let option = &body["options"][0];
    let (start, block) = (option["start"].as_str().unwrap(), option["block_id"].to_string());
    let guest = app.browser();
    let hold = [("start", start), ("staff_id", ""), ("block_id", block.as_str())];
    let response = guest.post_form(&format!("/book/{}/services/{class}/hold", t.slug), &hold).await;
    assert_eq!(location(&response), format!("/book/{}/details", t.slug));
    let email = format!("guest@{}.example", t.slug);
    let name = format!("Guest of {}", t.slug);
    let details =
        [("name", name.as_str()), ("email", &email), ("phone", "+44 7700 900123"), ("notes", "")];
    let response = guest.post_form(&format!("/book/{}/details", t.slug), &details).await;
    assert_eq!(location(&response), format!("/book/{}/done", t.slug));
    let sql = format!("select id from bookings where tenant_id = {} and client_id is null", t.id);
    (guest, app.count(&sql).await)
}

/// Seeds one of each kind of id for the tenant: a slot service with owner and staff hours, a
/// block service with a block, a staff member with time off, the client's booking and series,
/// and a guest's booking with a manage link.
async fn seed_ids(app: &TestApp, t: &SeededTenant, client: ClientId) -> (Ids, String, Browser) {
    let db = app.db();
    let now = app.clock.now_ts();
    let walk = app.seed_service(t.id, &format!("{}-walk", t.slug), Mode::Slot, 60).await;
    let class = app.seed_service(t.id, &format!("{}-class", t.slug), Mode::Block, 60).await;
    app.seed_hours(t.id, None, 8 * 60, 18 * 60).await;
    let staff = app.seed_staff_member(t.id, &format!("Staff of {}", t.slug), &[&walk]).await;
    app.seed_hours(t.id, Some(staff), 8 * 60, 18 * 60).await;
    // A logo and a staff photo, which another tenant can neither replace nor remove.
    for picture in [Picture::Logo, Picture::Staff(staff.get())] {
        images::put(db, t.id, picture, "image/png", b"stored", now).await.unwrap();
    }
    let block = app.seed_block(t.id, day(8), 9 * 60, 12 * 60, &class, 5).await;
    let at = |d, h| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap().timestamp();
    let time_off =
        hours::add_time_off(db, t.id, Some(staff.get()), at(21, 0), at(22, 0), "Course", now)
            .await
            .unwrap();
    let (api_token, token) =
        tokens::create_api_token(db, t.id, &format!("{} app", t.slug), now).await.unwrap();

    let body = format!(
        r#"{{"service": "{}", "start": "2026-12-08T10:00:00Z", "client_id": {client}}}"#,
        walk.code
    );
    let path = format!("/api/v1/{}/bookings", t.slug);
    let (status, booking) = api(app, Post, &path, Some(&token), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");

    let tenant = tenants::by_id(db, t.id.get()).await.unwrap().unwrap();
    let rule = Rule::new(1, &[Weekday::Wed], day(9), End::Count(2)).unwrap();
    let eleven = LocalMinutes::parse("11:00").unwrap();
    let new = portico_core::series::NewSeries {
        client,
        service: &walk,
        staff: None,
        rule: &rule,
        local_start: eleven,
    };
    let ctx = portico_core::Context::system(app.clock.now());
    let (series, _) = portico_core::series::create(db, &tenant, &new, &ctx).await.unwrap();

    let (guest, guest_booking) = book_as_guest(app, t, &class.code).await;
    let manage = bookings::create_link(
        db,
        &tenant,
        app.booking_id(t.id, guest_booking).await,
        now + 60 * 86_400,
        now,
    )
    .await
    .unwrap();
    let invoice = seed_invoice(db, t.id, client, now).await;
    let payment = seed_declared_transfer(app, &tenant, client).await;

    let ids = Ids {
        client,
        api_token,
        service: walk.code,
        class: class.code,
        class_id: class.id.get(),
        staff: staff.get(),
        block,
        booking: booking["id"].as_i64().unwrap(),
        time_off: time_off.id.get(),
        series: series.id.get(),
        guest_booking,
        manage,
        invoice,
        payment,
    };
    (ids, token, guest)
}

/// A draft invoice of the client, with one line.
async fn seed_invoice(db: &portico_store::Db, tenant: TenantId, client: ClientId, now: i64) -> i64 {
    let currency = Currency::parse("GBP").unwrap();
    let line = Line {
        description: "Walks".into(),
        quantity: 2,
        unit_price: Money::new(2500, currency),
        tax_rate_bp: Some(2000),
        booking_id: None,
    };
    let new = invoices::NewInvoice {
        client: client.get(),
        currency,
        due_date: day(31),
        notes: String::new(),
        lines: vec![line],
    };
    let mut tx = db.begin_write().await.unwrap();
    let id = invoices::create(&mut tx, tenant, &new, now).await.unwrap().unwrap().id;
    tx.commit().await.unwrap();
    id.get()
}

/// A pending bank transfer the client declared for an issued invoice of theirs.
async fn seed_declared_transfer(app: &TestApp, tenant: &tenants::Tenant, client: ClientId) -> i64 {
    let db = app.db();
    let now = app.clock.now_ts();
    let draft = seed_invoice(db, tenant.id, client, now).await;
    let ctx = portico_core::Context::system(app.clock.now());
    portico_core::invoices::issue(db, tenant.id, draft, &ctx).await.unwrap().unwrap();
    let amount = Money::new(1000, Currency::parse("GBP").unwrap());
    portico_core::payments::declare_transfer(db, tenant, client, draft, amount, "ref", &ctx)
        .await
        .unwrap()
        .unwrap()
        .id
        .get()
}

pub(super) async fn world(app: &TestApp) -> World {
    let a = app.seed_tenant("alpha", Plan::Pro).await;
    let b = app.seed_tenant("bravo", Plan::Pro).await;
    let (a_client, _) = app.seed_client(&a, "Ann Alpha", "ann@example.com", true).await;
    let (b_client, b_client_user) = app.seed_client(&b, "Bob Bravo", "bob@example.com", true).await;
    let now = app.clock.now_ts();
    clients::update_contact(
        app.db(),
        b.id,
        b_client,
        "Bob Bravo",
        "+44 1632 960001",
        "1 B Road",
        now,
    )
    .await
    .unwrap();
    app.seed_staff(&a, "staff@alpha.example").await;
    app.seed_staff(&b, "staff@bravo.example").await;
    let (a_ids, a_token, _) = seed_ids(app, &a, a_client).await;
    let (b_ids, b_token, b_guest) = seed_ids(app, &b, b_client).await;
    // B's guest goes on to hold another place.
    let path = format!("/book/bravo/services/{}/hold", b_ids.class);
    let block = b_ids.block.to_string();
    let hold = [("start", "2026-12-08T09:00:00Z"), ("staff_id", ""), ("block_id", &block)];
    assert_eq!(location(&b_guest.post_form(&path, &hold).await), "/book/bravo/details");
    World { a, b, a_ids, b_ids, a_token, b_token, b_client_user: b_client_user.unwrap(), b_guest }
}
