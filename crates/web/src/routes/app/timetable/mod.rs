//! The timetable / capacity editor: labelled blocks on a local date, each with places per
//! `block` service; a week strip to move between days; copy yesterday, or one day onto a
//! range. [`day`] renders a day, [`form`] reads a block form, [`edit`] creates, updates and
//! deletes blocks, [`copy`] copies a day. The validation is shared with the API
//! (`routes::input::blocks`).

mod copy;
mod day;
mod edit;
mod form;

use chrono::NaiveDate;

use crate::auth::OwnerScope;

pub use copy::{copy_range, copy_yesterday};
pub use day::show;
pub use edit::{create, delete, update};

/// "Tuesday 1 December 2026".
fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

/// The editor on `date`.
fn timetable_path(scope: &OwnerScope, date: NaiveDate) -> String {
    format!("/app/{}/timetable?date={date}", scope.tenant.slug)
}
