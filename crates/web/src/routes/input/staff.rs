//! Staff members, with the services they provide and the plan's limit of active staff.

use std::collections::BTreeSet;

use portico_domain::accounts::{self, Email, parse_phone};
use portico_domain::parse::parse_text;
use portico_domain::plans::{Plan, max_active_staff};
use portico_store::Db;
use portico_store::catalog::{self, Service};
use portico_store::staff::{self, StaffFields, StaffMember};
use portico_store::tenants::Tenant;

use super::{Base, DISPLAY_ORDER, JsonInput, Refusal, in_range, next_order};
use crate::error::FieldErrors;
use crate::forms::Check;

const BIO_MAX: usize = 2000;

/// A staff member as submitted; `services` are service codes.
#[derive(Debug, Default, Clone)]
pub struct StaffDraft {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub bio: Option<String>,
    pub active: Option<bool>,
    pub display_order: Option<i64>,
    pub services: Option<Vec<String>>,
    pub errors: FieldErrors,
}

impl StaffDraft {
    /// Reads the API's JSON object (`id` and `has_login`, as the API shows them, are ignored).
    pub fn from_json(mut input: JsonInput) -> Self {
        let mut draft = Self {
            name: input.text("name"),
            email: input.text("email"),
            phone: input.text("phone"),
            bio: input.text("bio"),
            active: input.flag("active"),
            display_order: input.whole("display_order"),
            services: input.texts("services"),
            errors: FieldErrors::new(),
        };
        draft.errors = input.finish(&["id", "has_login"]);
        draft
    }
}

/// The pure rules for a staff member; `services` are the tenant's services (codes → ids).
pub fn validate_staff(
    draft: &StaffDraft,
    kept: Option<&StaffMember>,
    display_order: i64,
    services: &[Service],
) -> Result<StaffFields, FieldErrors> {
    let mut check = Check { errors: draft.errors.clone() };
    let name = match (&draft.name, kept) {
        (Some(name), _) => check.field("name", accounts::parse_name(name)),
        (None, Some(s)) => Some(s.name.clone()),
        (None, None) => check.field("name", accounts::parse_name("")),
    };
    let email = match (draft.email.as_deref().map(str::trim), kept) {
        (Some(""), _) => Some(String::new()),
        (Some(email), _) => check.field("email", Email::parse(email)).map(|e| e.to_string()),
        (None, kept) => Some(kept.map(|s| s.email.clone()).unwrap_or_default()),
    };
    let phone = match (&draft.phone, kept) {
        (Some(phone), _) => check.field("phone", parse_phone(phone)),
        (None, kept) => Some(kept.map(|s| s.phone.clone()).unwrap_or_default()),
    };
    let bio = match (&draft.bio, kept) {
        (Some(bio), _) => check.field("bio", parse_text(bio, BIO_MAX)),
        (None, kept) => Some(kept.map(|s| s.bio.clone()).unwrap_or_default()),
    };
    let display_order = match draft.display_order {
        Some(value) => check.field(
            "display_order",
            in_range(value, &DISPLAY_ORDER, "Use a number from -1,000,000 to 1,000,000."),
        ),
        None => Some(kept.map_or(display_order, |s| s.display_order)),
    };
    let codes: Vec<String> = match (&draft.services, kept) {
        (Some(codes), _) => codes.iter().map(|c| c.trim().to_lowercase()).collect(),
        (None, Some(s)) => s.services.clone(),
        (None, None) => Vec::new(),
    };
    let mut ids = Vec::new();
    let mut unknown = BTreeSet::new();
    for code in codes.iter().filter(|c| !c.is_empty()) {
        match services.iter().find(|s| &s.code == code) {
            Some(service) if !ids.contains(&service.id) => ids.push(service.id),
            Some(_) => {}
            None => {
                unknown.insert(code.as_str());
            }
        }
    }
    if !unknown.is_empty() {
        let list = unknown.into_iter().collect::<Vec<_>>().join(", ");
        check.fail("services", format!("Unknown service code: {list}."));
    }
    let active = draft.active.or(kept.map(|s| s.active)).unwrap_or(true);
    match (name, email, phone, bio, display_order) {
        (Some(name), Some(email), Some(phone), Some(bio), Some(display_order)) if check.is_ok() => {
            Ok(StaffFields { name, email, phone, bio, active, display_order, services: ids })
        }
        _ => Err(check.errors),
    }
}

/// Validates a staff member against the rules, the tenant's services and the plan's limit
/// of active staff (checked only when this save would make one more person active).
pub async fn prepare_staff(
    db: &Db,
    tenant: &Tenant,
    plan: Plan,
    draft: &StaffDraft,
    base: Base<'_, StaffMember>,
) -> anyhow::Result<Result<StaffFields, Refusal>> {
    let existing = base.existing();
    let services = catalog::list(db, tenant.id, false).await?;
    let display_order = match existing {
        Some(s) => s.display_order,
        None => next_order(staff::list(db, tenant.id).await?.iter().map(|s| s.display_order)),
    };
    let fields = match validate_staff(draft, base.kept(), display_order, &services) {
        Ok(fields) => fields,
        Err(errors) => return Ok(Err(Refusal::Invalid(errors))),
    };
    let becomes_active = fields.active && !existing.is_some_and(|s| s.active);
    let limit = max_active_staff(plan);
    if becomes_active && staff::count_active(db, tenant.id).await? >= limit {
        return Ok(Err(Refusal::StaffLimit(limit)));
    }
    Ok(Ok(fields))
}

#[cfg(test)]
mod tests {
    use portico_domain::ServiceId;
    use portico_store::catalog::Mode;

    use super::*;

    #[test]
    fn staff_services_must_be_the_tenants() {
        let walk = Service {
            id: ServiceId::from_store(9),
            code: "walk".into(),
            name: "Walk".into(),
            description: String::new(),
            duration_minutes: 30,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            price_minor: 0,
            currency: "GBP".into(),
            mode: Mode::Slot,
            active: true,
            display_order: 0,
            location_kind: portico_store::catalog::LocationKind::Business,
            meeting_url: String::new(),
            prepay: false,
        };
        let draft = StaffDraft {
            name: Some("Sam".into()),
            services: Some(vec!["walk".into(), "Walk".into(), "swim".into(), "fly".into()]),
            ..Default::default()
        };
        let errors = validate_staff(&draft, None, 0, std::slice::from_ref(&walk)).unwrap_err();
        assert_eq!(errors["services"], "Unknown service code: fly, swim.");
        let draft = StaffDraft { services: Some(vec!["walk".into(), "WALK".into()]), ..draft };
        let fields = validate_staff(&draft, None, 4, &[walk]).unwrap();
        assert_eq!(
            (fields.services, fields.display_order, fields.active),
            (vec![ServiceId::from_store(9)], 4, true)
        );
    }
}
