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

// re-export for callers in other slices; removed at merge
pub use crate::service::dossiers::intake::dossier_code;
// re-export for callers in other slices; removed at merge
pub use crate::service::dossiers::lookup::{can_see, dossier_place, load_visible};
// re-export for callers in other slices; removed at merge
pub use crate::service::dossiers::public::same;
// re-export for callers in other slices; removed at merge
pub use crate::service::dossiers::record::{record_of, Channel, LifecycleRecord};
