//! `/api/v1/{tenant}/settings/booking`: the tenant's booking rules (slot interval, notice, how
//! far ahead, cancel cut-off, hold time, series cancel grace period), the same ones the owner edits on the hours page and
//! with the same ranges (`routes::input::rules`).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use portico_domain::contact::{BrandColor, Contact};
use portico_store::tenants::{self, Scheduling};
use serde::Serialize;
use serde_json::Value;

use crate::auth::ApiScope;
use crate::forms::Check;
use crate::routes::input::JsonInput;
use crate::routes::input::branding::{BrandingDraft, validate_branding};
use crate::routes::input::rules::{RULE_RANGES, rule_value};
use crate::{AppState, Error};

/// The six rules as the API shows them.
#[derive(Debug, Serialize)]
pub struct BookingSettingsJson {
    slot_interval_minutes: u32,
    min_notice_minutes: u32,
    max_advance_days: u32,
    cancel_cutoff_hours: u32,
    hold_minutes: u32,
    series_cancel_grace_minutes: u32,
}

impl From<Scheduling> for BookingSettingsJson {
    fn from(s: Scheduling) -> Self {
        Self {
            slot_interval_minutes: s.slot_interval_minutes,
            min_notice_minutes: s.min_notice_minutes,
            max_advance_days: s.max_advance_days,
            cancel_cutoff_hours: s.cancel_cutoff_hours,
            hold_minutes: s.hold_minutes,
            series_cancel_grace_minutes: s.series_cancel_grace_minutes,
        }
    }
}

/// `GET`: the current rules.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(scope: ApiScope) -> Json<BookingSettingsJson> {
    Json(scope.tenant.scheduling.into())
}

/// `PATCH`: any subset of the six rules; left-out ones keep their value. A value out of its
/// range (or not a whole number), or an unknown field, is a 422 naming it and changes nothing.
/// Answers 200 with all six current values.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn update(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<BookingSettingsJson>, Error> {
    let mut input = JsonInput::from_body(body)?;
    let mut rules = scope.tenant.scheduling;
    let mut errors = crate::error::FieldErrors::new();
    for (field, _, _) in RULE_RANGES {
        // `whole` records a non-number itself; a left-out or null field is `None` here.
        let Some(value) = input.whole(field) else { continue };
        match rule_value(field, Some(value)) {
            Ok(value) => *slot(&mut rules, field) = value,
            Err(message) => {
                errors.insert(field.to_owned(), message);
            }
        }
    }
    errors.extend(input.finish(&[]));
    if !errors.is_empty() {
        return Err(Error::Unprocessable { fields: errors });
    }
    if rules != scope.tenant.scheduling {
        tenants::update_scheduling(&state.db, scope.tenant.id, &rules, state.clock.now_ts())
            .await?;
    }
    Ok(Json(rules.into()))
}

/// The rule named `field` in `rules`.
fn slot<'a>(rules: &'a mut Scheduling, field: &str) -> &'a mut u32 {
    match field {
        "slot_interval_minutes" => &mut rules.slot_interval_minutes,
        "min_notice_minutes" => &mut rules.min_notice_minutes,
        "max_advance_days" => &mut rules.max_advance_days,
        "hold_minutes" => &mut rules.hold_minutes,
        "series_cancel_grace_minutes" => &mut rules.series_cancel_grace_minutes,
        _ => &mut rules.cancel_cutoff_hours,
    }
}

/// `/api/v1/{tenant}/settings/branding`: how clients reach the business and its colour.
#[derive(Debug, Serialize)]
pub struct BrandingJson {
    brand_color: Option<String>,
    contact_email: String,
    contact_phone: String,
    address: String,
    website: String,
}

impl BrandingJson {
    fn new(contact: &Contact, color: Option<BrandColor>) -> Self {
        Self {
            brand_color: color.map(BrandColor::hex),
            contact_email: contact.email.clone(),
            contact_phone: contact.phone.clone(),
            address: contact.address.clone(),
            website: contact.website.clone(),
        }
    }
}

/// `GET`: the contact details and the brand colour (`null` = Portico's own).
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show_branding(scope: ApiScope) -> Json<BrandingJson> {
    Json(BrandingJson::new(&scope.tenant.contact, scope.tenant.brand_color))
}

/// `PATCH`: any subset; `null` or `""` empties a field. A bad value or an unknown field is a
/// 422 naming it and changes nothing.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn update_branding(
    State(state): State<AppState>,
    scope: ApiScope,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<BrandingJson>, Error> {
    let mut input = JsonInput::from_body(body)?;
    let draft = BrandingDraft {
        contact_email: input.text("contact_email"),
        contact_phone: input.text("contact_phone"),
        address: input.text("address"),
        website: input.text("website"),
        brand_color: input.text("brand_color"),
    };
    let mut check = Check { errors: input.finish(&[]) };
    let tenant = &scope.tenant;
    let valid = validate_branding(&mut check, &draft, &tenant.contact, tenant.brand_color);
    let (contact, color) = match valid {
        Some(valid) if check.is_ok() => valid,
        _ => return Err(Error::Unprocessable { fields: check.errors }),
    };
    if contact != tenant.contact || color != tenant.brand_color {
        tenants::update_branding(&state.db, tenant.id, &contact, color, state.clock.now_ts())
            .await?;
    }
    Ok(Json(BrandingJson::new(&contact, color)))
}
