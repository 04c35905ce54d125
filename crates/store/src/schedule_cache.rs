//! Per-tenant schedule data kept in memory for availability: the tenant, its services and
//! staff, who provides what, each person's hours, time off and busy intervals per asked
//! window, and the timetable blocks per asked dates.
//!
//! Everything is tagged with the tenant's schedule version ([`crate::versions`]) read at the
//! start of the request — one indexed read that also resolves the slug — and is loaded after
//! that read, so a copy is never older than its tag. Every write that changes what can be
//! booked bumps the version in its own transaction, so the next request after its commit, in
//! this process or any other on the same database, sees a new number and loads afresh.
//!
//! Two tags, since bookings come far more often than anything else: the tenant, its
//! services, staff, who provides what and its billing settings are tagged with part 0 of the
//! version (which bookings and holds never move), the windows of hours and busy times with
//! the whole version. A booking makes the next request reload the windows, not the tenant.
//! Holds keep their expiry and the calendar its plan gate, so time passing needs no write.
//!
//! Availability shown from here is as fresh as a database read; the booking transaction never
//! uses it: it locks and re-checks against the database ([`crate::availability::options_in`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, NaiveDate, Utc};
use portico_domain::schedule::BookingOption;
use portico_domain::{ServiceId, StaffId, TenantId};

use crate::availability::{self, Query, RawResource};
use crate::billing::{self, Settings};
use crate::blocks::{self, RawBlocks};
use crate::catalog::{self, Mode, Service};
use crate::staff::StaffMember;
use crate::tenants::{self, Tenant};
use crate::version_checks::VersionChecks;
use crate::{Db, StoreError, staff};

/// Most tenants kept; past it the whole map starts over (a cold tenant costs one load).
const MAX_TENANTS: usize = 10_000;
/// Most windows (person × dates, or block dates) kept per tenant and version.
const MAX_WINDOWS: usize = 2_048;

/// The process's copies, shared by every clone of a [`Db`].
#[derive(Default)]
pub struct ScheduleCache {
    tenants: Mutex<HashMap<TenantId, Arc<Entry>>>,
    /// The version checks of concurrent requests, shared per slug.
    checks: VersionChecks,
}

impl ScheduleCache {
    /// How many schedule version reads this process ran (see [`crate::version_checks`]).
    pub fn version_reads(&self) -> u64 {
        self.checks.reads()
    }
}

impl std::fmt::Debug for ScheduleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduleCache").finish_non_exhaustive()
    }
}

/// One tenant at one version of part 0 ([`versions::Seen::base`]).
struct Entry {
    base: i64,
    tenant: Tenant,
    data: Mutex<Data>,
}

#[derive(Default)]
struct Data {
    services: HashMap<String, Option<Service>>,
    active_services: Option<Vec<Service>>,
    staff_list: Option<Vec<StaffMember>>,
    staff: HashMap<i64, bool>,
    /// (service, plan's staff limit) → who provides it, in order.
    people: HashMap<(ServiceId, usize), Vec<StaffId>>,
    billing: Option<Settings>,
    windows: Windows,
}

/// Hours, time off and busy times per window, at one whole version.
#[derive(Default)]
struct Windows {
    version: i64,
    resources: HashMap<(Option<i64>, i64, i64), Arc<RawResource>>,
    blocks: HashMap<(NaiveDate, NaiveDate), Arc<RawBlocks>>,
}

