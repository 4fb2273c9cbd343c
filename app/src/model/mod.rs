//! Types shared by the browser and the server: typed ids, parsed values, the states and
//! modes (`string_enum!`), the DTOs of each area (one file per area, as in `api/`), the
//! error shape the portal and the APIs speak, and the notes the domain writes for
//! operators. Pure Rust, no I/O.

#[macro_use]
mod enums;

pub mod auth;
pub mod automation;
pub mod backfill;
pub mod chatwoot;
pub mod contacts_import;
pub mod crm;
pub mod error;
pub mod events;
pub mod evidence;
pub mod ids;
pub mod notes;
pub mod onboarding;
pub mod orgs;
pub mod page;
pub mod reconciliation;
pub mod rollout;
pub mod texts;
pub mod tools;
pub mod values;

pub use auth::*;
pub use automation::*;
pub use backfill::*;
pub use chatwoot::*;
pub use contacts_import::*;
pub use crm::*;
pub use error::{AppError, ErrorCode, FieldError};
pub use events::*;
pub use evidence::*;
pub use ids::*;
pub use notes::{Note, NoteCode, NotePiece};
pub use onboarding::*;
pub use orgs::*;
pub use page::*;
pub use reconciliation::*;
pub use rollout::*;
pub use texts::Lang;
pub use tools::*;
pub use values::*;
