//! motcua: backend for Vietnam's commune-level Public Administrative Service Centers.
//!
//! Layout: `api` (HTTP: routes, views, extractors), `auth` (tokens, roles, guards),
//! `domain` (pure rules), `db` (schema, rows, queries), plus configuration, errors and
//! the application builder shared by the binary and the tests.

// ApiError carries both languages, field errors and headers; it is built only on the cold
// path, and boxing it would add an allocation to every error for no measurable gain.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod files;
pub mod forms;
pub mod logging;
pub mod metrics;
pub mod netguard;
pub mod openapi;
pub mod payments;
pub mod portal;
pub mod ratelimit;
pub mod service;
pub mod state;
