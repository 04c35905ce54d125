//! Persistence for Portico on SQLite or PostgreSQL through one sqlx `AnyPool`.
//!
//! The backend only matters in [`Db::connect`] (pragmas, pool shape) and in the two migration
//! folders; every query in this crate is written once and runs on both.

pub mod outbox;
pub mod pings;
pub mod schema;

mod db;

pub use db::{Backend, Db, PoolSettings, Tx};
