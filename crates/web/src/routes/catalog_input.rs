//! Validation of services, service defaults and staff members, shared by the owner pages and
//! the API. Both turn what they received into a draft (a field left out is `None`) and this
//! module decides what is stored, so a rule is written once.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use portico_domain::accounts::{self, Email, Invalid};
use portico_domain::plans::{Plan, max_active_staff};
use portico_store::Db;
use portico_store::catalog::{self, Mode, Service, ServiceFields};
use portico_store::staff::{self, StaffFields, StaffMember};
use portico_store::tenants::Tenant;
use serde_json::{Map, Value};

use crate::Error;
use crate::error::FieldErrors;
use crate::forms::Check;

pub const DURATION: RangeInclusive<i64> = 5..=1440;
pub const BUFFER: RangeInclusive<i64> = 0..=240;
pub const PRICE: RangeInclusive<i64> = 0..=10_000_000;
pub const DISPLAY_ORDER: RangeInclusive<i64> = -1_000_000..=1_000_000;
const CODE_MAX: usize = 40;
const DESCRIPTION_MAX: usize = 2000;
const BIO_MAX: usize = 2000;
const NOTES_MAX: usize = 200;
/// Path segments next to `/services/{code}` that a code would hide.
const RESERVED_CODES: &[&str] = &["new", "defaults"];

/// What an edit starts from.
#[derive(Debug)]
pub enum Base<'a, T> {
    /// Creating: a field left out gets its default.
    New,
    /// A whole form replaces the record: a field left out gets its default, as when creating.
    Replace(&'a T),
    /// A partial update (API `PATCH`): a field left out keeps its current value.
    Patch(&'a T),
}

impl<'a, T> Base<'a, T> {
    fn existing(&self) -> Option<&'a T> {
        match *self {
            Self::New => None,
            Self::Replace(t) | Self::Patch(t) => Some(t),
        }
    }

    fn kept(&self) -> Option<&'a T> {
        match *self {
            Self::Patch(t) => Some(t),
            _ => None,
        }
    }
}

/// Why an input was refused.
#[derive(Debug)]
pub enum Refusal {
    /// Field → message (422).
    Invalid(FieldErrors),
    /// Another service of the tenant has the code (API 409 `code_taken`).
    CodeTaken,
    /// Saving would make more staff active than the plan allows (409 `staff_limit`).
    StaffLimit(usize),
}

pub const CODE_TAKEN: &str = "Another service already uses this code.";

impl Refusal {
    /// For pages: everything as messages (`form` for the ones that belong to no field).
    pub fn into_fields(self) -> FieldErrors {
        match self {
            Self::Invalid(fields) => fields,
            Self::CodeTaken => FieldErrors::from([("code".to_owned(), CODE_TAKEN.to_owned())]),
            Self::StaffLimit(limit) => {
                FieldErrors::from([("form".to_owned(), staff_limit_message(limit))])
            }
        }
    }

    /// For the API.
    pub fn into_error(self) -> Error {
        match self {
            Self::Invalid(fields) => Error::Unprocessable { fields },
            Self::CodeTaken => Error::Conflict { code: "code_taken", message: CODE_TAKEN.into() },
            Self::StaffLimit(limit) => {
                Error::Conflict { code: "staff_limit", message: staff_limit_message(limit) }
            }
        }
    }
}

fn staff_limit_message(limit: usize) -> String {
    format!(
        "Your plan allows {limit} active staff members and they are all taken. Deactivate \
         someone first, or save this person as inactive."
    )
}

/// A service code: trimmed, lowercased, 1–40 of `a-z 0-9 _ -`.
pub fn parse_code(input: &str) -> Result<String, Invalid> {
    let code = input.trim().to_lowercase();
    if code.is_empty() {
        return Err(Invalid("This field is required."));
    }
    if code.chars().count() > CODE_MAX {
        return Err(Invalid("Use at most 40 characters."));
    }
    if !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        return Err(Invalid("Use lowercase letters, digits, - and _ only."));
    }
    if RESERVED_CODES.contains(&code.as_str()) {
        return Err(Invalid("That code is reserved; choose another."));
    }
    Ok(code)
}

/// Free text of at most `max` characters (line breaks allowed), trimmed.
fn parse_text(input: &str, max: usize) -> Result<String, String> {
    let text = input.trim();
    if text.chars().count() > max {
        return Err(format!("Use at most {max} characters."));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err("Remove the control characters.".to_owned());
    }
    Ok(text.to_owned())
}

