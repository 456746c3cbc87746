//! Pure rules of the domain: no actix, no diesel. Tested exhaustively on their own.

pub mod catalog;
pub mod identity;
pub mod lineage;
pub mod localtime;
pub mod text;
