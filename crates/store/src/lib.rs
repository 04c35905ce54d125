//! Persistence for Portico on SQLite or PostgreSQL through one sqlx `AnyPool`.
//!
//! The backend only matters in [`Db::connect`] (pragmas, pool shape) and in the two migration
//! folders; every query in this crate is written once and runs on both.

pub mod audit;
pub mod availability;
pub mod billing;
pub mod blocks;
pub mod bookings;
pub mod bulk;
pub mod calendar;
pub mod catalog;
pub mod clients;
pub mod credit;
pub mod error;
pub mod faq;
pub mod favourites;
pub mod group_commit;
pub mod hours;
pub mod images;
pub mod invoices;
pub mod notify;
pub mod online;
pub mod outbox;
pub mod overview;
pub mod payments;
pub mod pings;
pub mod platform;
pub mod schedule_cache;
pub mod schema;
pub mod sealed;
pub mod series;
pub mod sessions;
pub mod staff;
pub mod stored;
pub mod tenants;
pub mod tokens;
pub mod unapplied;
pub mod users;
mod version_checks;
pub mod versions;

mod db;

pub use db::{Backend, Db, PoolSettings, Tx};
pub use error::{ResultExt, StoreError};