fn in_range(value: i64, range: &RangeInclusive<i64>, message: &str) -> Result<i64, String> {
    if range.contains(&value) { Ok(value) } else { Err(message.to_owned()) }
}

fn minutes(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// A whole number typed in a form: `None` when left empty.
pub fn whole_from_text(check: &mut Check, field: &str, text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    check.field(field, text.parse::<i64>().map_err(|_| "Enter a whole number."))
}

/// An amount typed in a form ("12.50", "12") as minor units of `currency`, read with that
/// currency's decimal places (`Money::parse`): `None` when left empty.
pub fn minor_from_text(check: &mut Check, field: &str, text: &str, currency: &str) -> Option<i64> {
    use portico_domain::money::{Currency, Money, MoneyError};
    if text.trim().is_empty() {
        return None;
    }
    const NEGATIVE: &str =
        "Use a price from 0 to 100,000.00 (10,000,000 in minor units such as cents).";
    let currency = currency.trim().to_uppercase();
    let Ok(currency) = Currency::parse(&currency) else {
        // The decimal places depend on the currency; an unknown one is refused on its own
        // field (so nothing is saved), an empty one here.
        if text.trim().starts_with('-') {
            check.fail(field, NEGATIVE);
        } else if currency.is_empty() {
            check.fail(field, "Choose a currency for the price.");
        }
        return None;
    };
    let message = match Money::parse(text, currency) {
        Ok(money) => return Some(money.minor),
        Err(MoneyError::Negative) => NEGATIVE.to_owned(),
        Err(MoneyError::TooPrecise(currency, 0)) => format!("{currency} prices are whole numbers."),
        Err(MoneyError::TooPrecise(currency, places)) => {
            format!("{currency} prices have at most {places} decimal places.")
        }
        Err(_) => "Enter an amount such as 12.50.".to_owned(),
    };
    check.fail(field, message);
    None
}

/// A service as submitted.
#[derive(Debug, Default, Clone)]
pub struct ServiceDraft {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<i64>,
    pub buffer_before_minutes: Option<i64>,
    pub buffer_after_minutes: Option<i64>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub mode: Option<String>,
    pub active: Option<bool>,
    pub display_order: Option<i64>,
    /// Values that could not be read at all (text where a number belongs, …).
    pub errors: FieldErrors,
}

impl ServiceDraft {
    /// Reads the API's JSON object.
    pub fn from_json(mut input: JsonInput) -> Self {
        let mut draft = Self {
            code: input.text("code"),
            name: input.text("name"),
            description: input.text("description"),
            duration_minutes: input.whole("duration_minutes"),
            buffer_before_minutes: input.whole("buffer_before_minutes"),
            buffer_after_minutes: input.whole("buffer_after_minutes"),
            price_minor: input.whole("price_minor"),
            currency: input.text("currency"),
            mode: input.text("mode"),
            active: input.flag("active"),
            display_order: input.whole("display_order"),
            errors: FieldErrors::new(),
        };
        draft.errors = input.finish(&[]);
        draft
    }
}

/// Values for the fields a new service leaves out.
#[derive(Debug, Clone)]
pub struct ServiceDefaults {
    pub currency: String,
    /// The default duration for the code, if one is set.
    pub duration_minutes: Option<u32>,
    pub display_order: i64,
}

/// The pure rules; see [`prepare_service`] for the ones that need the database.
pub fn validate_service(
    draft: &ServiceDraft,
    kept: Option<&Service>,
    defaults: &ServiceDefaults,
) -> Result<ServiceFields, FieldErrors> {
    let mut check = Check { errors: draft.errors.clone() };
    let code = match (&draft.code, kept) {
        (Some(code), _) => check.field("code", parse_code(code)),
        (None, Some(s)) => Some(s.code.clone()),
        (None, None) => check.field("code", parse_code("")),
    };
    let name = match (&draft.name, kept) {
        (Some(name), _) => check.field("name", accounts::parse_name(name)),
        (None, Some(s)) => Some(s.name.clone()),
        (None, None) => check.field("name", accounts::parse_name("")),
    };
    let description = match (&draft.description, kept) {
        (Some(text), _) => check.field("description", parse_text(text, DESCRIPTION_MAX)),
        (None, Some(s)) => Some(s.description.clone()),
        (None, None) => Some(String::new()),
    };
    let duration = match (draft.duration_minutes, kept, defaults.duration_minutes) {
        (Some(value), _, _) => check
            .field(
                "duration_minutes",
                in_range(value, &DURATION, "Use 5 to 1440 minutes (24 hours)."),
            )
            .map(minutes),
        (None, Some(s), _) => Some(s.duration_minutes),
        (None, None, Some(default)) => Some(default),
        (None, None, None) => {
            check.fail(
                "duration_minutes",
                "Enter a duration, or set a default duration for this code.",
            );
            None
        }
    };
    let buffer = |check: &mut Check, field: &str, value: Option<i64>, kept: Option<u32>| match value
    {
        Some(value) => {
            check.field(field, in_range(value, &BUFFER, "Use 0 to 240 minutes.")).map(minutes)
        }
        None => Some(kept.unwrap_or(0)),
    };
    let buffer_before = buffer(
        &mut check,
        "buffer_before_minutes",
        draft.buffer_before_minutes,
        kept.map(|s| s.buffer_before_minutes),
    );
    let buffer_after = buffer(
        &mut check,
        "buffer_after_minutes",
        draft.buffer_after_minutes,
        kept.map(|s| s.buffer_after_minutes),
    );
    let price_minor = match draft.price_minor {
        Some(value) => check.field(
            "price_minor",
            in_range(
                value,
                &PRICE,
                "Use a price from 0 to 100,000.00 (10,000,000 in minor units such as cents).",
            ),
        ),
        None => Some(kept.map_or(0, |s| s.price_minor)),
    };
    let currency = match draft.currency.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => {
            check.field("currency", accounts::parse_currency(code)).map(str::to_owned)
        }
        _ => Some(kept.map_or_else(|| defaults.currency.clone(), |s| s.currency.clone())),
    };
    let mode = match draft.mode.as_deref().map(|m| m.trim().to_lowercase()) {
        Some(mode) if !mode.is_empty() => {
            check.field("mode", Mode::parse(&mode).ok_or("Choose slot or block."))
        }
        _ => Some(kept.map_or(Mode::Slot, |s| s.mode)),
    };
    let display_order = match draft.display_order {
        Some(value) => check.field(
            "display_order",
            in_range(value, &DISPLAY_ORDER, "Use a number from -1,000,000 to 1,000,000."),
        ),
        None => Some(kept.map_or(defaults.display_order, |s| s.display_order)),
    };
    let active = draft.active.or(kept.map(|s| s.active)).unwrap_or(true);
    match (
        code,
        name,
        description,
        duration,
        buffer_before,
        buffer_after,
        price_minor,
        currency,
        mode,
        display_order,
    ) {
        (
            Some(code),
            Some(name),
            Some(description),
            Some(duration_minutes),
            Some(buffer_before_minutes),
            Some(buffer_after_minutes),
            Some(price_minor),
            Some(currency),
            Some(mode),
            Some(display_order),
        ) if check.is_ok() => Ok(ServiceFields {
            code,
            name,
            description,
            duration_minutes,
            buffer_before_minutes,
            buffer_after_minutes,
            price_minor,
            currency,
            mode,
            active,
            display_order,
        }),
        _ => Err(check.errors),
    }
}