impl Windows {
    /// The windows as of `version`, if these are (a request that read an older version gets
    /// nothing and loads its own).
    fn at(&mut self, version: i64) -> Option<&mut Self> {
        if self.version < version {
            *self = Self { version, ..Self::default() };
        }
        (self.version == version).then_some(self)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned map is still a valid map.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A tenant's schedule as of the version read for this request.
#[derive(Clone)]
pub struct Schedule {
    db: Db,
    entry: Arc<Entry>,
    version: i64,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule")
            .field("tenant", &self.entry.tenant.id)
            .field("base", &self.entry.base)
            .field("version", &self.version)
            .finish()
    }
}

/// The tenant with this slug and its schedule, checking the version once (one indexed read,
/// shared with concurrent requests for the same slug that arrived no later: see
/// [`crate::version_checks`]) and loading the tenant only when it changed.
pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Schedule>, StoreError> {
    let Some(seen) = db.schedules().checks.by_slug(db, slug).await? else { return Ok(None) };
    let Some(entry) = entry(db, seen.tenant, seen.base).await? else { return Ok(None) };
    Ok(Some(Schedule { db: db.clone(), entry, version: seen.version }))
}

/// The tenant as of part 0 of its version being `base`, read by the caller in a statement of
/// its own that needed the tenant's data anyway (a notice job's
/// [`crate::bookings::events::for_notice`]): the copy kept here if it is of that version,
/// else loaded (and kept). `None`: no such tenant.
pub async fn tenant_at(db: &Db, id: TenantId, base: i64) -> Result<Option<Tenant>, StoreError> {
    Ok(entry(db, id, base).await?.map(|entry| entry.tenant.clone()))
}

/// The kept copy of tenant `id` at part-0 version `base`, or a fresh one (read after the
/// version was, so never older than its tag) that replaces an older copy.
async fn entry(db: &Db, id: TenantId, base: i64) -> Result<Option<Arc<Entry>>, StoreError> {
    let cached = lock(&db.schedules().tenants).get(&id).cloned();
    if let Some(entry) = cached.filter(|e| e.base == base) {
        return Ok(Some(entry));
    }
    let Some(tenant) = tenants::by_id(db, id.get()).await? else { return Ok(None) };
    let entry = Arc::new(Entry { base, tenant, data: Mutex::new(Data::default()) });
    let mut map = lock(&db.schedules().tenants);
    // A slower request that read an older version must not replace a newer copy.
    if map.get(&id).is_none_or(|e| e.base < base) {
        if map.len() >= MAX_TENANTS {
            map.clear();
        }
        map.insert(id, Arc::clone(&entry));
    }
    Ok(Some(entry))
}

impl std::ops::Deref for Schedule {
    type Target = Tenant;

    fn deref(&self) -> &Tenant {
        self.tenant()
    }
}

impl Schedule {
    pub fn tenant(&self) -> &Tenant {
        &self.entry.tenant
    }

    /// The schedule version read for this request.
    pub fn version(&self) -> i64 {
        self.version
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        lock(&self.entry.data)
    }

    /// Runs `f` on the windows kept for this request's version (none if a newer request
    /// replaced them already).
    fn windows<T>(&self, f: impl FnOnce(&mut Windows) -> T) -> Option<T> {
        self.data().windows.at(self.version).map(f)
    }

    /// The service with this code (active or not), as [`catalog::by_code`].
    pub async fn service_by_code(&self, code: &str) -> Result<Option<Service>, StoreError> {
        if let Some(found) = self.data().services.get(code) {
            return Ok(found.clone());
        }
        let found = catalog::by_code(&self.db, self.tenant().id, code).await?;
        self.data().services.insert(code.to_owned(), found.clone());
        Ok(found)
    }

    /// The active services in display order, as [`catalog::list`] for booking pages.
    pub async fn active_services(&self) -> Result<Vec<Service>, StoreError> {
        if let Some(found) = &self.data().active_services {
            return Ok(found.clone());
        }
        let found = catalog::list(&self.db, self.tenant().id, true).await?;
        self.data().active_services = Some(found.clone());
        Ok(found)
    }

    /// The tenant's billing settings, as [`billing::settings`].
    pub async fn billing(&self) -> Result<Settings, StoreError> {
        if let Some(found) = &self.data().billing {
            return Ok(found.clone());
        }
        let found = billing::settings(&self.db, self.tenant().id).await?;
        self.data().billing = Some(found.clone());
        Ok(found)
    }

