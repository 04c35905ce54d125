//! `GET /api/v1/{tenant}/availability`: what can be booked, for anyone (no token). The tenant
//! comes from the path slug; the options come from the same engine the booking transaction
//! re-checks with.

use axum::Json;
use axum::extract::{Path, Query, State};
use portico_domain::parse::parse_date;
use portico_domain::plans::{self, Feature};
use portico_store::availability::Query as OptionsQuery;
use portico_store::schedule_cache::{self, Schedule};
use portico_store::tokens;
use serde::{Deserialize, Serialize};

use axum::http::{HeaderMap, header};

use super::hours::rfc3339;
use crate::error::FieldErrors;
use crate::limits::{ClientIp, Limit, ip_subject};
use crate::{AppState, Error};

/// Most days one query may cover.
const MAX_DAYS: u32 = 31;

/// Every parameter is text, so a bad one gets a field message instead of a bare 400.
#[derive(Debug, Deserialize)]
pub struct AvailabilityQuery {
    service: Option<String>,
    date: Option<String>,
    days: Option<String>,
    staff: Option<String>,
}

#[derive(Debug, Serialize)]
struct OptionJson {
    start: String,
    end: String,
    staff_id: Option<i64>,
    block_id: Option<i64>,
    label: Option<String>,
    remaining: u32,
}

#[derive(Debug, Serialize)]
pub struct AvailabilityJson {
    timezone: &'static str,
    options: Vec<OptionJson>,
}

/// The checked parameters.
struct Asked {
    service: String,
    date: chrono::NaiveDate,
    days: u32,
    staff: Option<i64>,
}

fn check(query: &AvailabilityQuery) -> Result<Asked, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut fail = |field: &str, message: &str| {
        errors.insert(field.to_owned(), message.to_owned());
    };
    let service = query.service.as_deref().map(str::trim).unwrap_or_default();
    if service.is_empty() {
        fail("service", "This field is required.");
    }
    let date = match query.date.as_deref() {
        None => {
            fail("date", "This field is required.");
            None
        }
        Some(text) => parse_date(text).map_err(|message| fail("date", message)).ok(),
    };
    let days = match query.days.as_deref() {
        None => Some(1),
        Some(text) => {
            let days = text.trim().parse::<u32>().ok().filter(|d| (1..=MAX_DAYS).contains(d));
            if days.is_none() {
                fail("days", "Enter a whole number from 1 to 31.");
            }
            days
        }
    };
    let staff = match query.staff.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(text) => match text.parse::<i64>() {
            Ok(id) => Some(Some(id)),
            Err(_) => {
                fail("staff", "Use a staff member's id.");
                None
            }
        },
    };
    match (date, days, staff) {
        (Some(date), Some(days), Some(staff)) if errors.is_empty() => {
            Ok(Asked { service: service.to_owned(), date, days, staff })
        }
        _ => Err(errors),
    }
}

/// The bearer token sent to this public call, if any. A token is never needed here and a
/// wrong one changes nothing; only a valid token of the tenant in the path moves the caller
/// from the per-IP limit to its own per-token limit.
fn bearer(parts: &HeaderMap) -> Option<&str> {
    parts
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Counts this call against the tenant's token when a valid one was sent, else against the
/// client's IP; then the tenant (404 if unknown).
async fn limited_tenant(
    state: &AppState,
    headers: &HeaderMap,
    ip: std::net::IpAddr,
    slug: &str,
) -> Result<Schedule, Error> {
    if let Some(token) = bearer(headers) {
        let owner = tokens::tenant_of_api_token(&state.db, token, state.clock.now_ts()).await?;
        if let Some(owner) = owner {
            let schedule = schedule_cache::by_slug(&state.db, slug).await?;
            if let Some(schedule) = schedule.filter(|s| s.tenant().id == owner) {
                state.limit_token(token).await?;
                return Ok(schedule);
            }
        }
    }
    // Public and unauthenticated: limit how hard one client may scrape it.
    let limit =
        Limit { name: "availability-ip", max: state.config.rate_limits.availability_per_ip };
    state.rate_limit(limit, &ip_subject(ip)).await?;
    schedule_cache::by_slug(&state.db, slug).await?.ok_or(Error::NotFound)
}

/// Options for `?service=CODE&date=YYYY-MM-DD[&days=N][&staff=ID]`. Unknown tenant, unknown
/// or inactive service, and a staff id that is not the tenant's are 404; choosing a staff
/// member is a PRO feature (402 on FREE). Limited per IP, or per token when the caller sends
/// a valid token of the tenant.
#[tracing::instrument(skip_all, fields(tenant = %slug))]
pub async fn index(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<AvailabilityQuery>,
) -> Result<Json<AvailabilityJson>, Error> {
    // The tenant's schedule from memory, after one check that it is current.
    let schedule = limited_tenant(&state, &headers, ip, &slug).await?;
    let tenant = schedule.tenant();
    let asked = check(&query).map_err(|fields| Error::Unprocessable { fields })?;
    let now = state.clock.now();
    if asked.staff.is_some() && !plans::allows(tenant.effective_plan(now), Feature::StaffSelection)
    {
        return Err(Error::PlanRequired(Feature::StaffSelection));
    }
    let service = schedule
        .service_by_code(&asked.service)
        .await?
        .filter(|s| s.active)
        .ok_or(Error::NotFound)?;
    if let Some(id) = asked.staff
        && !schedule.has_staff_member(id).await?
    {
        return Err(Error::NotFound);
    }
    let options_query = OptionsQuery {
        from: asked.date,
        days: asked.days,
        staff: asked.staff,
        now,
        except_booking: None,
    };
    let options = schedule
        .options(&service, &options_query)
        .await?
        .into_iter()
        .map(|o| OptionJson {
            start: rfc3339(o.start.timestamp()),
            end: rfc3339(o.end.timestamp()),
            staff_id: o.staff_id,
            block_id: o.block_id,
            label: o.label,
            remaining: o.remaining,
        })
        .collect();
    Ok(Json(AvailabilityJson { timezone: tenant.timezone.name(), options }))
}