/// Validates a service against the rules and the tenant's data: the default duration of the
/// code fills an empty duration, a new service goes last, and the code must be free.
pub async fn prepare_service(
    db: &Db,
    tenant: &Tenant,
    draft: &ServiceDraft,
    base: Base<'_, Service>,
) -> anyhow::Result<Result<ServiceFields, Refusal>> {
    let kept = base.kept();
    let existing = base.existing();
    let mut duration_minutes = None;
    if draft.duration_minutes.is_none() && kept.is_none() {
        let code = draft.code.as_deref().map(|c| c.trim().to_lowercase());
        if let Some(code) = code.or_else(|| existing.map(|s| s.code.clone())) {
            duration_minutes = catalog::default_duration(db, tenant.id, &code).await?;
        }
    }
    let display_order = match existing {
        Some(s) => s.display_order,
        None => {
            next_order(catalog::list(db, tenant.id, false).await?.iter().map(|s| s.display_order))
        }
    };
    let defaults =
        ServiceDefaults { currency: tenant.currency.clone(), duration_minutes, display_order };
    let fields = match validate_service(draft, kept, &defaults) {
        Ok(fields) => fields,
        Err(errors) => return Ok(Err(Refusal::Invalid(errors))),
    };
    let renamed = existing.is_none_or(|s| s.code != fields.code);
    if renamed && catalog::by_code(db, tenant.id, &fields.code).await?.is_some() {
        return Ok(Err(Refusal::CodeTaken));
    }
    Ok(Ok(fields))
}

