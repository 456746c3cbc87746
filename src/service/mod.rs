//! Use cases: plain command and result types over a `&mut DbConn`, no HTTP types.

pub mod access_log;
