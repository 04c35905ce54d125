//! Holds and bookings over the API. Provider calls use a bearer token; guest calls (no token)
//! are rate limited and, like every cookie-session POST, need the page's CSRF token — so no
//! other site can make them.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::{Json, http::header};
use chrono::{DateTime, Utc};
use portico_core::bookings::NewBooking;
use portico_domain::accounts::{self, Email};
use portico_domain::contact::parse_address;
use portico_domain::{BlockId, ClientId, StaffId};
use portico_store::bookings::{self, Actor, Booking, Filter, Party, Slot, Status};
use portico_store::catalog::{self, LocationKind, Service};
use portico_store::clients;
use portico_store::schedule_cache::{self, Schedule};
use portico_store::tenants::Tenant;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::ApiScope;
use crate::forms::Check;
use crate::limits::{Limit, ip_subject};
use crate::{AppState, Error};

/// The tenant in the path, and whether the caller is the provider (valid bearer token) or a
/// guest (no token).
pub struct Caller {
    pub tenant: Tenant,
    pub provider: bool,
    /// A guest's view of the tenant: its schedule as the booking page reads it (one version
    /// check; the tenant, its services and billing settings from memory while unchanged).
    schedule: Option<Schedule>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let scope = ApiScope::from_request_parts(parts, state).await?;
            return Ok(Self { tenant: scope.tenant, provider: true, schedule: None });
        }
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        let slug = params
            .iter()
            .find(|(k, _)| *k == "tenant")
            .map(|(_, v)| v.to_owned())
            .ok_or(Error::NotFound)?;
        let schedule = schedule_cache::by_slug(&state.db, &slug).await?.ok_or(Error::NotFound)?;
        Ok(Self { tenant: schedule.tenant().clone(), provider: false, schedule: Some(schedule) })
    }
}

impl Caller {
    /// The active service with this code, or a field error.
    async fn active_service(
        &self,
        state: &AppState,
        check: &mut Check,
        code: &str,
    ) -> Result<Option<Service>, Error> {
        let code = code.trim();
        let service = match &self.schedule {
            Some(schedule) => schedule.service_by_code(code).await?,
            None => catalog::by_code(&state.db, self.tenant.id, code).await?,
        };
        let service = service.filter(|s| s.active);
        if service.is_none() {
            check.fail("service", "Unknown service.");
        }
        Ok(service)
    }

    /// `ctx` with the tenant's billing settings when they are at hand (a guest's call).
    async fn context(&self, ctx: portico_core::Context) -> Result<portico_core::Context, Error> {
        Ok(match &self.schedule {
            Some(schedule) => ctx.with_billing(self.tenant.id, schedule.billing().await?),
            None => ctx,
        })
    }
}

