//! Catalog and schedule fixtures for booking tests, written straight to the store.

use chrono::NaiveDate;
use portico_domain::{StaffId, TenantId};
use portico_store::blocks::{self, BlockFields, CapacityFields};
use portico_store::catalog::{self, Mode, Service, ServiceFields};
use portico_store::hours::{self, HourRange};
use portico_store::staff::{self, StaffFields};

use crate::TestApp;

impl TestApp {
    /// An active service.
    pub async fn seed_service(
        &self,
        tenant: TenantId,
        code: &str,
        mode: Mode,
        minutes: u32,
    ) -> Service {
        let fields = ServiceFields {
            code: code.into(),
            name: format!("Service {code}"),
            description: String::new(),
            duration_minutes: minutes,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            price_minor: 2500,
            currency: "GBP".into(),
            mode,
            active: true,
            display_order: 0,
            location_kind: portico_store::catalog::LocationKind::Business,
            meeting_url: String::new(),
            prepay: false,
        };
        catalog::insert(self.db(), tenant, &fields, 0)
            .await
            .expect("insert service")
            .expect("code free")
    }

    /// A block on `date` from `start` to `end` (local minutes) with `capacity` for `service`.
    pub async fn seed_block(
        &self,
        tenant: TenantId,
        date: NaiveDate,
        start: u16,
        end: u16,
        service: &Service,
        capacity: u32,
    ) -> i64 {
        let fields = BlockFields {
            date,
            start_minute: start,
            end_minute: end,
            label: format!("Block {start}"),
            capacities: vec![CapacityFields {
                service_id: service.id.get(),
                capacity,
                allow_overlap: false,
            }],
        };
        blocks::insert(self.db(), tenant, &fields, 0).await.expect("insert block").get()
    }

    /// Weekly hours every day from `start` to `end` (local minutes), for a staff member or
    /// (None) the owner.
    pub async fn seed_hours(&self, tenant: TenantId, staff: Option<StaffId>, start: i64, end: i64) {
        let ranges: Vec<HourRange> = (1..=7)
            .map(|weekday| HourRange { weekday, start_minute: start, end_minute: end })
            .collect();
        hours::replace_weekly(self.db(), tenant, staff.map(StaffId::get), &ranges)
            .await
            .expect("hours");
    }

    /// An active staff member providing `services`.
    pub async fn seed_staff_member(
        &self,
        tenant: TenantId,
        name: &str,
        services: &[&Service],
    ) -> StaffId {
        let fields = StaffFields {
            name: name.into(),
            email: String::new(),
            active: true,
            services: services.iter().map(|s| s.id).collect(),
            ..StaffFields::default()
        };
        staff::insert(self.db(), tenant, &fields, usize::MAX, 0).await.expect("insert staff")
    }

    /// A provider API token for the tenant.
    pub async fn api_token(&self, tenant: TenantId) -> String {
        portico_store::tokens::create_api_token(self.db(), tenant, "test", 0)
            .await
            .expect("token")
            .1
    }
}
