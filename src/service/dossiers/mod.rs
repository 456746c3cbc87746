//! Dossier use cases: intake (`intake::receive`), the lifecycle (`transition::act`),
//! finding and listing (`lookup`), rating, the public PIN lookup, and the shared record
//! and views. Appending a history event (with its portal message, webhooks and indicator
//! facts) is `service::events`.

pub mod intake;
pub mod lookup;
pub mod public;
pub mod rating;
pub mod record;
pub mod request;
pub mod transition;
pub mod view;

pub use lookup::{can_see, dossier_place, load_visible};
pub use record::{record_of, LifecycleRecord};
