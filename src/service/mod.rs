//! Use cases: plain commands and results over a `&mut DbConn`, no HTTP types. Handlers in
//! `api/` extract, call one of these and render.

pub mod agency;
pub mod beneficiary;
