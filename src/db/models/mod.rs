//! Database rows and the queries on them. Rows never leave the server as they are:
//! the API layer turns them into views.

pub mod access_log;
pub mod calendar;
pub mod dossier;
pub mod event_feed;
pub mod fee;
pub mod idempotency;
pub mod indicator;
pub mod procedure;
pub mod queue;
pub mod readiness;
pub mod registry;
pub mod result;
pub mod session;
pub mod user;
