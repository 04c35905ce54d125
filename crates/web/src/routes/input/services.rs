//! Services and the default duration per service code.

use std::ops::RangeInclusive;

use portico_domain::accounts;
use portico_domain::contact::parse_website;
use portico_domain::parse::{parse_code, parse_text};
use portico_store::Db;
use portico_store::catalog::{self, LocationKind, Mode, Service, ServiceFields};
use portico_store::tenants::Tenant;

use super::{Base, DISPLAY_ORDER, JsonInput, Refusal, in_range, minutes, next_order};
use crate::error::FieldErrors;
use crate::forms::Check;

pub const DURATION: RangeInclusive<i64> = 5..=1440;
pub const BUFFER: RangeInclusive<i64> = 0..=240;
pub const PRICE: RangeInclusive<i64> = 0..=10_000_000;
const DESCRIPTION_MAX: usize = 2000;
const NOTES_MAX: usize = 200;

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
    /// `business`, `client` or `online`.
    pub location_kind: Option<String>,
    pub meeting_url: Option<String>,
    /// Payment required to book.
    pub prepay: Option<bool>,
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
            location_kind: input.text("location_kind"),
            meeting_url: input.text("meeting_url"),
            prepay: input.flag("prepay"),
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
    let location_kind = match draft.location_kind.as_deref().map(|k| k.trim().to_lowercase()) {
        Some(kind) if !kind.is_empty() => check.field(
            "location_kind",
            LocationKind::parse(&kind).ok_or("Choose business, client or online."),
        ),
        _ => Some(kept.map_or(LocationKind::Business, |s| s.location_kind)),
    };
    let meeting_url = match &draft.meeting_url {
        Some(url) => check.field("meeting_url", parse_website(url)),
        None => Some(kept.map_or_else(String::new, |s| s.meeting_url.clone())),
    };
    let prepay = draft.prepay.or(kept.map(|s| s.prepay)).unwrap_or(false);
    if prepay && price_minor == Some(0) {
        check.fail("prepay", "Set a price to take payment when booking.");
    }
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
        location_kind,
        meeting_url,
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
            Some(location_kind),
            Some(meeting_url),
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
            location_kind,
            meeting_url,
            prepay,
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
                id: portico_domain::ServiceId::from_store(1),
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
                location_kind: LocationKind::Online,
                meeting_url: "https://meet.example/room".into(),
                prepay: false,
            })
            .unwrap();
        let patch = ServiceDraft { name: Some("Long walk".into()), ..Default::default() };
        let fields = validate_service(&patch, Some(&current), &defaults()).unwrap();
        assert_eq!(fields.name, "Long walk");
        assert_eq!((fields.code.as_str(), fields.duration_minutes), ("walk", 30));
        assert_eq!((fields.buffer_before_minutes, fields.price_minor), (10, 1500));
        assert_eq!((fields.currency.as_str(), fields.mode), ("EUR", Mode::Block));
        assert_eq!(
            (fields.location_kind, fields.meeting_url.as_str()),
            (LocationKind::Online, "https://meet.example/room")
        );
        let moved = ServiceDraft {
            location_kind: Some(" Client ".into()),
            meeting_url: Some(String::new()),
            ..Default::default()
        };
        let fields = validate_service(&moved, Some(&current), &defaults()).unwrap();
        assert_eq!((fields.location_kind, fields.meeting_url.as_str()), (LocationKind::Client, ""));
        let bad = ServiceDraft {
            location_kind: Some("moon".into()),
            meeting_url: Some("javascript:alert(1)".into()),
            ..Default::default()
        };
        let errors = validate_service(&bad, Some(&current), &defaults()).unwrap_err();
        assert!(errors.contains_key("location_kind") && errors.contains_key("meeting_url"));
        assert_eq!((fields.active, fields.display_order), (false, 7));
    }
}
