//! Use cases that span several tables: plain commands and results over a `&mut DbConn`,
//! no HTTP types. Handlers in `api` extract, call one of these, and render.

pub mod access_log;
pub mod agency;
pub mod attachments;
pub mod beneficiary;
pub mod catalog;
pub mod dossiers;
pub mod events;
pub mod idempotency;
pub mod identity;
pub mod login_throttle;
pub mod payments;
pub mod portal;
pub mod procedures;
pub mod readiness;
pub mod registry_index;
pub mod reports;
pub mod results;
