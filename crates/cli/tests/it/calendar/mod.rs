//! Google Calendar sync (PRO) against the fake Google in testkit, on both backends: connect
//! with PKCE and a single-use session-bound state ([`connect`]), sealed tokens, one-way sync
//! with deterministic event ids ([`sync`]), failures ([`failures`]) and busy times
//! ([`busy`]).

mod busy;
mod connect;
mod details;
mod failures;
mod sync;

use chrono::{DateTime, Utc};
use portico_core::bookings::NewBooking;
use portico_core::{Actor, Context};
use portico_domain::plans::Plan;
use portico_domain::{ClientId, Clock as _};
use portico_store::bookings::{Party, Slot};
use portico_store::calendar::{self, Connection};
use portico_store::catalog::{Mode, Service};
use portico_store::tenants::{self, Tenant};
use portico_testkit::{Backend, Browser, FakeGoogle, PASSWORD, SeededTenant, TestApp, location};
use reqwest::StatusCode;

/// A PRO business in Europe/London, open 08:00–18:00 every day, with a one-hour service, a
/// client, the fake Google configured, and its owner logged in.
pub(super) struct Shop {
    pub google: FakeGoogle,
    pub app: TestApp,
    pub seeded: SeededTenant,
    pub service: Service,
    pub jo: ClientId,
    pub owner: Browser,
}

impl Shop {
    pub async fn open(backend: Backend) -> Self {
        Self::open_at(backend, None).await
    }

    /// Like [`open`](Self::open), with the clock set to `now` first.
    pub async fn open_at(backend: Backend, now: Option<DateTime<Utc>>) -> Self {
        let google = FakeGoogle::start().await;
        let app = TestApp::spawn_with(backend, |sources| google.configure(sources)).await;
        if let Some(now) = now {
            app.clock.set(now);
        }
        let seeded = app.seed_tenant("paws", Plan::Pro).await;
        let service = app.seed_service(seeded.id, "walk", Mode::Slot, 60).await;
        app.seed_hours(seeded.id, None, 8 * 60, 18 * 60).await;
        let (jo, _) = app.seed_client(&seeded, "Jo Client", "jo@paws.example", false).await;
        let owner = app.browser();
        owner.login(&seeded.owner_email, PASSWORD).await;
        Self { google, app, seeded, service, jo, owner }
    }

    pub async fn tenant(&self) -> Tenant {
        tenants::by_id(self.app.db(), self.seeded.id.get()).await.unwrap().unwrap()
    }

    /// Starts connecting in `browser` and consents at the fake Google: the callback URL
    /// Google sends the browser back to (as a path of the app).
    pub async fn consent(&self, browser: &Browser) -> String {
        let start = browser.get("/app/paws/calendar/connect").await;
        assert_eq!(start.status(), StatusCode::SEE_OTHER);
        let authorize = location(&start);
        assert!(authorize.starts_with(&self.google.base()), "{authorize}");
        let google =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let answer = google.get(&authorize).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::FOUND, "{}", answer.text().await.unwrap());
        let back = location(&answer);
        let prefix = format!("http://{}", self.app.address);
        back.strip_prefix(&prefix).unwrap_or_else(|| panic!("callback {back}")).to_owned()
    }

    /// Connects the owner's calendar and runs the backfill.
    pub async fn connect_owner(&self) -> Connection {
        let callback = self.consent(&self.owner).await;
        let done = self.owner.get(&callback).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER, "{}", done.text().await.unwrap());
        assert_eq!(location(&done), "/app/paws/calendar");
        self.app.run_pending_jobs().await;
        self.connection().await.expect("connected")
    }

    pub async fn connection(&self) -> Option<Connection> {
        calendar::for_user(self.app.db(), self.seeded.id, self.seeded.owner).await.unwrap()
    }

    /// Books the owner for Jo at `start`, as the owner.
    pub async fn book(&self, start: DateTime<Utc>) -> i64 {
        let new = NewBooking {
            service: &self.service,
            slot: Slot { start, staff: None, block: None },
            party: Party::Client(self.jo),
            notes: String::new(),
            hold_token: None,
            address: String::new(),
        };
        let ctx = self.ctx();
        (portico_core::bookings::create(self.app.db(), &self.tenant().await, &new, &ctx)
            .await
            .expect("booked")
            .id)
            .get()
    }

    pub async fn reschedule(&self, booking: i64, start: DateTime<Utc>) {
        let slot = Slot { start, staff: None, block: None };
        portico_core::bookings::reschedule(
            self.app.db(),
            &self.tenant().await,
            booking,
            &slot,
            &self.ctx(),
        )
        .await
        .expect("rescheduled");
    }

    pub async fn cancel(&self, booking: i64) {
        portico_core::bookings::cancel(self.app.db(), &self.tenant().await, booking, &self.ctx())
            .await
            .expect("cancelled");
    }

    fn ctx(&self) -> Context {
        Context::new(Actor::Owner(self.seeded.owner), "", self.app.clock.now())
    }

    /// The event id Portico derives for a booking of this shop.
    pub fn event_id(&self, booking: i64) -> String {
        portico_integrations::google::event_id(self.seeded.id.get(), booking)
    }
}

/// The owner's primary calendar at the fake.
pub(super) const PRIMARY: &str = "primary";
