//! Use cases that span several tables: plain commands and results over a `&mut DbConn`,
//! no HTTP types. Handlers in `api` extract, call one of these, and render.

pub mod access_log;
pub mod access_review;
pub mod agency;
pub mod attachments;
pub mod beneficiary;
pub mod calendar;
pub mod calendar_cache;
pub mod catalog;
pub mod dossiers;
pub mod events;
pub mod fees;
pub mod forms;
pub mod health;
pub mod idempotency;
pub mod identity;
pub mod keyset;
pub mod login_throttle;
pub mod monitoring;
pub mod national_setup;
pub mod payments;
pub mod portal;
pub mod procedures;
pub mod queue;
pub mod readiness;
pub mod registry;
pub mod registry_index;
pub mod reports;
pub mod results;
pub mod sessions;
pub mod users;
