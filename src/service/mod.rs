//! Use cases: plain commands and results over a `&mut DbConn`, no HTTP types.

pub mod login_throttle;
