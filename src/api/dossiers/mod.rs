//! Dossiers (hồ sơ): intake, the legal lifecycle, deadlines, history and receipts.
//! Handlers only: the use cases are in `service::dossiers`.

mod intake;
mod lists;
mod public;
mod rating;
mod read;
mod transitions;

pub use intake::*;
pub use lists::*;
pub use public::*;
pub use rating::*;
pub use read::*;
pub use transitions::*;
