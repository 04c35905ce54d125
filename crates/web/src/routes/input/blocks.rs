//! Timetable blocks as typed: the rules the editor page and the API share beyond the single
//! values of `portico_domain::parse`.

use portico_domain::parse::parse_span;
use portico_store::blocks::{Block, BlockFields};
use portico_store::catalog::{Mode, Service};

/// A block's start and end as minutes, the end after the start ("24:00" may end it).
pub fn parse_times(start: &str, end: &str) -> Result<(u16, u16), (&'static str, String)> {
    parse_span(start, end).map(|(start, end)| (start.get(), end.get()))
}

/// Why `service` cannot have places in a block, if it cannot.
pub fn not_bookable_in_blocks(service: &Service) -> Option<String> {
    (service.mode != Mode::Block)
        .then(|| format!("{} is booked by time slot, not in timetable blocks.", service.name))
}

/// Why a block with bookings keeps its date and times.
pub const IN_USE_MOVE: &str = "This block has bookings or holds: its date and times \
                                      cannot change (its label and places can).";

/// Whether the new fields move the block in time.
pub fn moves(block: &Block, fields: &BlockFields) -> bool {
    (block.date, block.start_minute, block.end_minute)
        != (fields.date, fields.start_minute, fields.end_minute)
}

/// The block's fields, unless they put it on a past date (see `policy::block_date`); a block
/// that already was on that date (`was_on`) may keep it.
pub fn not_past(
    fields: BlockFields,
    was_on: Option<chrono::NaiveDate>,
    today: chrono::NaiveDate,
) -> Result<BlockFields, crate::error::FieldErrors> {
    match portico_domain::policy::block_date(fields.date, was_on, today) {
        Ok(()) => Ok(fields),
        Err((field, message)) => {
            Err(crate::error::FieldErrors::from([(field.to_owned(), message.to_owned())]))
        }
    }
}
