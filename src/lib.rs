//! motcua: backend for Vietnam's commune-level Public Administrative Service Centers.
//!
//! Layout: `api` (HTTP: routes, views, extractors), `auth` (tokens, roles, guards),
//! `domain` (pure rules), `db` (schema, rows, queries), plus configuration, errors and
//! the application builder shared by the binary and the tests.

pub mod api;
pub mod app;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod logging;
pub mod openapi;
pub mod seed;
pub mod state;
