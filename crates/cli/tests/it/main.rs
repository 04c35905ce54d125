//! Integration tests: one binary, so the whole stack is linked once. Every store, queue and
//! HTTP test runs on each backend of the matrix (`portico_testkit::matrix`).

mod accounts;
mod agenda;
mod any_available;
mod api_contract;
mod availability;
mod binary;
mod booking_api;
mod booking_pages;
mod booking_race;
mod calendar;
mod clients;
mod hours;
mod http;
mod invoices;
mod linking;
mod login_limits;
mod operator;
mod ops;
mod past_schedule;
mod plans;
mod portal_booking;
mod queue;
mod sealed;
mod series;
mod services;
mod settings_api;
mod staff;
mod store;
mod store_errors;
mod tenancy;
mod timetable;
mod workflow;
