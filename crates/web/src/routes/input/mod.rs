//! Input shared by the HTML handlers (`routes::app`, `routes::portal`) and the API
//! (`routes::api`): each turns what it received into a draft (a field left out is `None`) and
//! these modules decide what is stored, so a rule is written once. No handler area imports
//! input code from another; the pure parsers of single values live in `portico_domain::parse`.
//!
//! - [`services`] and [`staff`]: services, service defaults and staff members;
//! - [`clients`]: a client's record;
//! - [`hours`]: weekly hours; [`blocks`]: timetable blocks;
//! - [`rules`]: the tenant's booking rules (slot interval, notice, …);
//! - [`notify`]: the tenant's notification settings (reminder lead time);
//! - [`series`]: the recurring-series form of the dashboard and the portal;
//! - [`fields`]: numbers and amounts typed in forms; [`json`]: API bodies read field by field.

pub mod blocks;
pub mod branding;
pub mod clients;
pub mod fields;
pub mod hours;
pub mod json;
pub mod notify;
pub mod rules;
pub mod series;
pub mod services;
pub mod staff;

use std::ops::RangeInclusive;

use crate::Error;
use crate::error::FieldErrors;

pub use fields::{minor_from_text, whole_from_text};
pub use json::JsonInput;
pub use services::{ServiceDraft, prepare_service, validate_default};
pub use staff::{StaffDraft, prepare_staff};

pub const DISPLAY_ORDER: RangeInclusive<i64> = -1_000_000..=1_000_000;

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
    pub(crate) fn existing(&self) -> Option<&'a T> {
        match *self {
            Self::New => None,
            Self::Replace(t) | Self::Patch(t) => Some(t),
        }
    }

    pub(crate) fn kept(&self) -> Option<&'a T> {
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

pub(crate) fn in_range(
    value: i64,
    range: &RangeInclusive<i64>,
    message: &str,
) -> Result<i64, String> {
    if range.contains(&value) { Ok(value) } else { Err(message.to_owned()) }
}

pub(crate) fn minutes(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// One past the largest display order, so a new record goes last.
pub fn next_order(orders: impl Iterator<Item = i64>) -> i64 {
    orders.max().map_or(0, |max| max.saturating_add(1).min(*DISPLAY_ORDER.end()))
}