/// The booking as the API shows it.
#[derive(Debug, Serialize)]
pub struct BookingJson {
    id: i64,
    status: String,
    service: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    staff_id: Option<i64>,
    block_id: Option<i64>,
    client_id: Option<i64>,
    guest: Option<GuestJson>,
    notes: String,
    price_minor: i64,
    currency: String,
    location_kind: LocationKind,
    /// The client's address or the meeting link; empty at the business.
    location: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GuestJson {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

fn instant(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or_default()
}

impl From<Booking> for BookingJson {
    fn from(b: Booking) -> Self {
        let guest = b.client_id.is_none().then(|| GuestJson {
            name: b.guest_name.clone(),
            email: b.guest_email.clone(),
            phone: b.guest_phone.clone(),
        });
        Self {
            id: b.id.get(),
            status: b.status.as_str().to_owned(),
            service: b.service_code,
            start: instant(b.starts_at.unix()),
            end: instant(b.ends_at.unix()),
            staff_id: b.staff_id.map(StaffId::get),
            block_id: b.block_id.map(BlockId::get),
            client_id: b.client_id.map(ClientId::get),
            guest,
            notes: b.notes,
            price_minor: b.price_minor,
            currency: b.currency,
            location_kind: b.location_kind,
            location: b.location,
        }
    }
}

/// `start` as RFC 3339.
pub fn parse_start(check: &mut Check, field: &str, value: &str) -> Option<DateTime<Utc>> {
    check.field(
        field,
        DateTime::parse_from_rfc3339(value.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| "Use an RFC 3339 date-time such as 2026-12-01T09:00:00Z."),
    )
}

#[derive(Debug, Deserialize)]
pub struct HoldRequest {
    #[serde(default)]
    service: String,
    #[serde(default)]
    start: String,
    staff_id: Option<i64>,
    block_id: Option<i64>,
}

#[derive(Debug, Serialize)]
struct HoldJson {
    hold_token: String,
    expires_at: DateTime<Utc>,
    start: DateTime<Utc>,
    staff_id: Option<i64>,
    block_id: Option<i64>,
}

/// Limits guest calls per IP; provider calls count against their token's own limit instead
/// (in `ApiScope`, through `Caller`).
async fn limit_guest(
    state: &AppState,
    caller: &Caller,
    parts: &crate::auth::Viewer,
) -> Result<(), Error> {
    if caller.provider {
        return Ok(());
    }
    let limit = Limit { name: "booking-ip", max: state.config.rate_limits.booking_per_ip };
    state.rate_limit(limit, &ip_subject(parts.ip)).await
}

pub async fn create_hold(
    State(state): State<AppState>,
    caller: Caller,
    viewer: crate::auth::Viewer,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    limit_guest(&state, &caller, &viewer).await?;
    let body: HoldRequest = crate::json::parse(body)?;
    let mut check = Check::default();
    let start = parse_start(&mut check, "start", &body.start);
    let service = caller.active_service(&state, &mut check, &body.service).await?;
    let (Some(start), Some(service), true) = (start, service, check.is_ok()) else {
        return Err(Error::Unprocessable { fields: check.errors });
    };
    let slot = Slot { start, staff: body.staff_id, block: body.block_id };
    let hold =
        portico_core::bookings::hold(&state.db, &caller.tenant, &service, &slot, state.clock.now())
            .await?;
    let json = HoldJson {
        hold_token: hold.token,
        expires_at: hold.expires_at,
        start: hold.starts_at,
        staff_id: hold.staff_id,
        block_id: hold.block_id,
    };
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct BookingRequest {
    #[serde(default)]
    service: String,
    #[serde(default)]
    start: String,
    staff_id: Option<i64>,
    block_id: Option<i64>,
    hold_token: Option<String>,
    client_id: Option<i64>,
    guest: Option<GuestJson>,
    #[serde(default)]
    notes: String,
    /// Where the appointment takes place, for a service at the client's address.
    #[serde(default)]
    address: String,
}

/// Checks a guest's name, email and phone.
pub fn guest_party(check: &mut Check, guest: &GuestJson) -> Option<Party> {
    let name = check.field("guest.name", accounts::parse_name(&guest.name));
    let email = check.field("guest.email", Email::parse(&guest.email));
    let phone = check.field("guest.phone", accounts::parse_required_phone(&guest.phone));
    Some(Party::Guest { name: name?, email: email?.to_string(), phone: phone? })
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    viewer: crate::auth::Viewer,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, Error> {
    limit_guest(&state, &caller, &viewer).await?;
    let body: BookingRequest = crate::json::parse(body)?;
    let mut check = Check::default();
    let start = parse_start(&mut check, "start", &body.start);
    let service = caller.active_service(&state, &mut check, &body.service).await?;
    if body.notes.chars().count() > 2000 {
        check.fail("notes", "Use at most 2,000 characters.");
    }
    let address = check.field("address", parse_address(&body.address));
    let party = match (body.client_id, &body.guest) {
        (Some(_), _) if !caller.provider => {
            check.fail("client_id", "Only the provider may book for a client.");
            None
        }
        (Some(id), _) => match clients::get(&state.db, caller.tenant.id, id).await? {
            Some(client) => Some(Party::Client(client.id)),
            None => {
                check.fail("client_id", "Unknown client.");
                None
            }
        },
        (None, Some(guest)) => guest_party(&mut check, guest),
        (None, None) => {
            check.fail("guest", "Give the guest's name, email and phone.");
            None
        }
    };
    let (Some(start), Some(service), Some(party), Some(address), true) =
        (start, service, party, address, check.is_ok())
    else {
        return Err(Error::Unprocessable { fields: check.errors });
    };
    let new = NewBooking {
        service: &service,
        slot: Slot { start, staff: body.staff_id, block: body.block_id },
        party,
        notes: body.notes.trim().to_owned(),
        hold_token: body.hold_token.as_deref(),
        address,
    };
    let actor = if caller.provider { Actor::Api } else { Actor::Guest };
    let ctx = caller.context(state.context(actor, viewer.ip_string())).await?;
    let booking = portico_core::bookings::create(&state.db, &caller.tenant, &new, &ctx).await?;
    Ok((StatusCode::CREATED, Json(BookingJson::from(booking))).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    status: Option<String>,
}

pub async fn index(
    State(state): State<AppState>,
    scope: ApiScope,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, Error> {
    let mut check = Check::default();
    let from = q.from.as_deref().and_then(|v| parse_start(&mut check, "from", v));
    let to = q.to.as_deref().and_then(|v| parse_start(&mut check, "to", v));
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(value) => {
            let parsed = Status::parse(value).ok();
            if parsed.is_none() {
                check.fail("status", "Use pending, confirmed, cancelled, completed or no_show.");
            }
            parsed
        }
    };
    if !check.is_ok() {
        return Err(Error::Unprocessable { fields: check.errors });
    }
    let filter = Filter {
        from: from.map(|t| t.timestamp()),
        to: to.map(|t| t.timestamp()),
        status,
        ..Filter::default()
    };
    let list: Vec<BookingJson> = bookings::list(&state.db, &scope.tenant, &filter)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(serde_json::json!({ "bookings": list })))
}

pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<BookingJson>, Error> {
    let booking = bookings::get(&state.db, &scope.tenant, id).await?.ok_or(Error::NotFound)?;
    Ok(Json(booking.into()))
}

pub async fn cancel(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<BookingJson>, Error> {
    let ctx = state.context(Actor::Api, "");
    let booking = portico_core::bookings::cancel(&state.db, &scope.tenant, id, &ctx).await?;
    Ok(Json(booking.into()))
}

#[derive(Debug, Deserialize)]
pub struct RescheduleRequest {
    #[serde(default)]
    start: String,
    staff_id: Option<i64>,
    block_id: Option<i64>,
}

pub async fn reschedule(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<BookingJson>, Error> {
    let body: RescheduleRequest = crate::json::parse(body)?;
    let mut check = Check::default();
    let start = parse_start(&mut check, "start", &body.start);
    bookings::get(&state.db, &scope.tenant, id).await?.ok_or(Error::NotFound)?;
    let (Some(start), true) = (start, check.is_ok()) else {
        return Err(Error::Unprocessable { fields: check.errors });
    };
    let slot = Slot { start, staff: body.staff_id, block: body.block_id };
    let ctx = state.context(Actor::Api, "");
    let booking =
        portico_core::bookings::reschedule(&state.db, &scope.tenant, id, &slot, &ctx).await?;
    Ok(Json(booking.into()))
}

/// `POST …/bookings/{id}/complete`: a started booking was attended.
pub async fn complete(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<BookingJson>, Error> {
    let ctx = state.context(Actor::Api, "");
    Ok(Json(portico_core::bookings::complete(&state.db, &scope.tenant, id, &ctx).await?.into()))
}

/// `POST …/bookings/{id}/no-show`: the client did not come to a started booking.
pub async fn no_show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<BookingJson>, Error> {
    let ctx = state.context(Actor::Api, "");
    Ok(Json(portico_core::bookings::no_show(&state.db, &scope.tenant, id, &ctx).await?.into()))
}
