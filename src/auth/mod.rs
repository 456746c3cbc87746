//! Authentication (who is calling) and authorization (what they may do).

pub mod access;
pub mod extract;
pub mod password;
pub mod roles;
pub mod sessions;
pub mod tokens;

pub use extract::{Authorized, Principal};
pub use roles::Policy;
pub use tokens::random_token;