/// One past the largest display order, so a new record goes last.
pub fn next_order(orders: impl Iterator<Item = i64>) -> i64 {
    orders.max().map_or(0, |max| max.saturating_add(1).min(*DISPLAY_ORDER.end()))
}

/// A default duration for a service code, as the owner typed it.
pub fn validate_default(
    code: &str,
    duration_minutes: Option<i64>,
    notes: &str,
    mut check: Check,
) -> Result<(String, u32, String), FieldErrors> {
    let code = check.field("code", parse_code(code));
    let duration = match duration_minutes {
        Some(value) => check
            .field("duration_minutes", in_range(value, &DURATION, "Use 5 to 1440 minutes."))
            .map(minutes),
        None => {
            check.fail("duration_minutes", "Enter a duration.");
            None
        }
    };
    let notes = check.field("notes", parse_text(notes, NOTES_MAX));
    match (code, duration, notes) {
        (Some(code), Some(duration), Some(notes)) if check.is_ok() => Ok((code, duration, notes)),
        _ => Err(check.errors),
    }
}

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

pub use portico_domain::accounts::parse_phone;

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

/// A JSON object from a request body, read field by field; wrong types become field errors.
/// `null` empties a text field and counts as "left out" for the others.
#[derive(Debug)]
pub struct JsonInput {
    map: Map<String, Value>,
    errors: FieldErrors,
}

impl JsonInput {
    /// The body as an object; malformed JSON or anything but an object is a 400.
    pub fn from_body(body: Result<Json<Value>, JsonRejection>) -> Result<Self, Error> {
        match crate::json::value(body)? {
            Value::Object(map) => Ok(Self { map, errors: FieldErrors::new() }),
            _ => Err(Error::BadRequest {
                code: "bad_json",
                message: "The body must be a JSON object.".into(),
            }),
        }
    }

    fn fail(&mut self, key: &str, message: &str) {
        self.errors.insert(key.to_owned(), message.to_owned());
    }

    pub fn text(&mut self, key: &str) -> Option<String> {
        match self.map.remove(key)? {
            Value::String(text) => Some(text),
            Value::Null => Some(String::new()),
            _ => {
                self.fail(key, "Use a string.");
                None
            }
        }
    }

