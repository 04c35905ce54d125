//! A block form: read from the posted fields (or a stored block), checked against the
//! tenant's services, and shown again with the inputs for every `block` service.

use std::collections::BTreeMap;

use portico_domain::parse::{hhmm, parse_capacity, parse_date, parse_label};
use portico_store::blocks::{Block, BlockFields, CapacityFields};
use portico_store::catalog::{Mode, Service};
use serde::Serialize;

use crate::error::FieldErrors;
use crate::forms::Check;
use crate::routes::input::blocks::{not_bookable_in_blocks, parse_times};

/// A block form as typed: the block's fields and, per service id, places and overlap.
#[derive(Debug, Clone, Default)]
pub(super) struct BlockValues {
    pub(super) date: String,
    pub(super) start: String,
    pub(super) end: String,
    pub(super) label: String,
    pub(super) capacities: BTreeMap<i64, (String, bool)>,
}

impl BlockValues {
    pub(super) fn from_block(block: &Block) -> Self {
        Self {
            date: block.date.to_string(),
            start: hhmm(block.start_minute.into()),
            end: hhmm(block.end_minute.into()),
            label: block.label.clone(),
            capacities: block
                .capacities
                .iter()
                .map(|c| (c.service_id, (c.capacity.to_string(), c.allow_overlap)))
                .collect(),
        }
    }

    pub(super) fn from_form(fields: &[(String, String)]) -> Self {
        let mut values = Self::default();
        for (name, value) in fields {
            let value = value.trim().to_owned();
            match name.as_str() {
                "date" => values.date = value,
                "start" => values.start = value,
                "end" => values.end = value,
                "label" => values.label = value,
                _ => {
                    if let Some(id) = name.strip_prefix("cap_").and_then(|id| id.parse().ok()) {
                        values.capacities.entry(id).or_default().0 = value;
                    } else if let Some(id) =
                        name.strip_prefix("overlap_").and_then(|id| id.parse().ok())
                    {
                        values.capacities.entry(id).or_default().1 = true;
                    }
                }
            }
        }
        values
    }

    /// Checks every field; capacities of other tenants' or slot services are refused.
    pub(super) fn validate(&self, services: &[Service]) -> Result<BlockFields, FieldErrors> {
        let mut check = Check::default();
        let date = check.field("date", parse_date(&self.date));
        let times = match parse_times(&self.start, &self.end) {
            Ok(times) => Some(times),
            Err((field, message)) => {
                check.fail(field, message);
                None
            }
        };
        let label = check.field("label", parse_label(&self.label));
        let mut capacities = Vec::new();
        for (&id, (text, allow_overlap)) in &self.capacities {
            if text.is_empty() {
                continue;
            }
            let Some(service) = services.iter().find(|s| s.id.get() == id) else {
                check.fail("capacities", format!("Unknown service #{id}."));
                continue;
            };
            if let Some(message) = not_bookable_in_blocks(service) {
                check.fail(&format!("cap_{id}"), message);
                continue;
            }
            let key = format!("cap_{id}");
            if let Some(capacity) = check.field(&key, parse_capacity(text.parse().ok())) {
                capacities.push(CapacityFields {
                    service_id: id,
                    capacity,
                    allow_overlap: *allow_overlap,
                });
            }
        }
        match (date, times, label) {
            (Some(date), Some((start_minute, end_minute)), Some(label)) if check.is_ok() => {
                Ok(BlockFields { date, start_minute, end_minute, label, capacities })
            }
            _ => Err(check.errors),
        }
    }
}

#[derive(Serialize)]
struct CapacityInput {
    id: i64,
    name: String,
    capacity: String,
    allow_overlap: bool,
    error: Option<String>,
}

#[derive(Serialize)]
pub(super) struct BlockForm {
    date: String,
    start: String,
    end: String,
    label: String,
    services: Vec<CapacityInput>,
    errors: FieldErrors,
}

impl BlockForm {
    /// The inputs for every `block` service, plus any other service the block already has.
    pub(super) fn new(values: &BlockValues, errors: FieldErrors, services: &[Service]) -> Self {
        let services = services
            .iter()
            .filter(|s| s.mode == Mode::Block || values.capacities.contains_key(&s.id.get()))
            .map(|s| {
                let (capacity, allow_overlap) =
                    values.capacities.get(&s.id.get()).cloned().unwrap_or_default();
                CapacityInput {
                    id: s.id.get(),
                    name: if s.active { s.name.clone() } else { format!("{} (inactive)", s.name) },
                    capacity,
                    allow_overlap,
                    error: errors.get(&format!("cap_{}", s.id)).cloned(),
                }
            })
            .collect();
        Self {
            date: values.date.clone(),
            start: values.start.clone(),
            end: values.end.clone(),
            label: values.label.clone(),
            services,
            errors,
        }
    }
}
