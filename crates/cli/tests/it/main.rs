//! Integration tests: one binary, so the whole stack is linked once. Every store, queue and
//! HTTP test runs on each backend of the matrix (`portico_testkit::matrix`).

mod accounts;
mod binary;
mod http;
mod queue;
mod store;