    pub fn whole(&mut self, key: &str) -> Option<i64> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            _ => {
                self.fail(key, "Enter a whole number.");
                None
            }
        }
    }

    pub fn flag(&mut self, key: &str) -> Option<bool> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Bool(flag) => Some(flag),
            _ => {
                self.fail(key, "Use true or false.");
                None
            }
        }
    }

    pub fn texts(&mut self, key: &str) -> Option<Vec<String>> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Array(items) if items.iter().all(Value::is_string) => {
                Some(items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            }
            _ => {
                self.fail(key, "Use a list of strings.");
                None
            }
        }
    }

    /// The errors so far, plus one for every key nobody read (a typo would otherwise be
    /// silently ignored), except the read-only ones the API itself returns.
    pub fn finish(mut self, read_only: &[&str]) -> FieldErrors {
        for key in self.map.keys() {
            if !read_only.contains(&key.as_str()) {
                self.errors.insert(key.clone(), "Unknown field.".to_owned());
            }
        }
        self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> ServiceDefaults {
        ServiceDefaults { currency: "GBP".into(), duration_minutes: None, display_order: 3 }
    }

    fn draft(code: &str, name: &str, duration: Option<i64>) -> ServiceDraft {
        ServiceDraft {
            code: Some(code.into()),
            name: Some(name.into()),
            duration_minutes: duration,
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_service_gets_the_defaults() {
        let fields = validate_service(&draft(" Walk-30 ", "Walk", Some(30)), None, &defaults())
            .expect("valid");
        assert_eq!(fields.code, "walk-30");
        assert_eq!(fields.currency, "GBP");
        assert_eq!(fields.mode, Mode::Slot);
        assert_eq!(fields.display_order, 3);
        assert_eq!((fields.buffer_before_minutes, fields.price_minor), (0, 0));
        assert!(fields.active);
    }

    #[test]
    fn an_empty_duration_takes_the_code_default_or_is_refused() {
        let with_default = ServiceDefaults { duration_minutes: Some(45), ..defaults() };
        let fields = validate_service(&draft("walk", "Walk", None), None, &with_default).unwrap();
        assert_eq!(fields.duration_minutes, 45);
        let errors = validate_service(&draft("walk", "Walk", None), None, &defaults()).unwrap_err();
        assert!(errors["duration_minutes"].contains("default"));
    }

    #[test]
    fn every_rule_has_a_field_message() {
        let bad = ServiceDraft {
            code: Some("Bad Code!".into()),
            name: Some(" ".into()),
            description: Some("x".repeat(2001)),
            duration_minutes: Some(0),
            buffer_before_minutes: Some(-1),
            buffer_after_minutes: Some(241),
            price_minor: Some(-5),
            currency: Some("XXX".into()),
            mode: Some("group".into()),
            display_order: Some(2_000_000),
            ..Default::default()
        };
        let errors = validate_service(&bad, None, &defaults()).unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "buffer_after_minutes",
                "buffer_before_minutes",
                "code",
                "currency",
                "description",
                "display_order",
                "duration_minutes",
                "mode",
                "name",
                "price_minor"
            ]
        );
        assert_eq!(parse_code("new").unwrap_err().0, "That code is reserved; choose another.");
        assert!(parse_code(&"a".repeat(41)).is_err());
        assert_eq!(parse_code(&"a".repeat(40)).unwrap().len(), 40);
    }

    #[test]
    fn a_patch_keeps_what_it_leaves_out() {
        let current = validate_service(&draft("walk", "Walk", Some(30)), None, &defaults())
            .map(|f| Service {
                id: 1,
                code: f.code,
                name: f.name,
                description: f.description,
                duration_minutes: f.duration_minutes,
                buffer_before_minutes: 10,
                buffer_after_minutes: f.buffer_after_minutes,
                price_minor: 1500,
                currency: "EUR".into(),
                mode: Mode::Block,
                active: false,
                display_order: 7,
            })
            .unwrap();
        let patch = ServiceDraft { name: Some("Long walk".into()), ..Default::default() };
        let fields = validate_service(&patch, Some(&current), &defaults()).unwrap();
        assert_eq!(fields.name, "Long walk");
        assert_eq!((fields.code.as_str(), fields.duration_minutes), ("walk", 30));
        assert_eq!((fields.buffer_before_minutes, fields.price_minor), (10, 1500));
        assert_eq!((fields.currency.as_str(), fields.mode), ("EUR", Mode::Block));
        assert_eq!((fields.active, fields.display_order), (false, 7));
    }

    #[test]
    fn amounts_in_forms_become_minor_units() {
        let mut check = Check::default();
        assert_eq!(minor_from_text(&mut check, "p", "12.5", "EUR"), Some(1250));
        assert_eq!(minor_from_text(&mut check, "p", "12", "EUR"), Some(1200));
        assert_eq!(minor_from_text(&mut check, "p", "0.07", "EUR"), Some(7));
        assert_eq!(minor_from_text(&mut check, "p", "1200", "JPY"), Some(1200));
        assert_eq!(minor_from_text(&mut check, "p", "", "EUR"), None);
        assert!(check.is_ok());
        for (text, currency, message) in [
            ("12.345", "EUR", "EUR prices have at most 2 decimal places."),
            ("12.5", "JPY", "JPY prices are whole numbers."),
            (
                "-1",
                "EUR",
                "Use a price from 0 to 100,000.00 (10,000,000 in minor units such as cents).",
            ),
            (
                "-1",
                "XXX",
                "Use a price from 0 to 100,000.00 (10,000,000 in minor units such as cents).",
            ),
            ("12,50", "EUR", "Enter an amount such as 12.50."),
            ("12", "", "Choose a currency for the price."),
        ] {
            let mut check = Check::default();
            assert_eq!(minor_from_text(&mut check, "p", text, currency), None);
            assert_eq!(check.errors["p"], message, "{text} {currency}");
        }
        // An unknown currency is the currency field's error; the price cannot be judged.
        let mut check = Check::default();
        assert_eq!(minor_from_text(&mut check, "p", "12", "XXX"), None);
        assert!(check.is_ok());
    }

    #[test]
    fn staff_services_must_be_the_tenants() {
        let walk = Service {
            id: 9,
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
        assert_eq!((fields.services, fields.display_order, fields.active), (vec![9], 4, true));
    }
}
