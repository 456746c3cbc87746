//! Pure rules of the domain: no actix, no diesel. Tested exhaustively on their own.

pub mod agency_id;
pub mod calendar;
pub mod catalog;
pub mod dossier;
pub mod dossier_lifecycle;
pub mod fees;
pub mod fields;
pub mod history;
pub mod identity;
pub mod indicators;
pub mod lineage;
pub mod payment;
pub mod queue;
pub mod readiness;
pub mod roles;
pub mod sealing;
pub mod text;
