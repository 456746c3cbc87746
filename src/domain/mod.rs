//! Pure rules of the domain: no actix, no diesel. Tested exhaustively on their own.

pub mod identity;
pub mod text;
pub mod lineage;