    /// Every staff member, as [`staff::list`].
    pub async fn staff(&self) -> anyhow::Result<Vec<StaffMember>> {
        if let Some(found) = &self.data().staff_list {
            return Ok(found.clone());
        }
        let found = staff::list(&self.db, self.tenant().id).await?;
        self.data().staff_list = Some(found.clone());
        Ok(found)
    }

    /// Whether the tenant has this staff member (active or not), as [`staff::get`].
    pub async fn has_staff_member(&self, id: i64) -> anyhow::Result<bool> {
        if let Some(found) = self.data().staff.get(&id) {
            return Ok(*found);
        }
        let found = staff::get(&self.db, self.tenant().id, id).await?.is_some();
        self.data().staff.insert(id, found);
        Ok(found)
    }

    /// Bookable options, as [`availability::options`] would answer them now.
    pub async fn options(
        &self,
        service: &Service,
        q: &Query,
    ) -> anyhow::Result<Vec<BookingOption>> {
        let tenant = self.tenant();
        if q.except_booking.is_some() {
            return availability::options(&self.db, tenant, service, q).await;
        }
        match service.mode {
            Mode::Block => {
                let blocks = self.blocks(q).await?.at(q.now.timestamp());
                Ok(availability::block_options(tenant, service, q, &blocks))
            }
            Mode::Slot => {
                let mut resources = Vec::new();
                for person in self.people(service, q.now).await? {
                    if q.staff.is_some() && person != q.staff {
                        continue;
                    }
                    resources.push(self.resource(person, q).await?.at(tenant, person, q.now));
                }
                Ok(availability::slot_options(tenant, service, q, &resources))
            }
        }
    }

    /// [`availability::people`] from memory.
    pub async fn people(
        &self,
        service: &Service,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Option<i64>>> {
        let limit = portico_domain::plans::max_active_staff(self.tenant().effective_plan(now));
        if limit == 0 {
            return Ok(vec![None]);
        }
        let key = (service.id, limit);
        let cached = self.data().people.get(&key).cloned();
        let staff = match cached {
            Some(staff) => staff,
            None => {
                let staff =
                    staff::bookable_for(&self.db, self.tenant().id, service.id, limit).await?;
                self.data().people.insert(key, staff.clone());
                staff
            }
        };
        Ok(if staff.is_empty() {
            vec![None]
        } else {
            staff.into_iter().map(|s| Some(s.get())).collect()
        })
    }

    async fn resource(&self, person: Option<i64>, q: &Query) -> anyhow::Result<Arc<RawResource>> {
        let (from, to) = availability::slot_window(self.tenant(), q);
        let key = (person, from.timestamp(), to.timestamp());
        let cached = self.windows(|w| w.resources.get(&key).cloned());
        if let Some(found) = cached.flatten() {
            return Ok(found);
        }
        let mut conn = self.db.pool().acquire().await?;
        let raw = RawResource::load(&mut conn, self.tenant(), person, from, to, q.now).await?;
        let raw = Arc::new(raw);
        self.windows(|w| {
            if w.resources.len() >= MAX_WINDOWS {
                w.resources.clear();
            }
            w.resources.insert(key, Arc::clone(&raw));
        });
        Ok(raw)
    }

    async fn blocks(&self, q: &Query) -> anyhow::Result<Arc<RawBlocks>> {
        let key = availability::block_dates(q);
        let cached = self.windows(|w| w.blocks.get(&key).cloned());
        if let Some(found) = cached.flatten() {
            return Ok(found);
        }
        let mut conn = self.db.pool().acquire().await?;
        let raw =
            blocks::between_raw_in(&mut conn, self.tenant().id, key.0, key.1, q.now.timestamp())
                .await?;
        let raw = Arc::new(raw);
        self.windows(|w| {
            if w.blocks.len() >= MAX_WINDOWS {
                w.blocks.clear();
            }
            w.blocks.insert(key, Arc::clone(&raw));
        });
        Ok(raw)
    }
}
